"""A project whose store holds real ``%%track`` runs (executed by nbclient), for the REST API tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient

from jupyter_exp.tracking.identity import store_user
from tests.deploy.harness import deploy_mode, shared_deployment
from tests.support.git import init_repo
from tests.support.kernels import all_runs, run_notebook, store

NOTEBOOK = "nb/train.ipynb"
STEPS = 50


def training_cell(name: str, seed: int, lr: float, comment: str = "") -> str:
    return (
        f"%%track --name {name} --seed {seed}\n"
        f"lr = {lr}{comment}\n"
        "for step in range(STEPS):\n"
        '    jupyter_exp.log(step=step, **{"train/loss": 1 / (1 + step * lr), "train/acc": step / STEPS})\n'
        'print("trained", lr)'
    )


SOURCES = [
    "%load_ext jupyter_exp",
    f"import jupyter_exp\nSTEPS = {STEPS}",
    training_cell("alpha", 1, 0.1),
    training_cell("beta", 2, 0.2, "  # a faster rate"),
    '%%track --name broken\nraise ValueError("boom")',
    "jupyter_exp.wait_for_runs(120)",  # every run in the store before the kernel is shut down
]


@dataclass
class Seeded:
    root: Path
    client: MlflowClient
    ids: dict[str, str]  # run name -> run id

    @property
    def notebook(self) -> str:
        return NOTEBOOK


def seed_project(root: Path) -> Seeded:
    """Three tracked runs (two finished with 50 steps of two metrics, one failed) and one plain MLflow run
    (on the emptied team server with ``JUPYTER_EXP_TEST_STORE=deploy``)."""
    if deploy_mode():
        shared_deployment().reset()
    root.mkdir(parents=True, exist_ok=True)
    init_repo(root)
    (root / "README.md").write_text("an uncommitted change\n")  # the runs record a dirty tree
    run_notebook(root / NOTEBOOK, SOURCES, root, allow_errors=True)
    client = store(root)
    plain = client.create_run(  # as mlflow.start_run() makes it: with who ran it
        client.get_experiment_by_name(NOTEBOOK).experiment_id,
        run_name="plain",
        tags={"mlflow.user": store_user()},
    )
    client.log_param(plain.info.run_id, "lr", "0.3")
    client.set_terminated(plain.info.run_id)
    return Seeded(root, client, {run.info.run_name: run.info.run_id for run in all_runs(client)})
