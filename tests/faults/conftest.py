"""The fault suite: each test injects a real fault (a killed kernel, a store that is away, a full disk,
hostile input) into real kernels and a real MLflow store, and reports one line of what survived."""

from __future__ import annotations

import pytest

from tests.faults.report import recorded, write_lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = recorded()
    if not lines:
        return
    terminalreporter.section("jupyter-exp fault suite")
    for line in lines:
        terminalreporter.write_line(line.render())
    write_lines()
