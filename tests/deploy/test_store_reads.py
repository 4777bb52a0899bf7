"""A comparison's reads on the team server: its runs in one search (``listing.get_runs``), the same runs
``get_run`` answers, in the order asked, a deleted experiment's run and an unknown id handled as
``get_run`` handles them; and the sidebar's compare answer over that path."""

from __future__ import annotations

import time

import pytest

from jupyter_exp.query.compare_document import compare_runs
from jupyter_exp.query.listing import get_run, get_runs
from jupyter_exp.reproduce.errors import RecordNotFound


def _same(a, b) -> bool:
    return (a.info.run_id, a.info.status, a.data.params, a.data.metrics, a.data.tags) == (
        b.info.run_id,
        b.info.status,
        b.data.params,
        b.data.metrics,
        b.data.tags,
    )


def test_runs_of_a_comparison_come_in_one_search(deployment):
    client = deployment.client()
    ids = []
    for name in ("reads-a", "reads-b"):
        experiment = client.create_experiment(f"{name}-{time.time_ns()}")
        for r in range(2):
            run_id = client.create_run(experiment, run_name=f"{name}-{r}").info.run_id
            client.log_param(run_id, "lr", str(r))
            client.log_metric(run_id, "loss", 1.0 / (r + 1))
            ids.append(run_id)
    gone = client.create_experiment(f"reads-deleted-{time.time_ns()}")
    deleted_run = client.create_run(gone).info.run_id
    client.delete_experiment(gone)
    wanted = [ids[3], deleted_run, ids[0], ids[2], ids[1]]
    searches = []
    original = client.search_runs

    def counted(*args, **kwargs):
        searches.append(args)
        return original(*args, **kwargs)

    client.search_runs = counted  # the real client's own method, counted
    got = get_runs(client, wanted)
    assert [r.info.run_id for r in got] == wanted
    assert all(_same(a, get_run(client, i)) for a, i in zip(got, wanted, strict=True))
    assert len(searches) == 1
    with pytest.raises(RecordNotFound):
        get_runs(client, [ids[0], "0" * 32])


def test_compare_on_the_team_server_reads_cells_and_series(deployment):
    client = deployment.client()
    experiment = client.create_experiment(f"reads-compare-{time.time_ns()}")
    ids = []
    for r in range(3):
        run_id = client.create_run(experiment).info.run_id
        for step in range(5):
            client.log_metric(run_id, "loss", 1.0 / (step + r + 1), step=step)
        client.log_text(run_id, f"lr = {r}\n", "jupyter_exp/cell.py")
        client.set_terminated(run_id)
        ids.append(run_id)
    answer = compare_runs(client, ids, max_points=100)
    assert [r["run_id"] for r in answer["runs"]] == ids
    assert [c["source"] for c in answer["cells"]] == [f"lr = {r}\n" for r in range(3)]
    assert "+lr = 1" in answer["cells"][1]["diff"]
    assert [c["steps"] for c in answer["series"]["loss"]] == [list(range(5))] * 3
    assert answer == compare_runs(client, ids, max_points=100)  # reopened from the caches: the same
