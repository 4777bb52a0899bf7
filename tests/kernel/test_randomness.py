"""Randomness beyond the global generators comes back on replay: generator objects bound to names in
earlier cells, and fresh entropy drawn inside the tracked cell; entropy that cannot come back is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import OpenKernel, all_runs, make_project, store
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel


def recorded(tmp_path: Path, *cells: str) -> tuple[Path, str]:
    root = make_project(tmp_path)
    session = record_session(root, ["%load_ext jupyter_exp", *cells], list(range(len(cells) + 1)))
    (run,) = session["runs"].values()
    return root, run.info.run_id


GENERATOR_CELLS = [
    "import random\nimport numpy as np\nrng = np.random.default_rng()\nr = random.Random()\n"
    "legacy = np.random.RandomState()\nholder = {'gen': np.random.default_rng()}",
    "warmup = rng.normal(size=3)",  # the generator moved on in an untracked cell
    "%%track --name uses-generators\nimport jupyter_exp\n"
    "jupyter_exp.log(step=0, a=float(rng.normal()), b=r.random(), c=float(legacy.rand()),"
    " d=float(holder['gen'].random()))\nprint(rng.integers(1000, size=4), r.randint(0, 1000))",
]


def test_generators_bound_in_earlier_cells_come_back(tmp_path: Path) -> None:
    root, run_id = recorded(tmp_path, *GENERATOR_CELLS)
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [m.key for m in result.verdict.metrics] == ["a", "b", "c", "d"]


FRESH_ENTROPY_CELL = (
    "%%track --name fresh-entropy\nimport random\nimport numpy as np\nimport torch\nimport jupyter_exp\n"
    "def mixture_rvs(n, rng=None):  # as statsmodels does: a generator of its own when none is given\n"
    "    rng = np.random.default_rng(rng)\n    return rng.normal(size=n)\n"
    "g = torch.Generator()\ng.seed()\n"
    "jupyter_exp.log(step=0, mixture=float(mixture_rvs(5).sum()), seq=float(np.random.SeedSequence().entropy % 997),"
    " rand=random.Random().random(), torch=float(torch.rand(2, generator=g).sum()))"
)


def test_fresh_entropy_inside_the_tracked_cell_is_derived_from_its_seed(tmp_path: Path) -> None:
    root, run_id = recorded(tmp_path, FRESH_ENTROPY_CELL)
    assert "jupyter_exp.entropy.unreplayable" not in store(root).get_run(run_id).data.tags
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert [m.key for m in result.verdict.metrics] == ["mixture", "rand", "seq", "torch"]


CARD_TEXT = "import ipywidgets\nprint([w.card.text() for w in ipywidgets.widgets.widget._instances.values() if hasattr(w, 'card')][-1])"
URANDOM_CELL = (
    "%%track --name urandom\nimport os\nimport jupyter_exp\njupyter_exp.log(step=0, key=os.urandom(4)[0])"
)


def test_entropy_a_replay_cannot_reproduce_is_said_at_record_time_and_in_the_verdict(
    tmp_path: Path, kernel_session: OpenKernel
) -> None:
    root = make_project(tmp_path)
    session = kernel_session(root)
    session.run("%load_ext jupyter_exp")
    reply, _ = session.run(URANDOM_CELL)
    assert reply["status"] == "ok", reply
    _, shown = session.run(CARD_TEXT)
    session.close()
    assert "the cell read entropy a replay cannot reproduce: os.urandom (1 call)" in shown[0]["text"]
    (run,) = all_runs(store(root))
    assert run.data.tags["jupyter_exp.entropy.unreplayable"] == "os.urandom (1 call)"
    result = reproduce(root, run.info.run_id)
    assert result.verdict.verdict in ("diverged", "exact"), result.verdict.summary  # exact: 1 in 256
    assert "the cell read entropy a replay cannot reproduce: os.urandom (1 call)" in result.verdict.summary
