"""*Open snapshot*'s route (``GET /jupyter-exp/runs/<id>/snapshot``) against snapshots a store writer planted
with MLflow's client: trusted marks are not served, a snapshot over the cap is a 413 with a message, and a
large one is parsed without stopping the server (``/api/status`` answers while it is in flight)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from tornado.httpclient import HTTPClientError

from tests.support.server import JupyterExpAPI

CAP_MB = 48  # c.JupyterExpApp.snapshot_max_mb of the server under test
LARGE_CELLS = 250_000  # ~46 MB of small objects: json needs seconds to parse and write it
SECRET = "a notebook of the server's own, outside every run"
PAYLOAD = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1"><script>window.__pwned=1</script>'


def notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def code_cell(index: int, outputs: list[dict[str, Any]], metadata: Any = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": f"cell-{index}",
        "metadata": {"trusted": True} if metadata is None else metadata,
        "source": "x = 1",
        "outputs": outputs,
        "execution_count": 1,
    }


def hostile_notebook() -> dict[str, Any]:
    """Every kind of cell claiming trust, with outputs that run script when trusted."""
    html = {"output_type": "display_data", "data": {"text/html": PAYLOAD}, "metadata": {}}
    script = {
        "output_type": "execute_result",
        "execution_count": 1,
        "data": {"application/javascript": "window.__pwned=1", "text/plain": "x"},
        "metadata": {},
    }
    return notebook(
        [
            code_cell(0, [html, script]),
            {"cell_type": "markdown", "id": "md", "metadata": {"trusted": True}, "source": PAYLOAD},
            {"cell_type": "raw", "id": "raw", "metadata": {"trusted": True}, "source": PAYLOAD},
            code_cell(3, [html], metadata=["trusted"]),  # metadata that is no object
            {"cell_type": "code", "id": "bare", "source": "", "outputs": [html], "execution_count": None},
        ]
    )


def large_notebook() -> dict[str, Any]:
    stream = {"output_type": "stream", "name": "stdout", "text": "ab"}
    return notebook([code_cell(i, [stream]) for i in range(LARGE_CELLS)])


@dataclass
class Store:
    root: Path
    client: MlflowClient
    ids: dict[str, str]


def plant(client: MlflowClient, experiment_id: str, name: str, content: bytes | None, folder: Path) -> str:
    """A run as a store writer makes it with MLflow's client, ``content`` as its notebook snapshot."""
    run_id: str = client.create_run(experiment_id, run_name=name).info.run_id
    if content is not None:
        path = folder / name / "notebook.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
        client.log_artifact(run_id, str(path), "jupyter_exp")
    client.set_terminated(run_id)
    return run_id


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("security-snapshot")
    client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
    experiment = client.create_experiment("shared", artifact_location=(root / "mlartifacts").as_uri())
    snapshots: dict[str, bytes | None] = {
        "hostile": json.dumps(hostile_notebook()).encode(),
        "large": json.dumps(large_notebook()).encode(),
        "over-cap": json.dumps(
            notebook([{"cell_type": "raw", "metadata": {}, "source": "x" * (CAP_MB + 1) * 10**6}])
        ).encode(),
        "not-json": b"{ this is not JSON",
        "not-a-notebook": b"[1, 2, 3]",
        "nan": b'{"nbformat": 4, "cells": [], "metadata": {"x": NaN}}',
        "none": None,
    }
    folder = root / "planted"
    ids = {name: plant(client, experiment, name, content, folder) for name, content in snapshots.items()}
    # a link where the snapshot belongs, to a notebook outside the run's artifacts (the server's own files)
    outside = root / "outside" / "private.ipynb"
    outside.parent.mkdir()
    outside.write_text(json.dumps(notebook([{"cell_type": "raw", "metadata": {}, "source": SECRET}])))
    ids["linked"] = plant(client, experiment, "linked", None, folder)
    artifacts = Path(client.get_run(ids["linked"]).info.artifact_uri.removeprefix("file://")) / "jupyter_exp"
    artifacts.mkdir(parents=True)
    (artifacts / "notebook.ipynb").symlink_to(outside)
    return Store(root, client, ids)


@pytest.fixture
def jp_server_config() -> dict[
    str, Any
]:  # overrides tests/server's: the snapshot cap set, as a deployment would
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_exp": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
        },
        "JupyterExpApp": {"snapshot_max_mb": CAP_MB},
    }


@pytest.fixture
def api(jp_fetch: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> JupyterExpAPI:
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(store.root))
    return JupyterExpAPI(jp_fetch)


async def error_of(api: JupyterExpAPI, path: str) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as raised:
        await api(path)
    assert raised.value.response is not None
    body = json.loads(raised.value.response.body)
    assert set(body) == {"message", "status"} and body["status"] == raised.value.code, body
    assert "\n" not in body["message"] and "Traceback" not in body["message"]
    return raised.value.code, body["message"]


async def test_trusted_marks_are_not_served(api: JupyterExpAPI, store: Store) -> None:
    served = await api(f"runs/{store.ids['hostile']}/snapshot")
    planted = hostile_notebook()
    assert [cell["metadata"] for cell in served["cells"]] == [{"trusted": False}] * 5
    for cell in (*served["cells"], *planted["cells"]):
        cell.pop("metadata", None)
    assert served == planted  # nothing else changed: sources and outputs as recorded


async def test_snapshot_over_the_cap_is_a_413_with_a_message(api: JupyterExpAPI, store: Store) -> None:
    status, message = await error_of(api, f"runs/{store.ids['over-cap']}/snapshot")
    assert status == 413
    assert f"is {CAP_MB + 1}.0 MB, more than the {CAP_MB} MB" in message, message
    assert "snapshot_max_mb" in message and "download jupyter_exp/notebook.ipynb" in message


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("not-json", 502, "its notebook snapshot is corrupt"),
        ("not-a-notebook", 502, "corrupt (not a version 4 notebook)"),
        ("nan", 502, "corrupt"),
        ("none", 404, "has no notebook snapshot"),
        ("linked", 404, "has no notebook snapshot"),  # the link is not followed
    ],
)
async def test_bad_snapshots_are_one_line(
    api: JupyterExpAPI, store: Store, name: str, status: int, words: str
) -> None:
    answered, message = await error_of(api, f"runs/{store.ids[name]}/snapshot")
    assert answered == status and words in message, message


async def test_server_answers_while_a_large_snapshot_is_read(
    api: JupyterExpAPI, store: Store, jp_fetch: Any
) -> None:
    """The server, this test and its HTTP client share one event loop: anything the snapshot route does on
    that loop (parsing seconds of JSON) holds back /api/status for as long."""
    started = time.monotonic()
    request = asyncio.ensure_future(jp_fetch("jupyter-exp", "runs", store.ids["large"], "snapshot"))
    waits = []
    while not request.done():
        asked = time.monotonic()
        await jp_fetch("api", "status")
        waits.append(time.monotonic() - asked)
    took = time.monotonic() - started
    assert took > 1.0, f"the snapshot took {took:.2f} s: too small to tell"
    longest = max(waits)
    assert len(waits) >= 5 and longest < took / 4, (
        f"/api/status waited up to {longest:.2f} s ({len(waits)} answers) during a {took:.2f} s snapshot"
    )
    response = await request
    served = json.loads(response.body)  # parsed here, after the measurement
    assert response.code == 200 and len(served["cells"]) == LARGE_CELLS
    assert all(cell["metadata"] == {"trusted": False} for cell in served["cells"])
