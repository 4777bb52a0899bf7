"""``%%track --sweep``'s pure parts: the options' checks, the storage URL without its password, the
reporter that feeds Optuna and prunes (on a real in-memory study), and the standings the card shows."""

from __future__ import annotations

import optuna
import pytest
from mlflow.entities import Run, RunData, RunInfo, RunTag

from jupyter_exp.reproduce.conditions import replay_environment
from jupyter_exp.reproduce.record import RunRecord
from jupyter_exp.sweep.objective import TrialReporter
from jupyter_exp.sweep.options import sweep_options, worker_options
from jupyter_exp.sweep.records import standings, trial_tags
from jupyter_exp.sweep.storage import without_credentials


def test_good_options() -> None:
    options = sweep_options("lr-search", 60, "eval/accuracy", None, None, 7)
    assert (options.direction, options.prune, options.seed) == ("maximize", "median", 7)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bad name", 5, "m", None, None, None), "a sweep name is"),
        (("s", None, "m", None, None, None), "needs --trials"),
        (("s", 0, "m", None, None, None), "--trials must be between"),
        (("s", 5, "m", "up", None, None), "--direction must be maximize or minimize"),
        (("s", 5, "m", None, "asha", None), "--prune must be median, hyperband or none"),
        (("s", 5, " ", None, None, None), "--metric needs a metric key"),
        (("s", 5, "m", None, None, 2**32), "--seed must be between"),
    ],
)
def test_bad_options_are_one_line_errors(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        sweep_options(*args)
    assert "\n" not in str(raised.value)


def test_workers_and_their_devices() -> None:
    assert sweep_options("s", 5, "m", None, None, None).workers == 0  # in this kernel
    assert worker_options(3, None) == (3, ())
    assert worker_options(None, "0,1") == (2, ("0", "1"))  # one worker a device
    assert worker_options(2, "0, 1,2,3") == (2, ("0", "1"))  # the first N
    assert worker_options(None, "GPU-8f3a,MIG-1c2d") == (2, ("GPU-8f3a", "MIG-1c2d"))


@pytest.mark.parametrize(
    ("workers", "gpus", "message"),
    [
        (0, None, "--workers must be between 1 and 64, got 0"),
        (65, None, "--workers must be between 1 and 64"),
        (2, "0", "--gpus lists 1 device for 2 workers"),
        (None, "0,0", "a device is listed twice"),
        (None, "0,,1", "devices are comma-separated indices or UUIDs"),
        (None, "0;rm -rf", "devices are comma-separated indices or UUIDs"),
    ],
)
def test_bad_workers_are_one_line_errors(workers: int | None, gpus: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        sweep_options("s", 5, "m", None, None, None, workers, gpus)
    assert "\n" not in str(raised.value)


def test_the_storage_url_never_holds_a_password() -> None:
    assert without_credentials("postgresql://me:s3cret@db:5432/optuna") == "postgresql://me@db:5432/optuna"
    assert without_credentials("postgresql://:s3cret@db/optuna") == "postgresql://db/optuna"
    assert without_credentials("journal:/home/me/x.log") == "journal:/home/me/x.log"


def _study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=1)
    return optuna.create_study(direction="maximize", pruner=pruner)


def test_the_reporter_reports_steps_and_prunes_a_worse_trial() -> None:
    study = _study()
    first = study.ask()
    reporter = TrialReporter(first, "acc")
    for step in range(3):
        reporter(step, {"acc": 0.9, "loss": 1.0})
    reporter(None, {"loss": 0.5})  # another metric: not reported
    study.tell(first, reporter.objective(None))
    assert study.trials[0].intermediate_values == {0: 0.9, 1: 0.9, 2: 0.9}
    worse = study.ask()
    reporter = TrialReporter(worse, "acc")
    with pytest.raises(optuna.TrialPruned):
        reporter(0, {"acc": 0.1})
    assert reporter.pruned_at == 0 and worse.storage.get_trial(worse._trial_id).intermediate_values == {
        0: 0.1
    }


def test_the_objective_is_the_last_value_else_a_number_the_cell_returned() -> None:
    trial = _study().ask()
    assert TrialReporter(trial, None).objective(0.5) == 0.5
    assert TrialReporter(trial, None).objective("0.5") is None
    assert TrialReporter(trial, None).objective(float("nan")) is None
    assert TrialReporter(trial, None).objective(True) is None


def test_standings_rank_complete_trials() -> None:
    study = _study()
    for value in (0.2, 0.8, 0.5):
        study.tell(study.ask({"x": optuna.distributions.FloatDistribution(0, 1)}), value)
    study.tell(study.ask(), state=optuna.trial.TrialState.PRUNED)
    result = standings(study.trials, "maximize")
    assert (result.complete, result.pruned, result.failed) == (3, 1, 0)
    assert (result.best_number, result.best_value) == (1, 0.8)
    assert [n for n, _, _ in result.top] == [1, 2, 0]
    assert "complete=3 pruned=1 failed=0" in result.text("demo")
    assert trial_tags("demo", 3, {}, "PRUNED", 2)["jupyter_exp.end_reason"] == "pruned"


@pytest.mark.parametrize(
    ("device", "expected"),
    [("1", "1"), ("GPU-5f2c", "GPU-5f2c"), ("none", None), ("0;rm -rf /", None), ("", None)],
)
def test_a_gpu_workers_trial_replays_on_its_recorded_device(
    tmp_path, device: str, expected: str | None
) -> None:
    """``%reproduce``'s replay kernel gets the trial's device; a tag that is no device (untrusted) is ignored."""
    info = RunInfo("r1", "0", "me", "FINISHED", 0, None, "active", run_name="t")
    run = Run(info, RunData(tags=[RunTag("jupyter_exp.sweep.device", device)]))
    env = replay_environment(RunRecord(run, [], tmp_path), deterministic=False)
    assert env.get("CUDA_VISIBLE_DEVICES") == expected
