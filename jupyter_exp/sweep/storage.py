"""Where a sweep's Optuna study lives: a ``JournalStorage`` file beside the run journal for the store, and
the storage's URL as records may show it (never a password)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@]*)(?::[^@/]*)?@")


def without_credentials(url: str) -> str:
    """``postgresql://me:secret@db/optuna`` -> ``postgresql://me@db/optuna``: the password never reaches a record."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}@" if m["user"] else m["scheme"], url)


def journal_file(journal_dir: Path) -> Path:
    """The sweeps' journal file, in a folder beside the run journal (the journal's guard owns its folder)."""
    folder = journal_dir.parent / f"{journal_dir.name}-sweeps"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / "optuna-journal.log"


def journal_storage(path: Path) -> tuple[optuna.storages.BaseStorage, str]:
    """Optuna's JournalStorage on a local file, and its URL for the record."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path))), f"journal:{path}"


def sampler_and_pruner(prune: str, seed: int | None) -> tuple[Any, Any, dict[str, str]]:
    """Optuna's sampler (its default TPE, seeded) and the pruner ``--prune`` names, with how the record
    describes them."""
    import optuna

    sampler = optuna.samplers.TPESampler(seed=seed)
    pruner: Any
    if prune == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
    elif prune == "hyperband":
        pruner = optuna.pruners.HyperbandPruner()
    else:
        pruner = optuna.pruners.NopPruner()
    described = {
        "sampler": type(sampler).__name__,
        "sampler_seed": str(seed),
        "pruner": type(pruner).__name__,
    }
    return sampler, pruner, described
