"""jupyter_exp.tracking.store: creating and opening real MLflow SQLite stores (the race of several processes
opening one empty store is tests/faults/test_store_race.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_exp.config import StoreLocation, sqlite_path
from jupyter_exp.tracking.store import StoreError, client_for, ensure_store, experiment_id_for
from tests.support.stores import assert_schema_ok


def location_at(root: Path) -> StoreLocation:
    return StoreLocation(
        tracking_uri=f"sqlite:///{root / 'mlflow.db'}", artifact_root=str(root / "mlartifacts"), root=root
    )


def assert_one_line_store_error(error: pytest.ExceptionInfo[StoreError]) -> str:
    message = str(error.value)
    assert message.strip() and "\n" not in message
    assert "Traceback" not in message and "sqlalchemy" not in message.lower()
    # raised without a chained exception (or with `from None`): no "During handling..." traceback
    assert error.value.__cause__ is None
    assert error.value.__context__ is None or error.value.__suppress_context__
    return message


def test_sqlite_path():
    assert sqlite_path("sqlite:////abs/dir/mlflow.db") == Path("/abs/dir/mlflow.db")
    assert sqlite_path("sqlite:///rel/mlflow.db") == Path("rel/mlflow.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("http://localhost:5000") is None


def test_new_store_is_created_with_configured_artifact_root(tmp_path):
    root = tmp_path / "project" / "nested"  # the folder does not exist yet
    location = location_at(root)
    client = client_for(location)
    db = root / "mlflow.db"
    assert db.is_file() and db.read_bytes()[:16] == b"SQLite format 3\x00"
    assert_schema_ok(location.tracking_uri)
    default = client.get_experiment("0")
    assert default.name == "Default"
    assert Path(default.artifact_location).parent == root / "mlartifacts"
    run = client.create_run("0")
    client.log_param(run.info.run_id, "lr", "0.1")
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}
    ensure_store(location)  # a second call in the same process is a no-op, not an error


@pytest.fixture
def migrated(store_uri: str, tmp_path: Path) -> StoreLocation:
    """A location on an already migrated store (a copy of the session's template: fast)."""
    return StoreLocation(store_uri, str(tmp_path / "mlartifacts"), tmp_path)


def test_experiment_id_for_creates_once_with_artifact_root(migrated, tmp_path):
    location = migrated
    client = client_for(location)
    first = experiment_id_for(client, location, "examples/quickstart.ipynb")
    second = experiment_id_for(client, location, "examples/quickstart.ipynb")
    assert first == second
    experiment = client.get_experiment(first)
    assert experiment.name == "examples/quickstart.ipynb"
    assert Path(experiment.artifact_location) == tmp_path / "mlartifacts"
    named = [e for e in client.search_experiments() if e.name == "examples/quickstart.ipynb"]
    assert len(named) == 1
    other = experiment_id_for(client, location, "other")
    assert other != first


def test_experiment_id_for_finds_existing_experiment(migrated, tmp_path):
    location = migrated
    client = client_for(location)
    existing = client.create_experiment("made-elsewhere", artifact_location=str(tmp_path / "elsewhere"))
    assert experiment_id_for(client, location, "made-elsewhere") == existing


def test_experiment_deleted_after_first_use_is_usable_again(migrated, tmp_path):
    # A user deletes the experiment (MLflow UI) between two executions of a tracked cell in one kernel.
    location = migrated
    client = client_for(location)
    experiment_id = experiment_id_for(client, location, "deleted-later")
    client.delete_experiment(experiment_id)
    again = experiment_id_for(client, location, "deleted-later")
    assert client.get_experiment(again).lifecycle_stage == "active"
    run = client.create_run(again)  # what the next %%track execution does
    assert run.info.experiment_id == again


def test_deleted_experiment_restored_on_first_use(migrated, tmp_path):
    location = migrated
    client = client_for(location)
    experiment_id = client.create_experiment("was-deleted", artifact_location=str(tmp_path / "a"))
    client.delete_experiment(experiment_id)
    assert experiment_id_for(client, location, "was-deleted") == experiment_id
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"


@pytest.fixture
def unwritable_db(tmp_path: Path) -> Iterator[Path]:
    """A store path that cannot be created: a read-only folder, or (as root, where chmod does not
    stop writes) a folder under a regular file."""
    if os.geteuid() == 0:
        (tmp_path / "plain-file").write_text("a file, not a folder\n")
        yield tmp_path / "plain-file" / "sub" / "mlflow.db"
        return
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    yield folder / "mlflow.db"
    folder.chmod(0o700)


def test_unwritable_folder_gives_one_line_store_error(unwritable_db):
    uri = f"sqlite:///{unwritable_db}"
    location = StoreLocation(uri, str(unwritable_db.parent / "mlartifacts"), unwritable_db.parent)
    with pytest.raises(StoreError) as error:
        client_for(location)
    message = assert_one_line_store_error(error)
    assert str(unwritable_db) in message
    assert not unwritable_db.exists()


def test_folder_under_a_file_gives_one_line_store_error(tmp_path):
    (tmp_path / "plain-file").write_text("x")
    db = tmp_path / "plain-file" / "sub" / "mlflow.db"
    with pytest.raises(StoreError) as error:
        ensure_store(StoreLocation(f"sqlite:///{db}", None, tmp_path))
    message = assert_one_line_store_error(error)
    assert "Cannot create the folder" in message and "Not a directory" in message


def test_corrupt_file_gives_store_error(tmp_path):
    db = tmp_path / "mlflow.db"
    garbage = os.urandom(4096)
    db.write_bytes(garbage)
    with pytest.raises(StoreError) as error:
        client_for(location_at(tmp_path))
    message = assert_one_line_store_error(error)
    assert "not an SQLite database" in message
    assert str(db) in message
    assert db.read_bytes() == garbage  # left alone for the user to inspect


def test_unreachable_server_gives_store_error(tmp_path, monkeypatch):
    # A closed local port: nothing listens, so nothing leaves the machine.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    with pytest.raises(StoreError) as error:
        ensure_store(StoreLocation(f"http://127.0.0.1:{port}", None, tmp_path))
    message = assert_one_line_store_error(error)
    assert f"127.0.0.1:{port}" in message


def test_store_at_head_is_checked_without_lock_or_migration(migrated):
    before = sqlite_path(migrated.tracking_uri).read_bytes()
    ensure_store(migrated)
    db = sqlite_path(migrated.tracking_uri)
    assert not Path(f"{db}.lock").exists()  # the fast path: neither our lock nor a second engine
    assert db.read_bytes() == before
