"""One line per injected fault, printed at the end of the run (and kept for the table of docs/failures.md).

Under pytest-xdist each worker also appends its lines to a file of its own in ``WORKER_LINES``; the
controller (tests/support/plugin.py's terminal summary) prints and writes them all."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

LINES_FILE = Path(os.environ.get("JUPYTER_EXP_FAULT_REPORT", "fault-report.jsonl"))
WORKER_LINES = LINES_FILE.parent / "build" / "fault-report-workers"
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
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        WORKER_LINES.mkdir(parents=True, exist_ok=True)
        with (WORKER_LINES / f"{worker}.jsonl").open("a") as handle:
            handle.write(json.dumps(asdict(line)) + "\n")


def forget_worker_lines() -> None:
    """Before a run: no line of an earlier run's workers."""
    for path in WORKER_LINES.glob("*.jsonl"):
        path.unlink()


def recorded() -> list[FaultLine]:
    """This process's lines, or with pytest-xdist (in the controller) every worker's."""
    lines = list(_lines)
    for path in sorted(WORKER_LINES.glob("*.jsonl")):
        lines += [FaultLine(**json.loads(text)) for text in path.read_text().splitlines() if text]
    return lines


def write_lines(path: Path = LINES_FILE) -> None:
    with path.open("w") as handle:
        for line in recorded():
            handle.write(json.dumps(asdict(line)) + "\n")
