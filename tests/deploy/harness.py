"""A team's deployment on loopback for the tests: PostgreSQL + ``mlflow server --app-name basic-auth``.

PostgreSQL comes from Debian's packages (installed with apt-get when missing and we are root); its cluster
is a throwaway data directory started by ``pg_ctl`` as the ``postgres`` user on a free loopback port.
``mlflow server`` keeps runs and its auth tables in that cluster and artifacts behind its proxy
(``--artifacts-destination``) in a temporary folder. An admin user comes from a temporary auth config;
a normal user is created through MLflow's REST API. Everything is removed by ``stop()``.

Where a part cannot start, ``DeploymentError`` says which and why: the suite fails, it never skips.
"""

from __future__ import annotations

import atexit
import base64
import glob
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.mlflow_server import MlflowServer, free_port

ENV_SWITCH = "JUPYTER_EXP_TEST_STORE"  # "deploy": suites that support it run against the deployment
PG_USER = "mlflow"
OPTUNA_DB = "optuna"


class DeploymentError(RuntimeError):
    """A part of the deployment could not be installed or started (the message says which and why)."""


def _run(command: list[str], what: str, timeout: float = 600, **kwargs: Any) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DeploymentError(f"{what}: {error}") from None
    if done.returncode != 0:
        raise DeploymentError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
    return done.stdout


def postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server's bin directory (initdb, pg_ctl), or one on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]), reverse=True
    )
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path and shutil.which("initdb") else None


def ensure_postgres() -> Path:
    """PostgreSQL's server binaries, installed from Debian's packages if they are missing."""
    bindir = postgres_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise DeploymentError(
            "PostgreSQL is not installed and cannot be installed here (needs root and apt-get): "
            "apt-get install postgresql"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-qq"], "apt-get update", env=env)
    _run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        "apt-get install",
        env=env,
    )
    bindir = postgres_bindir()
    if bindir is None:
        raise DeploymentError("apt-get installed postgresql but no pg_ctl is under /usr/lib/postgresql")
    return bindir


class PostgresCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, run by the ``postgres`` user when we are root
    (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path, bindir: Path) -> None:
        self.folder = folder
        self.bindir = bindir
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.log_path = folder / "postgres.log"
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.started = False
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise DeploymentError(
                    "running as root but there is no 'postgres' user to run PostgreSQL"
                ) from None
            self._as_user = ["runuser", "-u", "postgres", "--"]
            self._uid, self._gid = account.pw_uid, account.pw_gid

    def _prepare_folder(self) -> None:
        self.socket_dir.mkdir(parents=True)
        password_file = self.folder / "pwfile"
        password_file.write_text(self.password + "\n")
        if self._as_user:
            for path in (self.folder, self.socket_dir, password_file):
                os.chown(path, self._uid, self._gid)
        password_file.chmod(0o600)

    def start(self) -> None:
        self._prepare_folder()
        _run(
            [
                *self._as_user,
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                PG_USER,
                "--auth=scram-sha-256",
                f"--pwfile={self.folder / 'pwfile'}",
                "--encoding=UTF8",
                "--no-sync",
            ],
            "initdb",
            timeout=180,
        )
        (self.folder / "pwfile").unlink()
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"  # throwaway data
        )
        _run(
            [*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_path),
             "-o", options, "-w", "-t", "120", "start"],
            "pg_ctl start",
            timeout=180,
        )  # fmt: skip
        self.started = True

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{PG_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, owner: str = PG_USER) -> None:
        _run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER,
             "-O", owner, name],
            f"createdb {name}",
            env={**os.environ, "PGPASSWORD": self.password},
            timeout=60,
        )  # fmt: skip

    def create_role(self, name: str, password: str) -> None:
        """A login role that is no superuser (the owner of a database given to it, nothing more)."""
        _run(
            [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-d", "mlflow",
             "-v", "ON_ERROR_STOP=1", "-c", f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"],
            f"create role {name}",
            env={**os.environ, "PGPASSWORD": self.password},
            timeout=60,
        )  # fmt: skip

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                [*self._as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=120,
            )  # fmt: skip
            self.started = False


@dataclass(frozen=True)
class User:
    username: str
    password: str

    def env(self) -> dict[str, str]:
        return {"MLFLOW_TRACKING_USERNAME": self.username, "MLFLOW_TRACKING_PASSWORD": self.password}


class Deployment:
    """PostgreSQL + ``mlflow server`` with basic auth, its admin and one normal user (``user``)."""

    def __init__(self, folder: Path | None = None, workers: int = 4) -> None:
        # not under pytest's tmp folders: the postgres user must be able to enter it
        self.folder = folder or Path(tempfile.mkdtemp(prefix="jupyter-exp-deploy-"))
        self.folder.chmod(0o755)
        self.workers = workers
        self.admin = User("admin", secrets.token_urlsafe(18))
        self.user = User("alice", secrets.token_urlsafe(18))
        # the sweeps' PostgreSQL role, owner of their database of its own (Optuna's RDBStorage: its
        # alembic_version cannot share MLflow's database)
        self.optuna = User("optuna", secrets.token_urlsafe(18))
        self.postgres: PostgresCluster | None = None
        self.server: MlflowServer | None = None

    @property
    def tracking_uri(self) -> str:
        assert self.server is not None, "the deployment is not started"
        return self.server.uri

    def start(self, timeout: float = 240) -> Deployment:
        try:
            self.postgres = PostgresCluster(self.folder / "pg", ensure_postgres())
            self.postgres.start()
            self.postgres.create_database("mlflow")
            self.postgres.create_database("mlflow_auth")
            self.postgres.create_role(self.optuna.username, self.optuna.password)
            self.postgres.create_database(OPTUNA_DB, owner=self.optuna.username)
            try:
                import psycopg2  # noqa: F401 (the server's SQLAlchemy driver)
            except ImportError:
                raise DeploymentError("psycopg2 is missing: pip install -r requirements/dev.lock") from None
            auth_config = self.folder / "basic_auth.ini"
            auth_config.write_text(
                "[mlflow]\n"
                "default_permission = READ\n"  # a shared store: everyone reads, each manages their own
                f"database_uri = {self.postgres.url('mlflow_auth')}\n"
                f"admin_username = {self.admin.username}\n"
                f"admin_password = {self.admin.password}\n"
                "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
                "auth_cache_ttl_seconds = 60\n"
            )
            auth_config.chmod(0o600)
            self.server = MlflowServer(
                self.folder / "mlflow",
                backend_store_uri=self.postgres.url("mlflow"),
                app_name="basic-auth",
                workers=self.workers,
                env={
                    "MLFLOW_AUTH_CONFIG_PATH": str(auth_config),
                    "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16),  # CSRF of the auth UI
                },
            )
            try:
                self.server.start(timeout=timeout)
            except RuntimeError as error:
                raise DeploymentError(str(error)) from None
            self.create_user(self.user)
            # a team member writes to the Default experiment (cells of notebooks with no known path)
            self.request(
                "POST",
                "/api/3.0/mlflow/users/permissions/grant",
                {
                    "username": self.user.username,
                    "resource_type": "experiment",
                    "resource_id": "0",
                    "permission": "EDIT",
                },
            )
        except BaseException:
            self.stop()
            raise
        return self

    def request(self, method: str, path: str, body: dict[str, Any] | None, user: User | None = None) -> Any:
        """One REST call to the server as ``user`` (default: the admin); the parsed JSON answer."""
        who = user or self.admin
        token = base64.b64encode(f"{who.username}:{who.password}".encode()).decode()
        request = urllib.request.Request(
            self.tracking_uri + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise DeploymentError(f"{method} {path}: {error.code} {error.read()[:300]!r}") from None

    def create_user(self, user: User) -> None:
        self.request(
            "POST", "/api/2.0/mlflow/users/create", {"username": user.username, "password": user.password}
        )

    def ensure_user(self, user: User) -> User:
        """``user`` on the server with this password, whether an earlier test of the session made them."""
        try:
            self.create_user(user)
        except DeploymentError:
            self.request(
                "PATCH",
                "/api/2.0/mlflow/users/update-password",
                {"username": user.username, "password": user.password},
            )
        return user

    def env(self, user: User | None = None) -> dict[str, str]:
        """What a kernel or Jupyter server of ``user`` (default: the normal user) needs to use the store."""
        return {"MLFLOW_TRACKING_URI": self.tracking_uri, **(user or self.user).env()}

    def sweep_storage_url(self, database: str = OPTUNA_DB) -> str:
        """The sweeps' storage URL as users configure it: no password (libpq reads ``PGPASSWORD``)."""
        assert self.postgres is not None, "the deployment is not started"
        return f"postgresql+psycopg2://{self.optuna.username}@127.0.0.1:{self.postgres.port}/{database}"

    def sweep_env(self) -> dict[str, str]:
        """What a kernel needs to keep its sweeps in the sweeps' database (``JUPYTER_EXP_SWEEP_STORAGE``)."""
        return {"JUPYTER_EXP_SWEEP_STORAGE": self.sweep_storage_url(), "PGPASSWORD": self.optuna.password}

    def client(self, user: User | None = None) -> Any:
        """An ``MlflowClient`` of ``user`` (default: the normal user, who reads every run of the shared
        store). MLflow's HTTP client reads credentials from the environment only, so they are set there, for
        this process (a Jupyter server under test in it uses them too)."""
        from mlflow import MlflowClient

        os.environ.update((user or self.user).env())
        return MlflowClient(self.tracking_uri)

    def reset(self) -> None:
        """Empty the store (every experiment but Default, every run, metric and artifact) between tests
        that expect a store of their own; the server and its users stay."""
        import psycopg2

        assert self.postgres is not None
        connection = psycopg2.connect(self.postgres.url("mlflow").replace("+psycopg2", ""))
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute("SELECT * FROM experiments WHERE experiment_id = 0")
                columns = [c.name for c in cursor.description or ()]
                default = cursor.fetchone()
                cursor.execute(
                    "TRUNCATE experiments CASCADE"
                )  # and runs, metrics, tags, ... that refer to them
                cursor.execute(
                    f"INSERT INTO experiments ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
                    default,
                )
        finally:
            connection.close()
        assert self.server is not None
        artifacts = self.server.folder / "artifacts"
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.postgres is not None:
            self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


_shared: Deployment | None = None
_failed: DeploymentError | None = None


def shared_deployment() -> Deployment:
    """One deployment per test process, started on first use and stopped when the process exits (or by
    the ``deployment`` fixture's teardown). A start that failed fails every later call at once, with the
    same reason."""
    global _shared, _failed
    if _failed is not None:
        raise DeploymentError(f"the deployment could not start: {_failed}")
    if _shared is None:
        try:
            _shared = Deployment().start()
        except DeploymentError as error:
            _failed = error
            raise
        atexit.register(stop_shared_deployment)
    return _shared


def stop_shared_deployment() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


def stored_files(client: Any, run_id: str, path: str = "") -> dict[str, bytes]:
    """Every artifact of the run, downloaded through the server's proxy."""
    files: dict[str, bytes] = {}
    for item in client.list_artifacts(run_id, path):
        if item.is_dir:
            files |= stored_files(client, run_id, item.path)
        else:
            files[item.path] = Path(client.download_artifacts(run_id, item.path)).read_bytes()
    return files


def deploy_mode() -> bool:
    """Whether the suites that support it run against the deployment (``JUPYTER_EXP_TEST_STORE=deploy``)."""
    return os.environ.get(ENV_SWITCH, "") == "deploy"
