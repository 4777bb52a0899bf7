"""Groups of runs and their comparison (compare(), the REST compare's group statistics, %runs' table) on a real
SQLite store."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from jupyter_exp.query.compare_document import band, compare_runs
from jupyter_exp.query.comparison import compare_sides
from jupyter_exp.query.groups import GROUP_TAG, group_by_params, group_of_run, resolve
from jupyter_exp.query.listing import QueryError
from jupyter_exp.query.runs_table import overview, runs
from jupyter_exp.reproduce.errors import RecordNotFound

GOOD = [0.90, 0.91, 0.89, 0.92, 0.90, 0.91]  # accuracy of lr=0.05 by seed 0..5
SEEDS = range(6)


class Store:
    def __init__(self, uri: str, tmp_path) -> None:
        self.client = MlflowClient(uri)
        self.experiment = self.client.create_experiment("nb.ipynb", artifact_location=str(tmp_path / "art"))
        self.clock = 1_700_000_000_000

    def run(
        self,
        params: dict[str, str],
        seed: int | None,
        metrics: dict[str, float],
        status: str = "FINISHED",
        tags: dict[str, str] | None = None,
        steps: int = 1,
    ) -> str:
        self.clock += 1000
        all_tags = dict(tags or {})
        if seed is not None:
            all_tags["jupyter_exp.seed"] = str(seed)
        run = self.client.create_run(self.experiment, start_time=self.clock, tags=all_tags)
        run_id = run.info.run_id
        logged = [Param(k, v) for k, v in params.items()] + (
            [Param("seed", str(seed))] if seed is not None else []
        )
        points = [
            Metric(key, value * (step + 1) / steps, self.clock + step, step)
            for key, value in metrics.items()
            for step in range(steps)
        ]
        self.client.log_batch(run_id, metrics=points, params=logged, tags=[RunTag("x", "1")])
        self.client.set_terminated(run_id, status)
        return run_id


@pytest.fixture
def store(store_uri, tmp_path) -> Store:
    return Store(store_uri, tmp_path)


def _two_configs(store: Store, shift: float) -> tuple[list[str], list[str]]:
    a = [
        store.run({"lr": "0.05", "epochs": "3"}, s, {"eval/acc": GOOD[s], "eval/loss": 1 - GOOD[s]})
        for s in SEEDS
    ]
    b = [
        store.run(
            {"lr": "0.2", "epochs": "3"}, s, {"eval/acc": GOOD[s] + shift, "eval/loss": 1 - GOOD[s] - shift}
        )
        for s in SEEDS
    ]
    return a, b


def test_group_of_a_run_is_its_configuration_over_seeds(store):
    a, b = _two_configs(store, 0.05)
    failed = store.run({"lr": "0.05", "epochs": "3"}, 9, {"eval/acc": 0.1}, status="FAILED")
    store.run({"lr": "0.05", "epochs": "3"}, 0, {"eval/acc": 0.5}, tags={"jupyter_exp.reproduced_from": a[0]})
    again = store.run({"lr": "0.05", "epochs": "3"}, 2, {"eval/acc": GOOD[2]})  # seed 2 run a second time
    group = group_of_run(store.client, a[0])
    assert sorted(group.run_ids) == sorted([*a[:2], *a[3:], again])
    assert failed not in group.run_ids and b[0] not in group.run_ids
    assert sorted(group.seeds, key=int) == [str(s) for s in SEEDS]
    assert any("not finished, reproductions or parents" in n for n in group.notes)
    assert any("seed run again" in n for n in group.notes)
    assert group.config == {"epochs": "3", "lr": "0.05"}


def test_group_by_params_and_its_errors(store):
    a, _ = _two_configs(store, 0.05)
    assert sorted(group_by_params(store.client, {"lr": 0.05}).run_ids) == sorted(a)
    store.run({"lr": "0.05", "epochs": "9"}, 0, {"eval/acc": 0.5})
    with pytest.raises(QueryError, match="differ in epochs"):
        group_by_params(store.client, {"lr": 0.05})
    with pytest.raises(QueryError, match="leave it out"):
        group_by_params(store.client, {"seed": 1})
    with pytest.raises(RecordNotFound, match="no finished run with lr=7"):
        group_by_params(store.client, {"lr": 7})


def test_a_parent_resolves_to_its_children_and_a_group_id_to_its_runs(store):
    parent = store.run({"lr": "0.05"}, None, {"eval/acc": 0.9}, tags={GROUP_TAG: "g-1"})
    kids = [
        store.run(
            {"lr": "0.05"}, s, {"eval/acc": GOOD[s]}, tags={"mlflow.parentRunId": parent, GROUP_TAG: "g-1"}
        )
        for s in range(3)
    ]
    assert resolve(store.client, parent).run_ids == kids
    assert group_of_run(store.client, parent).run_ids == kids
    assert sorted(resolve(store.client, "g-1").run_ids) == sorted(kids)
    assert resolve(store.client, kids[0]).run_ids == [kids[0]]  # a plain run is a side of one
    assert sorted(group_of_run(store.client, kids[1]).run_ids) == sorted(kids)  # a child: its configuration
    with pytest.raises(RecordNotFound, match="no run or group"):
        resolve(store.client, "nothing-like-it")


def test_better_config_is_better_paired_by_seed(store):
    a, b = _two_configs(store, 0.05)
    result = compare_sides(store.client, [a[0], b[0]])  # plain runs: one per side, no statistics
    assert {v.outcome for _, v in result.verdicts} == {"no statistics"}
    result = compare_sides(store.client, [group_of_run(store.client, a[0]), group_of_run(store.client, b[0])])
    assert result.verdict("eval/acc") == "better" and result.verdict("eval/loss") == "better"
    row = next(r for r in result.rows() if r["metric"] == "eval/acc")
    assert row["paired"] and row["difference"] == pytest.approx(0.05)
    assert row["ci_method"] == "percentile" and "BCa gave no interval" in " ".join(
        row["notes"]
    )  # constant shift
    assert row["ci_low"] == pytest.approx(0.05) and row["ci_high"] == pytest.approx(0.05)
    assert result.params == {"lr": ["0.05", "0.2"]}
    assert "paired by seed" in " ".join(result.notes)
    frame = result.to_frame()
    assert list(frame["metric"]) == ["eval/acc", "eval/loss"]
    assert frame.loc[0, "mean_a"] == pytest.approx(np.mean(GOOD)) and frame.loc[0, "n_b"] == 6
    text, page = repr(result), result._repr_html_()
    assert "eval/acc ↑" in text and "eval/loss ↓" in text and "better" in text and "lr: 0.05 | 0.2" in text
    assert "<table>" in page and "eval/acc" in page and "#1a7f37" in page


def test_same_config_twice_is_no_evidence(store):
    rng = np.random.default_rng(0)
    first = [store.run({"lr": "0.1"}, s, {"eval/acc": 0.9 + rng.normal(0, 0.01)}) for s in SEEDS]
    second = [store.run({"lr": "0.1"}, s + 10, {"eval/acc": 0.9 + rng.normal(0, 0.01)}) for s in SEEDS]
    result = compare_sides(store.client, [first, second])
    [row] = result.rows()
    assert (
        not row["paired"] and row["outcome"] == "no evidence" and row["verdict"] == "no evidence at 6 seeds"
    )


def test_rest_compare_carries_group_statistics_and_bands(store):
    rng = np.random.default_rng(1)
    a = [store.run({"lr": "0.05"}, s, {"train/loss": 1.0 + rng.normal(0, 0.01)}, steps=50) for s in range(4)]
    b = [store.run({"lr": "0"}, s, {"train/loss": 2.0 + rng.normal(0, 0.01)}, steps=50) for s in range(4)]
    answer = compare_runs(store.client, a + b, max_points=20)
    groups = answer["groups"]
    assert [g["run_ids"] for g in groups["groups"]] == [a, b]
    assert groups["groups"][0]["summaries"]["train/loss"]["n"] == 4
    [row] = groups["statistics"]
    assert row["metric"] == "train/loss" and row["outcome"] == "worse" and row["lower_is_better"]
    assert any("fewer than 5 seeds" in n for n in row["notes"])
    first, second = groups["series"]["train/loss"]
    assert first["group"] == 0 and first["runs"] == 4 and len(first["steps"]) == 20 and first["downsampled"]
    finals = [store.client.get_run(r).data.metrics["train/loss"] for r in a]
    assert first["steps"][-1] == 49 and first["mean"][-1] == pytest.approx(np.mean(finals))
    assert first["high"][-1] - first["mean"][-1] == pytest.approx(np.std(finals, ddof=1))
    assert second["mean"][-1] > first["mean"][-1]
    # runs that each have a configuration of their own form no groups
    assert compare_runs(store.client, [a[0], b[0]])["groups"] is None


def test_band_of_ragged_series_averages_what_each_step_has(store):
    short = store.run({"lr": "1"}, 0, {"m": 3.0}, steps=3)  # values 1, 2, 3 at steps 0..2
    long = store.run({"lr": "1"}, 1, {"m": 5.0}, steps=5)  # values 1..5 at steps 0..4
    runs = [store.client.get_run(short), store.client.get_run(long)]
    found = band(store.client, runs, "m", 100)
    assert found["steps"] == [0, 1, 2, 3, 4]
    assert found["mean"] == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])
    assert found["low"][3:] == found["high"][3:] == pytest.approx([4.0, 5.0])  # one run: no spread


def _seed_group(store: Store, lr: str) -> tuple[str, list[str]]:
    parent = store.run(
        {}, None, {"eval/acc/mean": 0.9, "eval/acc/n": 3.0}, tags={GROUP_TAG: "p", "mlflow.runName": "fit"}
    )
    tags = {"mlflow.parentRunId": parent, GROUP_TAG: parent, "mlflow.runName": "fit"}
    kids = [
        store.run({"lr": lr}, s, {"eval/acc": GOOD[s], "system/wall_time_s": 1.0}, tags=tags)
        for s in range(3)
    ]
    store.client.set_tag(parent, "jupyter_exp.group.seeds", "0,1,2")
    return parent, kids


def test_overview_is_newest_first_with_differing_params_and_user_metrics(store, store_uri, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store_uri)
    parent, kids = _seed_group(store, "0.05")
    other = store.run({"lr": "0.2"}, 7, {"eval/acc": 0.5})
    table = overview(runs(), limit=3)
    assert list(table["id"]) == [other[:8], kids[2][:8], kids[1][:8]]
    assert list(table.columns) == ["run", "id", "status", "started", "seed", "parent", "lr", "eval/acc"]
    assert list(table["seed"]) == ["7", "2", "1"] and list(table["lr"]) == ["0.2", "0.05", "0.05"]
    assert table.loc[1, "parent"] == parent[:8] and table.loc[0, "eval/acc"] == 0.5
    whole = overview(runs(), limit=100)
    row = whole[whole["id"] == parent[:8]].iloc[0]
    assert row["eval/acc"] == 0.9 and row["seed"] == "0,1,2"  # a parent shows its mean and its seeds
    assert not any(c.endswith(("/mean", "/n")) for c in whole.columns)
    assert overview(runs().iloc[0:0]).empty


def test_two_parents_of_one_cell_are_told_apart_by_their_params(store):
    first, _ = _seed_group(store, "0.05")
    second, _ = _seed_group(store, "0.2")
    result = compare_sides(store.client, [first, second])
    assert [g.label for g in result.groups] == ["lr=0.05", "lr=0.2"]
    assert "lr=0.05 (3 runs) vs lr=0.2 (3 runs)" in repr(result)
