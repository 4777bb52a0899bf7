"""What every suite shares: no network from MLflow, and real git repositories."""

from __future__ import annotations

import os

# Set in the environment, not per test: kernels, servers and subprocesses the tests start inherit it.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
