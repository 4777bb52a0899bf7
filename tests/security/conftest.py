"""The security suite: what a store writer controls (anyone who can write to the shared MLflow store is
untrusted) thrown at the real server (pytest-jupyter's ``jp_fetch``) and at a real JupyterLab in Chromium.

The fixtures are tests/server's (a Jupyter server with the extension, the store variables cleaned per test)
and tests/ui's (Debian's Chromium through Playwright), imported rather than copied.
"""

from __future__ import annotations

from tests.server.conftest import *  # noqa: F403 (pytest-jupyter's fixtures and coroutine-test hooks)
from tests.server.conftest import _clean_store_env  # noqa: F401 (autouse)
