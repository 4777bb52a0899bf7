"""Loading and unloading the extension through IPython's own extension manager, in a real shell."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(tmp_path))
    instance = InteractiveShell.instance()
    yield instance
    if "jupyter_exp" in instance.extension_manager.loaded:
        instance.extension_manager.unload_extension("jupyter_exp")


def test_unload_removes_the_magics_and_hooks_and_load_brings_them_back(shell):
    manager = shell.magics_manager
    assert shell.extension_manager.load_extension("jupyter_exp") is None
    assert "track" in manager.magics["cell"] and "reproduce" in manager.magics["line"]
    hooks = len(shell.events.callbacks["pre_run_cell"])

    shell.extension_manager.unload_extension("jupyter_exp")

    assert "track" not in manager.magics["cell"] and "reproduce" not in manager.magics["line"]
    assert len(shell.events.callbacks["pre_run_cell"]) == hooks - 1
    assert not any(type(c).__name__ == "JupyterExp" for c in shell.configurables)
    shell.extension_manager.load_extension("jupyter_exp")
    assert "track" in manager.magics["cell"]
