"""Which kernelspec started this kernel: by the interpreter path as started, never resolved (issue 25)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from jupyter_exp.capture.kernel import KERNEL_NAME_ENV, UNKNOWN_KERNEL, kernelspec_name


def install_spec(root: Path, name: str, python: str, env: dict[str, str] | None = None) -> None:
    folder = root / "kernels" / name
    folder.mkdir(parents=True)
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (folder / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name, "env": env or {}}))


@pytest.fixture
def as_kernel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This process as a kernel started by ``python -m ipykernel_launcher``, specs under ``tmp_path``."""
    monkeypatch.delenv(KERNEL_NAME_ENV, raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["/x/site-packages/ipykernel_launcher.py", "-f", "k.json"])
    return tmp_path


def test_another_venv_of_the_same_base_python_is_not_this_kernel(as_kernel: Path) -> None:
    peers = as_kernel / "peers" / "bin"
    peers.mkdir(parents=True)
    (peers / "python").symlink_to(os.path.realpath(sys.executable))  # resolves to the same binary
    install_spec(as_kernel, "peers", str(peers / "python"))
    assert kernelspec_name() != "peers"  # was "peers": resolved paths compared
    install_spec(as_kernel, "mine", sys.executable)
    assert kernelspec_name() == "mine"


def test_two_specs_that_fit_equally_are_a_doubt(as_kernel: Path) -> None:
    install_spec(as_kernel, "one", sys.executable)
    install_spec(as_kernel, "two", sys.executable)
    assert kernelspec_name() == UNKNOWN_KERNEL
