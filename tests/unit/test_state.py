"""Digests of the values a cell bound (state.json) and their comparison on replay."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LinearRegression

from jupyter_exp.capture.state import snapshot
from jupyter_exp.reproduce.bound import compare_bound
from jupyter_exp.reproduce.verify import Produced, Tolerance, verdict_from

CELL = "w = np.random.randn(6) + offset\nb = float(w.sum())\nfor step in range(2):\n    pass\nimport math\ndef f(): pass"


def state(namespace: dict, body: str = CELL) -> dict:
    return json.loads(json.dumps(snapshot(body, namespace).document()))  # as state.json holds it


def test_the_bound_names_are_digested_with_a_summary_and_small_elements() -> None:
    w = np.arange(6.0)
    document = state({"w": w, "b": float(w.sum()), "step": 1, "math": np, "f": print, "offset": 2})
    assert sorted(document["values"]) == ["b", "step", "w"]  # not modules, functions, nor names only read
    assert (
        document["values"]["w"]["type"] == "numpy.ndarray"
        and document["values"]["w"]["summary"] == "float64 (6,)"
    )
    assert document["values"]["w"]["elements"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert document == state({"w": np.arange(6.0), "b": 15.0, "step": 1})  # the same in another process


def test_a_later_in_place_change_does_not_reach_the_digest() -> None:
    w = np.zeros(3)
    taken = snapshot("w = np.zeros(3)", {"w": w})
    w += 1  # the next cell, while the digest is computed off the cell's path
    assert taken.document()["values"]["w"]["elements"] == [0.0, 0.0, 0.0]


def test_tensors_modules_frames_estimators_and_containers_are_digested() -> None:
    model = torch.nn.Linear(2, 1)
    fitted = LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0])
    namespace = {
        "t": torch.ones(2, dtype=torch.bfloat16),
        "m": model,
        "df": pd.DataFrame({"a": [1, 2]}),
        "est": fitted,
        "box": {"xs": [np.ones(2), (1, "a")], "tags": {"x", "y"}},
    }
    document = state(namespace, "t = m = df = est = box = None")
    assert sorted(document["values"]) == ["box", "df", "est", "m", "t"] and document["not_compared"] == {}
    with torch.no_grad():
        model.weight += 1
    fitted.coef_ = fitted.coef_ + 1
    changed = state({**namespace, "df": pd.DataFrame({"a": [1, 3]})}, "t = m = df = est = box = None")
    differs = {
        n for n in document["values"] if document["values"][n]["digest"] != changed["values"][n]["digest"]
    }
    assert differs == {"m", "df", "est"}


def test_what_cannot_be_digested_or_is_over_the_cap_is_listed_not_compared() -> None:
    class Opaque:
        pass

    document = snapshot(
        "o = big = objs = None",
        {"o": Opaque(), "big": np.zeros(1000), "objs": np.array([Opaque()])},
        max_bytes=4000,
    ).document()
    assert document["values"] == {}
    assert (
        document["not_compared"]["o"]
        == "a test_what_cannot_be_digested_or_is_over_the_cap_is_listed_not_compared.<locals>.Opaque"
    )
    assert document["not_compared"]["big"].startswith("0.0 MB, over the")
    assert document["not_compared"]["objs"] == document["not_compared"]["o"]  # by its elements


def test_changed_values_are_reported_by_name() -> None:
    original = state({"w": np.array([1.0, 2.0, 3.0]), "b": 6.0, "name": "a"}, "w = b = name = 1")
    replayed = state({"w": np.array([1.0, 2.001, 3.0]), "b": 6.0 + 1e-12, "name": "a"}, "w = b = name = 1")
    compared = {c.name: c for c in compare_bound(original, replayed, Tolerance().close)}
    assert compared["name"].status == "exact" and compared["b"].status == "close"
    assert (
        compared["w"].status == "diverged"
        and compared["w"].describe() == "w: 1 of 3 elements differ, max abs 0.001"
    )
    gone = compare_bound(original, state({"b": 6.0, "name": "a"}, "b = name = 1"), Tolerance().close)
    assert [c.describe() for c in gone if c.status == "diverged"] == ["w: not bound by the replay"]


def test_a_cell_that_only_binds_values_is_verified_by_them() -> None:
    body = "w = np.random.randn(6) + offset\nb = float(w.sum())"
    w = np.random.default_rng(0).standard_normal(6)
    original = Produced(state=state({"w": w, "b": float(w.sum())}, body))
    shifted = Produced(state=state({"w": w + 1, "b": float((w + 1).sum())}, body))
    verdict = verdict_from(original, shifted, Tolerance())
    assert verdict.verdict == "diverged" and verdict.compared["bound values"] == 2
    assert verdict.summary.startswith("bound value differs: b: 1 of 1 elements differ")
    same = verdict_from(original, original, Tolerance())
    assert same.verdict == "exact" and same.summary == "0 metrics and 2 bound values identical"


def test_clock_readings_bound_by_the_cell_are_not_compared() -> None:
    names = ["t0", "elapsed", "train_time", "start_time", "wall_s", "epoch_time_ms", "toc"]
    original = state(
        {name: 1.0 for name in names} | {"loss": 0.5, "start": 3},
        " = ".join([*names, "loss", "start"]) + " = 1",
    )
    replayed = state(
        {name: 2.0 for name in names} | {"loss": 0.5, "start": 3},
        " = ".join([*names, "loss", "start"]) + " = 1",
    )
    assert [c.name for c in compare_bound(original, replayed, Tolerance().close)] == ["loss", "start"]
    verdict = verdict_from(Produced(state=original), Produced(state=replayed), Tolerance())
    assert verdict.verdict == "exact" and verdict.not_compared == {name: "a clock reading" for name in names}


def _fits(kind: str, shift: float) -> object:
    """A model of ``kind`` fitted on data moved by ``shift`` (the same data for the same shift)."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    x = np.random.default_rng(0).normal(size=(30, 3))
    y = x.sum(axis=1) + shift
    if kind == "random forest":
        return RandomForestRegressor(n_estimators=4, random_state=0).fit(x, y)
    if kind == "grid search":
        return GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(x, y)
    if kind == "gaussian process":
        return GaussianProcessRegressor(random_state=0).fit(x, y)
    if kind == "xgboost":
        import xgboost

        return xgboost.XGBRegressor(n_estimators=4, max_depth=2, random_state=0).fit(x, y)
    if kind == "lightgbm":
        import lightgbm

        return lightgbm.LGBMRegressor(n_estimators=4, min_child_samples=2, verbose=-1).fit(x, y)
    if kind == "statsmodels":
        import statsmodels.api as sm

        return sm.OLS(y, sm.add_constant(x)).fit()

    class Net(torch.nn.Module):  # a subclass defined where it is used, as in a notebook
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(3, 1)

        def forward(self, batch: torch.Tensor) -> torch.Tensor:
            return self.layer(batch)

    torch.manual_seed(0)
    net = Net()
    loss = ((net(torch.tensor(x, dtype=torch.float32)).squeeze(1) - torch.tensor(y)) ** 2).mean()
    loss.backward()
    torch.optim.SGD(net.parameters(), lr=0.1).step()
    return net


