"""``%%track --sweep --workers N`` in a real notebook kernel driving real worker kernels, on a real Optuna
study (JournalStorage) and SQLite store: every trial a child run of the study's parent recorded by a
worker (its kernel and device), a worker SIGKILLed mid-trial (its trial FAIL, its run KILLED with the
reason, the study finished by the other), an interrupt of the notebook's cell, ``--gpus`` reaching each
worker as CUDA_VISIBLE_DEVICES, a worker's trial reproduced exact, and bad options as one-line errors."""

from __future__ import annotations

import os
import queue
import signal
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking
from tests.support.journal import wait_until
from tests.support.kernels import KernelSession, all_runs, make_project, store, write_notebook

pytestmark = pytest.mark.kernel

DEADLINE_S = 300  # a cell waiting on a condition gives up after this (the test then fails)
SETUP = f"""import time
import numpy as np
rng = np.random.default_rng(5)

def wait_for(condition):
    end = time.monotonic() + {DEADLINE_S}
    while not condition() and time.monotonic() < end:
        time.sleep(0.05)"""
UNRELATED = "unrelated = 1"  # not in the sweep cell's slice: no worker replays it

# the first two trials wait until two trials run at once: each worker runs one (a replay's FixedTrial,
# which has no study, does not wait)
PARALLEL = """%%track --sweep par --trials 4 --workers 2 --gpus 0,1 --metric score --prune none --seed 3
import os
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
if hasattr(trial, "study") and trial.number < 2:
    wait_for(lambda: sum(t.state.name == "RUNNING" for t in trial.study.get_trials(deepcopy=False)) >= 2)
jupyter_exp.log(step=0, score=x + rng.random(), device=float(os.environ.get("CUDA_VISIBLE_DEVICES", "-1")))"""

KILLED = """%%track --sweep killed --trials 4 --workers 2 --metric score --prune none --seed 1
import jupyter_exp
x = trial.suggest_int("x", 0, 10)
if trial.number == 0:
    wait_for(lambda: False)  # its worker is SIGKILLed meanwhile
jupyter_exp.log(step=0, score=x)"""

STOPPED = """%%track --sweep stopped --trials 6 --workers 2 --metric score --prune none
import jupyter_exp
x = trial.suggest_int("x", 0, 10)
if trial.number >= 2:
    wait_for(lambda: False)  # the notebook's cell is interrupted meanwhile
jupyter_exp.log(step=0, score=x)"""

FAILS = """%%track --sweep fails --trials 4 --workers 2 --metric score --prune none
import jupyter_exp
x = trial.suggest_int("x", 0, 10)
if trial.number == 1:
    raise ValueError("boom")
if trial.number >= 2:
    wait_for(lambda: False)  # the other worker's failure stops the sweep meanwhile
jupyter_exp.log(step=0, score=x)"""

SEEDED = """%%track --sweep seeded --trials 2 --workers 2 --seeds 0,1 --metric score
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
jupyter_exp.log(step=0, score=x + np.random.rand())"""

CONFIGURED = """%%track --sweep configured --trials 2 --workers 2 --metric score --prune none
import jupyter_exp
jupyter_exp.log(step=0, score=trial.suggest_float("x", 0.0, 1.0))"""

BAD_CELLS = {
    "%%track --sweep b --trials 2 --workers 0\nprint('ran')": "--workers must be between 1 and 64, got 0",
    "%%track --sweep b --trials 2 --workers 2 --gpus 0\nprint('ran')": "--gpus lists 1 device for 2 workers",
    "%%track --workers 2\nprint('ran')": "--workers: only with --sweep NAME",
    "%%track --sweep b --trials 2 --gpus 0,0\nprint('ran')": "a device is listed twice",
}


def sweep_runs(root: Path, name: str) -> tuple[Any, list[Any]]:
    runs = [r for r in all_runs(store(root)) if r.data.tags.get("jupyter_exp.sweep") == name]
    (parent,) = [r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "study"]
    trials = [r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "trial"]
    return parent, sorted(trials, key=lambda r: int(r.data.tags["jupyter_exp.sweep.trial"]))


def study_of(parent: Any) -> optuna.Study:
    tags = parent.data.tags
    path = tags["jupyter_exp.sweep.storage"].removeprefix("journal:")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    return optuna.load_study(study_name=tags["jupyter_exp.sweep.study"], storage=storage)


