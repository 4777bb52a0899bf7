"""Fault: another MLflow client (a script, `mlflow ui`) migrates a fresh store while ours open it.

MLflow's own clients take no lock and commit each migration step; jupyter-exp must wait for them,
migrate in one transaction, never fail a first ``%%track`` and never leave the file broken.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from jupyter_exp.config import StoreLocation
from jupyter_exp.tracking import store as store_module
from jupyter_exp.tracking.store import StoreError, ensure_store
from tests.faults.report import FaultLine, record_fault
from tests.support.kernels import KernelSession, all_runs
from tests.support.kernels import store as kernel_store
from tests.support.stores import assert_schema_ok

ROUNDS = 4
OPENERS = 3

# A plain MLflow client in another process: no lock of ours, MLflow's step-by-step migrations.
# argv: the tracking URI, seconds added to every SQL statement (a slow disk; 0 for none).
FOREIGN_CLIENT = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    delay = float(sys.argv[2])
    if delay:
        event.listen(Engine, "before_cursor_execute", lambda *args: time.sleep(delay))
    from mlflow import MlflowClient

    MlflowClient(sys.argv[1]).search_experiments()
    """
)

# One interpreter imports MLflow once, then forks per round a foreign client and OPENERS processes
# opening the store through jupyter-exp, released together by one pipe write. "after" rounds
# release ours only once the foreign migration has begun (its tables are appearing).
RACE = textwrap.dedent(
    """
    import json, os, sqlite3, sys, time, traceback
    from pathlib import Path

    from mlflow import MlflowClient
    from mlflow.store.db.utils import _get_latest_schema_revision

    from jupyter_exp.config import StoreLocation
    from jupyter_exp.tracking.store import client_for, experiment_id_for

    _get_latest_schema_revision()
    roots, openers = [Path(p) for p in json.loads(sys.argv[1])], int(sys.argv[2])


    def migration_begun(db):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
                return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        except sqlite3.Error:
            return False


    def foreign(root, index):
        MlflowClient("sqlite:///" + str(root / "mlflow.db")).search_experiments()


    def ours(root, index):
        deadline = time.monotonic() + 60
        while root.name.startswith("after") and not migration_begun(root / "mlflow.db"):
            assert time.monotonic() < deadline, "the foreign migration never began"
            time.sleep(0.002)
        location = StoreLocation("sqlite:///" + str(root / "mlflow.db"), str(root / "mlartifacts"), root)
        client = client_for(location)
        run = client.create_run(experiment_id_for(client, location, "race"), run_name=f"ours-{index}")
        client.set_terminated(run.info.run_id)


    report = []
    for root in roots:
        go_r, go_w = os.pipe()
        pids = []
        for index in range(openers + 1):
            pid = os.fork()
            if pid == 0:
                code = 0
                os.read(go_r, 1)
                try:
                    (ours if index else foreign)(root, index)
                except BaseException:
                    print(f"{root.name} worker {index}:", traceback.format_exc(), file=sys.stderr)
                    code = 1
                sys.stderr.flush()
                os._exit(code)
            pids.append(pid)
        os.write(go_w, b"g" * (openers + 1))
        report.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
        os.close(go_r)
        os.close(go_w)
    print("RESULT " + json.dumps(report))
    """
)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", PYTHONWARNINGS="ignore")
    return env


def head_revision() -> str:
    from mlflow.store.db.utils import _get_latest_schema_revision

    return str(_get_latest_schema_revision())


