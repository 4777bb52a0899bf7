"""``%%track --sweep`` against the same study run by Optuna alone, on the same JournalStorage file, in the
same kernel: the per-trial time with a fixed-cost objective (1 s at full size). Target: at most 1.3x Optuna
alone (each trial is a complete run record; the record's slow parts are finished in the background)."""

from __future__ import annotations

import time

from tests.support.kernels import KernelSession, all_runs, make_project, store, write_notebook

from .harness import SMOKE, Result, meets, size

TRIALS = size(10, 2)
OBJECTIVE_S = 1.0 if not SMOKE else 0.05
SWEEP = """%%track --sweep {name} --trials {trials} --metric score --prune none --seed 0 --quiet
import time, jupyter_exp
x = trial.suggest_float("x", -1.0, 1.0)
time.sleep({sleep})
jupyter_exp.log(step=0, score=-x * x)"""
ALONE = """import time, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
def objective(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    time.sleep({sleep})
    return -x * x
study = optuna.create_study(storage=JournalStorage(JournalFileBackend({path!r})), study_name="alone",
                            sampler=optuna.samplers.TPESampler(seed=0), direction="maximize")
study.optimize(objective, n_trials={trials})"""


def test_sweep_trial_overhead_against_optuna_alone(bench, tmp_path):
    root = make_project(tmp_path)
    notebook = root / "bench.ipynb"
    ids = write_notebook(notebook, ["%load_ext jupyter_exp", "", "", ""])
    session = KernelSession(root, notebook)
    try:
        session.run("%load_ext jupyter_exp", ids[0])
        session.run(SWEEP.format(name="warm", trials=1, sleep=0), ids[1])  # imports, store, storage file
        start = time.perf_counter()
        reply, outputs = session.wait(
            session.send(SWEEP.format(name="b", trials=TRIALS, sleep=OBJECTIVE_S), ids[2])
        )
        ours = (time.perf_counter() - start) / TRIALS
        assert reply["status"] == "ok", outputs
        session.settle()
        parent = next(
            r
            for r in all_runs(store(root))
            if r.data.tags.get("jupyter_exp.sweep") == "b"
            and r.data.tags.get("jupyter_exp.sweep.role") == "study"
        )
        path = parent.data.tags["jupyter_exp.sweep.storage"].removeprefix("journal:")
        start = time.perf_counter()
        reply, outputs = session.wait(
            session.send(ALONE.format(path=path, trials=TRIALS, sleep=OBJECTIVE_S), ids[3])
        )
        alone = (time.perf_counter() - start) / TRIALS
        assert reply["status"] == "ok", outputs
    finally:
        session.close()
    assert parent.data.tags["jupyter_exp.sweep.counts"] == f"complete={TRIALS} pruned=0 failed=0"
    result = Result(
        ours, alone, "s/trial", note=f"objective {OBJECTIVE_S} s, {TRIALS} trials, same JournalStorage"
    )
    meets(bench.record("%%track --sweep per trial vs Optuna alone", result), 1 / 1.3, "<= 1.3x Optuna alone")
