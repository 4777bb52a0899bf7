/**
 * Typed errors of the REST client, kept free of JupyterLab imports so they can be unit tested.
 */

/** A non-2xx answer (or no answer at all) from the jupyter-exp server extension. */
export class JupyterExpRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The endpoint under `/jupyter-exp/` that was requested. */
    readonly endPoint: string,
    /** The parsed JSON body (or raw text) of the answer, if any. */
    readonly body?: unknown
  ) {
    super(message);
    this.name = 'JupyterExpRequestError';
  }
}

/**
 * The human-readable message of an error answer.
 *
 * jupyter_server's APIHandler answers errors with `{"message": ..., "reason": ...}`;
 * fall back to `reason`, a short text body, then the status line.
 */
export function errorMessageFrom(
  body: unknown,
  status: number,
  statusText = ''
): string {
  if (body && typeof body === 'object') {
    const { message, reason } = body as { message?: unknown; reason?: unknown };
    if (typeof message === 'string' && message.trim()) {
      return message.trim();
    }
    if (typeof reason === 'string' && reason.trim()) {
      return reason.trim();
    }
  }
  if (typeof body === 'string' && body.trim() && body.length <= 200) {
    const text = body.trim();
    if (!text.startsWith('<')) {
      return text;
    }
  }
  const line = `${status} ${statusText}`.trim();
  return `Request failed: ${line}`;
}

/** The message to show for anything thrown by a request. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
