"""The journal is hostile ground: whoever can write to the project folder or the store may plant entries
in it. Each attack is carried out for real: a planted journal folder, a real ``jupyter-exp sync`` process
(with the user's store credentials in its environment), the server's sweep and the next ``%load_ext``'s
recovery, against a real SQLite MLflow store and real sockets on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.server.reaper import sweep
from jupyter_exp.tracking.completion import ORPHANED
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry, host_name, journal_root, user_journal_root
from jupyter_exp.tracking.recovery import recover_in_background
from jupyter_exp.tracking.store import client_for

SPOOL = ".jupyter-exp-journal"
SECRET = b"TOP-SECRET-9f1c2e: the target of a planted symlink"
USER, PASSWORD = "alice", "alice-password-7d3b"
SYNC_DEADLINE_S = 90  # generous: a sync that probes first takes seconds; MLflow's retries take minutes
NOBODY = 65534


# -- a real store, a planted journal -------------------------------------------------------------
@dataclass
class Project:
    root: Path
    data: Path  # XDG_DATA_HOME: the "user's data folder" of the processes the test starts
    client: MlflowClient
    experiment_id: str
    run_id: str  # a RUNNING run in the store, the one the planted entries name

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def spool(self) -> Path:
        return self.root / SPOOL


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root, data = tmp_path / "project", tmp_path / "data"
    root.mkdir()
    for name in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_JOURNAL_DIR", "JUPYTER_EXP_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(data))  # never the user's own journal
    client = client_for(resolve_store(JupyterExp(root=str(root))))
    experiment = client.create_experiment("planted")
    return Project(root, data, client, experiment, client.create_run(experiment).info.run_id)


def plant(
    journal: Path,
    run_id: str,
    tracking_uri: str,
    staged: dict[str, bytes] | None = None,
    links: dict[str, Path] | None = None,
) -> Path:
    """An entry as a hostile writer leaves it (plain file writes, no jupyter-exp code): the run ended
    FINISHED, with ``staged`` artifacts and ``links`` (staged names that are symlinks)."""
    folder = journal / run_id
    (folder / "staged").mkdir(parents=True)
    (folder / "metrics").mkdir()
    meta = {
        "run_id": run_id,
        "tracking_uri": tracking_uri,
        "experiment_id": "0",
        "host": host_name(),
        "pid": 1,
        "kernel_id": None,
        "created_ms": int(time.time() * 1000),
        "expected_artifacts": [],
        "offline": False,
        "version": 1,
    }
    (folder / "entry.json").write_text(json.dumps(meta))
    (folder / "end.json").write_text(json.dumps({"status": "FINISHED", "end_time_ms": meta["created_ms"]}))
    (folder / "tags.json").write_text(json.dumps({"planted": "yes"}))
    for name, data in (staged or {}).items():
        (folder / "staged" / name).write_bytes(data)
    for name, target in (links or {}).items():
        (folder / "staged" / name).symlink_to(target)
    return folder


def tree(folder: Path) -> dict[str, Any]:
    """Everything under ``folder`` (links not followed): path -> content, link target or mode."""
    found: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = ("link", os.readlink(path))
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = ("folder", stat.S_IMODE(path.lstat().st_mode))
    return found


def files_holding(folder: Path, needle: bytes, outside: Path | None = None) -> list[Path]:
    """Files under ``folder`` (not under ``outside``) whose bytes contain ``needle``, links followed: a
    link in the store to the secret serves the secret."""
    hits = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if outside is not None and path.is_relative_to(outside):
            continue
        if needle in path.read_bytes():
            hits.append(path)
    return hits


def run_sync(
    project: Project, *args: str, deadline_s: float = SYNC_DEADLINE_S
) -> subprocess.CompletedProcess[str]:
    """``jupyter-exp sync --root <project>`` in a process of its own, with the user's store credentials
    set, stdout and stderr pipes (not a terminal)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "JUPYTER_EXP_JOURNAL_DIR")}
    env |= {
        "XDG_DATA_HOME": str(project.data),
        "MLFLOW_TRACKING_USERNAME": USER,
        "MLFLOW_TRACKING_PASSWORD": PASSWORD,
    }
    command = [sys.executable, "-m", "jupyter_exp.cli", "sync", "--root", str(project.root), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=deadline_s)
    except subprocess.TimeoutExpired:
        pytest.fail(f"jupyter-exp sync {' '.join(args)} still running after {deadline_s} s (a retry loop?)")


