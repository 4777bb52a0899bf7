"""The replay plan from a record: order, skipped entries, removed installs, --set overrides."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jupyter_exp.capture import rng_codec
from jupyter_exp.reproduce.errors import OverrideError
from jupyter_exp.reproduce.plan import build_plan
from jupyter_exp.reproduce.record import RunRecord

TARGET = '%%track --name t{lr}\nlr = 0.1  # step size\nconfig = {"opt": {"momentum": 0.9}}\nprint(lr, epochs)'


def record(history: list[dict[str, Any]], config: dict[str, Any] | None = None, **tags: str) -> RunRecord:
    run = SimpleNamespace(
        info=SimpleNamespace(run_id="r1", run_name="t-1", experiment_id="1"),
        data=SimpleNamespace(tags={"jupyter_exp.seed": "5", **tags}),
    )
    states = {e["execution_count"]: rng_codec.dumps({"random": random.getstate()}) for e in history[1:]}
    return RunRecord(
        run=run, history=history, files=Path("/nonexistent"), config=config or {}, rng_history=states
    )


def entry(count: int, source: str, success: bool | None = True, **extra: Any) -> dict[str, Any]:
    return {"execution_count": count, "cell_id": f"c{count}", "source": source, "success": success, **extra}


HISTORY = [
    entry(1, "%load_ext jupyter_exp", None),
    entry(2, "!pip install -q tqdm\nimport random\nepochs = 3"),
    entry(3, "%pip install numpy"),
    entry(4, "raise ValueError('typo')", False),
    entry(5, "%load_ext autoreload"),
    entry(6, "%load_ext autoreload"),
    entry(7, "%reproduce abc"),
    entry(8, "%%track --seed 11\nx = random.random()", seed=11),
    entry(9, TARGET),
]
CONFIG = {
    "lr": {"value": 0.1, "source": "cell"},
    "config": {"value": {"opt": {"momentum": 0.9}}, "source": "cell"},
    "epochs": {"value": 3, "source": "namespace"},
    "extra": {"value": 1, "source": "--param"},
}


def test_history_order_with_skips_and_removed_install_lines() -> None:
    plan = build_plan(record(HISTORY, CONFIG))
    assert [s.execution_count for s in plan.steps] == [2, 5, 8, 9]
    reasons = {s.execution_count: s.reason for s in plan.skipped}
    assert reasons == {
        1: "jupyter_exp is loaded by the replay",
        3: "package install",
        4: "failed originally",
        6: "%load_ext autoreload again",
        7: "%reproduce",
    }
    assert plan.steps[0].source == "import random\nepochs = 3"
    assert plan.steps[0].removed_lines == ["!pip install -q tqdm"]
    earlier, target = plan.steps[2], plan.steps[3]
    assert earlier.tracked and not earlier.target and earlier.seed == 11
    assert target.tracked and target.target and target.seed == 5
    assert plan.without_rng_state == []


def test_entries_without_recorded_state_are_listed() -> None:
    source = record(HISTORY, CONFIG)
    source.rng_history.pop(2)
    assert build_plan(source).without_rng_state == [2]


def test_set_rewrites_the_cell_literal_and_keeps_the_rest_of_the_line() -> None:
    plan = build_plan(record(HISTORY, CONFIG), {"lr": 0.02, "config.opt.momentum": 0.5})
    assert plan.target.source == (
        "%%track --name t{lr}\nlr = 0.02  # step size\nconfig = {'opt': {'momentum': 0.5}}\nprint(lr, epochs)"
    )
    assert [o.describe() for o in plan.overrides] == ["lr: 0.1 → 0.02", "config.opt.momentum: 0.9 → 0.5"]


def test_two_sets_inside_one_config_literal_both_apply() -> None:
    config = {**CONFIG, "config": {"value": {"opt": {"momentum": 0.9, "nesterov": False}}, "source": "cell"}}
    history = [*HISTORY[:-1], entry(9, TARGET.replace("0.9}}", '0.9, "nesterov": False}}'))]
    plan = build_plan(record(history, config), {"config.opt.momentum": 0.5, "config.opt.nesterov": True})
    assert "config = {'opt': {'momentum': 0.5, 'nesterov': True}}" in plan.target.source
    assert [o.describe() for o in plan.overrides] == [
        "config.opt.momentum: 0.9 → 0.5",
        "config.opt.nesterov: False → True",
    ]


def test_set_on_a_namespace_value_is_assigned_before_the_cell() -> None:
    plan = build_plan(record(HISTORY, CONFIG), {"epochs": 5})
    assert plan.target.assign == {"epochs": 5} and plan.target.source == TARGET
    assert plan.overrides[0].where == "namespace"


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"momentum": 1}, "not a captured parameter of this run (captured: config, epochs, extra, lr)"),
        ({"config.opt.nesterov": True}, "not a captured parameter"),
        (
            {"opt.momentum": 0.5},
            "not a captured parameter of this run (captured: config, epochs, extra, lr); did you mean config.opt.momentum?",
        ),
        ({"extra": 2}, "it came from --param"),
    ],
)
def test_bad_set_is_one_clear_error(sets: dict[str, Any], message: str) -> None:
    with pytest.raises(OverrideError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_plan(record(HISTORY, CONFIG), sets)


def test_recorded_states_travel_as_checked_json() -> None:
    source = record(HISTORY, CONFIG)
    decoded = rng_codec.loads(source.rng_states(2))
    assert decoded["random"] == random.getstate()
    assert source.rng_states(1) is None


def test_read_only_jupyter_exp_magics_are_not_replayed_unless_their_value_is_read() -> None:
    history = [
        entry(1, "%load_ext jupyter_exp", None),
        entry(2, "import random"),
        entry(3, "%runs --limit 1"),
        entry(4, "%compare a b --no-chart\n%runs"),
        entry(5, "table = %runs --limit 3"),  # assigned: the slice decides, as for any binding
        entry(6, "%runs --all\nx = 1"),  # not only the magic
        entry(7, TARGET),
    ]
    for sliced in (False, True):
        plan = build_plan(record(history, CONFIG), sliced=sliced)
        reasons = {s.execution_count: s.reason for s in plan.skipped}
        assert reasons[3] == reasons[4] == "read-only jupyter_exp magic"
        assert 5 not in reasons or reasons[5].startswith("not in the slice")
    assert [s.execution_count for s in build_plan(record(history, CONFIG)).steps] == [2, 5, 6, 7]
    # a later cell reads the output history: the magic's value may be what it reads
    reading = [*history[:-1], entry(7, "previous = _"), entry(8, TARGET)]
    plan = build_plan(record(reading, CONFIG))
    assert [s.execution_count for s in plan.steps] == [2, 3, 4, 5, 6, 7, 8]
