"""Short run ids on a real SQLite MLflow store: a unique prefix of 6+ characters is the run, through the
direct SQLite read and through MLflow's search (a tracking server's way); full ids pass with no query; an
ambiguous prefix names its candidates; an unknown one is the usual "no run with id"."""

from __future__ import annotations

import sqlite3

import pytest
from mlflow import MlflowClient

from jupyter_exp.query.groups import resolve
from jupyter_exp.query.listing import get_run
from jupyter_exp.reproduce.errors import RecordNotFound
from jupyter_exp.tracking import run_ids
from jupyter_exp.tracking.run_ids import AmbiguousRunId, resolve_run_id


@pytest.fixture
def client(store_uri: str) -> MlflowClient:
    return MlflowClient(store_uri)


def runs(client: MlflowClient, n: int) -> list[str]:
    experiment = client.create_experiment("short-ids")
    return [client.create_run(experiment).info.run_id for _ in range(n)]


def renamed(store_uri: str, old: str, new: str) -> str:
    """A run's id rewritten in the store (how two ids sharing a prefix come about, without waiting for it)."""
    connection = sqlite3.connect(store_uri.removeprefix("sqlite:///"))
    with connection:
        for table in ("runs", "tags", "params", "latest_metrics", "metrics"):
            connection.execute(f"UPDATE {table} SET run_uuid = ? WHERE run_uuid = ?", (new, old))
    connection.close()
    return new


def test_a_unique_prefix_is_the_run_by_either_path(
    client: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _ = runs(client, 3)
    assert resolve_run_id(client, first[:8]) == first
    assert resolve_run_id(client, f" {second[:6].upper()} ") == second
    assert resolve(client, first[:8]).run_ids == [first]  # %compare and compare()
    assert [r.info.run_id for r in resolve(client, [first[:8], second[:10]]).runs] == [first, second]
    monkeypatch.setattr(run_ids, "_sqlite_candidates", lambda uri, prefix: None)  # a tracking server's way
    assert resolve_run_id(client, second[:7]) == second


def test_full_ids_last_and_short_text_pass_untouched_without_a_query() -> None:
    nowhere = MlflowClient("http://tracking.invalid")  # any query would fail
    full = "0123456789abcdef0123456789abcdef"
    for text in (full, "last", "abc12", "not-hex-at-all", "my_group"):
        assert resolve_run_id(nowhere, text) == text


def test_an_unknown_prefix_is_no_run(client: MlflowClient) -> None:
    runs(client, 1)
    unknown = resolve_run_id(client, "ffffff00")
    assert unknown == "ffffff00"
    with pytest.raises(RecordNotFound, match="no run with id 'ffffff00'"):
        get_run(client, unknown)


def test_an_ambiguous_prefix_lists_its_candidates(
    client: MlflowClient, store_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _ = runs(client, 3)
    a = renamed(store_uri, first, "abcdef12" + first[8:])
    b = renamed(store_uri, second, "abcdef12" + second[8:])
    for path in ("sqlite", "search"):
        if path == "search":  # as on a tracking server: no database file to read
            monkeypatch.setattr(run_ids, "_sqlite_candidates", lambda uri, prefix: None)
        with pytest.raises(AmbiguousRunId) as raised:
            resolve_run_id(client, "abcdef12")
    message = str(raised.value)
    assert "\n" not in message and a in message and b in message and "2 runs" in message
    assert raised.value.http_status == 400
    assert resolve_run_id(client, a[:9]) == a


def test_a_deleted_run_counts_only_when_no_active_one_matches(client: MlflowClient, store_uri: str) -> None:
    first, second = runs(client, 2)
    a = renamed(store_uri, first, "abcdef12" + first[8:])
    b = renamed(store_uri, second, "abcdef12" + second[8:])
    client.delete_run(b)
    assert resolve_run_id(client, "abcdef") == a
    client.delete_run(a)
    with pytest.raises(AmbiguousRunId):
        resolve_run_id(client, "abcdef")
