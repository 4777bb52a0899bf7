"""GET /jupyter-exp/runs/{run}/checkpoints: a run's checkpoints best first by its objective, from a store a
real kernel wrote them to (jupyter_exp.checkpoint() in a tracked torch loop)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.git import init_repo
from tests.support.kernels import all_runs, run_notebook, store
from tests.support.server import JupyterExpAPI

LOOP = """\
%%track --name ckpt --seed 1
import torch, jupyter_exp
model = torch.nn.Linear(2, 1)
for step, loss in enumerate([0.9, 0.4, 0.6]):
    jupyter_exp.checkpoint(model, step=step, loss=loss)
"""


@pytest.fixture(scope="module")
def checkpointed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("checkpoints") / "project"
    root.mkdir()
    init_repo(root)
    run_notebook(root / "train.ipynb", ["%load_ext jupyter_exp", LOOP], root)
    [run] = all_runs(store(root))
    return root, run.info.run_id


async def test_a_runs_checkpoints_best_first(jp_fetch, checkpointed, monkeypatch):
    root, run_id = checkpointed
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(root))
    api = JupyterExpAPI(jp_fetch)
    answer = await api(f"runs/{run_id}/checkpoints")
    assert answer["run_id"] == run_id and answer["objective"] == "loss"
    assert answer["promotion_alias"] == "champion"
    assert [(c["step"], c["objective_value"]) for c in answer["checkpoints"]] == [
        (1, 0.4),
        (2, 0.6),
        (0, 0.9),
    ]
    first = answer["checkpoints"][0]
    assert first["metrics"] == {"loss": 0.4} and first["format"] == "torch-state-dict"
    assert len(first["sha256"]) == 64 and first["model_id"].startswith("m-")
    # the marks and the state file's size the sidebar shows
    assert [(c["best"], c["last"]) for c in answer["checkpoints"]] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert all(c["size"] and c["size"] > 100 for c in answer["checkpoints"])

    with pytest.raises(HTTPClientError) as raised:
        await api("runs/0123456789abcdef0123456789abcdef/checkpoints")
    assert raised.value.code == 404