def run_status(project: Project) -> str:
    return str(project.client.get_run(project.run_id).info.status)


# -- stores on loopback ----------------------------------------------------------------------------
@dataclass
class RecordingStore:
    """An HTTP server that answers every request (404, MLflow's error shape; /health 200) and records
    the path and Authorization header of each."""

    url: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def authorizations(self) -> list[str]:
        return [auth for _, auth in self.requests if auth]


@pytest.fixture
def foreign_store() -> Iterator[RecordingStore]:
    recorder = RecordingStore()

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            recorder.requests.append((self.path, self.headers.get("Authorization")))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            healthy = self.path.startswith("/health")
            body = (
                b"OK"
                if healthy
                else json.dumps({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}).encode()
            )
            self.send_response(200 if healthy else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hung_store() -> Iterator[str]:
    """A port that takes connections (the kernel's backlog) and never answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def refusing_store() -> Iterator[str]:
    """A port bound and never listening: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


# -- sync --------------------------------------------------------------------------------------------
def test_a_staged_name_decoding_to_parent_folders_is_refused_and_nothing_moves_out(project: Project) -> None:
    names = [
        "..%2F..%2F..%2Fescaped-1.txt",
        "..%2F..%2F..%2F..%2Fescaped-2.txt",
        "figures%2F..%2F..%2F..%2F..%2Fescaped-3.txt",
    ]
    entry = plant(project.spool, project.run_id, project.uri, staged={n: b"planted" for n in names})
    before = tree(entry)

    done = run_sync(project)

    outside = [p for p in project.root.parent.rglob("escaped-*") if not p.is_relative_to(project.spool)]
    assert not outside, f"moved outside the journal: {outside}"
    assert tree(entry) == before, "the refused entry was changed"
    assert run_status(project) == "RUNNING", "a refused entry was delivered"
    assert re.search(rf"refused: .*{project.run_id}.*\.\.", done.stderr), done.stderr
    assert done.returncode == 1, done.stdout + done.stderr


def test_a_staged_artifact_that_is_a_symlink_is_refused_and_its_target_never_reaches_the_store(
    project: Project,
) -> None:
    secret = project.root.parent / "secret.txt"
    secret.write_bytes(SECRET)
    entry = plant(
        project.spool, project.run_id, project.uri, staged={"cell.py": b"x = 1"}, links={"notes.txt": secret}
    )

    done = run_sync(project)

    assert not files_holding(project.root, SECRET, outside=project.spool), "the secret reached the store"
    assert not project.client.list_artifacts(project.run_id), "a refused entry's artifacts were uploaded"
    assert (entry / "staged" / "notes.txt").is_symlink() and secret.read_bytes() == SECRET
    assert re.search(rf"refused: .*{project.run_id}.*symbolic link", done.stderr), done.stderr
    assert done.returncode == 1


def test_an_entry_for_another_store_is_listed_untouched_and_gets_no_credentials(
    project: Project, foreign_store: RecordingStore
) -> None:
    entry = plant(project.spool, "foreign-run", foreign_store.url, staged={"cell.py": b"x = 1"})
    before = tree(entry)

    done = run_sync(project)

    assert not foreign_store.authorizations, "the user's credentials were sent to a store an entry named"
    assert not foreign_store.requests, "sync contacted a store the user did not choose"
    assert tree(entry) == before
    assert foreign_store.url in done.stderr and "--all" in done.stderr, done.stderr
    assert done.returncode == 0, done.stdout + done.stderr


def test_all_delivers_to_the_other_stores_too(project: Project, foreign_store: RecordingStore) -> None:
    plant(project.spool, "foreign-run", foreign_store.url)

    done = run_sync(project, "--all")

    assert [path for path, _ in foreign_store.requests if not path.startswith("/health")], done.stderr
    assert "foreign-run" in done.stderr


@pytest.mark.parametrize("away", ["hung_store", "refusing_store"])
def test_an_unreachable_store_is_probed_once_and_skipped(
    project: Project, away: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(away)
    journal = project.root.parent / "journal"
    plant(journal, "offline-away", url)
    plant(journal, "offline-away-2", url)

    done = run_sync(project, "--tracking-uri", url, "--journal", str(journal))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "does not answer" in done.stderr, done.stderr
    assert (journal / "offline-away" / "entry.json").exists() and (
        journal / "offline-away-2" / "entry.json"
    ).exists()


def test_progress_and_summary_lines_are_printed_without_a_terminal(project: Project) -> None:
    meta = EntryMeta(project.run_id, project.uri, "0", host_name(), 1, None, int(time.time() * 1000))
    entry = JournalEntry.create(project.spool, meta)
    entry.stage("cell.py", b"x = 1")
    entry.write_end("FINISHED", int(time.time() * 1000))
    entry.release()

    done = run_sync(project)

    assert re.search(rf"^sync 1/1 {project.run_id}", done.stderr, re.M), done.stderr
    looked_at = f"1 journal entry in {project.spool}"  # which journal and which store, before any work
    assert looked_at in done.stderr and f"for {project.uri}" in done.stderr, done.stderr
    assert "1 run(s) completed from the journal (1 FINISHED" in done.stdout, done.stdout
    assert run_status(project) == "FINISHED"


def test_sync_never_creates_a_store(tmp_path: Path, project: Project) -> None:
    empty = tmp_path / "empty-project"
    empty.mkdir()
    uri = f"sqlite:///{empty / 'mlflow.db'}"
    plant(empty / SPOOL, "some-run", uri)
    bare = Project(empty, project.data, project.client, project.experiment_id, "some-run")

    done = run_sync(bare)

    assert not (empty / "mlflow.db").exists(), "sync created a store"
    assert (empty / SPOOL / "some-run" / "entry.json").exists()
    assert "no MLflow store" in done.stderr, done.stderr
    assert done.returncode == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_an_entry_of_another_user_is_skipped_and_reported(project: Project) -> None:
    entry = plant(project.spool, project.run_id, project.uri, staged={"cell.py": b"x = 1"})
    for path in [entry, *entry.rglob("*")]:
        os.lchown(path, NOBODY, NOBODY)
    before = tree(entry)

    done = run_sync(project)

    assert run_status(project) == "RUNNING", "another user's entry was delivered"
    assert tree(entry) == before
    assert re.search(rf"refused: .*{project.run_id}.*(nobody|{NOBODY})", done.stderr), done.stderr
    assert done.returncode == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_spool_folder_of_another_user_is_not_the_journal(project: Project) -> None:
    entry = plant(project.spool, project.run_id, project.uri, staged={"cell.py": b"x = 1"})
    for path in [project.spool, entry, *entry.rglob("*")]:
        os.lchown(path, NOBODY, NOBODY)

    assert journal_root(resolve_store(JupyterExp(root=str(project.root)))) == user_journal_root()
    done = run_sync(project)

    assert run_status(project) == "RUNNING", "an entry in another user's spool folder was delivered"
    assert re.search(rf"journal folder {re.escape(str(project.spool))} not used \(.*{NOBODY}", done.stderr), (
        done.stderr
    )


def test_a_staged_name_that_leaves_its_folder_is_not_staged(tmp_path: Path) -> None:
    entry = JournalEntry.create(
        tmp_path / "journal", EntryMeta("r1", "sqlite:///x.db", "0", host_name(), 1, None, 0)
    )
    try:
        for name in ("../escaped.txt", "/etc/escaped", "figures/../../escaped"):
            with pytest.raises(ValueError, match="outside its folder"):
                entry.stage(name, b"x")
        assert not list((entry.path / "staged").iterdir())
    finally:
        entry.release()


# -- folders -----------------------------------------------------------------------------------------
def test_journal_folders_are_private_even_under_umask_002(tmp_path: Path) -> None:
    loose = tmp_path / "loose-journal"
    loose.mkdir(mode=0o775)
    old = os.umask(0o002)
    try:
        root = tmp_path / "journal"
        entry = JournalEntry.create(root, EntryMeta("r1", "sqlite:///x.db", "0", host_name(), 1, None, 0))
        entry.stage("figures/figure-1.png", b"png")
        batch = entry.take_staged()
        assert batch is not None
        moved = entry.set_aside(ORPHANED)
        entry.release()
        JournalEntry.create(loose, EntryMeta("r2", "sqlite:///x.db", "0", host_name(), 1, None, 0)).release()
    finally:
        os.umask(old)
    moved_batch = moved / batch.name
    folders = [
        root,
        moved,
        moved / "staged",
        moved / "metrics",
        moved_batch,
        moved_batch / "figures",
        root / ORPHANED,
        loose,
    ]
    modes = {str(f.relative_to(tmp_path)): oct(stat.S_IMODE(f.stat().st_mode)) for f in folders}
    assert set(modes.values()) == {"0o700"}, modes


# -- the server's sweep and the next %load_ext ---------------------------------------------------------
@dataclass
class HostileJournal:
    escaped_names: list[str]
    secret: Path
    foreign: RecordingStore
    entries: dict[str, Path]


@pytest.fixture
def hostile(project: Project, foreign_store: RecordingStore) -> HostileJournal:
    """A spool holding three planted entries for this store (a ``..`` name, a symlink, one of another user
    when the test runs as root) and one naming a foreign store."""
    secret = project.root.parent / "secret.txt"
    secret.write_bytes(SECRET)
    names = ["..%2F..%2F..%2Fescaped-1.txt", "..%2F..%2F..%2F..%2Fescaped-2.txt"]
    experiment = project.experiment_id
    runs = [project.run_id] + [project.client.create_run(experiment).info.run_id for _ in range(2)]
    entries = {
        "dotdot": plant(project.spool, runs[0], project.uri, staged={n: b"planted" for n in names}),
        "symlink": plant(project.spool, runs[1], project.uri, links={"notes.txt": secret}),
        "foreign": plant(project.spool, "foreign-run", foreign_store.url, staged={"cell.py": b"x"}),
    }
    if os.geteuid() == 0:
        entries["nobody"] = plant(project.spool, runs[2], project.uri, staged={"cell.py": b"x"})
        for path in [entries["nobody"], *entries["nobody"].rglob("*")]:
            os.lchown(path, NOBODY, NOBODY)
    return HostileJournal(names, secret, foreign_store, entries)


def assert_nothing_happened(project: Project, hostile: HostileJournal, before: dict[str, Any]) -> None:
    outside = [p for p in project.root.parent.rglob("escaped-*") if not p.is_relative_to(project.spool)]
    assert not outside, f"moved outside the journal: {outside}"
    assert not files_holding(project.root, SECRET, outside=project.spool), "the secret reached the store"
    assert not hostile.foreign.requests, "a store named by an entry was contacted"
    statuses = {r.info.status for r in project.client.search_runs([project.experiment_id])}
    assert statuses == {"RUNNING"}, "a planted entry was delivered"
    assert {name: tree(path) for name, path in hostile.entries.items()} == before


def test_the_servers_sweep_applies_the_same_rules(project: Project, hostile: HostileJournal) -> None:
    before = {name: tree(path) for name, path in hostile.entries.items()}

    sweep(project.client, set(), set(), 300.0, project.spool)

    assert_nothing_happened(project, hostile, before)


def test_the_next_load_ext_applies_the_same_rules(project: Project, hostile: HostileJournal) -> None:
    before = {name: tree(path) for name, path in hostile.entries.items()}
    monkey_env = {"MLFLOW_TRACKING_USERNAME": USER, "MLFLOW_TRACKING_PASSWORD": PASSWORD}
    os.environ.update(monkey_env)  # restored by the suite's _store_environment_restored
    try:
        process = recover_in_background(JupyterExp(root=str(project.root)))
        if process is not None:  # none at all is right too: nothing here may be delivered
            process.wait(timeout=SYNC_DEADLINE_S)
    finally:
        for name in monkey_env:
            os.environ.pop(name, None)

    assert_nothing_happened(project, hostile, before)


def test_the_next_load_ext_leaves_entries_of_other_stores_alone(
    project: Project, foreign_store: RecordingStore
) -> None:
    plant(project.spool, "foreign-run", foreign_store.url)

    assert recover_in_background(JupyterExp(root=str(project.root))) is None
    assert not foreign_store.requests


def test_the_servers_sweep_skips_an_unreachable_store_after_the_probe(refusing_store: str) -> None:
    outcome: dict[str, BaseException | None] = {}

    def sweep_away_store() -> None:
        try:
            sweep(MlflowClient(refusing_store), set(), set(), 300.0, None)
            outcome["error"] = None
        except Exception as error:
            outcome["error"] = error

    threading.Thread(target=sweep_away_store, daemon=True).start()
    wait_for(lambda: "error" in outcome, 60, "the sweep of an unreachable store to return")
    assert "does not answer" in str(outcome["error"])


def wait_for(predicate: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.1)
