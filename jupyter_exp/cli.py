"""``jupyter-exp``: console commands. ``jupyter-exp sync`` delivers the local journal to the store and
ends the runs whose kernels are gone."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .config import JupyterExp, resolve_store
from .tracking.journal import JournalEntry, entries, journal_root, journaled_run_ids, user_journal_root

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from .tracking.completion import JournalReport


class Progress:
    """A one-line progress bar on a terminal (nothing when the output is not one)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.done, self.stream, self.width = total, 0, stream, width
        self.enabled = total > 0 and stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\rsync [{bar}] {self.done}/{self.total} {label[:40]:<40}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-exp", description="jupyter-exp console commands")
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser(
        "sync",
        help="deliver runs kept in the local journal and end the runs of dead kernels",
        description="Complete every run the local journal still holds (with the status its cell really "
        "had), then end KILLED the RUNNING runs whose kernel is gone. Exit code 0 when nothing is left, "
        "1 when some runs could not be delivered (the store is unreachable or refused them).",
    )
    sync.add_argument("--tracking-uri", help="MLflow store (default: as a kernel resolves it here)")
    sync.add_argument(
        "--root", help="project root holding the default store (default: as kernels resolve it)"
    )
    sync.add_argument("--journal", help="journal folder (default: next to a SQLite store, else the user's)")
    sync.add_argument(
        "--stale-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="end a RUNNING run whose heartbeat is older than this (default 300)",
    )
    sync.add_argument("--no-stale", action="store_true", help="only deliver the journal")
    sync.add_argument("--completed-by", default="jupyter-exp sync", help=argparse.SUPPRESS)  # end reason
    return parser


def sync(args: argparse.Namespace) -> int:
    from .tracking.completion import JournalReport, complete_journal
    from .tracking.stale import DEFAULT_STALE_AFTER_S, end_stale_runs
    from .tracking.store import client_for

    settings = JupyterExp(root=args.root or "", tracking_uri=args.tracking_uri or "")
    if args.tracking_uri:
        os.environ.pop("MLFLOW_TRACKING_URI", None)  # the flag wins over the environment
    location = resolve_store(settings)
    roots = [journal_root(location, args.journal or "")]
    if not args.journal and user_journal_root() not in roots:
        roots.append(user_journal_root())
    clients: dict[str, MlflowClient] = {}

    def client_for_uri(uri: str) -> MlflowClient:
        if uri not in clients:
            from mlflow import MlflowClient

            clients[uri] = client_for(location) if uri == location.tracking_uri else MlflowClient(uri)
        return clients[uri]

    todo: list[JournalEntry] = [entry for root in roots for entry in entries(root)]
    progress = Progress(len(todo))
    report = JournalReport()
    for root in roots:
        part = complete_journal(
            root, client_for_uri, args.completed_by, on_entry=lambda e: progress.step(e.path.name)
        )
        report.completed += part.completed
        report.held += part.held
        report.failed += part.failed
        report.orphaned += part.orphaned
    progress.close()
    stale: list[tuple[str, str]] = []
    stale_error = None
    if not args.no_stale:
        try:
            stale = end_stale_runs(
                client_for_uri(location.tracking_uri),
                args.stale_after if args.stale_after is not None else DEFAULT_STALE_AFTER_S,
                journaled=journaled_run_ids(roots),  # e.g. held by a sync running beside this one
            )
        except Exception as error:
            stale_error = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    print(summary(report, stale))
    for run_id, why in report.failed:
        print(f"  not delivered: run {run_id}: {why}", file=sys.stderr)
    for run_id, where in report.orphaned:
        print(
            f"  run {run_id} is no longer in the store: its journal entry is kept in {where}", file=sys.stderr
        )
    if stale_error:
        print(f"  stale runs not checked: {stale_error}", file=sys.stderr)
    return 1 if report.failed or stale_error else 0


def summary(report: JournalReport, stale: list[tuple[str, str]]) -> str:
    statuses = Counter(done.status for done in report.completed)
    by_status = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    points = sum(done.points for done in report.completed)
    artifacts = sum(done.artifacts for done in report.completed)
    parts = [
        f"{len(report.completed)} run(s) completed from the journal"
        + (f" ({by_status}; {points:,} points, {artifacts} artifacts)" if report.completed else ""),
        f"{len(stale)} stale run(s) ended KILLED",
        f"{len(report.failed)} not delivered",
    ]
    if report.held:
        parts.append(f"{report.held} still owned by a live kernel")
    if report.orphaned:
        parts.append(f"{len(report.orphaned)} set aside (their runs are gone from the store)")
    return "jupyter-exp sync: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sync":
        if args.journal and not Path(args.journal).expanduser().is_dir():
            print(f"jupyter-exp sync: no journal folder {args.journal}", file=sys.stderr)
            return 2
        return sync(args)
    return 2  # pragma: no cover (argparse requires a command)


if __name__ == "__main__":
    sys.exit(main())
