"""The child process of ``jupyter_exp.server.snapshot``: ``python -I snapshot_worker.py SOURCE TARGET MAX_BYTES``.

Reads a recorded notebook (at most ``MAX_BYTES``), marks every cell untrusted and writes it to ``TARGET`` as
compact JSON. Exit status 0: written; 2: not a notebook it serves, 3: too large to parse here (the reason
on stderr, one line).
Standard library only: it starts in tens of milliseconds and imports nothing of the package.
"""

from __future__ import annotations

import json
import sys
from typing import Any

CORRUPT, TOO_LARGE = 2, 3


def untrusted(document: Any) -> dict[str, Any]:
    """``document`` (a parsed notebook) with ``metadata.trusted`` false on every cell, whatever it said:
    JupyterLab then sanitizes its outputs (no script, no event handler) like any notebook the notary does
    not know. Anything but a version 4 notebook is refused (``ValueError``)."""
    if not isinstance(document, dict) or document.get("nbformat") != 4:
        raise ValueError("not a version 4 notebook")
    cells = document.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise ValueError("its cells are not a list of objects")
    for cell in cells:
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict):
            metadata = cell["metadata"] = {}
        metadata["trusted"] = False
    return document


def convert(source: str, target: str, max_bytes: int) -> None:
    with open(source, "rb") as stream:
        data = stream.read(max_bytes + 1)  # a file that grew (or never ends) stops here
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes} bytes")
    text = json.dumps(untrusted(json.loads(data)), allow_nan=False)  # the browser's JSON.parse takes no NaN
    with open(target, "w", encoding="ascii") as stream:
        stream.write(text)


def main(argv: list[str]) -> int:
    source, target, max_bytes = argv[1], argv[2], int(argv[3])
    try:
        convert(source, target, max_bytes)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError included
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(reason[:200], file=sys.stderr)
        return CORRUPT
    except MemoryError:
        print("not enough memory to parse it", file=sys.stderr)
        return TOO_LARGE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
