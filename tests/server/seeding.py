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


def group_cell(name: str, lr: float) -> str:
    """A ``%%track --seeds`` cell: three children, accuracy rising with ``lr`` plus seed noise."""
    return (
        f"%%track --seeds 0,1,2 --name {name} --quiet\n"
        "import random\n"
        f"lr = {lr}\n"
        "hidden = 8\n"
        "acc = 0.7 + lr + 0.01 * random.random()\n"
        "for step in range(5):\n"
        '    jupyter_exp.log(step=step, **{"eval/accuracy": acc - 0.01 * (4 - step), "train/loss": 1 - acc})'
    )


GROUP_NOTEBOOK = "nb/groups.ipynb"


def seed_groups(root: Path) -> dict[str, str]:
    """Two ``--seeds`` groups of three children each, recorded by a real kernel in ``root``'s store
    (``GROUP_NOTEBOOK``); returns parent name -> parent run id ("small": lr 0.05, "large": lr 0.2)."""
    sources = [
        "%load_ext jupyter_exp",
        "import jupyter_exp",
        group_cell("small", 0.05),
        group_cell("large", 0.2),
        "jupyter_exp.wait_for_runs(120)",
    ]
    root.mkdir(parents=True, exist_ok=True)
    run_notebook(root / GROUP_NOTEBOOK, sources, root)
    runs = all_runs(store(root))
    return {
        run.info.run_name: run.info.run_id
        for run in runs
        if run.info.run_name in ("small", "large") and "mlflow.parentRunId" not in run.data.tags
    }
