"""What every suite shares: no network from MLflow, no idle MLflow job runners, and real git repositories."""

from __future__ import annotations

import os

# Set in the environment, not per test: kernels, servers and subprocesses the tests start inherit it.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

# MLflow 3's `mlflow server` also starts a job runner and seven huey consumers (~240 MB each) for GenAI jobs that
# no test uses; on a 2-core machine they slow every test that starts a server.
os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
