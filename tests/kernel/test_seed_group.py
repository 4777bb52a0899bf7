"""``%%track --seeds`` / ``--repeat`` in a real kernel: child runs under one parent with the statistics,
bad options refused, an interrupt that keeps what finished, and reproductions of a child and of the group."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.group import reproduce_group
from jupyter_exp.reproduce.noise import BEYOND, MATCHED, WITHIN, check_noise
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking
from tests.support.kernels import (
    KernelSession,
    OpenKernel,
    all_runs,
    artifact_json,
    make_project,
    store,
    write_notebook,
)

pytestmark = pytest.mark.kernel

# accuracy depends on the seed through numpy's global generator: 0.8 + 0.01 * np.random.rand() after seeding
GROUP_CELL = """%%track --seeds 3,1,2 --name fit-h{hidden}
import numpy as np
import jupyter_exp
hidden = 8
acc = 0.8 + 0.01 * np.random.rand()
for step in range(3):
    jupyter_exp.log(step=step, **{"eval/accuracy": acc - 0.01 * (2 - step)})
print("accuracy", acc)"""


def expected_accuracy(seed: int) -> float:
    return 0.8 + 0.01 * np.random.RandomState(seed).rand()


def children_of(runs: list[Any], parent_id: str) -> list[Any]:
    return [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent_id]


def the_group(root: Path) -> tuple[Any, list[tuple[str, str]]]:
    """The store's one seed-group parent and its children's (seed, status), in run order."""
    runs = all_runs(store(root))
    parent = next(r for r in runs if "jupyter_exp.group.seeds" in r.data.tags)
    children = children_of(runs, parent.info.run_id)
    return parent, [(c.data.tags["jupyter_exp.seed"], c.info.status) for c in children]


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("group"))
    notebook = root / "group.ipynb"
    sources = ["%load_ext jupyter_exp", GROUP_CELL]
    ids = write_notebook(notebook, sources)
    session = KernelSession(root, notebook)
    try:
        replies = session.run_cells(sources, ids)
    finally:
        session.close()
    runs = all_runs(store(root))
    parent = next(r for r in runs if "jupyter_exp.group.seeds" in r.data.tags)
    return {"root": root, "replies": replies, "runs": runs, "parent": parent}


def test_children_run_once_per_seed_under_one_parent(group: dict[str, Any]) -> None:
    outputs = group["replies"][1][1]
    assert not [o for o in outputs if o["type"] == "error"]
    parent, runs = group["parent"], group["runs"]
    children = children_of(runs, parent.info.run_id)
    assert len(runs) == 4 and len(children) == 3
    assert [c.data.tags["jupyter_exp.seed"] for c in children] == ["3", "1", "2"]  # in the order given
    assert [c.info.run_name for c in children] == ["fit-h8-s3", "fit-h8-s1", "fit-h8-s2"]
    assert parent.info.run_name == "fit-h8"
    assert {c.info.status for c in children} == {parent.info.status} == {"FINISHED"}
    tags = parent.data.tags
    assert tags["jupyter_exp.group.seeds"] == "3,1,2" and tags["jupyter_exp.group.finished"] == "3"
    assert "jupyter_exp.group.seeds_drawn" not in tags
    assert {c.data.tags["jupyter_exp.group"] for c in children} == {tags["jupyter_exp.group"]}
    assert tags["jupyter_exp.group"] == parent.info.run_id
    for child in children:  # the seed the record names is the seed the cell ran with
        seed = int(child.data.tags["jupyter_exp.seed"])
        assert child.data.metrics["eval/accuracy"] == pytest.approx(expected_accuracy(seed), abs=1e-12)
        assert child.data.params["seed"] == str(seed) and child.data.params["hidden"] == "8"
    printed = "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
    assert printed.count("accuracy 0.80") == 3


def test_parent_holds_mean_std_n_and_t_interval(group: dict[str, Any]) -> None:
    values = [expected_accuracy(seed) for seed in (3, 1, 2)]
    mean, std = sum(values) / 3, math.sqrt(sum((v - sum(values) / 3) ** 2 for v in values) / 2)
    half = stats.t.ppf(0.975, 2) * std / math.sqrt(3)
    metrics = group["parent"].data.metrics
    assert metrics["eval/accuracy/n"] == 3
    assert metrics["eval/accuracy/mean"] == pytest.approx(mean, abs=1e-12)
    assert metrics["eval/accuracy/std"] == pytest.approx(std, rel=1e-9)
    assert metrics["eval/accuracy/ci_low"] == pytest.approx(mean - half, rel=1e-9)
    assert metrics["eval/accuracy/ci_high"] == pytest.approx(mean + half, rel=1e-9)
    assert "eval/accuracy" not in metrics and not group["parent"].data.params
    history = store(group["root"]).get_metric_history(group["parent"].info.run_id, "eval/accuracy/n")
    assert sorted((m.step, m.value) for m in history) == [(1, 1.0), (2, 2.0), (3, 3.0)]  # live, per child


def test_reproducing_a_child_replays_its_seed_exactly(group: dict[str, Any]) -> None:
    child = children_of(group["runs"], group["parent"].info.run_id)[1]
    location = resolve_store(JupyterExp(root=str(group["root"])))
    result = reproduce_blocking(child.info.run_id, location, ReproduceOptions())
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert result.plan.target.seed == 1
    reproduced = store(group["root"]).get_run(result.run_id)
    assert reproduced.data.metrics["eval/accuracy"] == child.data.metrics["eval/accuracy"]
    assert "mlflow.parentRunId" not in reproduced.data.tags  # the replay is one run, not a group


def test_reproducing_the_parent_replays_every_child(group: dict[str, Any]) -> None:
    location = resolve_store(JupyterExp(root=str(group["root"])))
    parent_id = group["parent"].info.run_id
    result = reproduce_group(
        parent_id, location, lambda run_id: reproduce_blocking(run_id, location, ReproduceOptions())
    )
    assert result is not None and result.seeds == [3, 1, 2]
    assert [r.verdict.verdict for r in result.reproductions] == ["exact"] * 3
    assert result.verdict == "exact" and result.summary == "3 children replayed: 3 exact"
    originals = [r.original_id for r in result.reproductions]
    assert originals == [c.info.run_id for c in children_of(group["runs"], parent_id)]
    assert reproduce_group(originals[0], location, lambda run_id: None) is None  # a child is no group


def test_noise_band_from_other_seeds(group: dict[str, Any]) -> None:
    """A reproduction that matched; the band measured over two other seeds is the t-based one."""
    child = children_of(group["runs"], group["parent"].info.run_id)[0]
    location = resolve_store(JupyterExp(root=str(group["root"])))
    check = check_noise(
        child.info.run_id,
        3,
        2,
        ReproduceOptions(),
        lambda run_id, options: reproduce_blocking(run_id, location, options),
    )
    assert check.verdict == "exact" and len(check.noise) == 2 and 3 not in check.seeds
    assert [r.verdict.verdict for r in check.noise] == ["varied", "varied"]
    assert [r.plan.target.seed for r in check.noise] == check.seeds
    row = next(r for r in check.rows if r.key == "eval/accuracy")
    values = [expected_accuracy(s) for s in check.seeds]
    assert row.status == MATCHED and row.difference == 0.0
    assert row.band == pytest.approx(stats.t.ppf(0.975, 1) * np.std(values, ddof=1) * math.sqrt(2), rel=1e-9)
    assert check.line.startswith("exact: the reproduction matched (seed-noise band of eval/accuracy")
    assert WITHIN != BEYOND


def test_repeat_draws_and_records_its_seeds(project: Path, kernel_session: OpenKernel) -> None:
    notebook = project / "repeat.ipynb"
    sources = [
        "%load_ext jupyter_exp",
        "%%track --repeat 2 --quiet\nimport jupyter_exp, random\njupyter_exp.log(x=random.random())",
    ]
    ids = write_notebook(notebook, sources)
    session = kernel_session(project, notebook)
    for source, cell_id in zip(sources, ids, strict=True):
        assert session.run(source, cell_id)[0]["status"] == "ok"
    session.close()
    runs = all_runs(store(project))
    parent = next(r for r in runs if "jupyter_exp.group.seeds" in r.data.tags)
    children = children_of(runs, parent.info.run_id)
    seeds = parent.data.tags["jupyter_exp.group.seeds"].split(",")
    assert parent.data.tags["jupyter_exp.group.seeds_drawn"] == "true"
    assert [c.data.tags["jupyter_exp.seed"] for c in children] == seeds and len(set(seeds)) == 2
    history = artifact_json(store(project), children[1].info.run_id, "history.json")
    assert history[-1]["source"].startswith("%%track --repeat 2")


BAD_LINES = [
    ("--seeds 0,x", "'x' is not an integer"),
    ("--seeds 1,1", "seed 1 is given twice"),
    ("--seeds -1", "between 0 and 2**32 - 1"),
    ("--repeat 0", "--repeat must be between 1"),
    ("--seeds 0,1 --repeat 2", "cannot be used together"),
    ("--seeds 0,1 --seed 3", "drop --seed and --no-seed"),
    ("--repeat 2 --no-seed", "drop --seed and --no-seed"),
    ("--repeat 2 --config nothing", "--config nothing: no variable"),
    ("--seeds 0,1 --name a{nope}", "--name refers to {nope}"),
]


def test_bad_group_options_are_one_line_errors_and_create_nothing(
    project: Path, kernel_session: OpenKernel
) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    for line, message in BAD_LINES:
        _, outputs = session.run(f"%%track {line}\nran = True")
        shown = "".join(o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stderr")
        assert shown.startswith("UsageError: ") and message in shown, (
            line,
            shown,
        )  # however it is chunked
        assert shown.count("\n") == 1, line  # one line
        printed = session.run("print('ran' in globals())")[1]
        assert "".join(o.get("text", "") for o in printed) == "False\n", line  # the cell did not run
    session.close()
    assert all_runs(store(project)) == []


def test_interrupt_stops_at_the_current_child(project: Path, kernel_session: OpenKernel) -> None:
    """Child 0 finishes, child 1 is interrupted while it runs: child 1 KILLED, child 2 never starts, the
    parent KILLED with child 0's statistics."""
    marks = project / "marks"
    marks.mkdir()
    cell = (
        "%%track --seeds 5,6,7 --name slow\n"
        "import pathlib, time, jupyter_exp\n"
        f"marks = pathlib.Path({str(marks)!r})\n"
        "n = len(list(marks.iterdir()))\n"
        "(marks / str(n)).touch()\n"
        "jupyter_exp.log(value=float(n))\n"
        "while n == 1:\n"
        "    time.sleep(0.05)"
    )
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    msg_id = session.send(cell)
    deadline = time.monotonic() + 120
    while not (marks / "1").exists():  # the second child is running
        assert time.monotonic() < deadline, "the second child never started"
        time.sleep(0.05)
    session.km.interrupt_kernel()
    _, outputs = session.wait(msg_id)
    session.settle()
    assert [o["ename"] for o in outputs if o["type"] == "error"] == ["KeyboardInterrupt"]
    session.close()
    parent, children = the_group(project)
    assert children == [("5", "FINISHED"), ("6", "KILLED")]
    assert parent.info.status == "KILLED" and parent.data.tags["jupyter_exp.group.finished"] == "1"
    assert parent.data.metrics["value/mean"] == 0.0 and parent.data.metrics["value/n"] == 1
    assert "value/std" not in parent.data.metrics  # one seed: no spread
    assert sorted(p.name for p in marks.iterdir()) == ["0", "1"]


