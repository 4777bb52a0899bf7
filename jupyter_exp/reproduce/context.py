"""Where a run was computed: device, GPU model, driver, CUDA and cuDNN, library versions and the determinism
settings in force; and what differs between an original and its replay, so that a verdict says it
("close, on a different GPU model (NVIDIA A100 → NVIDIA H100)")."""

from __future__ import annotations

from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.seeds import parse_settings

COMPARED_LIBRARIES = ("torch", "numpy", "scipy", "scikit-learn", "pandas", "jax", "jaxlib", "tensorflow")


def conditions(environment: dict[str, Any] | None, tags: dict[str, str]) -> dict[str, Any]:
    """The conditions of one run, from its ``environment.json`` and tags."""
    env = environment or {}
    gpu = env.get("gpu") or {}
    packages = env.get("packages") or {}
    return {
        "device": tags.get(schema.DEVICE, ""),
        "gpu_model": ", ".join(g.get("name", "?") for g in gpu.get("gpus") or []),
        "driver": str(gpu.get("driver") or ""),
        "cuda": str(gpu.get("torch_cuda_build") or ""),
        "cudnn": str(gpu.get("cudnn") or ""),
        "libraries": {name: packages[name] for name in COMPARED_LIBRARIES if name in packages},
        "determinism": parse_settings(tags.get(schema.DETERMINISM, "")),
        "time_zone": _time_zone(env.get("time_zone")),
    }


def _time_zone(recorded: Any) -> str:
    """``Etc/UTC (+0000)`` from ``environment.json``'s ``time_zone``; empty when not recorded."""
    if not isinstance(recorded, dict):
        return ""
    name, offset = recorded.get("name"), recorded.get("utc_offset")
    return " ".join(str(part) for part in (name or "", f"({offset})" if offset else "") if part)


def _kind(device: str) -> str:
    return device.split(":")[0].split(" ")[0]


def _changed(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return [
        f"{k} {a.get(k) or 'unset'} → {b.get(k) or 'unset'}" for k in sorted({*a, *b}) if a.get(k) != b.get(k)
    ]


def differences(original: dict[str, Any], replay: dict[str, Any]) -> list[str]:
    """What differs, worded to follow a verdict; only what both runs recorded is compared."""
    found = []
    if original["device"] and replay["device"] and _kind(original["device"]) != _kind(replay["device"]):
        found.append(f"on another device ({original['device']} → {replay['device']})")
    elif original["gpu_model"] and replay["gpu_model"] and original["gpu_model"] != replay["gpu_model"]:
        found.append(f"on a different GPU model ({original['gpu_model']} → {replay['gpu_model']})")
    for key, what in (("driver", "GPU driver"), ("cuda", "CUDA"), ("cudnn", "cuDNN")):
        if original[key] and replay[key] and original[key] != replay[key]:
            found.append(f"with another {what} ({original[key]} → {replay[key]})")
    libraries = _changed(original["libraries"], replay["libraries"])
    if libraries and original["libraries"] and replay["libraries"]:
        found.append(f"with other library versions ({', '.join(libraries)})")
    if original["determinism"] and replay["determinism"]:
        settings = _changed(original["determinism"], replay["determinism"])
        if settings:
            found.append(f"with other determinism settings ({', '.join(settings)})")
    before, after = original.get("time_zone"), replay.get("time_zone")
    if before and after and before != after:
        found.append(f"under another time zone ({before} → {after})")
    return found
