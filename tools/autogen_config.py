"""Write docs/settings.md from the settings themselves (as nbclient's docs/autogen_config.py does).

The sources: the traitlets of ``jupyter_exp.config.JupyterExp`` (the kernel's settings; the Jupyter server
reads them too) and of ``jupyter_exp.server.JupyterExpApp`` (the server extension's), and the JSON schema of the
JupyterLab plugin (``labextension/schema/*.json``). Nothing in docs/settings.md is written by hand: change a
trait's ``help`` (or the schema's ``description``) and run ``make docs``. ``tests/unit/test_settings_doc.py``
fails while the page is not what this script writes now.

    python tools/autogen_config.py            # write docs/settings.md
    python tools/autogen_config.py --check    # exit 1, saying so, when docs/settings.md is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "settings.md"
SCHEMA_DIR = ROOT / "labextension" / "schema"

TYPE_NAMES = {
    "Unicode": "str",
    "Bool": "bool",
    "Int": "int",
    "Float": "float",
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "Tuple": "tuple",
}
# an environment variable named in a help text: MLFLOW_TRACKING_URI, JUPYTER_EXP_JOURNAL_DIR
ENV_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# a word of a help text that reads as code: names with _ or %, paths, options, dotted names
CODE_LIKE = re.compile(r"[_%<>/]|^--|^\.\w|\w\.\w")
LEADING, TRAILING = "([{'\"", "'\",.;:)]}"


def _classes() -> list[tuple[type, str]]:
    """The configurable classes, imported through the modules that stay where they are."""
    sys.path.insert(0, str(ROOT))
    from jupyter_exp.config import JupyterExp
    from jupyter_exp.server import JupyterExpApp

    return [(JupyterExp, "kernel"), (JupyterExpApp, "server")]


def _deprecated() -> dict[str, str]:
    """``JupyterExp`` traits that moved to ``JupyterExpApp``: name -> the setting to use instead."""
    import jupyter_exp.server as server

    return {name: f"JupyterExpApp.{name}" for name in getattr(server, "DEPRECATED_SETTINGS", ())}


def _code_words(text: str) -> str:
    """Backticks around the words of ``text`` that read as code, so that Markdown shows them as written
    (reStructuredText's double backticks become Markdown's single ones; what is quoted already stays)."""
    parts = text.replace("``", "`").split("`")
    for i in range(0, len(parts), 2):  # outside backticks
        words = []
        for word in parts[i].split(" "):
            core = word.lstrip(LEADING).rstrip(TRAILING)
            if core and re.search(r"[A-Za-z0-9]", core) and CODE_LIKE.search(core):
                start = word.index(core)
                word = f"{word[:start]}`{core}`{word[start + len(core) :]}"
            words.append(word)
        parts[i] = " ".join(words)
    return "`".join(parts)


def _cell(text: str) -> str:
    """A table cell: code-like words in backticks, the rest with Markdown's table characters escaped."""
    parts = _code_words(" ".join(text.split())).split("`")
    for i in range(0, len(parts), 2):  # outside backticks
        parts[i] = parts[i].replace("|", "\\|").replace("*", "\\*").replace("<", "&lt;")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("|", "\\|")
    return "`".join(parts)


def _type(trait: Any) -> str:
    kind = type(trait).__name__
    name = TYPE_NAMES.get(kind, kind)
    values = getattr(trait, "values", None)
    if values:
        return "one of " + ", ".join(f"`{v!r}`" for v in values)
    bounds = []
    low, high = getattr(trait, "min", None), getattr(trait, "max", None)
    if low is not None and low != float("-inf"):
        bounds.append(f"≥ {low}")
    if high is not None and high != float("inf"):
        bounds.append(f"≤ {high}")
    return f"{name} ({', '.join(bounds)})" if bounds else name


def _literal(value: Any) -> str:
    """A Python literal as one writes it in a config file (strings in double quotes)."""
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _traits(cls: type) -> list[tuple[str, Any]]:
    """The settable traits a class defines itself (not those of ExtensionApp and its bases), in the order
    the class defines them."""
    own = cls.class_own_traits(config=True)  # type: ignore[attr-defined]
    return [(name, own[name]) for name in vars(cls) if name in own]


