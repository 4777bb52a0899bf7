"""``%%track --sweep`` in a real kernel on a real Optuna study and SQLite store: trials as child runs of
the study's parent, pruned trials KILLED with their reported steps, a resume after the kernel restarts
(same study, same parent), and ``%reproduce`` of a trial (Optuna's FixedTrial) exact."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.query.sweeps import sweep_document
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking
from tests.support.journal import ended_by_the_next_kernel, wait_until
from tests.support.kernels import KernelSession, all_runs, make_project, store, write_notebook

pytestmark = pytest.mark.kernel

SWEEP_CELL = """%%track --sweep demo --trials {trials} --metric score --direction maximize --prune median --seed 7
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
for step in range(4):
    jupyter_exp.log(step=step, score=x * (step + 1), noise=rng.random())"""


RNG_CELL = "import numpy as np\nrng = np.random.default_rng(5)"  # each trial draws from it

STOPPED_CELL = """%%track --sweep stopped --trials 5 --metric score --prune none --seed 1
import jupyter_exp
x = trial.suggest_int("x", 0, 10)
if trial.number == {at}:
    raise {error}
jupyter_exp.log(step=0, score=x)"""

SEEDED_CELL = """%%track --sweep seeded --trials 2 --seeds 0,1 --metric score
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
jupyter_exp.log(step=0, score=x + np.random.rand())"""

LAST_CELL = """%%track --sweep last --trials 3 --prune none --seed 2
x = trial.suggest_float("x", 0.0, 1.0)
x * 2"""

BAD_CELLS = [
    "%%track --sweep demo --trials 0 --metric score\nprint('ran')",
    "%%track --trials 3\nprint('ran')",
    "%%track --sweep demo --trials 3 --seeds 1,2\nprint('ran')",
]


def sweep_runs(root: Path, name: str = "demo") -> tuple[list[Any], list[Any]]:
    runs = [r for r in all_runs(store(root)) if r.data.tags.get("jupyter_exp.sweep") == name]
    parents = [r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "study"]
    trials = [r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "trial"]
    return parents, sorted(trials, key=lambda r: int(r.data.tags["jupyter_exp.sweep.trial"]))


def run_notebook(root: Path, trials: int, *more: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    notebook = root / "sweep.ipynb"
    sources = ["%load_ext jupyter_exp", RNG_CELL, SWEEP_CELL.format(trials=trials), *more]
    ids = write_notebook(notebook, sources)
    session = KernelSession(root, notebook)
    try:
        return session.run_cells(sources, ids)
    finally:
        session.close()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("sweep"))
    more = [
        *BAD_CELLS,
        STOPPED_CELL.format(at=2, error="KeyboardInterrupt"),
        STOPPED_CELL.format(at=1, error="ValueError('boom')").replace("stopped", "fails --name f{trial}-x"),
        SEEDED_CELL,
        LAST_CELL,
    ]
    replies = run_notebook(root, 6, *more)
    parents, trials = sweep_runs(root)
    return {"root": root, "replies": replies, "parents": parents, "trials": trials}


def test_trials_are_child_runs_and_pruned_ones_end_killed(sweep: dict[str, Any]) -> None:
    outputs = sweep["replies"][2][1]
    assert not [o for o in outputs if o["type"] == "error"], outputs
    (parent,) = sweep["parents"]
    trials = sweep["trials"]
    assert [int(t.data.tags["jupyter_exp.sweep.trial"]) for t in trials] == list(range(6))
    assert {t.data.tags["mlflow.parentRunId"] for t in trials} == {parent.info.run_id}
    states = [t.data.tags["jupyter_exp.sweep.trial_state"] for t in trials]
    assert "PRUNED" in states and "COMPLETE" in states, states
    client = store(sweep["root"])
    for trial in trials:
        x = float(trial.data.params["x"])
        assert trial.data.tags["jupyter_exp.seed"] == str(7 + int(trial.data.tags["jupyter_exp.sweep.trial"]))
        steps = [(m.step, m.value) for m in client.get_metric_history(trial.info.run_id, "score")]
        if trial.data.tags["jupyter_exp.sweep.trial_state"] == "PRUNED":
            assert trial.info.status == "KILLED"
            assert trial.data.tags["jupyter_exp.end_reason"] == "pruned"
            at = int(trial.data.tags["jupyter_exp.sweep.pruned_at"])
            assert sorted(steps) == [
                (s, x * (s + 1)) for s in range(at + 1)
            ]  # reported steps, then it stopped
        else:
            assert trial.info.status == "FINISHED"
            assert sorted(steps) == [(s, x * (s + 1)) for s in range(4)]
    tags = parent.data.tags
    assert parent.info.status == "FINISHED"
    assert tags["jupyter_exp.sweep.pruner"] == "MedianPruner"
    assert tags["jupyter_exp.sweep.sampler"] == "TPESampler seed=7"
    assert tags["jupyter_exp.sweep.storage"].startswith("journal:")
    assert '"x"' in tags["jupyter_exp.sweep.space"]
    complete = [t for t in trials if t.info.status == "FINISHED"]
    best = max(complete, key=lambda t: t.data.metrics["score"])
    assert tags["jupyter_exp.sweep.best_run"] == best.info.run_id
    assert float(tags["jupyter_exp.sweep.best_value"]) == best.data.metrics["score"]
    # the study in its journal file agrees with the store
    path = tags["jupyter_exp.sweep.storage"].removeprefix("journal:")
    study = optuna.load_study(
        study_name=tags["jupyter_exp.sweep.study"],
        storage=optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path)),
    )
    assert [t.state.name for t in study.trials] == states
    assert study.best_value == best.data.metrics["score"]


def test_reproduce_a_trial_is_exact(sweep: dict[str, Any]) -> None:
    """A later trial (the namespace's generator advanced by the earlier ones) replays exactly."""
    complete = [t for t in sweep["trials"] if t.info.status == "FINISHED"]
    assert int(complete[-1].data.tags["jupyter_exp.sweep.trial"]) > 0
    best = complete[-1].info.run_id
    location = resolve_store(JupyterExp(root=str(sweep["root"])))
    result = reproduce_blocking(best, location, ReproduceOptions())
    assert result.verdict is not None and result.verdict.verdict == "exact", result.verdict
    reproduced = store(sweep["root"]).get_run(result.run_id)
    original = store(sweep["root"]).get_run(best)
    assert reproduced.data.metrics["score"] == original.data.metrics["score"]


def test_the_same_name_resumes_the_study_after_a_restart(sweep: dict[str, Any]) -> None:
    replies = run_notebook(sweep["root"], 2)  # a fresh kernel: the notebook opened again
    assert not [o for o in replies[2][1] if o["type"] == "error"], replies[2][1]
    parents, trials = sweep_runs(sweep["root"])
    assert [p.info.run_id for p in parents] == [sweep["parents"][0].info.run_id]  # the same parent
    assert [int(t.data.tags["jupyter_exp.sweep.trial"]) for t in trials] == list(range(8))
    assert {t.data.tags["mlflow.parentRunId"] for t in trials} == {parents[0].info.run_id}
    assert parents[0].info.status == "FINISHED"
    pid = "jupyter_exp.kernel.pid"  # the resuming kernel's: the reaper watches the live one
    assert parents[0].data.tags[pid] != sweep["parents"][0].data.tags[pid]
    assert parents[0].data.tags["jupyter_exp.heartbeat"]


def test_a_kernel_that_dies_mid_sweep_leaves_its_parent_to_the_journal(sweep: dict[str, Any]) -> None:
    """The parent is journaled as a tracked cell's run is: the next kernel's %load_ext completes it KILLED
    with the journal's end reason (not the stale-run sweep's guess), as it does the trial that was running."""
    root = sweep["root"]
    cell = STOPPED_CELL.format(at=1, error="SystemExit(time.sleep(600))").replace("stopped", "dies")
    notebook = root / "dies.ipynb"
    sources = ["%load_ext jupyter_exp", "import time", cell]
    ids = write_notebook(notebook, sources)
    session = KernelSession(root, notebook)
    try:
        session.run_cells(sources[:2], ids[:2])
        session.send(sources[2], ids[2])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # trial 0 recorded, trial 1 sleeping
            parents, trials = sweep_runs(root, "dies")
            if parents and len(trials) == 2:
                break
            time.sleep(0.2)
        assert parents and parents[0].info.status == "RUNNING"
        os.kill(int(parents[0].data.tags["jupyter_exp.kernel.pid"]), signal.SIGKILL)
    finally:
        session.close()
    client = store(root)
    parent = ended_by_the_next_kernel(root, client, parents[0].info.run_id)
    assert parent.info.status == "KILLED"
    assert parent.data.tags["jupyter_exp.end_reason"] == "its kernel ended while the cell was running"
    assert (
        parent.data.tags["jupyter_exp.sweep.counts"] == "complete=1 pruned=0 failed=0"
    )  # its last standings
    running = wait_until(lambda: (r := client.get_run(trials[1].info.run_id)).info.status != "RUNNING" and r)
    assert running.info.status == "KILLED"  # the trial it was running, by the same journal pass
    assert running.data.tags["jupyter_exp.end_reason"] == "its kernel ended while the cell was running"
    # resumed in a fresh kernel: the abandoned trial is told FAIL, new trials go on
    resume = [sources[0], sources[1], cell.replace("--trials 5", "--trials 1").replace("== 1", "== -1")]
    ids = write_notebook(notebook, resume)
    session = KernelSession(root, notebook)
    try:
        replies = session.run_cells(resume, ids)
    finally:
        session.close()
    assert not [o for o in replies[2][1] if o["type"] == "error"], replies[2][1]
    (parent,), trials = sweep_runs(root, "dies")
    study = load(parent)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert [t.info.status for t in trials] == ["FINISHED", "KILLED", "FINISHED"]
    assert parent.info.status == "FINISHED" and "jupyter_exp.end_reason" not in parent.data.tags
    assert not list((root / ".jupyter-exp-journal").glob(f"{parent.info.run_id}*"))  # delivered, removed


def test_a_trial_that_raises_fails_and_stops_the_sweep(sweep: dict[str, Any]) -> None:
    errors = [o for o in sweep["replies"][7][1] if o["type"] == "error"]
    assert [(e["ename"], e["evalue"]) for e in errors] == [("ValueError", "boom")]
    (parent,), trials = sweep_runs(sweep["root"], "fails")
    assert [t.info.status for t in trials] == ["FINISHED", "FAILED"]
    assert [t.info.run_name for t in trials] == ["f0-x", "f1-x"]  # --name's {trial} field
    assert parent.info.status == "FAILED"
    assert [t.state.name for t in load(parent).trials] == ["COMPLETE", "FAIL"]


def test_a_last_expression_objective_is_recorded_on_every_trial(sweep: dict[str, Any]) -> None:
    """No metric holds it: each complete trial's run keeps its value, which the sweep view reads."""
    assert not [o for o in sweep["replies"][9][1] if o["type"] == "error"], sweep["replies"][9][1]
    (parent,), trials = sweep_runs(sweep["root"], "last")
    study = load(parent)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3
    for trial, frozen in zip(trials, study.trials, strict=True):
        assert float(trial.data.tags["jupyter_exp.sweep.value"]) == frozen.value == 2 * frozen.params["x"]
    document = sweep_document(store(sweep["root"]), parent.info.run_id)
    assert [t["value"] for t in document["trials"]] == [t.value for t in study.trials]
    assert document["importance"] == {"x": 1.0}, document["importance_reason"]


def load(parent: Any) -> optuna.Study:
    tags = parent.data.tags
    path = tags["jupyter_exp.sweep.storage"].removeprefix("journal:")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    return optuna.load_study(study_name=tags["jupyter_exp.sweep.study"], storage=storage)


def test_bad_options_are_one_line_usage_errors_and_run_nothing(sweep: dict[str, Any]) -> None:
    for (_, outputs), expected in zip(
        sweep["replies"][3:6],
        [
            "--trials must be between 1",
            "--trials: only with --sweep NAME",
            "with --seeds/--repeat needs --metric KEY",
        ],
        strict=True,
    ):
        text = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
        assert text.startswith("UsageError: ") and expected in text, outputs
        assert text.count("\n") == 1 and "ran" not in text.splitlines()[0].split(":")[0]
        assert not [o for o in outputs if o["type"] == "stream" and o["text"] == "ran\n"]


def test_an_interrupt_stops_the_sweep_and_keeps_what_finished(sweep: dict[str, Any]) -> None:
    errors = [o for o in sweep["replies"][6][1] if o["type"] == "error"]
    assert [e["ename"] for e in errors] == ["KeyboardInterrupt"]
    (parent,), trials = sweep_runs(sweep["root"], "stopped")
    assert [t.info.status for t in trials] == ["FINISHED", "FINISHED", "KILLED"]
    assert parent.info.status == "KILLED"
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=2 pruned=0 failed=1"
    assert parent.data.tags["jupyter_exp.sweep.pruner"] == "NopPruner"


def test_the_card_is_one_live_display_of_escaped_text(sweep: dict[str, Any]) -> None:
    shown = [o for o in sweep["replies"][2][1] if o["type"] == "display_data"]
    assert len(shown) == 1 and shown[0]["transient"]["display_id"]  # updated in place after each trial
    data = shown[0]["data"]
    assert data["text/plain"].startswith("sweep demo (started, parent run ")
    assert data["text/html"].startswith("<pre class='jupyter-exp-sweep'>")


def test_seeds_make_every_trial_a_seed_group_ranked_by_its_mean(sweep: dict[str, Any]) -> None:
    assert not [o for o in sweep["replies"][8][1] if o["type"] == "error"], sweep["replies"][8][1]
    runs = [r for r in all_runs(store(sweep["root"])) if r.data.tags.get("jupyter_exp.sweep") == "seeded"]
    (parent,) = [r for r in runs if r.data.tags["jupyter_exp.sweep.role"] == "study"]
    trials = [r for r in runs if r.data.tags["jupyter_exp.sweep.role"] == "trial"]
    seeds = [r for r in runs if r.data.tags["jupyter_exp.sweep.role"] == "seed"]
    assert len(trials) == 2 and len(seeds) == 4
    assert {t.data.tags["mlflow.parentRunId"] for t in trials} == {parent.info.run_id}
    study = load(parent)
    for trial in trials:
        children = [s for s in seeds if s.data.tags["mlflow.parentRunId"] == trial.info.run_id]
        assert sorted(c.data.tags["jupyter_exp.seed"] for c in children) == ["0", "1"]
        x = float(trial.data.params["x"])
        assert {float(c.data.params["x"]) for c in children} == {x}
        mean = sum(c.data.metrics["score"] for c in children) / 2
        number = int(trial.data.tags["jupyter_exp.sweep.trial"])
        assert study.trials[number].value == pytest.approx(mean) == trial.data.metrics["score/mean"]
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=2 pruned=0 failed=0"
    location = resolve_store(JupyterExp(root=str(sweep["root"])))
    result = reproduce_blocking(seeds[-1].info.run_id, location, ReproduceOptions())
    assert result.verdict is not None and result.verdict.verdict == "exact", result.verdict
