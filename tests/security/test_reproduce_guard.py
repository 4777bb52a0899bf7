"""Sections 1 and 2 of the security model: a record someone else wrote to the store runs nothing of theirs
before a yes, and never chooses where a kernel starts.

Every attack is done for real: runs recorded by a real kernel into a real SQLite store, then tampered with
as a store writer can (artifacts replaced in the run's artifact folder, tags set or deleted), then asked to
be reproduced through ``%reproduce`` in a real kernel and through the REST API of a real Jupyter server.
Each payload, when it runs, writes a marker file; the tests fail if a marker appears.
"""

from __future__ import annotations

import json
import pickle
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
from mlflow import MlflowClient

from tests.support.kernels import KernelSession, OpenKernel, all_runs, make_project, store
from tests.support.lab import Lab, start_lab, stop_lab

pytestmark = pytest.mark.kernel

VICTIMS = ("legacy", "tampered", "untagged", "elsewhere", "rest")


class Payload:
    """What a store writer plants: unpickling it runs ``exec`` of code that leaves a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('payload ran')",)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A project whose store holds one ordinary %%track run per attack, recorded by a real kernel."""
    project = make_project(tmp_path_factory.mktemp("guard"))
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        session.run("import random\nbase = random.random()")
        for name in VICTIMS:
            session.run(f"%%track --name {name}\nvalue = round(base * 100, 6)\nprint(value)")
    finally:
        session.close()
    client = store(project)
    runs = {run.info.run_name: run for run in all_runs(client)}
    assert set(runs) == set(VICTIMS)
    return {"project": project, "client": client, "runs": runs}


def artifact_folder(run: Any) -> Path:
    """Where the run's ``jupyter_exp/`` artifacts lie on disk (the test store keeps them locally)."""
    parts = urlsplit(run.info.artifact_uri)
    return Path(url2pathname(parts.path)) / "jupyter_exp"


def plant_pickle(run: Any, marker: Path) -> None:
    """Replace the run's generator states by a pickle whose loading runs code, as an old record holds."""
    folder = artifact_folder(run)
    (folder / "rng_history.json").unlink(missing_ok=True)
    (folder / "rng_history.pkl").write_bytes(pickle.dumps(Payload(marker)))  # runs on the first load


def magic(project: Path, line: str) -> dict[str, Any]:
    """``line`` in a fresh real kernel with the extension: the execute reply."""
    session = KernelSession(project)
    try:
        session.run("%load_ext jupyter_exp")
        reply, _ = session.run(line)
        return reply
    finally:
        session.close()


def one_line_refusal(reply: dict[str, Any], *needles: str) -> str:
    assert reply["status"] == "error" and reply["ename"] == "UsageError", reply
    message = reply["evalue"].strip()
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, message
    return message


def test_a_pickle_in_the_record_never_runs_in_the_asking_kernel(
    recorded: dict[str, Any], tmp_path: Path
) -> None:
    project, client, run = recorded["project"], recorded["client"], recorded["runs"]["legacy"]
    run_id, marker = run.info.run_id, tmp_path / "pickle-ran"
    plant_pickle(run, marker)
    client.set_tag(run_id, "mlflow.user", "mallory")
    before = len(all_runs(client))

    for line, needles in (
        (f"%reproduce {run_id} --dry-run", ("pickle", "never loaded")),
        (f"%reproduce {run_id}", ("recorded by mallory", "--yes")),
        (f"%reproduce {run_id} --yes", ("pickle", "never loaded")),
    ):
        reply = magic(project, line)
        assert not marker.exists(), f"{line}: the planted pickle ran"
        one_line_refusal(reply, *needles)
    assert len(all_runs(client)) == before  # no replay ran, no run was written


