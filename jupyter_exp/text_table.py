"""Plain-text tables for the reprs and one-line summaries every layer prints (no display machinery)."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(rows: Sequence[Sequence[object]], header: Sequence[str], rule: bool = True) -> str:
    """Columns padded to their widest cell, two spaces apart; a dashed rule under the header."""
    table = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    if rule:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def number_text(value: float | None, digits: int = 4, missing: str = "") -> str:
    """A number as a table shows it: ``digits`` significant digits; ``missing`` where there is none."""
    return missing if value is None else f"{value:.{digits}g}"
