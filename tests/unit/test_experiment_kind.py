"""Experiments jupyter-exp writes to carry ``mlflow.experimentKind``, so the stock MLflow UI opens them on
their runs (an experiment without the tag opens in GenAI mode, on its traces)."""

from __future__ import annotations

from pathlib import Path

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking import store
from jupyter_exp.tracking.store import client_for, experiment_id_for


def location_at(root: Path) -> StoreLocation:
    return StoreLocation(
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}", artifact_root=str(root / "mlartifacts"), root=root
    )


def test_created_experiments_are_tagged(tmp_path):
    location = location_at(tmp_path)
    client = client_for(location)
    experiment_id = experiment_id_for(client, location, "nb.ipynb")
    assert (
        client.get_experiment(experiment_id).tags[schema.EXPERIMENT_KIND]
        == schema.EXPERIMENT_KIND_MODEL_DEVELOPMENT
        == ("custom_model_development")
    )


def test_existing_untagged_experiments_are_tagged_once_and_a_kind_is_kept(tmp_path):
    location = location_at(tmp_path)
    client = client_for(location)
    untagged = client.create_experiment("made-by-mlflow")
    genai = client.create_experiment("genai", tags={schema.EXPERIMENT_KIND: "genai_development"})
    assert experiment_id_for(client, location, "made-by-mlflow") == untagged
    assert experiment_id_for(client, location, "Default") == "0"
    assert experiment_id_for(client, location, "genai") == genai
    assert (
        client.get_experiment(untagged).tags[schema.EXPERIMENT_KIND]
        == schema.EXPERIMENT_KIND_MODEL_DEVELOPMENT
    )
    assert client.get_experiment("0").tags[schema.EXPERIMENT_KIND] == schema.EXPERIMENT_KIND_MODEL_DEVELOPMENT
    assert client.get_experiment(genai).tags[schema.EXPERIMENT_KIND] == "genai_development"  # not overwritten


def test_remembered_experiment_costs_no_lookup_after_the_first(tmp_path, monkeypatch):
    location = location_at(tmp_path)
    client = client_for(location)
    client.create_experiment("untagged")
    calls = []
    monkeypatch.setattr(
        store, "experiment_id_for", lambda *args: calls.append(args) or experiment_id_for(*args)
    )
    first = store.remembered_experiment_id(client, location, "untagged")
    assert store.remembered_experiment_id(client, location, "untagged") == first
    assert len(calls) == 1
    store.forget_experiment(location, "untagged")
