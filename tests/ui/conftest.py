"""A real JupyterLab (this checkout's extension installed) driven by Debian's Chromium through Playwright:
the helpers are tests/support/lab.py, the ``browser`` fixture tests/support/plugin.py."""

from __future__ import annotations

from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui-screenshots"


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
