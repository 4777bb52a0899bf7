"""``%runs`` and ``%compare`` in a real kernel over runs that real ``%%track`` cells recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.kernels import KernelSession, all_runs, make_project, store, write_notebook

pytestmark = pytest.mark.kernel

SEEDS = (0, 1, 2, 3)
# the metric depends on lr and, through the seeded global generator, on the seed alone
CELL = """%%track --seed {seed} --quiet
import random
import jupyter_exp
lr = {lr}
noise = random.random() * 0.01
for step in range(30):
    jupyter_exp.log(step=step, **{{"eval/acc": (0.5 + lr) * (step + 1) / 30 + noise}})"""


def _text(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        data = output.get("data", {})
        parts += [output.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")]
        parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def _ok(outputs: list[dict[str, Any]]) -> str:
    """The text of a cell that raised nothing (execute replies are not matched by id here: use outputs)."""
    text = _text(outputs)
    assert not any(o["type"] == "error" for o in outputs) and "UsageError" not in text, text
    return text


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = make_project(tmp_path_factory.mktemp("compare"))
    notebook = root / "lrs.ipynb"
    sources = ["%load_ext jupyter_exp"] + [CELL.format(seed=s, lr=lr) for lr in (0.05, 0.3) for s in SEEDS]
    ids = write_notebook(notebook, sources)
    session = KernelSession(root, notebook)
    for _, outputs in session.run_cells(sources, ids):
        _ok(outputs)
    return {"root": root, "session": session, "runs": all_runs(store(root))}


@pytest.fixture(scope="module", autouse=True)
def _close(recorded: dict[str, Any]):
    yield
    recorded["session"].close()


def test_runs_shows_this_notebooks_latest_runs(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    text = _ok(session.run("%runs --limit 3")[1])
    newest = sorted(recorded["runs"], key=lambda r: r.info.start_time)[-3:]
    assert all(run.info.run_id[:8] in text for run in newest)
    oldest = sorted(recorded["runs"], key=lambda r: r.info.start_time)[0]
    assert oldest.info.run_id[:8] not in text
    assert "eval/acc" in text and "seed" in text
    _, outputs = session.run("%runs --status FAILED")
    assert "Empty DataFrame" in _text(outputs)


def test_bad_input_is_one_usage_error(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    for line, message in (
        ("%runs --status BOGUS", "unknown status 'BOGUS'"),
        ("%runs --limit 0", "--limit must be at least 1"),
        ("%compare only-one", "needs at least two runs or groups"),
        ("%compare nope-1 nope-2", "no run or group with id 'nope-1'"),
        ("%compare a b --save chart.gif", "--save takes a .png, .svg or .html"),
    ):
        _, outputs = session.run(line)
        shown = [line for line in _text(outputs).splitlines() if line.strip()]
        assert len(shown) == 1 and shown[0].startswith("UsageError: ") and message in shown[0], (line, shown)


def test_compare_two_groups_shows_statistics_chart_and_differences(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    root: Path = recorded["root"]
    _, outputs = session.run(
        "import jupyter_exp\n"
        "slow = jupyter_exp.group({'lr': '0.05'})\n"
        "fast = jupyter_exp.group({'lr': '0.3'})\n"
        "print(len(slow), len(fast))"
    )
    assert "4 4" in _ok(outputs)
    _, outputs = session.run(f"%compare slow fast --save {root / 'c.png'} --save {root / 'c.svg'}")
    text = _ok(outputs)
    assert "eval/acc" in text and "better" in text and "paired by seed" in text
    assert "fewer than 5 seeds per side" in text and "BCa is unstable" in text
    assert "lr" in text and "0.05" in text and "0.3" in text
    [svg] = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert "lr=0.3" in svg and "eval/acc" in svg and "<path" in svg  # the curves, their legend and panel
    assert any(k.startswith("application/vnd.vegalite") for o in outputs for k in o.get("data", {}))
    assert "Tracked cell" in text and "-lr = 0.05" in text and "+lr = 0.3" in text
    assert (root / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "lr=0.3" in (root / "c.svg").read_text()


def test_the_api_gives_the_same_verdict_and_a_frame(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    ids = sorted(recorded["runs"], key=lambda r: r.info.start_time)
    slow = ",".join(r.info.run_id for r in ids[:4])
    _, outputs = session.run(
        "import jupyter_exp\n"
        f"c = jupyter_exp.compare('{slow}'.split(','), jupyter_exp.group('{ids[-1].info.run_id}'))\n"
        "print(c.verdict('eval/acc'), list(c.to_frame()['n_b']))\n"
        "same = jupyter_exp.compare(jupyter_exp.group({'lr': '0.05'}), '" + slow + "'.split(','))\n"
        "print(same.verdict('eval/acc'))\n"
        "one = jupyter_exp.compare('" + ids[0].info.run_id + "', '" + ids[-1].info.run_id + "')\n"
        "print(one.verdict('eval/acc'))"
    )
    text = _ok(outputs)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0] == "better [4]"
    assert lines[1] == "no evidence at 4 seeds"
    assert lines[2].startswith("no statistics possible (1 run per side")


def test_compare_two_seed_group_parents(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    root: Path = recorded["root"]
    body = CELL.split("\n", 1)[1]
    for lr in (0.05, 0.3):
        _ok(session.run(f"%%track --seeds 0,1,2,3 --quiet\n{body.format(lr=lr)}")[1])
    parents = [r for r in all_runs(store(root)) if "jupyter_exp.group.seeds" in r.data.tags]
    assert len(parents) == 2
    first, second = (p.info.run_id for p in parents)
    text = _ok(session.run(f"%compare {first} {second} --no-chart")[1])
    names = [p.info.run_name for p in parents]
    assert f"{names[0]} (4 runs) vs {names[1]} (4 runs)" in text  # each parent stands for its 4 children
    assert "lr: 0.05 | 0.3" in text
    assert "better" in text and "paired by seed" in text
    assert "image/svg+xml" not in text


def test_the_short_ids_runs_prints_are_taken_by_compare_and_reproduce(recorded: dict[str, Any]) -> None:
    session: KernelSession = recorded["session"]
    first, last = sorted(recorded["runs"], key=lambda r: r.info.start_time)[:: len(recorded["runs"]) - 1]
    short = [run.info.run_id[:8] for run in (first, last)]
    assert all(s in _ok(session.run("%runs --all --limit 20")[1]) for s in short)
    compared = _ok(session.run(f"%compare {short[0]} {short[1]} --no-chart")[1])
    assert "eval/acc" in compared
    planned = _ok(session.run(f"%reproduce {short[0]} --dry-run")[1])
    assert first.info.run_id in planned
    _, outputs = session.run("%reproduce ffffff00 --dry-run")
    assert "no run with id 'ffffff00'" in _text(outputs)