def running_trials(root: Path, name: str) -> list[Any]:
    return [
        r
        for r in all_runs(store(root))
        if r.data.tags.get("jupyter_exp.sweep") == name
        and r.data.tags.get("jupyter_exp.sweep.role") == "trial"
        and r.info.status == "RUNNING"
    ]


def outputs_of(session: KernelSession, msg_id: str) -> list[dict[str, Any]]:
    """The cell's outputs until it is idle, the live card's updates (update_display_data) among them."""
    outputs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 3 * DEADLINE_S
    while time.monotonic() < deadline:
        try:
            message = session.kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return outputs
        if message["msg_type"] in ("stream", "error", "display_data", "update_display_data"):
            outputs.append({"type": message["msg_type"], **message["content"]})
    raise AssertionError(f"the cell did not finish within {3 * DEADLINE_S} s")


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("workers"))
    notebook = root / "workers.ipynb"
    sources = [
        "%load_ext jupyter_exp",
        SETUP,
        UNRELATED,
        PARALLEL,
        *BAD_CELLS,
        KILLED,
        STOPPED,
        FAILS,
        SEEDED,
        configure := f"%config JupyterExp.sweep_storage = 'journal:{root.parent / 'configured.log'}'",
        CONFIGURED,
    ]
    ids = dict(zip(sources, write_notebook(notebook, sources), strict=True))
    session = KernelSession(root, notebook)
    found: dict[str, Any] = {"root": root}
    try:
        for source in sources[:3]:
            session.run(source, ids[source])
        found["parallel"] = outputs_of(session, session.send(PARALLEL, ids[PARALLEL]))
        session.settle()
        found["bad"] = {source: session.run(source, ids[source]) for source in BAD_CELLS}
        # a worker SIGKILLed mid-trial: trial 0's
        sent = session.send(KILLED, ids[KILLED])
        (victim,) = wait_until(
            lambda: [
                r for r in running_trials(root, "killed") if r.data.tags["jupyter_exp.sweep.trial"] == "0"
            ],
            DEADLINE_S,
            "trial 0 of sweep 'killed' running",
        )
        found["victim"] = victim
        os.kill(int(victim.data.tags["jupyter_exp.kernel.pid"]), signal.SIGKILL)
        found["killed"] = outputs_of(session, sent)
        session.settle()
        # an interrupt of the notebook's cell while both workers run a trial
        sent = session.send(STOPPED, ids[STOPPED])
        wait_until(
            lambda: (
                {r.data.tags["jupyter_exp.sweep.trial"] for r in running_trials(root, "stopped")}
                >= {"2", "3"}
            ),
            DEADLINE_S,
            "trials 2 and 3 of 'stopped' running",
        )
        session.km.interrupt_kernel()
        found["stopped"] = outputs_of(session, sent)
        session.settle()
        found["fails"] = outputs_of(session, session.send(FAILS, ids[FAILS]))
        session.settle()
        found["seeded"] = outputs_of(session, session.send(SEEDED, ids[SEEDED]))
        session.settle()
        # a storage set with %config (which the workers do not read) reaches them
        session.run(configure, ids[configure])
        found["configured"] = outputs_of(session, session.send(CONFIGURED, ids[CONFIGURED]))
        session.settle()
    finally:
        session.close()
    return found


def test_two_workers_finish_the_study_every_trial_a_child_run(workers: dict[str, Any]) -> None:
    outputs = workers["parallel"]
    assert not [o for o in outputs if o["type"] == "error"], outputs
    parent, trials = sweep_runs(workers["root"], "par")
    assert parent.info.status == "FINISHED"
    assert [int(t.data.tags["jupyter_exp.sweep.trial"]) for t in trials] == [0, 1, 2, 3]
    assert {t.data.tags["mlflow.parentRunId"] for t in trials} == {parent.info.run_id}
    assert {t.info.status for t in trials} == {"FINISHED"}
    # recorded by the worker kernels, not the notebook's: two of them, each on its own device
    notebook_pid = parent.data.tags["jupyter_exp.kernel.pid"]
    by_worker = {t.data.tags["jupyter_exp.sweep.worker"]: t for t in trials}
    assert sorted(by_worker) == ["0", "1"]
    pids = {w: t.data.tags["jupyter_exp.kernel.pid"] for w, t in by_worker.items()}
    assert len(set(pids.values())) == 2 and notebook_pid not in pids.values()
    for trial in trials:
        worker = trial.data.tags["jupyter_exp.sweep.worker"]
        assert trial.data.tags["jupyter_exp.kernel.pid"] == pids[worker]
        assert trial.data.tags["jupyter_exp.sweep.device"] == worker  # --gpus 0,1: CUDA_VISIBLE_DEVICES
        assert trial.data.tags["jupyter_exp.seed"] == str(3 + int(trial.data.tags["jupyter_exp.sweep.trial"]))
    study = study_of(parent)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4
    assert sorted(t.value for t in study.trials) == sorted(t.data.metrics["score"] for t in trials)
    best = max(trials, key=lambda t: t.data.metrics["score"])
    assert parent.data.tags["jupyter_exp.sweep.best_run"] == best.info.run_id
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=4 pruned=0 failed=0"


