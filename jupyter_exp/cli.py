"""``jupyter-exp``: console commands. ``jupyter-exp sync`` delivers the local journal to the store and
ends the runs whose kernels are gone.

It delivers only to the store the user resolved (``--tracking-uri``, ``--root``, as a kernel resolves it)
unless ``--all``: an entry naming another store is listed, never acted on (the journal may sit in a
folder others can write to, and the user's store credentials go to every store MLflow talks to). A store
is looked at once, with the kernel's short probe, and never created."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from jupyter_exp.config import JupyterExp, StoreLocation, resolve_store
from jupyter_exp.models.recovery import deliver_pending, pending_folders
from jupyter_exp.tracking.completion import JournalReport, complete_journal
from jupyter_exp.tracking.journal import (
    entries,
    journal_refusal,
    journal_root,
    journaled_run_ids,
    same_store,
    strip_credentials,
    user_journal_root,
)
from jupyter_exp.tracking.probe import is_remote, unavailable
from jupyter_exp.tracking.stale import DEFAULT_STALE_AFTER_S, end_stale_runs
from jupyter_exp.tracking.store import client_for

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.tracking.completion import JournalReport


class Progress:
    """A one-line progress bar on a terminal; elsewhere (a log, a pipe) one line per entry."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.done, self.stream, self.width = total, 0, stream, width
        self.bar = total > 0 and stream.isatty()

    def step(self, label: str) -> None:
        self.done += 1
        if self.bar:
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\rsync [{bar}] {self.done}/{self.total} {label[:40]:<40}")
        else:
            self.stream.write(f"sync {self.done}/{self.total} {label}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar:
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
    sync.add_argument(
        "--all",
        action="store_true",
        help="also deliver the entries recorded for other stores than this one (each of those stores gets "
        "your MLFLOW_TRACKING_* credentials)",
    )
    sync.add_argument("--completed-by", default="jupyter-exp sync", help=argparse.SUPPRESS)  # end reason
    return parser


def _roots(location: StoreLocation, journal: str | None) -> list[Path]:
    roots = [journal_root(location, journal or "")]
    if not journal and user_journal_root() not in roots:
        roots.append(user_journal_root())
    return roots


def _survey(roots: list[Path], wanted: str | None) -> tuple[int, Counter[str]]:
    """How many entries are this sync's to deliver, and how many each other store has."""
    mine, others = 0, Counter[str]()
    for root in roots:
        for entry in entries(root):
            try:
                uri = entry.meta().tracking_uri
            except (OSError, ValueError, TypeError):
                mine += 1  # reported as unreadable by the delivery
                continue
            if wanted is None or same_store(uri, wanted):
                mine += 1
            else:
                others[uri] += 1
    return mine, others


def sync(args: argparse.Namespace) -> int:
    settings = JupyterExp(root=args.root or "", tracking_uri=args.tracking_uri or "")
    if args.tracking_uri:
        os.environ.pop("MLFLOW_TRACKING_URI", None)  # the flag wins over the environment
    location = resolve_store(settings)
    store = strip_credentials(location.tracking_uri)
    roots = _roots(location, args.journal)
    wanted = None if args.all else location.tracking_uri
    store_unavailable = functools.cache(unavailable)  # each store probed once
    clients: dict[str, MlflowClient] = {}

    def client_for_uri(uri: str) -> MlflowClient:
        if uri not in clients:
            from mlflow import MlflowClient

            clients[uri] = client_for(location) if same_store(uri, store) else MlflowClient(uri)
        return clients[uri]

    total, others = _survey(roots, wanted)
    folders = ", ".join(str(root) for root in roots)
    print(
        f"jupyter-exp sync: {_entries(total)} in {folders} for {'every store' if args.all else store}",
        file=sys.stderr,
    )
    progress = Progress(total)
    report = JournalReport()
    for root in roots:
        report.add(
            complete_journal(
                root,
                client_for_uri,
                args.completed_by,
                wanted,
                on_entry=lambda e: progress.step(e.path.name),
                store_unavailable=store_unavailable,
            )
        )
    progress.close()
    checkpoint_failures: list[str] = []
    if store_unavailable(location.tracking_uri) is None and pending_folders(roots[0]):
        delivered, checkpoint_failures = deliver_pending(
            client_for_uri(location.tracking_uri), roots[0], location.tracking_uri
        )
        if delivered or checkpoint_failures:
            print(
                f"  checkpoints delivered: {len(delivered)}, not delivered: {len(checkpoint_failures)}",
                file=sys.stderr,
            )
        for line in checkpoint_failures:
            print(f"  checkpoint {line}", file=sys.stderr)
    stale: list[tuple[str, str]] = []
    stale_error = None
    away = store_unavailable(location.tracking_uri)
    missing = None if away is None or is_remote(location.tracking_uri) else away  # no store: no runs
    if args.no_stale or missing is not None:
        pass
    elif away is not None:
        stale_error = away
    else:
        try:
            stale = end_stale_runs(
                client_for_uri(location.tracking_uri),
                args.stale_after if args.stale_after is not None else DEFAULT_STALE_AFTER_S,
                journaled=journaled_run_ids(roots),  # e.g. held by a sync running beside this one
            )
        except Exception as error:
            stale_error = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    print(summary(report, stale, sum(others.values())))
    _details(report, others, stale_error, missing)
    passed_over = journal_refusal(location, args.journal or "")
    if passed_over is not None:
        print(
            f"  journal folder {passed_over[0]} not used ({passed_over[1]}): yours is {roots[0]}",
            file=sys.stderr,
        )
    return 1 if report.failed or report.refused or stale_error or checkpoint_failures else 0


def _entries(count: int) -> str:
    return f"{count} journal {'entry' if count == 1 else 'entries'}"


def _details(
    report: JournalReport, others: Counter[str], stale_error: str | None, missing: str | None
) -> None:
    """What the summary counts, one line each, on stderr."""
    err = sys.stderr
    for run_id, why in report.failed:
        print(f"  not delivered: run {run_id}: {why}", file=err)
    for run_id, where in report.orphaned:
        print(f"  run {run_id} is no longer in the store: its journal entry is kept in {where}", file=err)
    for path, why in report.refused:
        print(f"  refused: {path}: {why}; nothing of it was sent or changed", file=err)
    for uri, count in sorted(others.items()):
        print(
            f"  left for {uri}: {_entries(count)}, not touched (deliver them with --tracking-uri {uri}, "
            "or --all)",
            file=err,
        )
    if stale_error:
        print(f"  stale runs not checked: {stale_error}", file=err)
    if missing:
        print(f"  {missing}: sync creates none (name the store with --root or --tracking-uri)", file=err)


def summary(report: JournalReport, stale: list[tuple[str, str]], other_stores: int = 0) -> str:
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
    if report.refused:
        parts.append(f"{len(report.refused)} refused (not yours, or unsafe)")
    if other_stores:
        parts.append(f"{other_stores} for other stores left untouched")
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