def alembic_version(db: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def assert_store_whole(db: Path) -> None:
    """At head, every MLflow table there, integrity ok, and MLflow itself opens and writes it."""
    import sqlalchemy
    from mlflow.store.db.utils import _all_tables_exist
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    assert alembic_version(db) == head_revision()
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        assert _all_tables_exist(engine)
    finally:
        engine.dispose()
    mlflow_store = SqlAlchemyStore(f"sqlite:///{db}", str(db.parent / "mlartifacts"))
    try:
        mlflow_store.create_experiment(f"afterwards-{time.monotonic_ns()}")
    finally:
        mlflow_store.engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def record(fault: str, seconds: float) -> None:
    record_fault(FaultLine(fault, True, None, None, seconds, "FINISHED"))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_foreign_migration_racing_processes_that_open_the_store(tmp_path):
    roots = [tmp_path / f"{'after' if i % 2 else 'together'}-{i}" for i in range(ROUNDS)]
    for root in roots:
        root.mkdir()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", RACE, json.dumps([str(r) for r in roots]), str(OPENERS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the race did not finish in time:\n{stderr[-3000:]}")
    results = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and results, stderr[-3000:]
    exit_codes = json.loads(results[-1].removeprefix("RESULT "))
    ours = [codes[1:] for codes in exit_codes]
    assert ours == [[0] * OPENERS] * ROUNDS, stderr[-5000:]  # no opener of ours ever failed
    from mlflow import MlflowClient

    for root in roots:
        assert_store_whole(root / "mlflow.db")
        client = MlflowClient(f"sqlite:///{root / 'mlflow.db'}")
        runs = client.search_runs([client.get_experiment_by_name("race").experiment_id])
        assert sorted(r.info.run_name for r in runs) == [f"ours-{i}" for i in range(1, OPENERS + 1)]
        assert {r.info.status for r in runs} == {"FINISHED"}
    foreign_failed = sum(codes[0] != 0 for codes in exit_codes)  # MLflow's own race, not ours to fix
    record(
        f"store migrated by a foreign client: {ROUNDS}x{OPENERS} openers ok (it failed {foreign_failed}x)",
        time.monotonic() - started,
    )


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.timeout(400)
def test_first_track_of_kernels_during_a_slow_foreign_migration(project: Path):
    db = project / "mlflow.db"
    kernels = [KernelSession(project) for _ in range(3)]
    foreign = None
    try:
        for session in kernels:  # loaded, MLflow imported: the first %%track goes straight to the store
            reply, _ = session.run("%load_ext jupyter_exp\nimport mlflow.store.tracking.sqlalchemy_store")
            assert reply["status"] == "ok"
        started = time.monotonic()
        foreign = subprocess.Popen(
            [sys.executable, "-c", FOREIGN_CLIENT, f"sqlite:///{db}", "0.002"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        head = head_revision()
        wait_for(lambda: alembic_version(db) not in (None, head), 120, "the foreign migration to begin")
        sent = [
            (s, s.send(f"%%track --name first-{i}\nlr = 0.1\nprint('trained', {i})"))
            for i, s in enumerate(kernels)
        ]
        mid_migration = alembic_version(db) != head
        answers = [session.wait(msg_id, timeout=240) for session, msg_id in sent]
        for session in kernels:
            session.settle()
        _, foreign_err = foreign.communicate(timeout=240)
        for i, (reply, outputs) in enumerate(answers):
            assert reply["status"] == "ok", outputs
            assert f"trained {i}" in "".join(o.get("text", "") for o in outputs if o["type"] == "stream")
        assert_store_whole(db)
        runs = all_runs(kernel_store(project))
        assert sorted(r.info.run_name for r in runs) == ["first-0", "first-1", "first-2"]
        assert {r.info.status for r in runs} == {"FINISHED"}
        assert {r.data.params["lr"] for r in runs} == {"0.1"}
        assert foreign.returncode == 0, foreign_err[-3000:]  # it was waited for, not disturbed
        when = "mid-migration" if mid_migration else "after it"
        record(f"3 kernels' first %%track {when} of a slow foreign client", time.monotonic() - started)
    finally:
        if foreign is not None and foreign.poll() is None:
            foreign.kill()
        for session in kernels:
            session.close()


def partly_migrated(db: Path, revision: str) -> None:
    """A store left by an older MLflow: MLflow's tables migrated up to ``revision`` only."""
    import sqlalchemy
    from alembic import command
    from mlflow.store.db.utils import _get_alembic_config
    from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        InitialBase.metadata.create_all(engine)
        config = _get_alembic_config(str(engine.url))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_store_of_an_older_mlflow_is_upgraded_with_its_data(tmp_path):
    db = tmp_path / "mlflow.db"
    partly_migrated(db, "0a8213491aaa")  # MLflow 1.x: runs, params, metrics; no secrets or workspaces
    with sqlite3.connect(db) as connection:
        connection.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage) "
            "VALUES (7, 'kept', '/tmp/kept', 'active')"
        )
    ensure_store(StoreLocation(f"sqlite:///{db}", str(tmp_path / "mlartifacts"), tmp_path))
    assert_store_whole(db)
    from mlflow import MlflowClient

    assert MlflowClient(f"sqlite:///{db}").get_experiment("7").name == "kept"


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:  # a late migration creates this table: it fails there
        connection.execute("CREATE TABLE secrets (left_here INTEGER)")
    before = db.read_bytes()
    monkeypatch.setattr(store_module, "MIGRATION_ATTEMPTS", 1)
    with pytest.raises(StoreError, match="table secrets already exists"):
        ensure_store(StoreLocation(f"sqlite:///{db}", str(tmp_path / "mlartifacts"), tmp_path))
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    assert tables == ["secrets"]  # none of the dozens of tables created before the failure remain
    assert len(db.read_bytes()) == len(before)