def test_the_card_shows_each_worker(workers: dict[str, Any]) -> None:
    shown = [o for o in workers["parallel"] if o["type"] == "display_data"]
    assert len(shown) == 1 and shown[0]["data"]["text/plain"].startswith("sweep par (started, parent run ")
    display_id = shown[0]["transient"]["display_id"]
    updates = [o for o in workers["parallel"] if o["type"] == "update_display_data"]
    assert updates and {u["transient"]["display_id"] for u in updates} == {display_id}
    texts = [u["data"]["text/plain"] for u in updates]
    last = texts[-1].splitlines()
    assert "on 2 workers" in last[0]
    workers_lines = [line for line in last if line.startswith("worker ")]
    assert len(workers_lines) == 2 and all(": finished; done=" in line for line in workers_lines), last
    assert sum(int(line.split("done=")[1].split()[0]) for line in workers_lines) == 4
    assert "complete=4 pruned=0 failed=0" in texts[-1]


def test_a_workers_trial_is_reproduced_exact(workers: dict[str, Any]) -> None:
    """Its record is the worker's: the replayed slice, then the sweep cell (FixedTrial of its values)."""
    _, trials = sweep_runs(workers["root"], "par")
    trial = trials[-1]
    location = resolve_store(JupyterExp(root=str(workers["root"])))
    result = reproduce_blocking(trial.info.run_id, location, ReproduceOptions())
    assert result.verdict is not None and result.verdict.verdict == "exact", result.verdict.summary
    reproduced = store(workers["root"]).get_run(result.run_id)
    assert reproduced.data.metrics["score"] == trial.data.metrics["score"]
    # the replay kernel ran on the trial's worker's device (--gpus: its CUDA_VISIBLE_DEVICES)
    device = float(trial.data.tags["jupyter_exp.sweep.device"])
    assert reproduced.data.metrics["device"] == trial.data.metrics["device"] == device
    replayed = [step.source for step in result.plan.steps]
    assert replayed[0] == SETUP and UNRELATED not in replayed  # the worker replayed only the slice


