"""Fewer and side-by-side store reads: experiment names remembered (``tracking.experiments.experiment_names``) and
``query.reads.read_all``, on real stores (SQLite here; the team server in tests/bench and tests/deploy)."""

from __future__ import annotations

import threading
import time

import pytest
from mlflow import MlflowClient

from jupyter_exp.query import listing
from jupyter_exp.query.reads import read_all
from jupyter_exp.tracking import experiments as names


class CountingClient(MlflowClient):
    """A real client of a real store that counts its ``search_experiments`` requests."""

    searches = 0

    def search_experiments(self, *args, **kwargs):
        self.searches += 1
        return super().search_experiments(*args, **kwargs)


def test_names_are_read_once_until_one_is_missing_or_they_are_old(store_uri, monkeypatch):
    client = CountingClient(store_uri)
    first = client.create_experiment("first")
    assert names.experiments(client)[first] == "first" and client.searches == 1
    assert names.experiment_names(client, [first])[first] == "first"
    assert names.experiment_names(client, ["first"])[first] == "first"
    assert client.searches == 1  # remembered: no request
    second = client.create_experiment("second")
    assert names.experiment_names(client, [second])[second] == "second"  # not held: read again
    assert client.searches == 2
    client.rename_experiment(first, "renamed")
    assert names.experiment_names(client, [first])[first] == "first"  # within the time it is kept
    monkeypatch.setattr(names, "NAMES_TTL_S", 0.0)
    names.experiments(client)
    assert names.experiment_names(client, [first])[first] == "renamed" and client.searches == 4


def test_listing_one_experiment_asks_for_names_once(store_uri):
    client = CountingClient(store_uri)
    experiment = client.create_experiment("nb.ipynb")
    run_id = client.create_run(experiment, run_name="r").info.run_id
    for _ in range(3):
        runs, _ = listing.list_runs(client, listing.RunQuery(experiment=experiment))
        assert [r["run_id"] for r in runs] == [run_id] and runs[0]["experiment_name"] == "nb.ipynb"
    assert client.searches == 1
    runs, _ = listing.list_runs(client, listing.RunQuery())  # every experiment: read now
    assert [r["run_id"] for r in runs] == [run_id] and client.searches == 2


def test_read_all_keeps_order_and_runs_side_by_side_on_a_server():
    class Server:
        tracking_uri = "http://127.0.0.1:5000"

    inside, most = 0, 0
    lock = threading.Lock()
    all_in = threading.Barrier(4, timeout=60)

    def read(item: int) -> int:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        all_in.wait()  # only passes when four reads are in flight at once
        with lock:
            inside -= 1
        return item * 10

    assert read_all(Server(), read, [1, 2, 3, 4]) == [10, 20, 30, 40]
    assert most == 4


def test_read_all_reads_a_local_store_in_turn_and_raises_the_first_error(store_uri):
    client = MlflowClient(store_uri)
    threads = set()

    def read(item: int) -> int:
        threads.add(threading.get_ident())
        if item == 2:
            raise ValueError("two")
        return item

    assert read_all(client, read, [1, 3]) == [1, 3] and threads == {threading.get_ident()}

    class Server:
        tracking_uri = "https://mlflow.example"

    with pytest.raises(ValueError, match="two"):
        read_all(Server(), lambda i: (time.sleep(0.01 * i), read(i))[1], [1, 2, 3])
