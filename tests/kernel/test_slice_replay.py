"""``%reproduce --slice``: only the tracked cell's dependency slice is replayed, in a fresh kernel, with the
recorded generator states; a slice that misses a dependency falls back to the full history."""

from __future__ import annotations

from typing import Any

import pytest
from mlflow.entities import ViewType

from jupyter_exp import record_schema as schema
from jupyter_exp.ipython.widgets import plan_text
from tests.support.kernels import OpenKernel, all_runs, artifact_json, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel

SOURCES = [
    "%load_ext jupyter_exp",
    "import json\nimport numpy as np",
    "rng = np.random.default_rng(1)\nscale = 2.0",
    "scale = 3.0",  # run before the cell above: the slice keeps the last binding, not this one
    "import math\nunused = rng.normal(size=1000)\nslow = math.fsum(range(10))",  # consumes rng: only its import runs
    "items = [1.0]",
    "items.append(scale)",  # a mutation through a method call
    "with open('data.json', 'w') as f:\n    json.dump({'offset': 0.25}, f)",  # written, read by the run
    "np.random.rand(5)",  # consumes the global generator: skipped
    "%%track --name sliced\nwith open('data.json') as f:\n    offset = json.load(f)['offset']\n"
    "value = float(rng.normal()) * scale + sum(items) + offset + float(np.random.rand())\n"
    "print('value', value)",
    "alias = items",  # aliasing the slicer cannot see: the fallback's case
    "alias.append(100.0)",
    "%%track --name aliased\ntotal = sum(items) + float(np.random.rand())\nprint('total', total)",
]
ORDER = [0, 1, 3, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("slice"))
    return record_session(root, SOURCES, ORDER)


def test_the_dry_run_says_what_the_slice_replays_and_why_it_skips_the_rest(recorded: dict[str, Any]) -> None:
    run = recorded["runs"]["sliced"]
    result = reproduce(recorded["root"], run.info.run_id, dry_run=True, slice=True)
    plan = result.plan
    assert plan.describe() == "replays 7 of 10 cells (the tracked cell's slice)"
    assert [s.execution_count for s in plan.steps] == [2, 4, 5, 6, 7, 8, 10]
    assert plan.steps[2].imports_only and plan.steps[2].source == "import math\n"
    reasons = {s.execution_count: s.reason for s in plan.sliced_out}
    assert sorted(reasons) == [3, 9]
    assert reasons[3] == "not in the slice: binds only scale, which the slice does not read"
    recorded_slice = artifact_json(store(recorded["root"]), run.info.run_id, schema.SLICE)
    assert recorded_slice["target"] == 10
    assert [c["execution_count"] for c in recorded_slice["cells"] if c["kept"]] == [2, 4, 5, 6, 7, 8]
    text = plan_text(result)
    assert "replays 7 of 10 cells" in text and "skipped [9] np.random.rand(5)" in text
    assert "only the imports of [5]" in text


def test_a_slice_replay_reproduces_exactly_from_the_recorded_generator_states(
    recorded: dict[str, Any],
) -> None:
    run = recorded["runs"]["sliced"]
    result = reproduce(recorded["root"], run.info.run_id, slice=True)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert result.plan.sliced and result.after_slice is None
    client = store(recorded["root"])
    assert client.get_run(result.run_id).data.tags[schema.REPRODUCTION_REPLAY] == "slice: 7 of 10 cells"
    document = artifact_json(client, result.run_id, schema.REPRODUCTION)
    assert document["replay"]["mode"] == "slice" and document["replayed"] == [2, 4, 5, 6, 7, 8, 10]


def test_a_slice_that_misses_a_dependency_falls_back_to_the_full_history(recorded: dict[str, Any]) -> None:
    run = recorded["runs"]["aliased"]
    result = reproduce(recorded["root"], run.info.run_id, slice=True, bisect_budget_s=0)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert not result.plan.sliced and len(result.plan.steps) == 12
    after = result.after_slice
    assert after["verdict"] == "diverged" and after["mattered"] is True
    assert {11, 12} <= set(after["left_out"])
    assert "a cell it left out mattered (one of " in result.verdict.summary
    assert "bisection skipped: switched off (JupyterExp.bisect_budget_s = 0)" in result.verdict.summary
    client = store(recorded["root"])
    full = client.get_run(result.run_id).data.tags
    assert full[schema.REPRODUCTION_REPLAY] == "full after slice: 12 of 13 cells"
    sliced = client.get_run(after["run_id"]).data.tags
    assert sliced[schema.REPRODUCTION_VERDICT] == "diverged"
    assert sliced[schema.REPRODUCTION_REPLAY].startswith("slice: ")


def test_the_magic_slices_by_default_and_takes_full(
    recorded: dict[str, Any], kernel_session: OpenKernel
) -> None:
    run_id = recorded["runs"]["sliced"].info.run_id
    session = kernel_session(recorded["root"], recorded["notebook"])
    session.run("%load_ext jupyter_exp")
    for line, expected in [
        ("--dry-run", "replays 7 of 10 cells (the tracked cell's slice)"),
        ("--dry-run --full", "replays 9 of 10 cells (the full history)"),
        ("--slice --full", "--slice and --full cannot be combined"),
    ]:
        outputs = session.run(f"%reproduce {run_id} {line}")[1]
        assert expected in "".join(o.get("text", "") + o.get("evalue", "") for o in outputs), (line, outputs)


# four cells the slice leaves out; one of them sorts `data` through the alias `view`, which the slicer
# cannot see (it reads `view.sort()` as changing `view`, a name the slice does not read)
BISECTED = [
    "%load_ext jupyter_exp",
    "data = [3.0, 1.0, 2.0]\nview = data",
    "unused = 10",
    "view.sort()",
    "other = [5, 4]\nother.sort()",
    "total = sum(range(100))",
    "%%track --name first\nfirst = data[0] * 2\nprint('first', first)",
]


def test_the_fallback_bisects_the_left_out_cells_to_the_one_that_mattered(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root = make_project(tmp_path_factory.mktemp("bisect"))
    recorded = record_session(root, BISECTED, list(range(len(BISECTED))))
    original = recorded["runs"]["first"].info.run_id
    result = reproduce(root, original, slice=True, bisect_budget_s=600)
    assert result.verdict.verdict == "exact", result.verdict.summary
    after = result.after_slice
    assert after["verdict"] == "diverged" and after["left_out"] == [3, 4, 5, 6]
    assert after["bisection"]["mattered"] == [{"execution_count": 4, "source": "view.sort()"}]
    assert after["bisection"]["replays"] == 3 and after["bisection"]["skipped"] is None
    assert (
        "left-out cell [4] `view.sort()` mattered (found by bisection in 3 replays" in result.verdict.summary
    )
    client = store(root)
    document = artifact_json(client, result.run_id, schema.REPRODUCTION)
    assert document["replay"]["after_slice"]["bisection"] == after["bisection"]
    # the probes' runs were compared and deleted: the slice's and the full replay's runs remain
    reproductions = [r for r in all_runs(client) if r.data.tags.get(schema.REPRODUCED_FROM) == original]
    assert sorted(r.info.run_id for r in reproductions) == sorted([result.run_id, after["run_id"]])
    deleted = client.search_runs(
        [r.info.experiment_id for r in reproductions][:1], run_view_type=ViewType.DELETED_ONLY
    )
    assert sorted(r.data.tags[schema.REPRODUCTION_REPLAY] for r in deleted) == [
        "bisection probe: the slice and [3]",
        "bisection probe: the slice and [3], [4]",
        "bisection probe: the slice and [4]",
    ]