def test_a_worker_killed_mid_trial_fails_its_trial_and_the_other_finishes(workers: dict[str, Any]) -> None:
    outputs = workers["killed"]
    assert not [o for o in outputs if o["type"] == "error"], outputs
    parent, trials = sweep_runs(workers["root"], "killed")
    victim = workers["victim"]
    assert [int(t.data.tags["jupyter_exp.sweep.trial"]) for t in trials] == [0, 1, 2, 3]
    dead = trials[0]
    assert dead.info.run_id == victim.info.run_id
    assert dead.info.status == "KILLED"
    reason = dead.data.tags["jupyter_exp.end_reason"]
    killed_worker = victim.data.tags["jupyter_exp.sweep.worker"]
    assert reason.startswith(f"its sweep worker kernel died (worker {killed_worker} (pid "), reason
    assert dead.data.tags["jupyter_exp.sweep.trial_state"] == "FAIL"
    others = trials[1:]
    assert {t.info.status for t in others} == {"FINISHED"}
    assert {t.data.tags["jupyter_exp.sweep.worker"] for t in others} == {"1" if killed_worker == "0" else "0"}
    assert [t.state.name for t in study_of(parent).trials] == ["FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=3 pruned=0 failed=1"
    # the card: the victim's worker running its trial, then died; the other finished
    texts = [o["data"]["text/plain"] for o in outputs if o["type"] == "update_display_data"]
    line = f"worker {killed_worker} (pid {victim.data.tags['jupyter_exp.kernel.pid']}, device none): "
    assert any(f"{line}running; done=0 running=1" in t for t in texts), texts
    assert f"{line}died; done=0 running=0 pruned=0 failed=1" in texts[-1], texts[-1]


def test_an_interrupt_stops_the_workers_and_keeps_what_finished(workers: dict[str, Any]) -> None:
    errors = [o for o in workers["stopped"] if o["type"] == "error"]
    assert [e["ename"] for e in errors] == ["KeyboardInterrupt"]
    parent, trials = sweep_runs(workers["root"], "stopped")
    assert parent.info.status == "KILLED"
    states = {int(t.data.tags["jupyter_exp.sweep.trial"]): t.info.status for t in trials}
    assert states == {0: "FINISHED", 1: "FINISHED", 2: "KILLED", 3: "KILLED"}, workers["stopped"]
    assert [t.state.name for t in study_of(parent).trials] == ["COMPLETE", "COMPLETE", "FAIL", "FAIL"]


def test_a_trial_that_raises_in_a_worker_stops_the_sweep(workers: dict[str, Any]) -> None:
    errors = [o for o in workers["fails"] if o["type"] == "error"]
    assert [e["ename"] for e in errors] == ["WorkerFailed"], workers["fails"]
    assert errors[0]["evalue"].startswith("sweep fails: worker ")
    assert errors[0]["evalue"].endswith("): ValueError: boom")
    parent, trials = sweep_runs(workers["root"], "fails")
    assert parent.info.status == "FAILED"
    statuses = {int(t.data.tags["jupyter_exp.sweep.trial"]): t.info.status for t in trials}
    assert statuses[1] == "FAILED" and "RUNNING" not in statuses.values(), statuses
    study = study_of(parent).trials
    assert study[1].state.name == "FAIL" and "RUNNING" not in {t.state.name for t in study}


def test_seed_groups_on_workers(workers: dict[str, Any]) -> None:
    """--workers with --seeds: each trial a seed group recorded by a worker, ranked by its mean."""
    assert not [o for o in workers["seeded"] if o["type"] == "error"], workers["seeded"]
    parent, trials = sweep_runs(workers["root"], "seeded")
    seeds = [
        r
        for r in all_runs(store(workers["root"]))
        if r.data.tags.get("jupyter_exp.sweep") == "seeded"
        and r.data.tags["jupyter_exp.sweep.role"] == "seed"
    ]
    assert parent.info.status == "FINISHED" and len(trials) == 2 and len(seeds) == 4
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=2 pruned=0 failed=0"
    study = study_of(parent)
    for trial in trials:
        assert trial.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert trial.data.tags["jupyter_exp.kernel.pid"] != parent.data.tags["jupyter_exp.kernel.pid"]
        children = [s for s in seeds if s.data.tags["mlflow.parentRunId"] == trial.info.run_id]
        assert sorted(c.data.tags["jupyter_exp.seed"] for c in children) == ["0", "1"]
        assert {c.data.tags["jupyter_exp.sweep.worker"] for c in children} == {
            trial.data.tags["jupyter_exp.sweep.worker"]
        }
        mean = sum(c.data.metrics["score"] for c in children) / 2
        number = int(trial.data.tags["jupyter_exp.sweep.trial"])
        assert study.trials[number].value == pytest.approx(mean) == trial.data.metrics["score/mean"]


def test_bad_options_are_one_line_usage_errors_and_run_nothing(workers: dict[str, Any]) -> None:
    for source, expected in BAD_CELLS.items():
        _, outputs = workers["bad"][source]
        text = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
        assert text.startswith("UsageError: ") and expected in text, outputs
        assert text.count("\n") == 1 and "ran\n" not in text


def test_a_configured_storage_reaches_the_workers(workers: dict[str, Any]) -> None:
    """``%config JupyterExp.sweep_storage``: the workers take their trials from that study too, not from the
    default journal file (the %config line is in the slice they replay, and the driver passes the storage on
    in their environment)."""
    assert not [o for o in workers["configured"] if o["type"] == "error"], workers["configured"]
    parent, trials = sweep_runs(workers["root"], "configured")
    configured = workers["root"].parent / "configured.log"
    assert parent.data.tags["jupyter_exp.sweep.storage"] == f"journal:{configured}"
    assert parent.info.status == "FINISHED" and len(trials) == 2
    assert {t.data.tags["jupyter_exp.sweep.worker"] for t in trials} <= {"0", "1"}
    study = study_of(parent)  # the configured file
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 2
    assert sorted(t.value for t in study.trials) == sorted(t.data.metrics["score"] for t in trials)
