"""Record a notebook's cells in a real kernel, then reproduce one of its runs in a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil

from jupyter_exp.config import JupyterExp, StoreLocation, resolve_store
from jupyter_exp.reproduce.replay import ReproduceOptions, Reproduction, reproduce_blocking
from tests.support.kernels import KernelSession, all_runs, store, write_notebook


def location(root: Path) -> StoreLocation:
    return resolve_store(JupyterExp(root=str(root)))


def replay_kernels() -> set[int]:
    me = psutil.Process()
    return {p.pid for p in me.children(recursive=True) if "ipykernel_launcher" in " ".join(p.cmdline())}


def reproduce(root: Path, run_id: str, **options: Any) -> Reproduction:
    """The full history unless ``slice=True`` (these tests assert on full plans; the slice has its own)."""
    options.setdefault("slice", False)
    before = replay_kernels()
    result = reproduce_blocking(run_id, location(root), ReproduceOptions(**options))
    assert replay_kernels() <= before, "the replay kernel was left running"
    return result


def record_session(
    root: Path, sources: list[str], order: list[int], name: str = "train.ipynb"
) -> dict[str, Any]:
    """The cells of ``sources`` in ``order``, each as its notebook cell, in one kernel; what it recorded."""
    notebook = root / "nb" / name
    ids = write_notebook(notebook, sources)
    session = KernelSession(root, notebook)
    try:
        outputs = {}
        for index in order:
            reply, outputs[index] = session.run(sources[index], ids[index])
            assert reply["status"] == "ok", (index, reply)
    finally:
        session.close()
    runs = {r.info.run_name: r for r in all_runs(store(root))}
    return {"root": root, "notebook": notebook, "ids": ids, "outputs": outputs, "runs": runs}
