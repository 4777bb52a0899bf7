"""The model registry's REST API (GET models, GET models/<name>, POST models/<name>/versions) on a store a real
kernel wrote checkpoints to: registering through %register's core, the promotion alias refused (409, nothing
registered) until a reproduction job of the server came back exact, bad input a one-line 400, unknown names 404, and every
route authenticated and authorized (write for the POST)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_exp.server.handlers import AUTH_RESOURCE

# its server config (an Authorizer refusing what Policy.denied holds), shared
from tests.server.test_hardening import Policy, jp_server_config  # noqa: F401
from tests.server.test_jobs import wait_until_ended
from tests.support.git import init_repo
from tests.support.kernels import all_runs, run_notebook, store
from tests.support.server import JupyterExpAPI

LOOP = """\
%%track --name ckpt --seed 1
import torch, jupyter_exp
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
for step, loss in enumerate([0.9, 0.4, 0.6]):
    jupyter_exp.checkpoint(model, step=step, loss=loss)
"""


@pytest.fixture
def denied() -> Iterator[set[tuple[str, str]]]:
    Policy.denied = set()
    yield Policy.denied
    Policy.denied = set()


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("models") / "project"
    root.mkdir()
    init_repo(root)
    (root / "data.csv").write_text("x,y\n1,2\n")
    run_notebook(root / "train.ipynb", ["%load_ext jupyter_exp", LOOP], root)
    [run] = all_runs(store(root))
    return root, run.info.run_id


@pytest.fixture
def models_api(jp_fetch, checkpointed, monkeypatch) -> JupyterExpAPI:
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(checkpointed[0]))
    return JupyterExpAPI(jp_fetch)


async def _refused(
    api: JupyterExpAPI, path: str, body: object = None, method: str = "POST"
) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as raised:
        await api.answer(path, None, method, body)
    message = json.loads(raised.value.response.body)["message"]
    assert "\n" not in message and "Traceback" not in message
    return raised.value.code, message


async def test_register_then_list_and_show_a_model(models_api, checkpointed):
    root, run_id = checkpointed
    code, done = await models_api.post(
        "models/tiny/versions", {"checkpoint": f"{run_id}@2", "alias": "candidate"}
    )
    assert code == 201
    assert done["name"] == "tiny" and done["version"] == "1" and done["step"] == 2
    assert done["run_id"] == run_id and done["verdict"] == "none" and done["alias"] == "candidate"
    assert done["model_id"].startswith("m-")
    # the same checkpoint again: the same version, no second one
    code, again = await models_api.post("models/tiny/versions", {"checkpoint": done["model_id"]})
    assert code == 201 and again["version"] == "1"

    listed = (await models_api("models"))["models"]
    [tiny] = [m for m in listed if m["name"] == "tiny"]
    assert tiny["aliases"] == {"candidate": "1"} and tiny["latest_version"] == "1"

    shown = await models_api("models/tiny")
    assert shown["name"] == "tiny" and shown["promotion_alias"] == "champion"
    [version] = shown["versions"]
    assert version["version"] == "1" and version["aliases"] == ["candidate"]
    assert version["verdict"] == "none" and version["step"] == 2 and version["run_id"] == run_id
    assert version["model_id"] == done["model_id"] and version["source"] == f"models:/{done['model_id']}"
    assert version["notebook"] == "train.ipynb" and version["cell_id"]
    assert version["git_commit"] and len(version["git_commit"]) == 40
    assert version["run_name"] == "ckpt"
    assert isinstance(version["inputs"], dict)
    client = store(root)  # what the API says is what MLflow holds
    assert str(client.get_model_version_by_alias("tiny", "candidate").version) == "1"


async def test_the_promotion_alias_waits_for_a_reproduction(models_api, checkpointed):
    root, run_id = checkpointed
    code, message = await _refused(
        models_api, "models/gated/versions", {"checkpoint": run_id, "alias": "champion"}
    )
    assert code == 409
    assert message.startswith("@champion needs a run that reproduces (exact or close)")
    assert f"reproduce it first: %reproduce {run_id}" in message
    client = store(root)
    assert not client.search_model_versions("name = 'gated'")  # nothing half-written

    # the sidebar's way: a reproduction job of the server, then the same request again
    code, job = await models_api.post("reproductions", {"run_id": run_id})
    assert code == 202
    ended = await wait_until_ended(models_api, job["id"])
    assert ended["state"] == "finished" and ended["verdict"] == "exact", ended
    code, done = await models_api.post("models/gated/versions", {"checkpoint": run_id, "alias": "champion"})
    assert code == 201 and done["verdict"] == "exact" and done["step"] == 1  # the best by loss
    champion = client.get_model_version_by_alias("gated", "champion")
    assert str(champion.version) == done["version"] and champion.tags["jupyter_exp.verdict"] == "exact"
    [shown] = (await models_api("models/gated"))["versions"]
    assert shown["verdict"] == "exact" and shown["aliases"] == ["champion"] and shown["reproduction"]


BAD = [
    ([], "must be a JSON object"),
    ({}, "checkpoint is required"),
    ({"checkpoint": "  "}, "checkpoint is required"),
    ({"checkpoint": "x", "alias": 3}, "alias must be a string"),
]


@pytest.mark.parametrize(("body", "expected"), BAD)
async def test_bad_bodies_are_a_one_line_400(models_api, body, expected):
    code, message = await _refused(models_api, "models/bad/versions", body)
    assert code == 400 and expected in message


async def test_bad_names_aliases_and_unknown_things(models_api, checkpointed):
    root, run_id = checkpointed
    for alias in ("latest", "v2", "has space", "é!"):
        code, message = await _refused(
            models_api, "models/bad/versions", {"checkpoint": run_id, "alias": alias}
        )
        assert code == 400 and message.startswith("alias "), message
    code, message = await _refused(models_api, "models/it's/versions", {"checkpoint": run_id})
    assert code == 400 and "no quotes" in message
    code, message = await _refused(models_api, "models/bad/versions", {"checkpoint": f"{run_id}@9"})
    assert code == 404 and message.endswith("has no checkpoint at step 9 (kept: 0, 1, 2)")
    code, message = await _refused(models_api, "models/bad/versions", {"checkpoint": "0123456789abcdef@1"})
    assert code == 404 and message == "no run 0123456789abcdef"
    code, message = await _refused(models_api, "models/nothing-here", method="GET")
    assert code == 404 and message == "no registered model nothing-here"
    assert "bad" not in {m.name for m in store(root).search_registered_models()}  # nothing registered


async def test_authenticated_and_authorized(jp_fetch, models_api, checkpointed, denied):
    _, run_id = checkpointed
    for parts, method in (
        (["models"], "GET"),
        (["models", "tiny"], "GET"),
        (["models", "x", "versions"], "POST"),
    ):
        body = "{}" if method == "POST" else None
        with pytest.raises(HTTPClientError) as raised:  # no token
            await jp_fetch("jupyter-exp", *parts, method=method, body=body, headers={"Authorization": ""})
        assert raised.value.code == 403, parts
    denied.add(("write", AUTH_RESOURCE))
    assert (await jp_fetch("jupyter-exp", "models")).code == 200  # reading is fine
    code, message = await _refused(models_api, "models/denied/versions", {"checkpoint": run_id})
    assert code == 403 and "write" in message and AUTH_RESOURCE in message
    denied.clear()
    denied.add(("read", AUTH_RESOURCE))
    code, message = await _refused(models_api, "models", method="GET")
    assert code == 403
