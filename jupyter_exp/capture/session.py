"""The notebook a kernel serves *now*, asked of the Jupyter server that owns the kernel.

``__session__`` / ``JPY_SESSION_NAME`` are fixed when the kernel starts, so a notebook renamed or moved
afterwards (New notebook, then File > Rename: the most common flow) would keep filing its runs under
``Untitled.ipynb``. The server knows each kernel's session path: this asks it the way ``ipynbname`` does
(the kernel id from the connection file's name, the running servers from jupyter_server's runtime dir,
``GET /api/sessions``, the session whose kernel is this one). Standard library only; every failure is
``None`` (the caller falls back to the start path), and each server gets a short timeout.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

TIMEOUT_S = 0.3  # per server: a tracked cell must not wait on a server that does not answer
_KERNEL_FILE = re.compile(r"kernel-(?P<id>[\w-]+)\.json$")

_last_server: str | None = None  # the server file that answered last: asked first next time
_last_path: Path | None = None  # its answer: kept when it is busy past the timeout (a rename is rarer)


def kernel_id() -> str | None:
    """This kernel's id, from the name of its connection file (``kernel-<id>.json``), or None outside a
    Jupyter kernel. Reads ipykernel's application only when it is already running (imports nothing)."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    if kernelapp is None:
        return None
    try:
        app = kernelapp.IPKernelApp
        if not app.initialized():
            return None
        match = _KERNEL_FILE.search(os.path.basename(str(app.instance().connection_file)))
    except Exception:  # an ipykernel of another shape
        return None
    return match.group("id") if match else None


def server_files(runtime_dir: Path | None = None) -> list[Path]:
    """The running servers' ``jpserver-*.json`` files, the one that answered last first."""
    if runtime_dir is None:
        try:
            from jupyter_core.paths import jupyter_runtime_dir

            runtime_dir = Path(jupyter_runtime_dir())
        except Exception:
            return []
    try:
        files = sorted(runtime_dir.glob("jpserver-*.json"), key=_mtime, reverse=True)
    except OSError:
        return []
    return sorted(files, key=lambda f: str(f) != _last_server)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def session_path(server: dict[str, Any], kernel: str, timeout: float = TIMEOUT_S) -> Path | None:
    """The absolute path of the notebook whose session runs ``kernel`` on this server, or None."""
    url, root = server.get("url"), server.get("root_dir") or server.get("notebook_dir")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not isinstance(root, str):
        return None
    import urllib.request  # here: %load_ext need not pay for http.client and ssl

    request = urllib.request.Request(url.rstrip("/") + "/api/sessions")
    token = server.get("token") or os.environ.get("JUPYTERHUB_API_TOKEN")  # a hub's servers write none
    if isinstance(token, str) and token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            sessions = json.loads(response.read(4 << 20))
    except Exception:  # refused, timed out, a password-only server, not JSON
        return None
    if not isinstance(sessions, list):
        return None
    found = []
    for session in sessions:
        if not isinstance(session, dict):
            continue
        kernel_doc, notebook = session.get("kernel"), session.get("notebook")
        path = session.get("path") or (notebook.get("path") if isinstance(notebook, dict) else None)
        if isinstance(kernel_doc, dict) and kernel_doc.get("id") == kernel and isinstance(path, str):
            if path.endswith(".ipynb"):
                found.append((session.get("type") != "notebook", path))  # a console sharing it comes after
    if not found:
        return None
    return (Path(root).expanduser() / min(found)[1]).resolve()


def current_notebook(runtime_dir: Path | None = None) -> Path | None:
    """The notebook this kernel serves now according to the server that owns it; None when no server
    answers for this kernel (a terminal, VS Code, a server without a runtime file). Never raises."""
    global _last_server, _last_path
    kernel = kernel_id()
    if kernel is None:
        return None
    for file in server_files(runtime_dir):
        try:
            server = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(server, dict):
            continue
        path = session_path(server, kernel)
        if path is not None:
            _last_server, _last_path = str(file), path
            return path
    return _last_path
