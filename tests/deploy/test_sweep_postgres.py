"""``%%track --sweep`` on a team's deployment: the study in Optuna's RDBStorage, in a PostgreSQL database of
its own (its role's password from ``PGPASSWORD``), the trials as child runs on ``mlflow server`` with basic
auth; a kernel started again resumes the study by its name; MLflow's own database is refused as the study's
storage before anything is written; no record holds a password."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from tests.deploy.harness import Deployment, stored_files
from tests.support.kernels import KernelSession, make_project, write_notebook

SWEEP = """%%track --sweep pg --trials {trials} --metric score --prune none --seed 3 --experiment {experiment}
import jupyter_exp
x = trial.suggest_float("x", 0.0, 1.0)
jupyter_exp.log(step=0, score=x * (1 - x))"""
CONFIG = '%config JupyterExp.sweep_storage = "{url}"'


def _ok(reply: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    assert reply[0]["status"] == "ok", reply[1]


@pytest.fixture(scope="module")
def swept(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A sweep of 3 trials in one kernel (storage from ``%config``) and 2 more in a second kernel (storage
    from the environment), on the same notebook cell; the refusal of MLflow's database first."""
    project = make_project(tmp_path_factory.mktemp("sweep-pg"))
    experiment = f"sweep-pg-{time.time_ns()}"
    notebook = project / "sweep.ipynb"
    ids = write_notebook(notebook, ["%load_ext jupyter_exp", SWEEP.format(trials=3, experiment=experiment)])
    journal = {"JUPYTER_EXP_JOURNAL_DIR": str(project.parent / "journal")}
    password = {"PGPASSWORD": deployment.optuna.password}  # the storage URL is set in the kernel
    first = KernelSession(project, notebook, extra_env={**deployment.env(), **journal, **password})
    try:
        _ok(first.run("%load_ext jupyter_exp", ids[0]))
        _ok(first.run(CONFIG.format(url=deployment.sweep_storage_url("mlflow"))))
        refused = first.run(SWEEP.format(trials=3, experiment=experiment), ids[1])[0]
        _ok(first.run(CONFIG.format(url=deployment.sweep_storage_url())))
        _ok(first.run(SWEEP.format(trials=3, experiment=experiment), ids[1]))
    finally:
        first.close()
    again = KernelSession(
        project, notebook, extra_env={**deployment.env(), **journal, **deployment.sweep_env()}
    )
    try:
        _ok(again.run("%load_ext jupyter_exp", ids[0]))
        _ok(again.run(SWEEP.format(trials=2, experiment=experiment), ids[1]))  # resumes the study
    finally:
        again.close()
    client = deployment.client()
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    runs = client.search_runs([experiment_id])
    return {
        "project": project,
        "client": client,
        "runs": runs,
        "experiment_id": experiment_id,
        "refused": refused,
    }


def test_mlflows_own_database_is_refused_in_one_line(swept: dict[str, Any]) -> None:
    refused = swept["refused"]
    assert refused["status"] == "error" and refused["ename"] == "UsageError", refused
    assert "holds MLflow's tables; Optuna needs a database of its own" in refused["evalue"]
    assert "\n" not in refused["evalue"]
    started = [r for r in swept["runs"] if r.info.start_time and r.data.tags.get("jupyter_exp.sweep")]
    assert len(started) == 1 + 5  # the refused execution wrote no run: only the study's parent and 5 trials


def test_trials_land_on_the_server_and_the_study_in_its_own_database(
    swept: dict[str, Any], deployment: Deployment
) -> None:
    runs = swept["runs"]
    [parent] = [r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "study"]
    trials = sorted(
        (r for r in runs if r.data.tags.get("jupyter_exp.sweep.role") == "trial"),
        key=lambda r: int(r.data.tags["jupyter_exp.sweep.trial"]),
    )
    assert [r.data.tags["jupyter_exp.sweep.trial"] for r in trials] == ["0", "1", "2", "3", "4"]
    assert {r.data.tags["mlflow.parentRunId"] for r in trials} == {parent.info.run_id}
    assert {r.info.status for r in [parent, *trials]} == {"FINISHED"}
    assert parent.data.tags["jupyter_exp.sweep.storage"] == deployment.sweep_storage_url()  # no password
    assert parent.data.tags["jupyter_exp.sweep.counts"] == "complete=5 pruned=0 failed=0"

    url = deployment.sweep_storage_url().replace("optuna@", f"optuna:{deployment.optuna.password}@")
    study = optuna.load_study(study_name=f"{swept['experiment_id']}/pg", storage=url)
    assert study.user_attrs["jupyter_exp.parent_run_id"] == parent.info.run_id  # resumed: one study
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 5
    by_number = {t.number: t for t in study.trials}
    for run in trials:
        trial = by_number[int(run.data.tags["jupyter_exp.sweep.trial"])]
        assert trial.user_attrs["jupyter_exp.run_id"] == run.info.run_id
        assert run.data.metrics["score"] == trial.value
        assert float(run.data.params["x"]) == pytest.approx(trial.params["x"])


def test_no_record_holds_a_password(swept: dict[str, Any], deployment: Deployment) -> None:
    client = swept["client"]
    secrets = [deployment.optuna.password, deployment.user.password, deployment.admin.password]
    assert deployment.postgres is not None
    secrets.append(deployment.postgres.password)
    where: dict[str, str] = {}
    for run in swept["runs"]:
        name = run.info.run_name
        where[f"{name} params"] = json.dumps(run.data.params)
        where[f"{name} tags"] = json.dumps(run.data.tags)
        where |= {
            f"{name} artifact {path}": data.decode("utf-8", "replace")
            for path, data in stored_files(client, run.info.run_id).items()
        }
    assert sum(" artifact " in key for key in where) > 5, "the trials have no artifacts to search"
    project: Path = swept["project"]
    local = [p for p in project.parent.rglob("*") if p.is_file() and ".git" not in p.parts]
    where |= {f"file {p}": p.read_text(errors="replace") for p in local}  # notebook, journal
    for secret in secrets:
        leaks = [name for name, text in where.items() if secret in text]
        assert leaks == [], f"a password was written into {leaks}"