# -- our own openers: several processes open the same empty store at the same moment --------------

RACE_WORKERS = 8
RACE_ROUNDS = 3

# One interpreter imports MLflow once (seconds of CPU: eight spawned interpreters would cost ~20 s on
# two cores), then forks RACE_WORKERS fresh processes per round. The workers block on one pipe; a
# single write of RACE_WORKERS bytes releases them together. No database of a round is opened before.
RACE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, threading, traceback
    from pathlib import Path

    from mlflow import MlflowClient  # noqa: F401  (imported once, before forking)
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: F401

    from jupyter_exp.config import StoreLocation
    from jupyter_exp.tracking.store import client_for, experiment_id_for

    roots = [Path(p) for p in json.loads(sys.argv[1])]
    workers = int(sys.argv[2])
    # Warm SQLAlchemy/alembic on another, already migrated store (saves seconds per round), then
    # close it: the children share no connection and no thread with this process.
    warm = SqlAlchemyStore("sqlite:///" + sys.argv[3], sys.argv[4])
    warm.search_experiments()
    warm.engine.dispose()
    del warm
    assert threading.active_count() == 1, threading.enumerate()


    def work(index, root, ready_fd, go_fd):
        uri = "sqlite:///" + str(root / "mlflow.db")
        location = StoreLocation(uri, str(root / "mlartifacts"), root)
        os.write(ready_fd, b"r")
        os.read(go_fd, 1)
        client = client_for(location)
        experiment_id = experiment_id_for(client, location, "race")
        run = client.create_run(experiment_id, run_name=f"worker-{index}")
        client.set_terminated(run.info.run_id)
        record = {"run_id": run.info.run_id, "pid": os.getpid(), "experiment_id": experiment_id}
        (root / f"worker-{index}.json").write_text(json.dumps(record))


    report = []
    for root in roots:
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pids = []
        for index in range(workers):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    work(index, root, ready_w, go_r)
                except BaseException:
                    traceback.print_exc()
                    code = 1
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
            pids.append(pid)
        for _ in range(workers):
            os.read(ready_r, 1)
        os.write(go_w, b"g" * workers)
        report.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
        for fd in (ready_r, ready_w, go_r, go_w):
            os.close(fd)
    print("RESULT " + json.dumps(report))
    """
)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_race_on_empty_store(tmp_path, template_store):
    roots = [tmp_path / f"round-{i}" for i in range(RACE_ROUNDS)]
    for root in roots:
        root.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    warm_db = tmp_path / "warm" / "mlflow.db"
    warm_db.parent.mkdir()
    shutil.copyfile(template_store, warm_db)
    started = time.monotonic()
    args = [json.dumps([str(r) for r in roots]), str(RACE_WORKERS), str(warm_db), str(warm_db.parent / "a")]
    process = subprocess.Popen(
        [sys.executable, "-c", RACE_SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=100)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the race did not finish in time:\n{stderr[-3000:]}")
    assert process.returncode == 0, stderr[-3000:]
    result_lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert result_lines, stderr[-3000:]
    exit_codes = json.loads(result_lines[-1].removeprefix("RESULT "))
    assert exit_codes == [[0] * RACE_WORKERS] * RACE_ROUNDS, stderr[-3000:]

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    for root in roots:
        uri = f"sqlite:///{root / 'mlflow.db'}"
        assert_schema_ok(uri)
        records = [json.loads((root / f"worker-{i}.json").read_text()) for i in range(RACE_WORKERS)]
        assert len({r["pid"] for r in records}) == RACE_WORKERS  # separate processes
        experiment_ids = {r["experiment_id"] for r in records}
        assert len(experiment_ids) == 1  # all found the same experiment
        store = SqlAlchemyStore(uri, str(root / "mlartifacts"))
        try:
            assert [e.name for e in store.search_experiments() if e.name == "race"] == ["race"]
            runs = store.search_runs(list(experiment_ids), filter_string="", run_view_type=1, max_results=100)
            assert sorted(run.info.run_id for run in runs) == sorted(r["run_id"] for r in records)
            assert sorted(run.info.run_name for run in runs) == [f"worker-{i}" for i in range(RACE_WORKERS)]
            assert {run.info.status for run in runs} == {"FINISHED"}
        finally:
            store.engine.dispose()
    assert time.monotonic() - started < 100
