"""The fixtures every suite gets, registered by ``pytest_plugins`` in tests/conftest.py (as jupyter_server
ships its ``pytest_plugin``): a project to run kernels in, kernels closed after the test, real migrated
MLflow SQLite stores, Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.lab import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:  # imported in the fixtures: the unit tier starts no kernel and need not import MLflow
    from tests.support.kernels import KernelSession, OpenKernel


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (before it starts workers) or a plain run
        from tests.faults.report import open_worker_lines

        open_worker_lines()


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        from tests.faults.report import close_worker_lines

        close_worker_lines()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fault suite's lines (tests/faults/report.py), every worker's under pytest-xdist (a worker itself
    reports nothing: its controller does)."""
    if hasattr(terminalreporter.config, "workerinput"):
        return
    from tests.faults.report import recorded, write_lines

    lines = recorded()
    if not lines:
        return
    terminalreporter.section("jupyter-exp fault suite")
    for line in lines:
        terminalreporter.write_line(line.render())
    write_lines()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``tmp_path/project``: an empty git repository with one commit, for the kernels of the test."""
    from tests.support.kernels import make_project

    return make_project(tmp_path)


@pytest.fixture
def kernel_session() -> Iterator[OpenKernel]:
    """``kernel_session(root, notebook=None, extra_env=None)``: a started ``KernelSession``; every session
    the test opened is closed after it, passed or failed (``KernelSession.close`` does nothing twice)."""
    from tests.support.kernels import KernelSession

    sessions: list[KernelSession] = []

    def open_session(
        root: Path, notebook: Path | None = None, extra_env: dict[str, str] | None = None
    ) -> KernelSession:
        session = KernelSession(root, notebook, extra_env)
        sessions.append(session)
        return session

    yield open_session
    errors: list[BaseException] = []
    for session in reversed(sessions):
        try:
            session.close()
        except Exception as error:  # close the others all the same
            errors.append(error)
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One freshly migrated MLflow SQLite store per session (migrations take seconds)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("template-store")
    db = folder / "mlflow.db"
    store = SqlAlchemyStore(f"sqlite:///{db}", str(folder / "mlartifacts"))
    store.engine.dispose()
    return db


@pytest.fixture
def store_uri(template_store: Path, tmp_path: Path) -> str:
    """A real, migrated MLflow SQLite store of this test (a copy of the session's template)."""
    db = tmp_path / "store" / "mlflow.db"
    db.parent.mkdir()
    shutil.copyfile(template_store, db)
    return f"sqlite:///{db}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium is required, not optional: a missing browser fails the suite (`make test` installs it).

    Module-scoped, not session: Playwright's sync API keeps its event loop running in this thread while it is
    open, and the Jupyter server fixtures of a later module on the same xdist worker found that loop (set as the
    thread's) "already running"."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
