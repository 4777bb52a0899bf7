"""Hidden state: names a cell reads whose defining cell has changed or left the notebook since it ran.

The namespace remembers what a cell did even after its source was edited or the cell deleted; a run
that depends on such a value cannot be rerun from the notebook as it stands. The defining cell of a
name is the last history entry before the tracked cell that bound it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from jupyter_exp.capture.cell import names_bound, names_read, parse_python


@lru_cache(maxsize=1024)
def _bound(source: str) -> frozenset[str]:
    return frozenset(names_bound(parse_python(source)))


def _code_cells(document: dict[str, Any]) -> list[dict[str, Any]]:
    cells = []
    for cell in document.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append(
                {"id": cell.get("id"), "source": "".join(source) if isinstance(source, list) else source}
            )
    return cells


def hidden_state(cell_body: str, earlier: Sequence[Any], document: dict[str, Any]) -> list[str]:
    """``["lr (cell [3] changed since it ran)", ...]`` for the names ``cell_body`` reads.

    ``earlier``: history entries before the tracked cell (``execution_count``, ``cell_id``,
    ``source``), in execution order. ``document``: the notebook as saved on disk.
    """
    cells = _code_cells(document)
    by_id = {cell["id"]: cell["source"] for cell in cells if cell["id"]}
    sources = {cell["source"] for cell in cells}
    found = []
    for name in names_read(parse_python(cell_body)):
        entry = next((e for e in reversed(earlier) if name in _bound(e.source)), None)
        if entry is None:
            continue
        problem = _problem(entry, by_id, sources)
        if problem:
            found.append(f"{name} (cell [{entry.execution_count}] {problem})")
    return found


def _problem(entry: Any, by_id: dict[str, str], sources: Iterable[str]) -> str | None:
    if entry.cell_id:
        if entry.cell_id not in by_id:
            return "was deleted"
        return None if by_id[entry.cell_id] == entry.source else "changed since it ran"
    return None if entry.source in sources else "changed or deleted since it ran"
