"""What the gateway suite's parts are started with: the kernelspec that stands in for a GPU kernel, the
variable only its kernels have, and an environment without the test process's own store and kernel names."""

from __future__ import annotations

import os

GPU_KERNEL = "gpu-sim"
MARKER_ENV = "JX_TEST_GPU_MARKER"  # set by the gateway's kernelspec only
# what the test process may have that must not leak into the parts started here
LOCAL_NAMES = ("MLFLOW_", "JUPYTER_EXP_", "JPY_", "KERNEL_", "JUPYTER_GATEWAY_", "PYTHONHASHSEED")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(LOCAL_NAMES)} | {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        # jupyter_server's gateway client waits this long for a kernel and asks the gateway to (default 40 s):
        # generous, for a machine busy with other work
        "KERNEL_LAUNCH_TIMEOUT": "240",
    }
