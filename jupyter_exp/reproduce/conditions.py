"""What the replay kernel must be started with to run as the original did: set before its interpreter
starts (the ``str`` hash seed, the time zone) or before CUDA initialises (cuBLAS's workspace, for
deterministic GEMMs)."""

from __future__ import annotations

import re

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.kernel import UNKNOWN_KERNEL, kernelspec_name
from jupyter_exp.capture.seeds import CUBLAS_DETERMINISTIC, CUBLAS_ENV
from jupyter_exp.reproduce.record import RunRecord

CURRENT_ZONE = "current"  # --tz current: the zone the replaying process runs in, not the recorded one


def replay_environment(record: RunRecord, deterministic: bool, tz: str | None = None) -> dict[str, str]:
    """Variables the replay kernel gets on top of the caller's environment: ``TZ`` is ``tz`` (``--tz``),
    else the recorded zone, so that a cell formatting local time runs as it did; ``tz="current"`` leaves
    the caller's zone. A sweep trial run by a ``--gpus`` worker replays on that worker's device
    (``CUDA_VISIBLE_DEVICES``)."""
    env: dict[str, str] = {}
    recorded = record.environment.get("time_zone")
    zone = tz or (recorded.get("name") if isinstance(recorded, dict) else None)
    if isinstance(zone, str) and zone and zone != CURRENT_ZONE:
        env["TZ"] = zone
    seed = record.tags.get(schema.HASHSEED, "")
    if seed.isdigit():
        env["PYTHONHASHSEED"] = seed
    cublas = record.determinism.get(CUBLAS_ENV)
    if cublas:
        env[CUBLAS_ENV] = cublas
    elif deterministic:
        env[CUBLAS_ENV] = CUBLAS_DETERMINISTIC
    device = record.tags.get(schema.SWEEP_DEVICE, schema.SWEEP_NO_DEVICE)  # a --gpus worker's trial
    if device != schema.SWEEP_NO_DEVICE and re.match(schema.SWEEP_DEVICE_PATTERN, device):
        env[schema.GPU_ENV] = device
    return env


def known_zone(zone: str) -> bool:
    """Whether ``zone`` is a time zone this machine knows (an IANA name: ``Europe/Paris``, ``Etc/GMT-14``),
    or ``current``."""
    if zone == CURRENT_ZONE:
        return True
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def replay_kernel_name(recorded: str | None) -> str | None:
    """The kernelspec to replay on: the recorded one; for a run recorded on an ``unknown`` spec, the
    current kernel's (``None`` when that is unknown too: the default)."""
    if recorded and recorded != UNKNOWN_KERNEL:
        return recorded
    current = kernelspec_name()
    return current if current != UNKNOWN_KERNEL else None
