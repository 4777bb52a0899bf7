"""The filter box's language over a real SQLite store: free words, bare ``key=value``, keys with ``/``,
MLflow's own syntax, and one-line errors that say how to write a filter."""

from __future__ import annotations

import os

import pytest
from mlflow import MlflowClient

from jupyter_exp.config import JupyterExp
from jupyter_exp.errors import BadRequest
from jupyter_exp.query.listing import RunQuery, list_runs
from jupyter_exp.query.runs_table import runs
from jupyter_exp.query.search_text import FilterError, translate


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, template_store) -> tuple[MlflowClient, str]:  # type: ignore[no-untyped-def]
    import shutil

    db = tmp_path_factory.mktemp("search") / "mlflow.db"
    shutil.copyfile(template_store, db)
    client = MlflowClient(f"sqlite:///{db}")
    experiment = client.create_experiment("nb.ipynb", artifact_location=str(db.parent / "artifacts"))
    for name, lr, mse, note in (("mlp-lr0.2", "0.2", 0.25, "a wider layer"), ("cnn-lr0.05", "0.05", 0.5, "")):
        run = client.create_run(experiment, run_name=name, tags={"mlflow.note.content": note} if note else {})
        client.log_param(run.info.run_id, "lr", lr)
        client.log_metric(run.info.run_id, "train/mse", mse)
        client.log_metric(run.info.run_id, "acc", 1 - mse)
        client.set_terminated(run.info.run_id)
    return client, f"sqlite:///{db}"


def names(client: MlflowClient, text: str) -> list[str]:
    found, _ = list_runs(client, RunQuery(filter=text))
    return sorted(run["run_name"] for run in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=0.2", ["mlp-lr0.2"]),  # was: Invalid attribute key 'lr'
        ("mlp-lr0.2", ["mlp-lr0.2"]),  # was: Invalid clause(s)
        ("LR0.05", ["cnn-lr0.05"]),  # free words ignore case
        ("wider", ["mlp-lr0.2"]),  # a tag's value
        ("lr=0.05 and cnn", ["cnn-lr0.05"]),
        ("metrics.train/mse < 0.3", ["mlp-lr0.2"]),  # was: no hint about backticks
        ("train/mse >= 0.3", ["cnn-lr0.05"]),  # a bare key compared: a metric
        ("acc = 0.75", ["mlp-lr0.2"]),  # a bare key the runs have as a metric
        ("params.lr = '0.05'", ["cnn-lr0.05"]),  # MLflow's syntax as it is
        ("params.lr = 0.05", ["cnn-lr0.05"]),  # a param's value quoted for it
        ("metrics.`train/mse` < 0.3 and status = 'FINISHED'", ["mlp-lr0.2"]),
        ("nothing-like-this", []),
    ],
)
def test_the_filter_box_language_on_the_sidebars_listing(
    store: tuple[MlflowClient, str], text: str, expected: list[str]
) -> None:
    assert names(store[0], text) == expected


@pytest.mark.parametrize(
    "text", ["lr >", "metrics.acc < high", "params.lr < 0.1", "lr = 'x", "metrics.acc <> 1"]
)
def test_a_filter_that_cannot_be_read_is_one_line_with_an_example(
    store: tuple[MlflowClient, str], text: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        names(store[0], text)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("filter: ") and "e.g. lr=0.2" in message, message


def test_free_words_page_through_the_runs_until_enough_match(store: tuple[MlflowClient, str]) -> None:
    found, _ = list_runs(store[0], RunQuery(filter="cnn", max_results=1, order="run_name DESC"))
    assert [r["run_name"] for r in found] == ["cnn-lr0.05"]  # the first run (mlp) did not match

    seen, token = [], None  # pages of one: every match once, in order, then no token
    for _ in range(4):
        page, token = list_runs(
            store[0], RunQuery(filter="LR", max_results=1, order="run_name ASC", page_token=token)
        )
        seen += [r["run_name"] for r in page]
        if token is None:
            break
    assert seen == ["cnn-lr0.05", "mlp-lr0.2"] and token is None


def test_runs_frame_speaks_the_same_language(
    store: tuple[MlflowClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = JupyterExp(tracking_uri=store[1])
    assert list(runs(filter_string="lr=0.2", settings=settings)["tags.mlflow.runName"]) == ["mlp-lr0.2"]
    assert list(runs(filter_string="cnn", settings=settings)["tags.mlflow.runName"]) == ["cnn-lr0.05"]
    assert "MLFLOW_TRACKING_URI" not in os.environ  # the search left no store behind for the process
    with pytest.raises(FilterError, match=r"e\.g\. lr=0\.2"):
        runs(filter_string="metrics.acc < high", settings=settings)


def test_translation_keeps_mlflow_syntax_and_adds_backticks_and_quotes() -> None:
    search = translate("tags.mlflow.source.name LIKE '%nb%' and h=128 and mlp", lambda key, op: "params")
    assert search.clauses == ["tags.`mlflow.source.name` LIKE '%nb%'", "params.h = '128'"]
    assert search.words == ["mlp"]
