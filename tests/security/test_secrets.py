"""Secrets by value, everywhere: a kernel with ``HF_TOKEN`` and ``AWS_SECRET_ACCESS_KEY`` in its environment
runs a tracked cell that binds them to variables, prints one and raises an exception holding another. The
cell behaves as untracked (the user sees what they printed and their own exception), but no secret value is
in anything the run holds: params, tags, every artifact under ``jupyter_exp/`` (history and the cell source
included), the store's files on disk, nor the journal of a run recorded while the store was away."""

from __future__ import annotations

import json
import secrets
import socket
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from mlflow import MlflowClient

from jupyter_exp.capture.cell import ConfigValue, config_redactor, config_to_params
from jupyter_exp.capture.secrets import Redactor, assigned_secrets
from tests.deploy.harness import deploy_mode
from tests.support.kernels import KernelSession, all_runs, make_project, store, write_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.slow]
ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


# made up here, at random: no token-shaped literal in the repository
HF = "hf_" + _random(ALNUM, 34)
AWS = _random(ALNUM + "/+", 40)  # an AWS secret access key has no shape of its own
WANDB = _random("0123456789abcdef", 40)  # a literal in the cell, under a secret name
SECRETS = {"HF_TOKEN": HF, "AWS_SECRET_ACCESS_KEY": AWS, "wandb_key literal": WANDB}

BEFORE = 'import os\nhf = os.environ["HF_TOKEN"]'
TRACKED = (
    "%%track --name upload\n"
    f'config = {{"aws": os.environ["AWS_SECRET_ACCESS_KEY"], "wandb_key": "{WANDB}", "lr": 0.1}}\n'
    'print("using", hf)\n'
    'raise RuntimeError("upload refused for " + config["aws"])'
)


def leaks(data: bytes | str) -> list[str]:
    """The names of the secrets found in ``data``."""
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    return [name for name, value in SECRETS.items() if value in text]


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_hostile_cells(root: Path, extra_env: dict[str, str]) -> dict[str, Any]:
    """The cells in a real kernel whose environment holds the secrets; the saved notebook holds an output
    that printed one (as the file on disk would after the user saved it)."""
    notebook = root / "train.ipynb"
    write_notebook(notebook, ["%load_ext jupyter_exp", BEFORE, TRACKED])
    saved = nbformat.read(notebook, as_version=4)
    saved.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"token {HF}\n")]
    nbformat.write(saved, notebook)
    env = {"HF_TOKEN": HF, "AWS_SECRET_ACCESS_KEY": AWS, **extra_env}
    session = KernelSession(root, notebook, extra_env=env)
    try:
        assert session.run("%load_ext jupyter_exp")[0]["status"] == "ok"
        assert session.run(BEFORE)[0]["status"] == "ok"
        reply, outputs = session.wait(session.send(TRACKED))
        if "MLFLOW_TRACKING_URI" not in extra_env:
            session.settle()
        return {"reply": reply, "outputs": outputs, "session": session}
    except BaseException:
        session.close()
        raise


def assert_behaves_as_untracked(result: dict[str, Any]) -> None:
    reply, outputs = result["reply"], result["outputs"]
    assert reply["status"] == "error" and reply["ename"] == "RuntimeError"
    assert AWS in reply["evalue"]  # the user's own exception, unchanged
    printed = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
    assert f"using {HF}" in printed  # what the user printed, as untracked


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("secrets"))
    result = run_hostile_cells(root, {})
    result["session"].close()
    client = store(root)
    (run,) = all_runs(client)
    artifacts = Path(client.download_artifacts(run.info.run_id, "jupyter_exp", str(root.parent / "dl")))
    return {**result, "root": root, "client": client, "run": run, "artifacts": artifacts}


def test_params_and_tags_hold_no_secret_value(recorded: dict[str, Any]) -> None:
    params, tags = recorded["run"].data.params, recorded["run"].data.tags
    assert params["hf"] == "***"  # read from the namespace: an environment secret's value
    assert params["config.aws"] == "***" and params["config.wandb_key"] == "***"
    assert params["config.lr"] == "0.1"
    assert leaks(json.dumps(params)) == [] and leaks(json.dumps(tags)) == []


def test_the_cell_behaves_as_untracked_and_no_artifact_holds_a_secret_value(recorded: dict[str, Any]) -> None:
    assert_behaves_as_untracked(recorded)
    assert recorded["run"].info.status == "FAILED"
    artifacts: Path = recorded["artifacts"]
    names = {str(p.relative_to(artifacts)) for p in files_under(artifacts)}
    wanted = {"cell.py", "history.json", "config.json", "outputs.json", "traceback.txt", "notebook.ipynb"}
    assert wanted <= names, names
    found = {name: leaks((artifacts / name).read_bytes()) for name in sorted(names)}
    assert {name: where for name, where in found.items() if where} == {}
    outputs = (artifacts / "outputs.json").read_text()
    assert "using ***" in outputs
    assert "upload refused for ***" in (artifacts / "traceback.txt").read_text()
    cell = (artifacts / "cell.py").read_text()
    assert 'os.environ["AWS_SECRET_ACCESS_KEY"]' in cell and '"wandb_key": "***"' in cell
    history = json.loads((artifacts / "history.json").read_text())
    assert [h["source"] for h in history][-2:] == [BEFORE, cell]
    snapshot = json.loads((artifacts / "notebook.ipynb").read_text())
    saved = snapshot["cells"][1]["outputs"][0]["text"]
    assert "".join(saved) == "token ***\n"


