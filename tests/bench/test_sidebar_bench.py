"""The sidebar's server work at scale: a notebook's first page among 10,000 runs, and a comparison of
10 runs x 3 metrics x 10,000 steps, against doing the same with MlflowClient."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Param, RunTag

from jupyter_exp.query import compare_document as compare_module
from jupyter_exp.query.compare_document import compare_runs
from jupyter_exp.query.listing import RunQuery, list_runs
from jupyter_exp.tracking.metric_sink import SqliteMetricSink
from jupyter_exp.tracking.metrics import MetricWriter

from .harness import ROOT, SMOKE, Result, median_time, size

RUNS = size(10_000, 40)
NOTEBOOKS = 5
COMPARED, METRICS, STEPS = size(10, 3), 3, size(10_000, 200)
GROUP_RUNS = size(10, 6)  # seeds per group: 6 is the fewest an exact paired test can decide on
CACHE = ROOT / "build" / "bench-stores"


def cached_store(name: str, build) -> Path:
    """Big stores take minutes to make through MLflow: made once, kept in build/bench-stores/."""
    folder = CACHE / (f"smoke-{name}" if SMOKE else name)
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        build(folder)
        (folder / "done").write_text("ok\n")
    return folder


def build_many_runs(folder: Path) -> None:
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiments = [
        client.create_experiment(f"nb/train-{n}.ipynb", artifact_location=str(folder / "artifacts"))
        for n in range(NOTEBOOKS)
    ]
    for i in range(RUNS):
        notebook = i % NOTEBOOKS
        tags = {
            "mlflow.source.name": f"nb/train-{notebook}.ipynb",
            "jupyter_exp.seed": str(i),
            "jupyter_exp.kernel.id": "k",
            "mlflow.source.git.commit": f"{i:040x}",
        }
        run = client.create_run(experiments[notebook], run_name=f"run-{i}", tags=tags)
        client.log_batch(
            run.info.run_id,
            params=[Param("lr", str(i / RUNS)), Param("seed", str(i))],
            tags=[RunTag("jupyter_exp.version", "bench")],
        )
        client.log_metric(run.info.run_id, "train/loss", 1.0 / (i + 1))
        client.set_terminated(run.info.run_id)


def build_long_runs(folder: Path) -> None:
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.create_experiment("compare", artifact_location=str(folder / "artifacts"))
    for r in range(COMPARED):
        run_id = client.create_run(experiment, run_name=f"long-{r}", tags={"lr": str(r)}).info.run_id
        client.log_param(run_id, "lr", str(0.1 * (r + 1)))
        writer = MetricWriter(SqliteMetricSink(client, run_id, str(folder / "mlflow.db")))
        for step in range(STEPS):
            writer.log(
                step=step,
                **{
                    "train/loss": 1 / (1 + step * (r + 1)),
                    "train/acc": step / STEPS,
                    "eval/loss": 1 / (2 + step),
                },
            )
        writer.close()
        client.set_terminated(run_id)


def build_seed_groups(folder: Path) -> None:
    """Two configurations x GROUP_RUNS seeds, the second one a little better, each run METRICS x STEPS."""
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    experiment = client.create_experiment("groups", artifact_location=str(folder / "artifacts"))
    for lr, gain in (("0.05", 0.0), ("0.2", 0.02)):
        for seed in range(GROUP_RUNS):
            tags = {"jupyter_exp.seed": str(seed)}
            run_id = client.create_run(experiment, run_name=f"lr{lr}-s{seed}", tags=tags).info.run_id
            client.log_batch(run_id, params=[Param("lr", lr), Param("seed", str(seed))])
            writer = MetricWriter(SqliteMetricSink(client, run_id, str(folder / "mlflow.db")))
            noise = 0.01 * ((seed * 7919) % 13 - 6) / 6  # the same seed noise on both sides: a paired design
            for step in range(STEPS):
                progress = step / STEPS
                writer.log(
                    step=step,
                    **{
                        "train/loss": 1 / (1 + step) + noise,
                        "eval/acc": 0.5 + 0.4 * progress + (gain + noise) * progress,
                        "eval/loss": 1 / (2 + step) - gain * progress,
                    },
                )
            writer.close()
            client.set_terminated(run_id)


@pytest.fixture(scope="module")
def seed_groups() -> MlflowClient:
    folder = cached_store(f"groups-2x{GROUP_RUNS}x{METRICS}x{STEPS}", build_seed_groups)
    return MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")


@pytest.fixture(scope="module")
def many_runs() -> MlflowClient:
    return MlflowClient(f"sqlite:///{cached_store(f'runs-{RUNS}', build_many_runs) / 'mlflow.db'}")


@pytest.fixture(scope="module")
def long_runs() -> MlflowClient:
    folder = cached_store(f"compare-{COMPARED}x{METRICS}x{STEPS}", build_long_runs)
    return MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")


def mlflow_by_hand(client: MlflowClient, ids: list[str], keys: tuple[str, ...], runs: int) -> float:
    """Seconds to read every series whole with ``get_metric_history`` (checked complete first)."""

    def full_histories() -> int:
        return sum(len(client.get_metric_history(i, k)) for i in ids for k in keys)

    assert full_histories() == runs * METRICS * STEPS
    start = time.perf_counter()
    full_histories()
    return time.perf_counter() - start


def test_first_page_of_a_notebooks_runs(bench, many_runs):
    notebook = "nb/train-3.ipynb"
    query = RunQuery(notebook=notebook, max_results=100)
    runs, _ = list_runs(many_runs, query)
    assert len(runs) == min(100, RUNS // NOTEBOOKS) and all(r["notebook"] == notebook for r in runs)
    assert [r["start_time"] for r in runs] == sorted((r["start_time"] for r in runs), reverse=True)
    ours = median_time(lambda: list_runs(many_runs, query), repeat=size(7, 2))

    ids = [e.experiment_id for e in many_runs.search_experiments()]
    mlflow_filter = f"tags.`mlflow.source.name` = '{notebook}'"
    same = many_runs.search_runs(ids, mlflow_filter, max_results=100, order_by=["attributes.start_time DESC"])
    assert [r.info.run_id for r in same] == [r["run_id"] for r in runs]
    baseline = median_time(
        lambda: many_runs.search_runs(
            ids, mlflow_filter, max_results=100, order_by=["attributes.start_time DESC"]
        ),
        repeat=size(7, 2),
    )
    bench.record(
        f"first page of a notebook's runs ({RUNS} in store)",
        Result(ours * 1000, baseline * 1000, "ms", note="list_runs vs MlflowClient.search_runs, same page"),
    )


def test_comparison_of_long_runs(bench, long_runs):
    ids = [
        r.info.run_id
        for r in long_runs.search_runs([e.experiment_id for e in long_runs.search_experiments()])
    ]
    assert len(ids) == COMPARED

    def cold() -> dict:
        compare_module.SERIES_CACHE = compare_module.SeriesCache()
        return compare_runs(long_runs, ids, max_points=500)

    answer = cold()
    assert set(answer["series"]) == {"train/loss", "train/acc", "eval/loss"}
    for curves in answer["series"].values():
        assert len(curves) == COMPARED
        assert all(
            c["total_points"] == STEPS and c["steps"][0] == 0 and c["steps"][-1] == STEPS - 1 for c in curves
        )
        assert all(len(c["steps"]) == min(500, STEPS) for c in curves)
    ours_cold = median_time(cold, repeat=size(3, 1))
    ours_warm = median_time(lambda: compare_runs(long_runs, ids, max_points=500), repeat=size(5, 1))

    baseline = mlflow_by_hand(long_runs, ids, ("train/loss", "train/acc", "eval/loss"), COMPARED)
    label = f"compare {COMPARED} runs x {METRICS} metrics x {STEPS} steps"
    bench.record(
        f"{label}, first view",
        Result(
            ours_cold,
            baseline,
            "s",
            note="compare_runs (SQL read + LTTB to 500) vs get_metric_history of every series",
        ),
    )
    bench.record(f"{label}, reopened", Result(ours_warm, baseline, "s", note="ended runs' series cached"))


def test_runs_dataframe(bench, many_runs, monkeypatch):
    import mlflow

    import jupyter_exp

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv(
        "JUPYTER_EXP_ROOT", str(Path(many_runs.tracking_uri.removeprefix("sqlite:///")).parent)
    )
    ours_frame = jupyter_exp.runs()
    mlflow.set_tracking_uri(many_runs.tracking_uri)
    try:
        theirs = mlflow.search_runs(search_all_experiments=True, max_results=1_000_000)
        assert len(ours_frame) == len(theirs) == RUNS
        assert set(ours_frame.columns) == set(theirs.columns)
        assert list(ours_frame["run_id"]) == list(theirs["run_id"])
        assert list(ours_frame["params.lr"]) == list(theirs["params.lr"])
        ours = median_time(jupyter_exp.runs, repeat=size(3, 1))
        baseline = median_time(
            lambda: mlflow.search_runs(search_all_experiments=True, max_results=1_000_000), repeat=size(1, 1)
        )
    finally:
        mlflow.set_tracking_uri("")
    bench.record(
        f"runs DataFrame ({RUNS} runs)",
        Result(ours, baseline, "s", note="jupyter_exp.runs() vs mlflow.search_runs"),
    )


def test_comparison_of_two_seed_groups(bench, seed_groups):
    runs = seed_groups.search_runs([e.experiment_id for e in seed_groups.search_experiments()])
    ids = [
        r.info.run_id for r in sorted(runs, key=lambda r: (r.data.params["lr"], int(r.data.params["seed"])))
    ]
    assert len(ids) == 2 * GROUP_RUNS

    def cold() -> dict:
        compare_module.SERIES_CACHE = compare_module.SeriesCache()
        return compare_runs(seed_groups, ids, max_points=500)

    answer = cold()
    groups = answer["groups"]
    assert [len(g["run_ids"]) for g in groups["groups"]] == [GROUP_RUNS, GROUP_RUNS]
    verdicts = {row["metric"]: row for row in groups["statistics"]}
    assert set(verdicts) == {"train/loss", "eval/acc", "eval/loss"}
    assert verdicts["eval/acc"]["outcome"] == "better" and verdicts["eval/acc"]["paired"]
    assert verdicts["eval/loss"]["outcome"] == "better" and verdicts["train/loss"]["outcome"] == "no evidence"
    for bands in groups["series"].values():
        assert [b["runs"] for b in bands] == [GROUP_RUNS, GROUP_RUNS]
        assert all(b["steps"][0] == 0 and b["steps"][-1] == STEPS - 1 for b in bands)
    ours_cold = median_time(cold, repeat=size(3, 1))
    ours_warm = median_time(lambda: compare_runs(seed_groups, ids, max_points=500), repeat=size(5, 1))

    baseline = mlflow_by_hand(seed_groups, ids, ("train/loss", "eval/acc", "eval/loss"), 2 * GROUP_RUNS)
    label = f"compare 2 groups of {GROUP_RUNS} runs x {METRICS} metrics x {STEPS} steps"
    note = "compare_runs with group statistics and mean ± sd bands vs get_metric_history of every series"
    bench.record(f"{label}, first view", Result(ours_cold, baseline, "s", note=note))
    bench.record(
        f"{label}, reopened", Result(ours_warm, baseline, "s", note="ended runs' series and bands cached")
    )
