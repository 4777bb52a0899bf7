"""Pickle-free state files: torch state dicts (read back with ``weights_only=True``) and scikit-learn
estimators through skops. Anything else is refused: a checkpoint is loaded code otherwise."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from jupyter_exp.errors import BadRequest

TORCH = "torch-state-dict"
SKOPS = "skops"
FILES = {TORCH: "state.pt", SKOPS: "model.skops"}


class CheckpointError(BadRequest):
    """A checkpoint that cannot be written or read safely."""


def format_of(model: Any) -> str:
    """The format ``model`` is saved in, or a one-line refusal."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return TORCH
    sklearn_base = sys.modules.get("sklearn.base")
    if sklearn_base is not None and isinstance(model, sklearn_base.BaseEstimator):
        try:
            import skops.io  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise CheckpointError(
                "a scikit-learn checkpoint needs skops (pip install skops): it is never pickled"
            ) from None
        return SKOPS
    raise CheckpointError(
        f"cannot checkpoint a {type(model).__name__}: torch modules and scikit-learn estimators only "
        "(saved without pickle)"
    )


def save(fmt: str, model: Any, optimizer: Any, scheduler: Any, folder: Path) -> Path:
    """Write the state file into ``folder``; its path."""
    path = folder / FILES[fmt]
    if fmt == TORCH:
        import torch

        state = {"model": model.state_dict()}
        if optimizer is not None:
            state["optimizer"] = optimizer.state_dict()
        if scheduler is not None:
            state["scheduler"] = scheduler.state_dict()
        torch.save(state, path)
    else:
        if optimizer is not None or scheduler is not None:
            raise CheckpointError("a scikit-learn checkpoint has no optimizer or scheduler")
        import skops.io

        skops.io.dump(model, path)
    return path


def load(fmt: str, path: Path) -> dict[str, Any]:
    """The states in ``path``: ``{"model": ..., "optimizer": ..., "scheduler": ...}`` (torch state dicts,
    or the skops estimator under "model"). Never unpickles: torch with ``weights_only=True``; skops trusts
    only its default types."""
    if fmt == TORCH:
        import torch

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise CheckpointError(f"the checkpoint is not a plain state dict: {error}") from None
        if not isinstance(state, dict) or "model" not in state:
            raise CheckpointError("the checkpoint holds no model state")
        return dict(state)
    if fmt == SKOPS:
        import skops.io

        untrusted = skops.io.get_untrusted_types(file=path)
        if untrusted:
            raise CheckpointError(f"the checkpoint holds types skops does not trust: {', '.join(untrusted)}")
        return {"model": skops.io.load(path)}
    raise CheckpointError(f"unknown checkpoint format {fmt!r}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
