"""Run management (rename, tags, note, delete/restore), artifacts for JupyterLab's viewers and metric histories
for a run's charts, through the REST API of a real Jupyter server over a real SQLite store."""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow import MlflowClient
from tornado.httpclient import HTTPClientError

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.tracking.store import client_for
from tests.support.server import JupyterExpAPI

NOTEBOOK = "nb/manage.ipynb"


def tiny_png() -> bytes:
    """A 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0\0\0"))
        + chunk(b"IEND", b"")
    )


@dataclass
class Project:
    root: Path
    client: MlflowClient
    ids: dict[str, str]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    """Two finished runs with curves and artifacts of each kind, one run still running; no kernel needed."""
    root = tmp_path_factory.mktemp("manage")
    client = client_for(resolve_store(JupyterExp(root=str(root))))
    experiment = client.create_experiment(NOTEBOOK)
    ids = {}
    for name, rate in (("first", 0.1), ("second", 0.2)):
        run = client.create_run(experiment, run_name=name, tags={"team": "vision"})
        run_id = ids[name] = run.info.run_id
        for step in range(30):
            client.log_metric(
                run_id, "train/loss", 1 / (1 + step * rate), step=step, timestamp=1_000 + 10 * step
            )
        client.log_dict(run_id, {"accuracy": 0.9, "nested": {"ok": True}}, "results/summary.json")
        client.log_text(run_id, "hello\n", "notes.txt")
        client.log_text(run_id, json.dumps(notebook_with_a_trusted_cell()), "jupyter_exp/notebook.ipynb")
        client.set_terminated(run_id)
    client.log_text(ids["first"], "", "placeholder.txt")
    artifacts = Path(client.get_run(ids["first"]).info.artifact_uri.removeprefix("file://"))
    (artifacts / "figure.png").write_bytes(tiny_png())
    (artifacts / "blob.bin").write_bytes(bytes(range(256)) * 4)
    secret = root / "secret.txt"
    secret.write_text("not an artifact")
    os.symlink(secret, artifacts / "link.txt")
    ids["running"] = client.create_run(experiment, run_name="running").info.run_id
    return Project(root, client, ids)


def notebook_with_a_trusted_cell() -> dict:
    cell = {
        "cell_type": "code",
        "source": "1",
        "metadata": {"trusted": True},
        "outputs": [],
        "execution_count": 1,
    }
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}


@pytest.fixture
def api(jp_fetch, project, monkeypatch) -> JupyterExpAPI:
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(project.root))
    return JupyterExpAPI(jp_fetch)


async def refused(
    api: JupyterExpAPI, path: str, body: object = None, params: dict | None = None
) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as raised:
        if body is None and params is not None:
            await api(path, params)
        else:
            await api.post(path, body)
    answer = json.loads(raised.value.response.body)
    assert "\n" not in answer["message"] and "Traceback" not in answer["message"]
    return raised.value.code, answer["message"]


async def test_rename_and_note_round_trip(api, project):
    run_id = project.ids["second"]
    code, answer = await api.post(f"runs/{run_id}/rename", {"name": "  lr 0.2, wider  "})
    assert code == 200 and answer["run_name"] == "lr 0.2, wider"
    assert (await api(f"runs/{run_id}"))["run_name"] == "lr 0.2, wider"
    await api.post(f"runs/{run_id}/note", {"note": "the **best** so far\nsecond line"})
    assert (await api(f"runs/{run_id}"))["note"] == "the **best** so far\nsecond line"
    _, cleared = await api.post(f"runs/{run_id}/note", {"note": ""})
    assert cleared["note"] is None and (await api(f"runs/{run_id}"))["note"] is None
    assert (await refused(api, f"runs/{run_id}/rename", {"name": "two\nlines"}))[0] == 400
    assert (await refused(api, f"runs/{run_id}/rename", {"name": ""}))[0] == 400
    assert (await refused(api, f"runs/{run_id}/rename", ["not", "an object"]))[0] == 400
    code, message = await refused(api, "runs/0123456789abcdef/rename", {"name": "x"})
    assert code == 404 and "no run with id" in message


async def test_tags_set_and_delete_and_the_records_tags_are_kept(api, project):
    run_id = project.ids["first"]
    _, answer = await api.post(f"runs/{run_id}/tags", {"set": {"stage": "baseline", "owner": "ann"}})
    assert answer["tags"]["stage"] == "baseline" and answer["tags"]["team"] == "vision"
    _, answer = await api.post(f"runs/{run_id}/tags", {"delete": ["owner"]})
    assert "owner" not in answer["tags"]
    tags = (await api(f"runs/{run_id}"))["tags"]
    assert tags["stage"] == "baseline" and "owner" not in tags
    # one bad key: nothing of the request is written
    code, message = await refused(
        api, f"runs/{run_id}/tags", {"set": {"fine": "1", "mlflow.user": "mallory"}}
    )
    assert code == 400 and "belongs to the run's record" in message
    tags = (await api(f"runs/{run_id}"))["tags"]
    assert "fine" not in tags and tags.get("mlflow.user") != "mallory"
    assert (await refused(api, f"runs/{run_id}/tags", {"delete": ["jupyter_exp.seed"]}))[0] == 400
    assert (await refused(api, f"runs/{run_id}/tags", {"delete": ["absent"]}))[0] == 400
    assert (await refused(api, f"runs/{run_id}/tags", {"set": {"k": 1}}))[0] == 400


async def test_delete_and_restore_through_the_deleted_lifecycle(api, project):
    run_id = project.ids["second"]

    async def listed(lifecycle: str) -> set[str]:
        return {r["run_id"] for r in (await api("runs", {"lifecycle": lifecycle}))["runs"]}

    _, answer = await api.post(f"runs/{run_id}/delete")
    assert answer["lifecycle"] == "deleted"
    assert run_id not in await listed("active") and run_id in await listed("deleted")
    assert (await api(f"runs/{run_id}"))["lifecycle"] == "deleted"
    _, answer = await api.post(f"runs/{run_id}/restore")
    assert answer["lifecycle"] == "active"
    assert run_id in await listed("active") and run_id not in await listed("deleted")
    assert (await api(f"runs/{run_id}"))["lifecycle"] == "active"
    code, message = await refused(api, f"runs/{project.ids['running']}/delete", {})
    assert code == 409 and "still running" in message
    assert (await refused(api, "runs", params={"lifecycle": "gone"}))[0] == 400


async def test_artifacts_open_by_kind_untrusted_and_never_through_links(api, project):
    run_id = project.ids["first"]

    async def artifact(path: str) -> dict:
        return await api(f"runs/{run_id}/artifact", {"path": path})

    summary = await artifact("results/summary.json")
    assert summary["kind"] == "json" and json.loads(summary["content"])["nested"] == {"ok": True}
    assert (await artifact("notes.txt"))["content"] == "hello\n"
    image = await artifact("figure.png")
    assert image["kind"] == "image" and image["mimetype"] == "image/png" and image["format"] == "base64"
    notebook = await artifact("jupyter_exp/notebook.ipynb")
    assert notebook["kind"] == "notebook" and notebook["content"]["cells"][0]["metadata"]["trusted"] is False
    for path, code in [
        ("link.txt", 404),  # a link is not followed
        ("../secret.txt", 400),
        ("/etc/passwd", 400),
        ("absent.json", 404),
        ("results", 400),  # a folder
        ("blob.bin", 415),
    ]:
        assert (await refused(api, f"runs/{run_id}/artifact", params={"path": path}))[0] == code, path


async def test_histories_of_several_runs_with_steps_and_times(api, project):
    first, second = project.ids["first"], project.ids["second"]
    answer = await api("history", {"run_ids": f"{first},{second}", "max_points": 10})
    assert answer["keys"] == ["train/loss"]
    assert [r["run_id"] for r in answer["runs"]] == [first, second]
    series = answer["runs"][0]["series"]["train/loss"]
    assert series["total_points"] == 30 and series["downsampled"] and len(series["steps"]) == 10
    assert series["steps"][0] == 0 and series["steps"][-1] == 29
    assert series["timestamps"] == [1_000 + 10 * s for s in series["steps"]]
    assert series["values"][0] == pytest.approx(1.0)
    assert (await refused(api, "history", params={"run_ids": first, "keys": "nope"}))[0] == 400
    assert (await refused(api, "history", params={"run_ids": ""}))[0] == 400


async def test_the_runs_table_of_an_experiment_or_of_runs_asked_for(api, project):
    first, second = project.ids["first"], project.ids["second"]
    project.client.log_param(first, "lr", "0.1")
    table = await api("table", {"experiment": NOTEBOOK})
    assert {r["run_id"] for r in table["runs"]} == set(project.ids.values())
    assert "lr" in table["params"] and "train/loss" in table["metrics"] and "team" in table["tags"]
    assert table["truncated"] is False
    row = next(r for r in table["runs"] if r["run_id"] == first)
    assert row["params"]["lr"] == "0.1" and row["metrics"]["train/loss"] == pytest.approx(1 / (1 + 29 * 0.1))
    picked = await api("table", {"run_ids": f"{second},{first}"})
    assert [r["run_id"] for r in picked["runs"]] == [second, first]
    assert (await refused(api, "table", params={"experiment": "nope"}))[0] == 400
    assert (await refused(api, "table", params={"max_results": 5}))[0] == 400  # neither runs nor experiment