@pytest.mark.parametrize(
    "kind",
    [
        "random forest",
        "grid search",
        "gaussian process",
        "nn.Module subclass",
        "xgboost",
        "lightgbm",
        "statsmodels",
    ],
)
def test_models_are_digested_by_what_they_learned(kind: str) -> None:
    """Issue 25: two fits on different data differ, two on the same data match (fit times aside)."""
    digests = [
        state({"model": _fits(kind, shift)}, "model = None")["values"]["model"]["digest"]
        for shift in (0, 0, 1)
    ]
    assert digests[0] == digests[1] and digests[0] != digests[2]


def test_names_bound_to_literals_are_inputs_not_results() -> None:
    body = 'formula = "y ~ x"\nfeatures = ["a", "b"]\nn = 3\nw = np.ones(n)\nprint(f"Formula: {formula}")'
    document = state({"formula": "y ~ x", "features": ["a", "b"], "n": 3, "w": np.ones(3)}, body)
    assert sorted(document["values"]) == ["w"]
    assert document["inputs"] == {"features": "['a', 'b']", "formula": "'y ~ x'", "n": "3"}
    assert "Formula: " in document["literal_texts"] and "y ~ x" in document["literal_texts"]


def test_a_constant_the_cell_chose_at_run_time_is_a_result_not_an_echo() -> None:
    body = 'label = "positive" if score > 0 else "negative"\nprint(label)\nprint("done")'
    document = state({"label": "positive"}, body)
    assert "positive" not in document["literal_texts"] and "done" in document["literal_texts"]
    assert sorted(document["values"]) == ["label"]
