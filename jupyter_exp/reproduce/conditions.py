"""What the replay kernel must be started with to run as the original did: set before its interpreter
starts (the ``str`` hash seed) or before CUDA initialises (cuBLAS's workspace, for deterministic GEMMs)."""

from __future__ import annotations

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.seeds import CUBLAS_DETERMINISTIC, CUBLAS_ENV
from jupyter_exp.reproduce.record import RunRecord


def replay_environment(record: RunRecord, deterministic: bool) -> dict[str, str]:
    """Variables the replay kernel gets on top of the caller's environment."""
    env: dict[str, str] = {}
    seed = record.tags.get(schema.HASHSEED, "")
    if seed.isdigit():
        env["PYTHONHASHSEED"] = seed
    cublas = record.determinism.get(CUBLAS_ENV)
    if cublas:
        env[CUBLAS_ENV] = cublas
    elif deterministic:
        env[CUBLAS_ENV] = CUBLAS_DETERMINISTIC
    return env
