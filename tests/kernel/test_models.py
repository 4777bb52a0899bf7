"""Checkpoints of a tracked torch loop as MLflow LoggedModels, resuming from the best one bit for bit, and
%register's promotion alias refused until the run reproduces (real kernel, real SQLite store)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.kernels import OpenKernel, all_runs, store

pytestmark = pytest.mark.kernel

SETUP = """\
import torch, jupyter_exp

def make():
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return model, opt, torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)

def train_step(model, opt, sched):
    x = torch.randn(8, 4)
    loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
    opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    return loss.item()
"""

TRAIN = """\
%%track --name train --seed 7
model, opt, sched = make()
losses = []
for s in range(6):
    losses.append(train_step(model, opt, sched))
    if s >= 1 and s <= 4:
        cp = jupyter_exp.checkpoint(model, step=s, optimizer=opt, scheduler=sched, loss=losses[-1])
print(json.dumps(losses))
"""

RESUME = """\
%%track --name resumed
model, opt, sched = make()
r = jupyter_exp.resume("best", model, opt, sched)
print(json.dumps({"step": r.step, "model_id": r.model_id, "next": train_step(model, opt, sched)}))
"""


def _stdout(outputs: list[dict[str, object]]) -> str:
    return "".join(str(o.get("text", "")) for o in outputs if o["type"] == "stream")


def test_checkpoints_resume_and_the_gated_registry(project: Path, kernel_session: OpenKernel) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run("%config JupyterExp.checkpoint_keep_last = 2")  # and the best 1 (the default)
    session.run("import json\n" + SETUP)
    reply, outputs = session.run(TRAIN)
    assert reply["status"] == "ok", outputs
    losses = json.loads(_stdout(outputs).strip().splitlines()[-1])
    client = store(project)
    [train] = all_runs(client)
    run_id = train.info.run_id

    # four checkpoints logged; the last 2 and the best 1 by loss are kept, each linked to its step
    found = client.search_logged_models(
        [train.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
    )
    steps = sorted(int(m.tags["jupyter_exp.checkpoint.step"]) for m in found)
    best_step = min(range(1, 5), key=lambda s: losses[s])
    assert steps == sorted({3, 4, best_step}), (steps, losses)
    for logged in found:
        step = int(logged.tags["jupyter_exp.checkpoint.step"])
        assert logged.tags["jupyter_exp.checkpoint.format"] == "torch-state-dict"
        assert len(logged.tags["jupyter_exp.checkpoint.sha256"]) == 64
        assert [(m.key, m.step, m.value) for m in logged.metrics] == [("loss", step, losses[step])]
    outputs_of_run = {o.model_id: o.step for o in client.get_run(run_id).outputs.model_outputs}
    assert {outputs_of_run[m.model_id] for m in found} == set(steps)

    # resume from best: the weights, optimizer, scheduler and generator states come back
    reply, outputs = session.run(RESUME)
    assert reply["status"] == "ok", outputs
    resumed = json.loads(_stdout(outputs).strip().splitlines()[-1])
    assert resumed["step"] == best_step
    assert resumed["next"] == losses[best_step + 1]  # bit for bit: as if training had not stopped
    [run_resumed] = [r for r in all_runs(client) if r.info.run_id != run_id]
    assert run_resumed.data.tags["jupyter_exp.resumed_from"] == resumed["model_id"]
    # %reproduce of the resumed run starts from the same checkpoint (not the replay kernel's "best")
    reply, outputs = session.run(f"%reproduce {run_resumed.info.run_id} --yes")
    assert reply["status"] == "ok", outputs
    [again] = [
        r
        for r in all_runs(client)
        if r.data.tags.get("jupyter_exp.reproduced_from") == run_resumed.info.run_id
    ]
    assert again.data.tags["jupyter_exp.resumed_from"] == resumed["model_id"]
    assert again.data.tags["jupyter_exp.reproduction.verdict"] == "exact", again.data.tags

    # the promotion alias needs a reproduction; candidate does not
    reply, _ = session.run(f"%register {run_id} --name tiny --alias champion")
    assert reply["status"] == "error" and reply["ename"] == "UsageError"
    assert f"reproduce it first: %reproduce {run_id}" in reply["evalue"] and "\n" not in reply["evalue"]
    assert not client.search_model_versions("name = 'tiny'")  # nothing half-written
    reply, outputs = session.run(f"%register {run_id}@3 --name tiny --alias candidate")
    assert reply["status"] == "ok", outputs
    candidate = client.get_model_version_by_alias("tiny", "candidate")
    assert candidate.tags["jupyter_exp.verdict"] == "none" and candidate.tags["jupyter_exp.step"] == "3"
    [at_3] = [m.model_id for m in found if m.tags["jupyter_exp.checkpoint.step"] == "3"]
    assert candidate.source == f"models:/{at_3}"  # from the LoggedModel, never a runs:/ URI

    reply, outputs = session.run(f"%reproduce {run_id} --yes")
    assert reply["status"] == "ok", outputs
    verdicts = [r.data.tags.get("jupyter_exp.reproduction.verdict") for r in all_runs(client)]
    assert "exact" in verdicts, verdicts
    # the reproduction updated the verdict of the version registered before it
    assert client.get_model_version("tiny", candidate.version).tags["jupyter_exp.verdict"] == "exact"
    reply, outputs = session.run(f"%register {run_id} --name tiny --alias champion")
    assert reply["status"] == "ok", outputs
    assert "(verdict: exact)" in _stdout(outputs)
    champion = client.get_model_version_by_alias("tiny", "champion")
    assert champion.tags["jupyter_exp.verdict"] == "exact"
    assert champion.tags["jupyter_exp.step"] == str(best_step)
    assert champion.tags["jupyter_exp.run"] == run_id and champion.tags["jupyter_exp.git.commit"]

    # another user's checkpoint is asked for first
    client.set_tag(run_id, "mlflow.user", "mallory")
    reply, outputs = session.run(f"jupyter_exp.resume('{run_id}@best')")
    assert reply["status"] == "error" and "recorded by mallory" in reply["evalue"]
    reply, outputs = session.run(f"jupyter_exp.resume('{run_id}@best', confirm=True).step")
    assert reply["status"] == "ok", outputs


SKLEARN = """\
%%track --name fit
import numpy as np, jupyter_exp
from sklearn.linear_model import LogisticRegression
X = np.random.rand(40, 3); y = (X.sum(1) > 1.5).astype(int)
clf = LogisticRegression().fit(X, y)
jupyter_exp.checkpoint(clf, step=1, accuracy=clf.score(X, y))
"""


def test_a_scikit_learn_checkpoint_through_skops_and_a_refusal(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    reply, outputs = session.run(SKLEARN)
    assert reply["status"] == "ok", outputs
    reply, outputs = session.run(
        "r = jupyter_exp.resume('best')\n"
        "print(r.step, type(r.model).__name__, bool((r.model.predict_proba(X) == clf.predict_proba(X)).all()))"
    )
    assert reply["status"] == "ok", outputs
    assert _stdout(outputs).split() == ["1", "LogisticRegression", "True"]
    client = store(project)
    [run] = all_runs(client)
    [logged] = client.search_logged_models([run.info.experiment_id])
    assert logged.tags["jupyter_exp.checkpoint.format"] == "skops"

    # a step it does not keep: one line naming the kept ones, nothing registered
    reply, _ = session.run(f"%register {run.info.run_id}@9 --name fitted")
    assert reply["ename"] == "UsageError" and reply["evalue"].endswith(
        "has no checkpoint at step 9 (kept: 1)"
    )
    assert not client.search_registered_models()
    # a state file changed in the store after it was logged is refused before it is loaded
    stored = Path(logged.artifact_location.removeprefix("file://")) / "model.skops"
    stored.write_bytes(stored.read_bytes() + b"x")
    reply, _ = session.run("jupyter_exp.resume('best')")
    assert reply["ename"] == "CheckpointError" and "does not match its sha256" in reply["evalue"]

    reply, _ = session.run("%%track --name odd\nimport jupyter_exp\njupyter_exp.checkpoint({'w': 1}, step=0)")
    assert reply["status"] == "error" and reply["ename"] == "CheckpointError"
    assert reply["evalue"].startswith(
        "cannot checkpoint a dict: torch modules and scikit-learn estimators only"
    )
    reply, _ = session.run("jupyter_exp.checkpoint(clf, step=2)")  # outside a tracked cell
    assert reply["status"] == "error" and "inside a %%track cell" in reply["evalue"]


KILLED = """\
%%track --name killed
import os, torch, jupyter_exp
jupyter_exp.checkpoint(torch.nn.Linear(3, 1), step=5, loss=0.5)
os.kill(os.getpid(), 9)
"""


def test_a_checkpoint_survives_the_kernel_killed_right_after(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.send(KILLED)
    deadline = time.monotonic() + 60
    while session.km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not session.km.is_alive()
    session.close()
    client = store(project)
    [run] = all_runs(client)
    assert not client.search_logged_models([run.info.experiment_id])  # the finisher had no time
    assert list(project.glob("**/.checkpoints/*/pending.json"))  # but the journal has it

    nxt = kernel_session(project)
    nxt.run("%load_ext jupyter_exp")  # its recovery delivers what the dead kernel left
    deadline = time.monotonic() + 120
    while (
        not (found := client.search_logged_models([run.info.experiment_id])) and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    [logged] = found
    assert logged.source_run_id == run.info.run_id and logged.tags["jupyter_exp.checkpoint.step"] == "5"
    assert [(m.key, m.value) for m in logged.metrics] == [("loss", 0.5)]
    assert not list(project.glob("**/.checkpoints/*/pending.json"))


GROUP = """\
%%track --name grouped --seeds 1,2
import torch, jupyter_exp
model = torch.nn.Linear(2, 1)
loss = float(model(torch.ones(1, 2)).abs().item())
jupyter_exp.log(loss=loss)
jupyter_exp.checkpoint(model, step=0, loss=loss)
"""


def test_a_version_from_a_seed_group_carries_its_interval(project: Path, kernel_session: OpenKernel) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    reply, outputs = session.run(GROUP)
    assert reply["status"] == "ok", outputs
    client = store(project)
    children = [
        r for r in all_runs(client) if r.data.tags.get("jupyter_exp.group") not in (None, r.info.run_id)
    ]
    assert len(children) == 2, [r.data.tags for r in all_runs(client)]
    child = children[0].info.run_id
    reply, outputs = session.run(f"%register {child} --name grouped --alias candidate")
    assert reply["status"] == "ok", outputs
    version = client.get_model_version_by_alias("grouped", "candidate")
    assert version.tags["jupyter_exp.group.interval"].startswith("loss: ["), version.tags