def test_reproduce_magic_on_the_parent_and_with_noise(
    group: dict[str, Any], kernel_session: OpenKernel
) -> None:
    """Through ``%reproduce``: the parent replays its children; ``--noise 2`` on a child weighs it and tags the
    reproduction; a bad ``--noise`` is a one-line UsageError."""
    parent_id = group["parent"].info.run_id
    child = children_of(group["runs"], parent_id)[2]
    session = kernel_session(group["root"])
    session.run("%load_ext jupyter_exp")
    outputs = session.run(f"%reproduce {parent_id}")[1]
    results = [o["data"]["text/plain"] for o in outputs if o["type"] == "execute_result"]
    assert len(results) == 1 and results[0].startswith(f"[jupyter-exp] EXACT: group fit-h8 ({parent_id})")
    assert "3 children replayed: 3 exact" in results[0]
    for line, message in [
        (f"{child.info.run_id} --noise 1", "--noise takes 2 to 100 other seeds, got 1"),
        (f"{parent_id} --noise 2", "reproduce one child of this seed group with --noise"),
        (f"{child.info.run_id} --noise 2 --dry-run", "cannot be combined with --dry-run"),
    ]:
        outputs = session.run(f"%reproduce {line}")[1]
        shown = "".join(o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stderr")
        assert shown.startswith("UsageError: ") and message in shown, (line, outputs)
    outputs = session.run(f"%reproduce {child.info.run_id} --noise 2")[1]
    results = [o["data"]["text/plain"] for o in outputs if o["type"] == "execute_result"]
    assert len(results) == 1 and "seed noise (2 other seeds" in results[0], outputs
    session.close()
    client = store(group["root"])
    tagged = [r for r in all_runs(client) if "jupyter_exp.reproduction.noise" in r.data.tags]
    assert len(tagged) == 1 and tagged[0].data.tags["jupyter_exp.reproduced_from"] == child.info.run_id
    assert tagged[0].data.tags["jupyter_exp.reproduction.noise"].startswith("exact: the reproduction matched")


def test_a_failing_child_stops_the_group(project: Path, kernel_session: OpenKernel) -> None:
    """The cell raises on its second seed: that child FAILED, the third never runs, the parent FAILED, and the
    error reaches the user as it would untracked."""
    cell = (
        "%%track --seeds 1,2,3 --name flaky\n"
        "import jupyter_exp\n"
        "calls = globals().get('calls', 0) + 1\n"
        "jupyter_exp.log(calls=float(calls))\n"
        "if calls == 2:\n"
        "    raise ValueError('bad seed')"
    )
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    outputs = session.run(cell)[1]
    assert [(o["ename"], o["evalue"]) for o in outputs if o["type"] == "error"] == [
        ("ValueError", "bad seed")
    ]
    session.close()
    parent, children = the_group(project)
    assert children == [("1", "FINISHED"), ("2", "FAILED")]
    assert parent.info.status == "FAILED" and parent.data.tags["jupyter_exp.group.finished"] == "1"
    assert parent.data.metrics["calls/mean"] == 1.0


def test_a_divergence_smaller_than_seed_noise_is_said_to_be_within_it(
    project: Path, kernel_session: OpenKernel
) -> None:
    """The cell's input file changes by 1e-4 after the run: the reproduction diverges by that much, while other
    seeds move the metric by about 3e-3, so the difference lies within seed noise; a change of 1 does not."""
    data = project / "offset.txt"
    data.write_text("0")
    cell = (
        "%%track --seed 3 --name noisy\n"
        "import numpy as np, pathlib, jupyter_exp\n"
        "offset = float(pathlib.Path('offset.txt').read_text())\n"
        "jupyter_exp.log(acc=0.8 + 0.01 * np.random.rand() + offset)"
    )
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    assert not [o for o in session.run(cell)[1] if o["type"] == "error"]
    session.close()
    run = all_runs(store(project))[0]
    location = resolve_store(JupyterExp(root=str(project)))

    def replay(run_id: str, options: ReproduceOptions) -> Any:
        return reproduce_blocking(run_id, location, options)

    data.write_text("0.0001")
    check = check_noise(run.info.run_id, 3, 3, ReproduceOptions(), replay)
    row = check.rows[0]
    values = [expected_accuracy(s) + 0.0001 for s in check.seeds]
    assert check.verdict == "diverged" and row.status == WITHIN
    assert row.difference == pytest.approx(0.0001, abs=1e-12)
    assert row.band == pytest.approx(stats.t.ppf(0.975, 2) * np.std(values, ddof=1) * math.sqrt(2), rel=1e-9)
    assert check.line == f"diverged, but within seed noise: acc |d| = 0.0001 < band {row.band:.3g}"

    data.write_text("1")
    beyond = check_noise(run.info.run_id, 3, 2, ReproduceOptions(), replay)
    assert beyond.rows[0].status == BEYOND and beyond.line.startswith(
        "diverged beyond seed noise: acc |d| = 1 ≥"
    )
