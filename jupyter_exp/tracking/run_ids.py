"""Short run ids: ``%runs`` and the cards print 8 characters; any unique prefix of 6 or more is taken
wherever a run id is (the magics, ``compare()``, ``group()``, the REST API), resolved here once.

A full 32-hex id, ``last`` or anything that is not a hex prefix passes through untouched with no query (the
caller's own lookup says "no run with id" as before). A prefix is looked up with one indexed query on an
embedded SQLite store, else with MLflow's search (``attributes.run_id LIKE``) over every experiment.
"""

from __future__ import annotations

import re
import sqlite3
from typing import TYPE_CHECKING

from jupyter_exp.config import sqlite_path
from jupyter_exp.errors import BadRequest
from jupyter_exp.tracking.sqlite_store import mlflow_sqlite_database

if TYPE_CHECKING:
    from mlflow import MlflowClient

MIN_PREFIX = 6
_PREFIX = re.compile(rf"[0-9a-fA-F]{{{MIN_PREFIX},31}}")
SHOWN = 5  # candidates named in the error


class AmbiguousRunId(BadRequest):
    """A prefix that more than one run's id starts with (400: the caller gives more characters)."""


def is_prefix(text: str) -> bool:
    """Whether ``text`` is a run id prefix to look up (6 to 31 hex characters)."""
    return _PREFIX.fullmatch(text) is not None


def resolve_run_id(client: MlflowClient, text: str) -> str:
    """The full id of the one run whose id starts with ``text``; ``text`` itself when it is a full id, not
    a hex prefix, or no run's prefix; ``AmbiguousRunId`` naming the candidates when several runs match.
    Runs of deleted experiments or deleted runs count only when no active run matches."""
    text = text.strip()
    if not is_prefix(text):
        return text
    prefix = text.lower()
    found = _sqlite_candidates(client.tracking_uri, prefix)
    if found is None:
        found = _searched_candidates(client, prefix)
    active, deleted = found
    candidates = active or deleted
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return text
    shown = ", ".join(sorted(candidates)[:SHOWN]) + (" ..." if len(candidates) > SHOWN else "")
    raise AmbiguousRunId(
        f"run id {text!r} is ambiguous: {len(candidates)} runs start with it ({shown}); give more characters"
    )


def _sqlite_candidates(tracking_uri: str, prefix: str) -> tuple[list[str], list[str]] | None:
    """Ids starting with ``prefix`` (active, then the others) read from the ``runs`` table's primary key
    index; none when the database file is missing (no store is created to look); None when this is no
    SQLite store or one that cannot be read directly (the search answers instead)."""
    file = sqlite_path(tracking_uri)
    if file is None:
        return None
    if not file.exists():
        return [], []
    database = mlflow_sqlite_database(tracking_uri)
    if database is None:
        return None
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
        try:
            rows = connection.execute(
                "SELECT r.run_uuid, r.lifecycle_stage = 'active' AND e.lifecycle_stage = 'active' "
                "FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id "
                "WHERE r.run_uuid >= ? AND r.run_uuid < ? LIMIT 100",
                (prefix, prefix + "g"),  # 'g' sorts after every hex digit: a range on the index
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return [r for r, live in rows if live], [r for r, live in rows if not live]


def _searched_candidates(client: MlflowClient, prefix: str) -> tuple[list[str], list[str]]:
    """Ids starting with ``prefix`` through MLflow's search (a tracking server), page by page."""
    from mlflow.entities import ViewType

    experiments: list[str] = []
    token = None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
        experiments += [e.experiment_id for e in page]
        token = page.token
        if not token:
            break
    active: list[str] = []
    deleted: list[str] = []
    for start in range(0, len(experiments), 100):  # MLflow takes at most 100 experiments a search
        token = None
        while True:
            runs = client.search_runs(
                experiments[start : start + 100],
                f"attributes.run_id LIKE '{prefix}%'",  # hex only: nothing to quote
                run_view_type=ViewType.ALL,
                max_results=100,
                page_token=token,
            )
            for run in runs:
                (active if run.info.lifecycle_stage == "active" else deleted).append(run.info.run_id)
            token = runs.token
            if not token or len(active) + len(deleted) > 100:
                break
    return active, deleted