def _class_section(cls: type, where: str, deprecated: dict[str, str]) -> list[str]:
    name = cls.__name__
    traits = _traits(cls)
    current = [(t, trait) for t, trait in traits if where == "server" or t not in deprecated]
    lines = [f"## `{name}`", ""]
    doc = " ".join((cls.__doc__ or "").split())
    if doc:
        lines += [_code_words(doc), ""]
    if where == "kernel":
        lines += [
            "Read by every kernel that loaded the extension; the Jupyter server reads them too, for the "
            "sidebar's store, its comparisons and its sweep. Set one:",
            "",
            f"- in a notebook, for this kernel: `%config {name}.<name> = <value>`;",
            f"- for every kernel: `c.{name}.<name> = <value>` in `~/.ipython/profile_default/ipython_config.py`;",
            f"- for the Jupyter server: `c.{name}.<name> = <value>` in `jupyter_server_config.py`, or "
            f"`--{name}.<name>=<value>` on its command line;",
            "- through the environment variable a setting's help names, where it names one.",
            "",
        ]
    else:
        lines += [
            "Read by the Jupyter server when it loads the extension. Set one with "
            f"`c.{name}.<name> = <value>` in `jupyter_server_config.py`, or "
            f"`jupyter lab --{name}.<name>=<value>` on the command line.",
            "",
        ]
    lines += ["| setting | type | default | meaning | environment |", "|---|---|---|---|---|"]
    for trait_name, trait in traits:
        help_text = trait.help or ""
        if where == "kernel" and trait_name in deprecated:
            help_text = (
                f"Deprecated: use {deprecated[trait_name]} (still applies, with a warning). {help_text}"
            )
        envs = sorted(set(ENV_NAME.findall(trait.help or "")))
        env_cell = ", ".join(f"`{e}`" for e in envs) or "-"
        lines.append(
            f"| `{name}.{trait_name}` | {_type(trait)} | `{_literal(trait.default_value)}` | "
            f"{_cell(help_text)} | {env_cell} |"
        )
    config_file = (
        "~/.ipython/profile_default/ipython_config.py" if where == "kernel" else "jupyter_server_config.py"
    )
    lines += ["", f"Every setting at its default, as `{config_file}` would set it:", "", "```python"]
    for trait_name, trait in current:
        lines.append(f"c.{name}.{trait_name} = {_literal(trait.default_value)}")
    lines += ["```", ""]
    return lines


def _schema_sections() -> list[str]:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lines: list[str] = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        plugin = f"{package['name']}:{path.stem}"
        title = schema.get("title", plugin)
        lines += [
            f"## JupyterLab: *{title}* (`{plugin}`)",
            "",
            _cell(schema.get("description", "")),
            "",
            f"Set in JupyterLab's *Settings → {title}*, or for every user of an installation in "
            f'`<sys-prefix>/share/jupyter/lab/settings/overrides.json` under `"{plugin}"`.',
            "",
            "| setting | type | default | meaning |",
            "|---|---|---|---|",
        ]
        for key, prop in schema.get("properties", {}).items():
            kind = prop.get("type", "")
            if "enum" in prop:
                kind = "one of " + ", ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
            elif "minimum" in prop:
                kind = f"{kind} (≥ {prop['minimum']})"
            meaning = _cell(prop.get("description", ""))
            if prop.get("title"):
                meaning = f"*{prop['title']}*. {meaning}"
            lines.append(f"| `{key}` | {kind} | `{json.dumps(prop.get('default'))}` | {meaning} |")
        example = {key: prop.get("default") for key, prop in schema.get("properties", {}).items()}
        lines += ["", "```json", json.dumps({plugin: example}, indent=2), "```", ""]
    return lines


def render() -> str:
    """The text of docs/settings.md, from the settings as they are now."""
    deprecated = _deprecated()
    lines = [
        "<!-- GENERATED by tools/autogen_config.py from the settings themselves: do not edit by hand; "
        "change a trait's help or the schema, then run `make docs`. -->",
        "",
        "# Settings",
        "",
        "Every setting of jupyter-exp, read from its traitlets and from the JupyterLab plugin's schema. "
        "The environment variables of a deployment (the store's credentials, the gateway) are in "
        "[team-setup.md](team-setup.md); the run record's paths in [run-record.md](run-record.md#where).",
        "",
    ]
    for cls, where in _classes():
        lines += _class_section(cls, where, deprecated)
    lines += _schema_sections()
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="only say whether docs/settings.md is up to date"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
