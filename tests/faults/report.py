"""One line per injected fault, printed at the end of the run (and kept for the table of docs/failures.md).

Under pytest-xdist each worker also appends its lines to a file of its own in a folder of this run (made
by the controller before it starts the workers, named to them in ``WORKER_LINES``); the controller
(tests/support/plugin.py's terminal summary) prints and writes them all, and removes the folder."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

LINES_FILE = Path(os.environ.get("JUPYTER_EXP_FAULT_REPORT", "fault-report.jsonl"))
WORKER_LINES = "JUPYTER_EXP_FAULT_WORKER_LINES"  # the variable naming this run's folder of worker lines
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
    folder = os.environ.get(WORKER_LINES)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if folder and worker:
        with (Path(folder) / f"{worker}.jsonl").open("a") as handle:
            handle.write(json.dumps(asdict(line)) + "\n")


def open_worker_lines() -> None:
    """In the controller (or a run without workers), before any worker starts: this run's own folder, so
    that another pytest run in the same checkout neither reads nor removes its lines."""
    os.environ[WORKER_LINES] = tempfile.mkdtemp(prefix="jupyter-exp-fault-lines-")


def close_worker_lines() -> None:
    folder = os.environ.pop(WORKER_LINES, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def recorded() -> list[FaultLine]:
    """This process's lines, and in pytest-xdist's controller every worker's."""
    lines = list(_lines)
    folder = os.environ.get(WORKER_LINES)
    if folder and not os.environ.get("PYTEST_XDIST_WORKER"):
        for path in sorted(Path(folder).glob("*.jsonl")):
            lines += [FaultLine(**json.loads(text)) for text in path.read_text().splitlines() if text]
    return lines


def write_lines(path: Path = LINES_FILE) -> None:
    with path.open("w") as handle:
        for line in recorded():
            handle.write(json.dumps(asdict(line)) + "\n")