def test_tampered_json_states_are_refused_by_their_shape(recorded: dict[str, Any], tmp_path: Path) -> None:
    """JSON that names code (a tag this format lacks, an object array) is refused before a kernel starts."""
    project, client, run = recorded["project"], recorded["client"], recorded["runs"]["tampered"]
    run_id = run.info.run_id
    path = artifact_folder(run) / "rng_history.json"
    document = json.loads(path.read_text())
    assert document["format"] == 2
    first = document["values"][0]  # a full value: the first has nothing to be a patch of
    document["values"][0] = {"ndarray": {"dtype": "O", "shape": [1], "data": "gAQ="}}
    path.write_text(json.dumps(document))
    before = len(all_runs(client))

    one_line_refusal(magic(project, f"%reproduce {run_id} --yes"), "rng_history.json is corrupt", "dtype")
    code = {"py/reduce": [{"py/function": "os.system"}, {"tuple": ["touch x"]}]}
    document["values"][0] = first
    document["values"].append({"patch": {"base": 0, "edits": [{"at": [], "set": code}]}})
    path.write_text(json.dumps(document))
    one_line_refusal(magic(project, f"%reproduce {run_id} --yes"), "rng_history.json is corrupt", "py/reduce")
    count = next(iter(document["states"]))  # the format of earlier runs is checked as strictly
    path.write_text(json.dumps({"format": 1, "states": {count: code}}))
    one_line_refusal(magic(project, f"%reproduce {run_id} --yes"), "rng_history.json is corrupt")
    assert len(all_runs(client)) == before


def test_a_run_without_a_recorder_is_someone_elses(recorded: dict[str, Any]) -> None:
    project, client, run = recorded["project"], recorded["client"], recorded["runs"]["untagged"]
    run_id = run.info.run_id
    client.delete_tag(run_id, "mlflow.user")
    before = len(all_runs(client))

    one_line_refusal(magic(project, f"%reproduce {run_id}"), "recorded by an unknown user", "--yes")
    assert len(all_runs(client)) == before


def test_a_recorded_folder_never_chooses_where_a_kernel_starts(
    recorded: dict[str, Any], tmp_path: Path, kernel_session: OpenKernel
) -> None:
    """``mlflow.source.name`` pointing at a folder with a planted ``ipykernel_launcher.py``: neither a dry
    run (which starts no kernel at all) nor a confirmed replay (whose kernel starts under the project root)
    imports it."""
    project, client, run = recorded["project"], recorded["client"], recorded["runs"]["elsewhere"]
    run_id, marker = run.info.run_id, tmp_path / "launcher-ran"
    trap = tmp_path / "trap"
    trap.mkdir()
    (trap / "ipykernel_launcher.py").write_text(f"open({str(marker)!r}, 'w').write('planted launcher ran')\n")
    (trap / "train.ipynb").write_text("{}")
    client.set_tag(run_id, "mlflow.source.name", str(trap / "train.ipynb"))

    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    reply, outputs = session.run(f"%reproduce {run_id} --dry-run")
    assert reply["status"] == "ok", reply
    shown = json.dumps(outputs)
    assert "value = round(base * 100, 6)" in shown  # what would run, shown whole
    assert "a dry run starts no kernel" in shown
    assert not marker.exists()
    reply, outputs = session.run(f"%reproduce {run_id}")
    assert reply["status"] == "ok", reply
    assert "exact" in json.dumps(outputs)
    session.close()
    assert not marker.exists()


@pytest.fixture(scope="module")
def lab(recorded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    home = tmp_path_factory.mktemp("lab-home")
    process, lab = start_lab(recorded["project"], home, {})
    try:
        yield lab
    finally:
        stop_lab(process)


def post(lab: Lab, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{lab.url}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_server_reads_nothing_of_a_foreign_record_before_a_yes(
    recorded: dict[str, Any], lab: Lab, tmp_path: Path
) -> None:
    client: MlflowClient = recorded["client"]
    run = recorded["runs"]["rest"]
    run_id, marker = run.info.run_id, tmp_path / "pickle-ran-in-server"
    plant_pickle(run, marker)
    client.set_tag(run_id, "mlflow.user", "mallory")

    code, answer = post(lab, "/jupyter-exp/reproductions", {"run_id": run_id})
    assert code == 409 and "recorded by mallory" in answer["message"], answer
    assert not marker.exists()
    code, answer = post(lab, "/jupyter-exp/reproductions", {"run_id": run_id, "confirm_foreign": True})
    assert code == 400 and "never loaded" in answer["message"], answer
    assert not marker.exists()

    client.delete_tag(run_id, "mlflow.user")
    restored = artifact_folder(run)
    (restored / "rng_history.pkl").unlink()
    shutil.copy(
        artifact_folder(recorded["runs"]["untagged"]) / "rng_history.json", restored / "rng_history.json"
    )
    code, answer = post(lab, "/jupyter-exp/reproductions", {"run_id": run_id})
    assert code == 409 and "an unknown user" in answer["message"], answer
