"""``%reproduce`` end to end: record in a real kernel, replay in a fresh one, verify against the store."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from jupyter_exp.reproduce.errors import RecordIncomplete
from jupyter_exp.tracking.identity import store_user
from tests.support.git import git
from tests.support.kernels import (
    OpenKernel,
    all_runs,
    artifact_json,
    make_project,
    store,
    write_notebook,
)
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

TRACKED = """%%track --name fit
lr = 0.5
import jupyter_exp
noise = np.random.rand()
for step in range(5):
    jupyter_exp.log(step=step, **{"train/loss": float(w.sum()) * scale * lr / (step + 1) + bias + noise})
print("loss", float(w.sum()) * scale * lr + bias + noise, "model at", hex(id(w)))
round(float(w.sum()) * scale, 6)"""

SOURCES = [
    "%load_ext jupyter_exp",
    "import random\nimport numpy as np\nw = np.random.rand(4)\nbias = random.random()",  # unseeded draws
    "scale = 2.0",
    "scale = 3.0",
    TRACKED,
    "%%track --no-seed --name unseeded\nprint([random.random() for _ in range(3)])",
]
ORDER = [0, 1, 3, 2, 4, 5]  # out of order: the replay must end with scale == 2.0, not 3.0


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("reproduce"))
    return record_session(root, SOURCES, ORDER)


def test_out_of_order_unseeded_notebook_reproduces_exactly(recorded: dict[str, Any]) -> None:
    original = recorded["runs"]["fit"]
    result = reproduce(recorded["root"], original.info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [s.execution_count for s in result.plan.steps] == [2, 3, 4, 5]  # history order, not notebook order
    assert [s.reason for s in result.plan.skipped] == ["jupyter_exp is loaded by the replay"]
    assert result.drift == []
    client = store(recorded["root"])
    new = client.get_run(result.run_id)
    assert new.info.status == "FINISHED" and new.info.run_name == "fit (reproduced)"
    assert new.info.experiment_id == original.info.experiment_id
    assert new.data.tags["jupyter_exp.reproduced_from"] == original.info.run_id
    assert new.data.tags["jupyter_exp.reproduction.verdict"] == "exact"
    assert new.data.tags["jupyter_exp.seed"] == original.data.tags["jupyter_exp.seed"]
    assert new.data.params == original.data.params
    assert new.data.metrics["train/loss"] == original.data.metrics["train/loss"]
    document = artifact_json(client, result.run_id, "reproduction.json")
    assert document["verdict"] == "exact" and document["original_run_id"] == original.info.run_id
    assert document["outputs"]["masked"] == {"memory address": 1}  # hex(id(w)) differs between kernels
    assert [m["key"] for m in document["metrics"]] == ["train/loss"]
    replayed = artifact_json(client, result.run_id, "outputs.json")["outputs"]
    assert [o["name"] for o in replayed] == ["stdout", "result"]


def test_a_cell_without_any_seed_reproduces_from_the_recorded_states(recorded: dict[str, Any]) -> None:
    original = recorded["runs"]["unseeded"]
    assert "jupyter_exp.seed" not in original.data.tags
    client = store(recorded["root"])
    before = {r.info.run_id for r in all_runs(client)}
    result = reproduce(recorded["root"], original.info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert result.verdict.outputs.status == "exact"  # three random.random() draws, same digits
    assert [s.execution_count for s in result.plan.steps] == [2, 3, 4, 5, 6]
    assert result.plan.steps[3].tracked and not result.plan.steps[3].target
    new = {r.info.run_id for r in all_runs(client)} - before
    assert new == {result.run_id}  # the replayed earlier %%track cell recorded no run of its own


def test_reproduce_magic_in_a_kernel_shows_the_verdict_table(
    recorded: dict[str, Any], kernel_session: OpenKernel
) -> None:
    root, run_id = recorded["root"], recorded["runs"]["fit"].info.run_id
    session = kernel_session(root, recorded["notebook"])
    session.run("%load_ext jupyter_exp")
    reply, outputs = session.run(
        f"result = %reproduce {run_id} --full\nresult"
    )  # the slice: test_slice_replay
    assert reply["status"] == "ok", reply
    shown = next(o for o in outputs if o["type"] == "execute_result")["data"]
    assert "exact" in shown["text/html"] and run_id in shown["text/html"]
    assert shown[
        "text/plain"
    ].startswith(
        "[jupyter-exp] EXACT: 1 metric, 2 output lines and 2 bound values identical"  # noise, step (lr is an input)
    )
    printed = "".join(o.get("text", "") for o in outputs if o["type"] == "stream" and o["name"] == "stdout")
    assert "Drift: none" in printed and "Replay: 4 cells in execution order: [2], [3], [4], [5]" in printed
    widgets = [o for o in outputs if o["type"] == "display_data"]
    assert any(
        "IntProgress" in json.dumps(w) or "application/vnd.jupyter.widget-view+json" in w["data"]
        for w in widgets
    )
    reply, outputs = session.run(f"result.verdict, result.run_id != {run_id!r}")
    assert "('exact', True)" in outputs[0]["data"]["text/plain"]


def test_set_makes_a_deliberate_variation_linked_to_the_original(recorded: dict[str, Any]) -> None:
    original = recorded["runs"]["fit"]
    result = reproduce(recorded["root"], original.info.run_id, sets={"lr": 0.25, "scale": 3.0})
    assert result.verdict.verdict == "varied", result.verdict.summary
    assert "lr: 0.5 → 0.25" in result.verdict.summary and "scale: 2.0 → 3.0" in result.verdict.summary
    assert "changed train/loss, outputs" in result.verdict.summary
    new = store(recorded["root"]).get_run(result.run_id)
    assert new.data.params["lr"] == "0.25" and new.data.params["scale"] == "3.0"
    assert original.data.params["lr"] == "0.5" and original.data.params["scale"] == "2.0"
    assert new.data.tags["jupyter_exp.reproduced_from"] == original.info.run_id
    assert original.info.run_id in new.data.tags["mlflow.note.content"]
    assert new.data.tags["jupyter_exp.reproduction.verdict"] == "varied"
    first = result.verdict.metrics[0].first_divergence
    assert first["step"] == 0 and first["reproduced"] < first["original"]  # 0.25 * 3 < 0.5 * 2


def test_second_kernelspec_runs_the_replay_there(
    recorded: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "fake-gpu"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Fake GPU",
                "language": "python",
                "env": {"FAKE_DEVICE": "gpu0"},
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    original = recorded["runs"]["fit"]
    result = reproduce(recorded["root"], original.info.run_id, kernel_name="fake-gpu", dry_run=True)
    assert ("kernel", "python3", "fake-gpu") in [d.row() for d in result.drift]
    assert result.run_id is None and result.verdict is None  # a dry run runs nothing
    result = reproduce(recorded["root"], original.info.run_id, kernel_name="fake-gpu")
    assert result.verdict.verdict == "exact", result.verdict.summary
    client = store(recorded["root"])
    assert client.get_run(result.run_id).data.tags["jupyter_exp.kernel.name"] == "fake-gpu"
    # the cell ran in the spec's environment: a cell that reports it (on stderr, not compared) says so
    marker = "%%track --name probe\nimport os, sys\nprint('device', os.environ.get('FAKE_DEVICE', 'cpu'), file=sys.stderr)"
    probe = record_session(recorded["root"], ["%load_ext jupyter_exp", marker], [0, 1], "probe.ipynb")
    replayed = reproduce(recorded["root"], probe["runs"]["probe"].info.run_id, kernel_name="fake-gpu")
    assert replayed.verdict.verdict == "unverified"  # its only output is on stderr, which is not compared
    streams = {
        o["name"]: o["text"] for o in artifact_json(client, replayed.run_id, "outputs.json")["outputs"]
    }
    assert streams["stderr"] == "device gpu0\n"
    original_streams = artifact_json(client, probe["runs"]["probe"].info.run_id, "outputs.json")["outputs"]
    assert original_streams == [{"name": "stderr", "text": "device cpu\n"}]


def test_dry_run_lists_the_plan_and_writes_nothing(recorded: dict[str, Any]) -> None:
    client = store(recorded["root"])
    count = len(all_runs(client))
    result = reproduce(recorded["root"], recorded["runs"]["fit"].info.run_id, dry_run=True)
    assert [s.execution_count for s in result.plan.steps] == [2, 3, 4, 5]
    assert len(all_runs(client)) == count


# -- drift and --checkout ----------------------------------------------------------------------------
CHECKOUT_SOURCES = [
    "%load_ext jupyter_exp",
    "%%track --name from-file\nimport json\nsettings = json.load(open('settings.json'))\n"
    "print('width', settings['width'])\njupyter_exp_width = settings['width']",
]


def test_checkout_replays_the_recorded_commit_and_diff(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "nb").mkdir()
    (root / "nb" / "settings.json").write_text('{"width": 1}')
    git(root, "add", "nb/settings.json")
    git(root, "commit", "-qm", "width 1")
    (root / "nb" / "settings.json").write_text('{"width": 2}')  # uncommitted when the run is recorded
    recorded = record_session(root, CHECKOUT_SOURCES, [0, 1])
    run_id = recorded["runs"]["from-file"].info.run_id
    (root / "nb" / "settings.json").write_text('{"width": 3}')
    git(root, "add", "nb/settings.json")
    git(root, "commit", "-qm", "width 3")

    drifted = reproduce(root, run_id)
    rows = {d.what: d for d in drifted.drift}
    assert rows["git"].now.startswith("HEAD ") and rows["git diff"].recorded.startswith("uncommitted diff")
    assert drifted.verdict.verdict == "diverged"
    assert drifted.verdict.outputs.first_difference["reproduced_line"] == "width 3"

    checked_out = reproduce(root, run_id, checkout=True)
    assert checked_out.verdict.verdict == "exact", checked_out.verdict.summary
    assert [d.row() for d in checked_out.drift] == [
        ("git", f"{rows['git'].recorded[5:]} + diff", "checked out in a temporary worktree")
    ]
    assert git(root, "worktree", "list").count("\n") == 0  # the temporary worktree is gone
    new = store(root).get_run(checked_out.run_id)
    assert new.data.tags["mlflow.source.name"] == "nb/train.ipynb"
    assert new.data.tags["jupyter_exp.git.dirty"] == "true"


# -- failures: one clear message, kernel shut down, nothing left RUNNING ---------------------------
FAILING_SOURCES = [
    "%load_ext jupyter_exp",
    "import os\nrows = open('data.txt').read().split()",
    "%%track --name risky\nimport os\nif os.path.exists('die.flag'):\n    os._exit(1)\nprint(len(rows))",
]


@pytest.fixture
def fragile(tmp_path: Path) -> dict[str, Any]:
    root = make_project(tmp_path)
    (root / "nb").mkdir()
    (root / "nb" / "data.txt").write_text("a b c")
    return record_session(root, FAILING_SOURCES, [0, 1, 2])


def test_a_failing_replay_cell_gives_a_failed_verdict_on_a_failed_run(fragile: dict[str, Any]) -> None:
    root = fragile["root"]
    (root / "nb" / "data.txt").unlink()
    result = reproduce(root, fragile["runs"]["risky"].info.run_id)
    assert result.verdict.verdict == "failed"
    assert result.verdict.failure == {
        "cell": "cell [2]",
        "ename": "FileNotFoundError",
        "evalue": "[Errno 2] No such file or directory: 'data.txt'",
    }
    new = store(root).get_run(result.run_id)
    assert new.info.status == "FAILED"
    assert new.data.tags["jupyter_exp.reproduction.verdict"] == "failed"
    assert (
        artifact_json(store(root), result.run_id, "reproduction.json")["failure"]["ename"]
        == "FileNotFoundError"
    )


def test_missing_artifacts_are_one_clear_error(fragile: dict[str, Any]) -> None:
    run = fragile["runs"]["risky"]
    shutil.rmtree(Path(run.info.artifact_uri.removeprefix("file://")))
    with pytest.raises(
        RecordIncomplete, match=r"^run \w+ was recorded by %%track but its artifacts are missing from "
    ):
        reproduce(fragile["root"], run.info.run_id)
    assert len(all_runs(store(fragile["root"]))) == 1


def test_a_kernel_that_dies_mid_replay_leaves_a_killed_run(fragile: dict[str, Any]) -> None:
    root = fragile["root"]
    (root / "nb" / "die.flag").write_text("")
    result = reproduce(root, fragile["runs"]["risky"].info.run_id)
    assert result.verdict.verdict == "failed"
    assert result.verdict.failure["ename"] == "KernelDied"
    assert "while running cell [3]" in result.verdict.failure["evalue"]
    client = store(root)
    new = client.get_run(result.run_id)
    assert new.info.status == "KILLED"  # the tracked cell had started its run: never left RUNNING
    assert new.data.tags["jupyter_exp.reproduced_from"] == fragile["runs"]["risky"].info.run_id
    assert not [r for r in all_runs(client) if r.info.status == "RUNNING"]


def test_interrupting_reproduce_shuts_the_replay_down(tmp_path: Path, kernel_session: OpenKernel) -> None:
    root = make_project(tmp_path)
    recorded = record_session(
        root,
        [
            "%load_ext jupyter_exp",
            "%%track --name slow\nimport time, os\nif os.path.exists('slow.flag'):\n    time.sleep(60)",
        ],
        [0, 1],
    )
    (root / "nb" / "slow.flag").write_text("")
    session = kernel_session(root, recorded["notebook"])
    session.run("%load_ext jupyter_exp")
    msg_id = session.send(f"%reproduce {recorded['runs']['slow'].info.run_id}")
    client = store(root)
    for _ in range(600):  # until the replayed cell has started its run
        if any(r.info.status == "RUNNING" for r in all_runs(client)):
            break
        time.sleep(0.1)
    session.km.interrupt_kernel()
    reply, outputs = session.wait(msg_id, timeout=60)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    stderr = "".join(o.get("text", "") for o in outputs if o["type"] == "stream" and o["name"] == "stderr")
    assert "reproduction interrupted: the replay kernel was shut down" in stderr
    runs = all_runs(client)
    assert [r.info.status for r in runs if r.info.run_name == "slow (reproduced)"] == ["KILLED"]
    kernel = psutil.Process(session.km.provisioner.process.pid)
    assert not [p for p in kernel.children(recursive=True) if "ipykernel_launcher" in " ".join(p.cmdline())]


def test_bad_input_is_one_usage_error_each(
    recorded: dict[str, Any], tmp_path: Path, kernel_session: OpenKernel
) -> None:
    root = recorded["root"]
    client = store(root)
    plain = client.create_run(recorded["runs"]["fit"].info.experiment_id, run_name="plain-mlflow")
    client.set_terminated(plain.info.run_id)
    corrupt = (
        client.create_run(  # the user's own (a run of nobody's is refused before its artifacts are read)
            recorded["runs"]["fit"].info.experiment_id, run_name="corrupt", tags={"mlflow.user": store_user()}
        )
    )
    broken = tmp_path / "jupyter_exp"
    broken.mkdir()
    (broken / "history.json").write_text("{not json")
    client.log_artifacts(corrupt.info.run_id, str(broken), "jupyter_exp")
    client.set_terminated(corrupt.info.run_id)
    count = len(all_runs(client))
    run_id = recorded["runs"]["fit"].info.run_id
    cases = {
        "%reproduce 0123456789abcdef0123456789abcdef": "no run with id '0123456789abcdef0123456789abcdef'",
        f"%reproduce {plain.info.run_id}": "has no jupyter_exp/history.json: it was not recorded by %%track",
        f"%reproduce {corrupt.info.run_id}": "jupyter_exp/history.json is corrupt",
        f"%reproduce {run_id} --kernel no-such-kernel": "no kernelspec named 'no-such-kernel' (installed: ",
        f"%reproduce {run_id} --set nope=1": "--set nope: not a captured parameter of this run",
        f"%reproduce {run_id} --rtol -1": "--rtol must be a number >= 0",
        "%reproduce": "the following arguments are required: run_id",
    }
    session = kernel_session(root, recorded["notebook"])
    session.run("%load_ext jupyter_exp")
    for line, message in cases.items():
        reply, _ = session.run(line)
        assert reply["status"] == "error" and reply["ename"] == "UsageError", (line, reply)
        assert message in reply["evalue"], (line, reply["evalue"])
        assert "\n" not in reply["evalue"].strip()
    session.close()
    assert len(all_runs(client)) == count  # nothing half-written


# -- hidden state at record time ----------------------------------------------------------------------
def test_hidden_state_is_recorded_when_a_defining_cell_changed_or_vanished(
    tmp_path: Path, kernel_session: OpenKernel
) -> None:
    root = make_project(tmp_path)
    sources = ["%load_ext jupyter_exp", "lr = 0.1", "epochs = 3", "%%track --name hidden\nprint(lr * epochs)"]
    notebook = root / "nb" / "hidden.ipynb"
    ids = write_notebook(notebook, sources)
    session = kernel_session(root, notebook)
    for index in (0, 1, 2):
        session.run(sources[index], ids[index])
    document = json.loads(notebook.read_text())
    document["cells"][1]["source"] = "lr = 0.2"  # edited and saved, but not rerun
    del document["cells"][2]  # deleted after it ran
    notebook.write_text(json.dumps(document))
    reply, _ = session.run(sources[3], ids[3])
    assert reply["status"] == "ok"
    session.run("%%track --name clean\nx = 1", None)
    session.close()
    runs = {r.info.run_name: r for r in all_runs(store(root))}
    assert runs["hidden"].data.tags["jupyter_exp.hidden_state"] == (
        "lr (cell [2] changed since it ran), epochs (cell [3] was deleted)"
    )
    assert "jupyter_exp.hidden_state" not in runs["clean"].data.tags
