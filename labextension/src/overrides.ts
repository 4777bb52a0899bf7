/**
 * The reproduce dialog's overrides (`lr=0.05, config.epochs=3`) parsed as `%reproduce --set`
 * takes them. No JupyterLab imports.
 */

/** A bad `key=value` list in the reproduce dialog. */
export class OverrideSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverrideSyntaxError';
  }
}

/** Split on top-level commas: not inside quotes, brackets, braces or parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  const closing: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      current += char;
      if (char === '\\' && i + 1 < text.length) {
        current += text[++i];
      } else if (char === quote) {
        quote = null;
      }
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '[' || char === '(' || char === '{') {
      closing.push(char === '[' ? ']' : char === '(' ? ')' : '}');
    } else if (char === ']' || char === ')' || char === '}') {
      if (closing.pop() !== char) {
        throw new OverrideSyntaxError(`Unbalanced "${char}"`);
      }
    } else if (char === ',' && closing.length === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  if (quote) {
    throw new OverrideSyntaxError(`Unterminated string (missing ${quote})`);
  }
  if (closing.length > 0) {
    throw new OverrideSyntaxError(`Missing "${closing[closing.length - 1]}"`);
  }
  parts.push(current);
  return parts;
}

/**
 * Parse `lr=0.05, epochs=3` into `{lr: "0.05", epochs: "3"}` (values stay Python literals, as in
 * `%reproduce --set`). Commas inside quotes or brackets do not split. Throws an
 * `OverrideSyntaxError` with a one-line message on bad input; '' gives `{}`.
 */
export function parseOverrides(text: string): Record<string, string> {
  const overrides: Record<string, string> = {};
  if (!text.trim()) {
    return overrides;
  }
  for (const part of splitTopLevel(text)) {
    const item = part.trim();
    if (!item) {
      throw new OverrideSyntaxError('Empty item: remove the extra comma');
    }
    const eq = item.indexOf('=');
    if (eq < 0) {
      throw new OverrideSyntaxError(`"${item}" is not name=value`);
    }
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    // a captured name, or a dotted path into one (config.epochs), as `%reproduce --set` takes it
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key)) {
      throw new OverrideSyntaxError(`"${key}" is not a valid name`);
    }
    if (!value) {
      throw new OverrideSyntaxError(`"${key}" has no value`);
    }
    if (Object.prototype.hasOwnProperty.call(overrides, key)) {
      throw new OverrideSyntaxError(`"${key}" is set twice`);
    }
    overrides[key] = value;
  }
  return overrides;
}
