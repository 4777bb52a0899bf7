"""A run without an artifact reads ``None``; an artifact store that cannot be read is an error that says so
(``ArtifactStoreError``, 502), never "not recorded": in the run detail, the compared cells and the verdict.
Real SQLite stores; the broken artifact stores are real too (a file where the folder should be, an http://
address nobody listens on)."""

from __future__ import annotations

import os
import socket

import pytest
from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import StoreFailure
from jupyter_exp.query.compare_document import cell_sources, run_cells
from jupyter_exp.query.listing import run_detail
from jupyter_exp.reproduce.record import read_json, read_produced
from jupyter_exp.reproduce.verify import Tolerance, unverified_verdict
from jupyter_exp.server.handlers import _http_error
from jupyter_exp.tracking.artifacts import ArtifactStoreError, read_artifact, read_figures

CELL = f"{schema.ARTIFACT_DIR}/cell.py"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def runs(store_uri, tmp_path, monkeypatch):
    """``(client, recorded, bare, broken, away)``: a run with its cell, one with no artifact, one whose
    artifact location is a file, one whose artifact store is an http:// address nobody listens on."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    client = MlflowClient(store_uri)
    good = client.create_experiment("good", artifact_location=(tmp_path / "artifacts").as_uri())
    recorded = client.create_run(good).info.run_id
    client.log_text(recorded, "x = 1\n", CELL)
    client.set_terminated(recorded)
    bare = client.create_run(good).info.run_id
    client.set_terminated(bare)
    (tmp_path / "a-file").write_text("not a folder")
    broken_experiment = client.create_experiment("broken", artifact_location=(tmp_path / "a-file").as_uri())
    broken = client.create_run(broken_experiment).info.run_id
    client.set_terminated(broken)
    away_experiment = client.create_experiment(
        "away", artifact_location=f"http://127.0.0.1:{_closed_port()}/api/2.0/mlflow-artifacts/artifacts"
    )
    away = client.create_run(away_experiment).info.run_id
    client.set_terminated(away)
    return client, recorded, bare, broken, away


def _uri(client, run_id):
    return client.get_run(run_id).info.artifact_uri


def test_a_missing_artifact_is_none_and_a_present_one_is_read(runs):
    client, recorded, bare, _, _ = runs
    assert read_artifact(client, recorded, CELL, _uri(client, recorded)) == "x = 1\n"
    assert read_artifact(client, bare, CELL, _uri(client, bare)) is None
    assert read_artifact(client, bare, CELL) is None  # through MLflow's download: listed, and not there
    assert read_json(client, bare, schema.OUTPUTS, _uri(client, bare)) is None
    assert read_figures(client, bare, _uri(client, bare)) == {}
    assert run_detail(client, bare)["cell_source"] is None
    assert [c["source"] for c in run_cells(client, [client.get_run(recorded), client.get_run(bare)])] == [
        "x = 1\n",
        None,
    ]


@pytest.mark.parametrize("which", ["broken", "away"])
def test_a_store_that_cannot_be_read_is_an_error_that_says_so(runs, which):
    client, recorded, _, broken, away = runs
    run_id = broken if which == "broken" else away
    with pytest.raises(ArtifactStoreError, match=f"^the artifacts of run {run_id} cannot be read"):
        read_artifact(client, run_id, CELL, _uri(client, run_id))
    with pytest.raises(ArtifactStoreError):
        read_artifact(client, run_id, CELL)  # through MLflow's download, the run looked up
    with pytest.raises(ArtifactStoreError):
        run_detail(client, run_id)
    with pytest.raises(ArtifactStoreError):
        cell_sources(client, [client.get_run(recorded), client.get_run(run_id)])
    with pytest.raises(ArtifactStoreError):
        read_produced(client, run_id)  # the verdict never compares it as a run that recorded nothing
    try:
        run_detail(client, run_id)
    except ArtifactStoreError as error:
        assert isinstance(error, StoreFailure)
        answer = _http_error(error)
    assert answer.status_code == 502
    assert answer.log_message.startswith(
        f"the tracking store failed: the artifacts of run {run_id} cannot be read"
    )
    assert "\n" not in answer.log_message


def test_a_verdict_on_a_store_that_cannot_be_read_is_unverified_and_says_why():
    error = ArtifactStoreError("the artifacts of run abc cannot be read (jupyter_exp/outputs.json): refused")
    verdict = unverified_verdict(f"not compared: {error}", Tolerance(), [])
    assert verdict.verdict == schema.UNVERIFIED
    assert "cannot be read" in verdict.summary and "not recorded" not in verdict.summary
    assert verdict.metrics == [] and verdict.outputs is None


def test_compare_says_what_it_could_not_compare(runs):
    from jupyter_exp.config import JupyterExp
    from jupyter_exp.ipython.compare_magics import CompareMagics
    from jupyter_exp.query.groups import resolve

    client, recorded, bare, broken, _ = runs
    magics = CompareMagics(None, JupyterExp())
    shown = magics._differences(client, [resolve(client, recorded), resolve(client, broken)])
    assert f"Tracked cells not compared: the artifacts of run {broken} cannot be read" in shown
    assert f"Environments not compared: the artifacts of run {broken} cannot be read" in shown
    assert "not compared" not in magics._differences(
        client, [resolve(client, recorded), resolve(client, bare)]
    )


def test_the_verdict_on_records_that_cannot_be_read_is_unverified_on_the_reproduced_run(runs):
    """The original's artifact store fails: the reproduced run's verdict is ``unverified`` saying why, not a
    comparison of two records that only seemed empty."""
    import json
    from types import SimpleNamespace

    from jupyter_exp.reproduce.outcome import ReproductionOutcome

    client, _, bare, broken, _ = runs
    reproduction = SimpleNamespace(
        run_id=bare,
        original_id=broken,
        verdict=None,
        drift=[],
        options=SimpleNamespace(rtol=1e-6, atol=1e-9),
        plan=SimpleNamespace(overrides=[]),
        replayed="slice: 2 of 3 cells",
    )
    reproduction.document = lambda: reproduction.verdict.document()
    ReproductionOutcome(client, reproduction).write_verdict()
    tags = client.get_run(bare).data.tags
    assert tags[schema.REPRODUCTION_VERDICT] == schema.UNVERIFIED
    assert tags[schema.REPRODUCTION_REPLAY] == "slice: 2 of 3 cells"  # written with the verdict
    written = json.loads(read_artifact(client, bare, f"{schema.ARTIFACT_DIR}/{schema.REPRODUCTION}"))
    assert written["summary"].startswith(f"not compared: the artifacts of run {broken} cannot be read")


def test_reading_a_record_back_draws_no_download_bar(runs, capfd, monkeypatch):
    """With tqdm installed MLflow drew "Downloading artifacts" into every %reproduce's output; a user's own
    setting of the variable is kept."""
    client, recorded, _, _, _ = runs
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)
    capfd.readouterr()
    assert read_artifact(client, recorded, CELL) == "x = 1\n"  # through MLflow's download
    assert "Downloading artifacts" not in capfd.readouterr().err
    assert "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR" not in os.environ  # put back as it was
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "true")
    assert read_artifact(client, recorded, CELL) == "x = 1\n"
    assert "Downloading artifacts" in capfd.readouterr().err  # the user's choice
