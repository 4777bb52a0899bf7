"""A notebook executed in a real kernel leaves a run holding every field of docs/run-record.md."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_exp.capture import rng_codec, rng_history
from tests.deploy.harness import deploy_mode
from tests.support.git import git
from tests.support.kernels import all_runs, artifact, artifact_json, make_project, run_notebook, store, texts

pytestmark = pytest.mark.kernel

TRACKED = """%%track --name exp-w{width}-s{seed} --tag team=vision --note "wider is better" --param extra=5 --seed 123
import random
import mlflow
import jupyter_exp
depth = 3
draws = [random.random() for _ in range(3)]
for step in range(5):
    jupyter_exp.log(step=step, **{"train/loss": 1.0 / (step + 1)})
mlflow.log_metric("eval/acc", 0.9)
print("trained", depth, width)
print("draws", draws)
depth * width"""

SOURCES = [
    "%load_ext jupyter_exp",
    "width = 32\nconfig = {'optimizer': {'lr': 0.01, 'name': 'adam'}, 'api_token': 's3cr3t'}",
    TRACKED,
    "print('after', depth, width, len(draws))",
]


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("record"))
    git(root, "remote", "add", "origin", "https://alice:ghp_SECRET@example.invalid/org/repo.git")
    (root / "README.md").write_text("project\nchanged line\n")
    (root / "scratch.txt").write_text("untracked\n")
    notebook = root / "nb" / "train.ipynb"
    executed, ids = run_notebook(notebook, SOURCES, root)
    client = store(root)
    runs = all_runs(client)
    assert len(runs) == 1, [r.info.run_name for r in runs]
    return {
        "root": root,
        "notebook": notebook,
        "executed": executed,
        "ids": ids,
        "client": client,
        "run": runs[0],
    }


def test_status_name_and_experiment(record: dict[str, Any]) -> None:
    run, client = record["run"], record["client"]
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "exp-w32-s123"
    assert client.get_experiment(run.info.experiment_id).name == "nb/train.ipynb"
    location = client.get_experiment(run.info.experiment_id).artifact_location
    # next to the project's SQLite store; on a team server, behind its artifact proxy
    assert location.startswith("mlflow-artifacts:/") if deploy_mode() else location.endswith("mlartifacts")


def test_params_are_the_cells_config_flattened_and_masked(record: dict[str, Any]) -> None:
    params = record["run"].data.params
    assert params["depth"] == "3"  # literal in the cell
    assert params["width"] == "32"  # read from the namespace
    assert params["config.optimizer.lr"] == "0.01"  # conventional config object, flattened
    assert params["config.optimizer.name"] == "adam"
    assert params["config.api_token"] == "***"
    assert params["extra"] == "5"
    assert params["seed"] == "123"
    assert "s3cr3t" not in str(params)


def test_tags(record: dict[str, Any]) -> None:
    tags, root = record["run"].data.tags, record["root"]
    source = SOURCES[2]
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.name"] == "nb/train.ipynb"
    assert tags["mlflow.source.git.commit"] == git(root, "rev-parse", "HEAD")
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.invalid/org/repo.git"
    assert tags["jupyter_exp.git.dirty"] == "true"
    assert tags["mlflow.note.content"] == "wider is better"
    assert tags["mlflow.user"]
    assert tags["jupyter_exp.version"]
    assert tags["jupyter_exp.cell.id"] == record["ids"][2]
    assert tags["jupyter_exp.cell.execution_count"] == str(record["executed"].cells[2].execution_count)
    assert tags["jupyter_exp.cell.sha256"] == hashlib.sha256(source.encode()).hexdigest()
    assert len(tags["jupyter_exp.kernel.id"]) >= 32
    assert tags["jupyter_exp.kernel.name"] == "python3"
    assert tags["jupyter_exp.seed"] == "123"
    assert tags["jupyter_exp.device"] == "cpu"
    assert tags["jupyter_exp.heartbeat"]
    assert tags["team"] == "vision"
    assert "jupyter_exp.deterministic" not in tags
    assert "ghp_SECRET" not in str(tags)


def test_metrics_and_system_metrics(record: dict[str, Any]) -> None:
    run, client = record["run"], record["client"]
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    metrics = run.data.metrics
    assert metrics["eval/acc"] == 0.9
    assert metrics["system/wall_time_s"] > 0
    assert metrics["system/cpu_time_s"] > 0
    assert metrics["system/peak_rss_mb"] > 50


def test_the_seed_was_applied_and_rng_state_saved(record: dict[str, Any]) -> None:
    expected = random.Random(123)
    draws = [expected.random() for _ in range(3)]
    assert f"draws {draws}" in texts(record["executed"].cells[2])
    states = rng_codec.loads(
        artifact(record["client"], record["run"].info.run_id, "rng_state.json").read_text()
    )
    assert states["random"] == random.Random(123).getstate()
    assert "numpy" in states


def test_cell_and_history_artifacts(record: dict[str, Any]) -> None:
    client, run_id, ids = record["client"], record["run"].info.run_id, record["ids"]
    assert artifact(client, run_id, "cell.py").read_text() == SOURCES[2]
    history = artifact_json(client, run_id, "history.json")
    assert [h["cell_id"] for h in history] == [None, *ids[1:3]]  # the loading cell predates the hook
    assert [h["source"] for h in history] == SOURCES[:3]
    assert [h["success"] for h in history] == [True, True, True]
    counts = [h["execution_count"] for h in history]
    assert counts == sorted(counts) and len(set(counts)) == 3
    assert "seed" not in history[1] and history[2]["seed"] == 123  # what a replay of the cell applies
    document = artifact_json(client, run_id, "rng_history.json")
    assert document["format"] == rng_history.FORMAT
    states = {count: rng_codec.loads(text) for count, text in rng_history.read(document).items()}
    assert set(states) == set(counts[1:])  # none for the cell that loaded the extension
    assert states[counts[2]]["random"] != random.Random(123).getstate()
    assert isinstance(states[counts[2]]["random"], tuple)  # random.setstate takes it as it is


def test_notebook_snapshot_is_in_sync(record: dict[str, Any]) -> None:
    snapshot = nbformat.reads(
        artifact(record["client"], record["run"].info.run_id, "notebook.ipynb").read_text(), 4
    )
    assert snapshot.metadata["jupyter_exp"]["in_sync"] is True
    assert [c.source for c in snapshot.cells] == SOURCES


def test_config_json_keeps_sources_and_masks(record: dict[str, Any]) -> None:
    config = artifact_json(record["client"], record["run"].info.run_id, "config.json")
    assert config["depth"] == {"value": 3, "source": "cell"}
    assert config["width"] == {"value": 32, "source": "namespace"}
    assert config["config"]["source"] == "object"
    assert config["config"]["value"]["optimizer"] == {"lr": 0.01, "name": "adam"}
    assert config["config"]["value"]["api_token"] == "***"
    assert config["extra"] == {"value": 5, "source": "--param"}


def test_environment_requirements_and_git_diff(record: dict[str, Any]) -> None:
    client, run_id = record["client"], record["run"].info.run_id
    env = artifact_json(client, run_id, "environment.json")
    for key in ("python", "platform", "hostname", "cpu", "cpu_count", "memory_total_mb", "packages"):
        assert env[key], key
    assert "mlflow" in env["packages"]
    assert env["git"]["untracked"] == ["scratch.txt"] or "scratch.txt" in env["git"]["untracked"]
    assert env["git"]["diff_truncated"] is False
    requirements = artifact(client, run_id, "requirements.txt").read_text().splitlines()
    assert any(line.startswith("mlflow==") for line in requirements)
    assert "+changed line" in artifact(client, run_id, "git.diff").read_text()


def test_outputs_json_and_unchanged_namespace(record: dict[str, Any]) -> None:
    outputs = artifact_json(record["client"], record["run"].info.run_id, "outputs.json")["outputs"]
    stdout = "".join(o["text"] for o in outputs if o["name"] == "stdout")
    assert "trained 3 32" in stdout
    assert {"name": "result", "text": "96"} in outputs
    executed = record["executed"]
    results = [o for o in executed.cells[2].outputs if o.output_type == "execute_result"]
    assert results[0].data["text/plain"] == "96"
    assert texts(executed.cells[3]) == "after 3 32 3\n"


def test_artifacts_are_readable_with_stock_mlflow(record: dict[str, Any]) -> None:
    client, run_id = record["client"], record["run"].info.run_id
    names = {Path(a.path).name for a in client.list_artifacts(run_id, "jupyter_exp")}
    expected = {
        "cell.py",
        "history.json",
        "notebook.ipynb",
        "config.json",
        "rng_state.json",
        "rng_history.json",
        "environment.json",
        "requirements.txt",
        "git.diff",
        "outputs.json",
    }
    assert expected <= names
    assert "traceback.txt" not in names
