"""One line per injected fault, printed at the end of the run (and kept for the table of docs/failures.md)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

LINES_FILE = Path(os.environ.get("JUPYTER_EXP_FAULT_REPORT", "fault-report.jsonl"))
_lines: list[FaultLine] = []


@dataclass
class FaultLine:
    fault: str
    survived: bool
    points_logged: int | None
    points_stored: int | None
    seconds_to_final: float | None
    final: str

    def render(self) -> str:
        points = "-" if self.points_logged is None else f"{self.points_logged} -> {self.points_stored}"
        seconds = "-" if self.seconds_to_final is None else f"{self.seconds_to_final:.1f} s"
        verdict = "survived" if self.survived else "LOST"
        return f"{self.fault:<64} {verdict:<8} points {points:<13} final {self.final:<10} after {seconds}"


def record_fault(line: FaultLine) -> None:
    _lines.append(line)


def recorded() -> list[FaultLine]:
    return list(_lines)


def write_lines(path: Path = LINES_FILE) -> None:
    with path.open("w") as handle:
        for line in _lines:
            handle.write(json.dumps(asdict(line)) + "\n")