@pytest.mark.skipif(deploy_mode(), reason="the store's files are the deployment's")
def test_the_store_files_on_disk_hold_no_secret_value(recorded: dict[str, Any]) -> None:
    root: Path = recorded["root"]
    stored = [root / "mlflow.db", *files_under(root / "mlartifacts")]
    stored += [p for p in root.glob("mlflow.db-*") if p.is_file()]
    assert {str(p): leaks(p.read_bytes()) for p in stored if leaks(p.read_bytes())} == {}


@pytest.mark.timeout(300)
def test_the_journal_of_a_run_recorded_offline_holds_no_secret_value(tmp_path: Path) -> None:
    """The store is away: the whole run stays in the journal on disk (params, tags, every staged artifact)."""
    root = make_project(tmp_path)
    journal = tmp_path / "journal"
    away = f"http://127.0.0.1:{free_port()}"
    result = run_hostile_cells(root, {"MLFLOW_TRACKING_URI": away, "JUPYTER_EXP_JOURNAL_DIR": str(journal)})
    try:
        assert_behaves_as_untracked(result)
        deadline = time.monotonic() + 120
        while not any(p.name == "state.json" for p in files_under(journal)):  # the last part staged
            assert time.monotonic() < deadline, sorted(str(p) for p in files_under(journal))
            time.sleep(0.5)
        written = list(files_under(journal))
        names = {p.name for p in written}
        assert {"params.json", "tags.json", "cell.py", "outputs.json", "traceback.txt"} <= names, names
        assert {"history.json", "notebook.ipynb", "config.json"} <= names, names
        assert {
            str(p.relative_to(journal)): leaks(p.read_bytes()) for p in written if leaks(p.read_bytes())
        } == {}
        params = json.loads(next(p for p in written if p.name == "params.json").read_text())
        assert params["hf"] == "***"
    finally:
        result["session"].close()


def test_a_client_reads_nothing_secret_either(recorded: dict[str, Any]) -> None:
    """What stock MLflow tools show of the run (its run name, note, tags) is masked too."""
    client: MlflowClient = recorded["client"]
    run = client.get_run(recorded["run"].info.run_id)
    assert leaks(json.dumps(run.to_dictionary())) == []


# -- the rules, without a kernel ------------------------------------------------------------------

SHAPES = [
    HF,
    "glpat-" + _random(ALNUM, 20),
    "AIza" + _random(ALNUM, 35),
    "npm_" + _random(ALNUM, 36),
    "pypi-AgEIcHlwaS5vcmc" + _random(ALNUM, 50),
    "sk_live_" + _random(ALNUM, 24),
    "dapi" + _random("0123456789abcdef", 32),
    "eyJ" + _random(ALNUM, 20) + ".eyJ" + _random(ALNUM, 30) + "." + _random(ALNUM, 30),
    "-----BEGIN RSA PRIVATE KEY-----\n" + _random(ALNUM, 64) + "\n-----END RSA PRIVATE KEY-----",
]


# fixed ids: pytest-xdist's workers collect separately and must see the same tests (the tokens are random)
SHAPE_IDS = ["huggingface", "gitlab", "google", "npm", "pypi", "stripe", "databricks", "jwt", "private-key"]


@pytest.mark.parametrize("token", SHAPES, ids=SHAPE_IDS)
def test_token_shapes_are_masked_in_any_text(token: str) -> None:
    text = f"log: {token} rejected"
    assert Redactor().text(text) == "log: *** rejected"


def test_secret_environment_values_are_masked_and_ordinary_ones_kept() -> None:
    environ = {
        "HF_TOKEN": HF,
        "AWS_SECRET_ACCESS_KEY": AWS,
        "WANDB_API_KEY": WANDB,
        "PGPASSWORD": "hunter2hunter2",
        "TOKENIZERS_PARALLELISM": "false",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/identity",
        "HOME": "/home/someone-long",
    }
    redactor = Redactor.from_environment(environ=environ)
    text = " ".join(environ.values())
    assert redactor.text(text) == "*** *** *** *** false /var/run/identity /home/someone-long"


def test_key_names_mask_strings_and_keep_numbers() -> None:
    config = {
        "config": ConfigValue({"wandb_key": WANDB, "primary_key": 3, "hubKey": "k" * 12}, "cell"),
        "tokenizer": ConfigValue("bert-base-uncased", "cell"),
    }
    params = config_to_params(config)
    assert params["config.wandb_key"] == "***" and params["config.hubKey"] == "***"
    assert params["config.primary_key"] == "3"
    # a ``token`` substring masks the param as before, but its value is no secret to mask everywhere
    assert params["tokenizer"] == "***"
    assert "bert-base-uncased" not in config_redactor(config).values
    assert WANDB in config_redactor(config).values


def test_literals_assigned_to_secret_names_are_found_in_source() -> None:
    source = (
        f'api_key = "{AWS}"\nconfig = {{"wandb_key": "{WANDB}", "name": "resnet50-long-name"}}\n'
        f'login(token="{HF}")\ntokenizer = "bert-base-uncased"\n'
    )
    assert sorted(assigned_secrets(source)) == sorted([AWS, WANDB, HF])
