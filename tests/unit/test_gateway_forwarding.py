"""What a gateway's kernel is sent (``KERNEL_*`` copies, no credentials) and how its launch command
takes it back; the launch module run for real, as a gateway's kernelspec runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_exp.kernels.forwarding import from_kernel_env, remote_store_uri, to_kernel_env, working_dir
from jupyter_exp.kernels.gateway import request_env
from jupyter_exp.server.gateway_env import gateway_launch_env

STORE = "https://mlflow.example.org:5443/prefix"


def test_sent_under_kernel_names_without_credentials(tmp_path: Path) -> None:
    env = {
        "MLFLOW_TRACKING_URI": "https://alice:s3cret@mlflow.example.org:5443/prefix",
        "MLFLOW_TRACKING_PASSWORD": "s3cret",
        "MLFLOW_TRACKING_USERNAME": "alice",
        "MLFLOW_TRACKING_TOKEN": "tok-s3cret",
        "PYTHONHASHSEED": "1234",
        "JUPYTER_EXP_ROOT": str(tmp_path),
        "AWS_SECRET_ACCESS_KEY": "s3cret",
        "PATH": "/usr/bin",
    }
    sent = to_kernel_env(env)
    assert sent == {
        "KERNEL_MLFLOW_TRACKING_URI": STORE,
        "KERNEL_PYTHONHASHSEED": "1234",
        "KERNEL_JUPYTER_EXP_ROOT": str(tmp_path),
    }
    assert "s3cret" not in json.dumps(request_env(env, str(tmp_path)))
    assert request_env(env, "/work")["KERNEL_WORKING_DIR"] == "/work"


@pytest.mark.parametrize(
    "uri", ["sqlite:////srv/mlflow.db", "file:///srv/mlruns", "/srv/mlruns", "./mlruns", ""]
)
def test_a_store_on_the_senders_disk_is_not_sent(uri: str) -> None:
    assert not remote_store_uri(uri)
    assert "KERNEL_MLFLOW_TRACKING_URI" not in to_kernel_env({"MLFLOW_TRACKING_URI": uri})


def test_the_servers_store_and_kernel_name_go_with_each_gateway_kernel() -> None:
    sent = gateway_launch_env(
        {"PYTHONHASHSEED": "9", "KERNEL_USERNAME": "alice", "HOME": "/root"}, STORE, "gpu"
    )
    assert sent == {
        "KERNEL_USERNAME": "alice",
        "KERNEL_PYTHONHASHSEED": "9",
        "KERNEL_MLFLOW_TRACKING_URI": STORE,
        "KERNEL_JUPYTER_EXP_KERNEL_NAME": "gpu",
    }


def test_the_kernel_side_takes_them_back(tmp_path: Path) -> None:
    environ = {
        "KERNEL_MLFLOW_TRACKING_URI": STORE,
        "KERNEL_PYTHONHASHSEED": "1234",
        "KERNEL_JUPYTER_EXP_ROOT": str(tmp_path / "not-on-this-machine"),
        "KERNEL_ID": "5d7b8b5f-28ee-4642-aad5-4fd47704d0a0",
        "PYTHONHASHSEED": "77",
    }
    env = from_kernel_env(environ)
    assert env["MLFLOW_TRACKING_URI"] == STORE
    assert env["PYTHONHASHSEED"] == "1234"
    assert "JUPYTER_EXP_ROOT" not in env  # a path of the sender's machine that does not exist here
    assert env["JUPYTER_EXP_KERNEL_ID"] == environ["KERNEL_ID"]
    own = "https://gpu-runner:pw@mlflow.example.org:5443/prefix"
    kept = from_kernel_env({**environ, "MLFLOW_TRACKING_URI": own})
    assert kept["MLFLOW_TRACKING_URI"] == own  # the same store, with this side's credentials
    other = from_kernel_env({**environ, "MLFLOW_TRACKING_URI": "http://elsewhere:5000"})
    assert other["MLFLOW_TRACKING_URI"] == STORE  # the replay writes where the original run is
    assert working_dir({"KERNEL_WORKING_DIR": str(tmp_path)}) == str(tmp_path)
    assert working_dir({"KERNEL_WORKING_DIR": str(tmp_path / "missing")}) is None


def test_the_launch_command_sets_the_hash_seed_before_the_interpreter_starts(tmp_path: Path) -> None:
    """``python -m jupyter_exp.kernels.launch`` execs ipykernel; here ``--help-all`` stands in for a
    connection file, so that the exec'd interpreter exits at once, and a sitecustomize reports what the
    new interpreter was started with."""
    probe = tmp_path / "probe"
    probe.mkdir()
    report = tmp_path / "report.json"
    (probe / "sitecustomize.py").write_text(
        "import json, os\n"
        f"json.dump({{'seed': os.environ.get('PYTHONHASHSEED'), 'cwd': os.getcwd(), "
        f"'hash': hash('abc')}}, open({str(report)!r}, 'w'))\n"
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("KERNEL_", "PYTHONHASHSEED", "JUPYTER_EXP_"))
    }
    env |= {"KERNEL_PYTHONHASHSEED": "4242", "KERNEL_WORKING_DIR": str(workdir), "PYTHONPATH": str(probe)}
    subprocess.run(
        [sys.executable, "-m", "jupyter_exp.kernels.launch", "--help-all"],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    found = json.loads(report.read_text())
    assert found["seed"] == "4242" and found["cwd"] == str(workdir)
    expected = subprocess.run(
        [sys.executable, "-c", "print(hash('abc'))"],
        env={**env, "PYTHONHASHSEED": "4242"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(found["hash"]) == expected
