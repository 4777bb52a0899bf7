"""One tracked run over ``MlflowClient``: start, tags and params, artifacts, heartbeat, end."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Param, RunTag
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH, MAX_TAG_VAL_LENGTH

ARTIFACT_DIR = "jupyter_exp"
HEARTBEAT_TAG = "jupyter_exp.heartbeat"
HEARTBEAT_INTERVAL_S = 30.0


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunRecorder:
    def __init__(self, client: MlflowClient, run: Any) -> None:
        self.client = client
        self.run = run
        self.run_id: str = run.info.run_id
        self._tmp = Path(tempfile.mkdtemp(prefix="jupyter-exp-"))
        self._staging = self._tmp / "staged"
        self._staging.mkdir()
        self._upload_lock = threading.Lock()
        self._uploads = 0
        self._stop_heartbeat = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name="jupyter-exp-heartbeat", daemon=True)
        self._heartbeat.start()

    @classmethod
    def start(
        cls, client: MlflowClient, experiment_id: str, run_name: str, tags: dict[str, str]
    ) -> RunRecorder:
        tags = {**tags, HEARTBEAT_TAG: utc_now_iso()}
        run = client.create_run(experiment_id, run_name=run_name, tags=_clip_tags(tags))
        return cls(client, run)

    def _beat(self) -> None:
        while not self._stop_heartbeat.wait(HEARTBEAT_INTERVAL_S):
            try:
                self.client.set_tag(self.run_id, HEARTBEAT_TAG, utc_now_iso())
            except Exception:
                pass

    def set_tags(self, tags: dict[str, str]) -> None:
        items = [RunTag(k, v) for k, v in _clip_tags(tags).items()]
        for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, tags=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])

    def log_params(self, params: dict[str, str]) -> None:
        items = [Param(k, str(v)[:MAX_PARAM_VAL_LENGTH]) for k, v in params.items()]
        for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
            self.client.log_batch(self.run_id, params=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])

    def log_metrics_now(self, metrics: dict[str, float], step: int = 0) -> None:
        from mlflow.entities import Metric

        timestamp = int(datetime.now(timezone.utc).timestamp() * 1000)
        self.client.log_batch(
            self.run_id, metrics=[Metric(k, float(v), timestamp, step) for k, v in metrics.items()]
        )

    def stage_text(self, name: str, text: str) -> None:
        self.stage_bytes(name, text.encode("utf-8"))

    def stage_json(self, name: str, document: Any) -> None:
        self.stage_text(name, json.dumps(document, indent=1, default=str, ensure_ascii=False))

    def stage_bytes(self, name: str, data: bytes) -> None:
        """Put an artifact aside for the next upload (atomically: uploads run on another thread)."""
        partial = self._tmp / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, self._staging / name)

    def upload_staged(self) -> None:
        """Send what is staged so far to ``jupyter_exp/`` in the run's artifacts."""
        with self._upload_lock:
            files = [p for p in self._staging.iterdir() if p.is_file()]
            if not files:
                return
            self._uploads += 1
            batch = self._tmp / f"upload-{self._uploads}"
            batch.mkdir()
            for path in files:
                os.replace(path, batch / path.name)
            self.client.log_artifacts(self.run_id, str(batch), ARTIFACT_DIR)

    def end(self, status: str) -> None:
        self._stop_heartbeat.set()
        try:
            self.upload_staged()
        finally:
            self.client.set_terminated(self.run_id, status)
            shutil.rmtree(self._tmp, ignore_errors=True)


def _clip_tags(tags: dict[str, Any]) -> dict[str, str]:
    return {k: str(v)[:MAX_TAG_VAL_LENGTH] for k, v in tags.items() if v is not None}
