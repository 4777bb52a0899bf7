"""One tracked run over ``MlflowClient``: start, tags and params, artifacts, heartbeat, end.

Everything the run still needs goes through its journal entry first (``journal.py``): a kernel that
dies after its cell returned leaves enough on disk for anyone to complete the run.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.secrets import MIN_SECRET_LENGTH, Redactor
from jupyter_exp.tracking import direct_run, mlflow_rules
from jupyter_exp.tracking.direct_run import DirectStore
from jupyter_exp.tracking.journal import EntryMeta, JournalEntry, host_name, strip_credentials
from jupyter_exp.tracking.param_sink import write_params
from jupyter_exp.tracking.store import refusal

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

ARTIFACT_DIR = schema.ARTIFACT_DIR
HEARTBEAT_TAG = schema.HEARTBEAT
HEARTBEAT_INTERVAL_S = 30.0
UNMASKED = (".png", ".jpg", ".jpeg", ".pkl")  # images and pickles: bytes, never masked
JSON_ARTIFACTS = (".json", ".ipynb")


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def now_ms() -> int:
    return int(time.time() * 1000)


class RunRecorder:
    """A run and its journal entry. Offline (``client`` None: the store is away) it only journals, under a
    local id; the run is created in the store when the journal is delivered."""

    def __init__(
        self, client: MlflowClient | None, run: Run | None, run_id: str, entry: JournalEntry
    ) -> None:
        self.client = client
        self.run = run
        self.run_id = run_id
        self.entry = entry
        self._upload_lock = threading.Lock()
        self._stop_heartbeat = threading.Event()
        self._secrets: set[str] = set()
        if client is not None:
            threading.Thread(target=self._beat, name="jupyter-exp-heartbeat", daemon=True).start()

    @property
    def offline(self) -> bool:
        return self.client is None

    @classmethod
    def start(
        cls,
        client: MlflowClient | None,
        experiment: tuple[str | None, str],
        run_name: str,
        tags: dict[str, Any],
        journal: Path,
        tracking_uri: str,
        expected_artifacts: tuple[str, ...] = (),
        direct: DirectStore | None = None,
    ) -> RunRecorder:
        """Create the run (``experiment`` is its id and name) and its journal entry; offline, only the entry.
        With ``direct`` the run's row is written straight into the SQLite store (``direct_run.py``: no
        MLflow import on the cell's path); when that experiment is no longer active, MLflow's way. With
        ``direct`` and no client the run is created there and the rest of it only journaled (a replay
        driver on this machine delivers it: ``TrackOptions.journal_only``)."""
        experiment_id, experiment_name = experiment
        redactor = Redactor.from_environment()
        run_name = redactor.text(run_name)
        tags = _clip_tags(redactor.document({**tags, HEARTBEAT_TAG: utc_now_iso()}))
        run = None
        direct_id = None
        if direct is not None:
            started = now_ms()
            direct_id = direct_run.create_run(
                direct, run_name, tags, started, tags.get(schema.USER) or "unknown"
            )
        if direct_id is not None:
            run_id = direct_id
        elif client is not None and experiment_id is not None:
            from mlflow.exceptions import MlflowException

            try:
                run = client.create_run(experiment_id, run_name=run_name, tags=tags)
            except MlflowException as error:
                refused = refusal(error, tracking_uri, f"a run in experiment {experiment_name!r}")
                if refused is not None:
                    raise refused from None  # nothing was written: no run, no journal entry
                raise
            run_id, started = run.info.run_id, run.info.start_time
        else:
            run_id, started = f"offline-{uuid.uuid4().hex}", now_ms()
        meta = EntryMeta(
            run_id=run_id,
            tracking_uri=strip_credentials(tracking_uri),
            experiment_id=experiment_id or "",
            host=host_name(),
            pid=os.getpid(),
            kernel_id=tags.get(schema.KERNEL_ID),
            created_ms=started,
            expected_artifacts=expected_artifacts,
            offline=run is None and direct_id is None,
            experiment_name=experiment_name,
            run_name=run_name,
        )
        entry = JournalEntry.create(journal, meta)
        if meta.offline:
            entry.merge("tags.json", tags)  # the run's start tags, for when it is created
        return cls(client, run, run_id, entry)

    def store_run(self) -> Run | None:
        """The run as MLflow's entity (for MLflow's active run during the cell): the one ``create_run``
        returned, or, for a run created directly, read once the client is there; ``None`` offline."""
        if self.run is None and self.client is not None:
            self.run = self.client.get_run(self.run_id)
        return self.run

    def _beat(self) -> None:
        assert self.client is not None  # offline runs do not beat
        while not self._stop_heartbeat.wait(HEARTBEAT_INTERVAL_S):
            try:
                self.client.set_tag(self.run_id, HEARTBEAT_TAG, utc_now_iso())
            except Exception:
                pass

    def add_secrets(self, values: Any) -> None:
        """Values masked, from now on, wherever they appear in what this run records (besides the
        secret environment variables' values and token shapes, always masked)."""
        self._secrets.update(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)

    def redactor(self) -> Redactor:
        """Masks what the record holds: read now, so that a secret the cell put in the environment counts."""
        return Redactor.from_environment(self._secrets)

    def set_tags(self, tags: dict[str, Any]) -> None:
        clipped = _clip_tags(self.redactor().document(tags))
        self.entry.merge("tags.json", clipped)
        if self.client is not None:
            send_tags(self.client, self.run_id, clipped)

    def log_params(self, params: dict[str, Any]) -> None:
        masked = self.redactor().document({k: str(v) for k, v in params.items()})
        clipped = {k: v[: mlflow_rules.MAX_PARAM_VAL_LENGTH] for k, v in masked.items()}
        self.entry.merge("params.json", clipped)
        if self.client is not None:
            send_params(self.client, self.run_id, clipped)

    def stage_text(self, name: str, text: str) -> None:
        if not _unmasked(name):
            text = self.redactor().text(text)
        self.entry.stage(name, text.encode("utf-8", "backslashreplace"))

    def stage_chunks(self, name: str, chunks: list[bytes]) -> None:
        """An unmasked artifact (generator states) staged from its chunks, never joined in memory."""
        if not _unmasked(name):
            raise ValueError(f"{name} is masked: stage it whole")
        self.entry.stage(name, chunks)

    def stage_masked_chunks(self, name: str, chunks_of: Callable[[Redactor], list[bytes]]) -> None:
        """A masked artifact written by ``chunks_of(redactor)`` in chunks that it masked with that redactor
        (``history.json``: each earlier entry masked and encoded once across a session's tracked cells)."""
        self.entry.stage(name, chunks_of(self.redactor()))

    def stage_json(self, name: str, document: Any) -> None:
        if not _unmasked(name):
            document = self.redactor().document(document)
        text = json.dumps(document, indent=1, default=str, ensure_ascii=False)
        self.entry.stage(name, text.encode("utf-8", "backslashreplace"))

    def stage_bytes(self, name: str, data: bytes) -> None:
        """Put an artifact aside in the journal for the next upload (atomically), its text masked."""
        if _unmasked(name) or name.endswith(UNMASKED):
            self.entry.stage(name, data)
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # not text: nothing a secret could be found in as such
            self.entry.stage(name, data)
            return
        if name.endswith(JSON_ARTIFACTS):
            try:
                self.stage_json(name, json.loads(text))
                return
            except ValueError:
                pass
        self.stage_text(name, text)

    def upload_staged(self) -> None:
        """Send what is staged so far to ``jupyter_exp/`` in the run's artifacts."""
        if self.client is None:
            return  # offline: the journal keeps it
        with self._upload_lock:
            batch = self.entry.take_staged()
            if batch is not None:
                upload_folder(self.client, self.run_id, batch)

    def stop_heartbeat(self) -> None:
        self._stop_heartbeat.set()


def send_tags(client: MlflowClient, run_id: str, tags: dict[str, str]) -> None:
    from mlflow.entities import RunTag
    from mlflow.utils.validation import MAX_PARAMS_TAGS_PER_BATCH

    items = [RunTag(k, v) for k, v in tags.items()]
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, tags=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])


def send_params(client: MlflowClient, run_id: str, params: dict[str, str]) -> None:
    if write_params(client, run_id, params):  # a SQLite store: one transaction, one read of the run's
        return
    from mlflow.entities import Param
    from mlflow.utils.validation import MAX_PARAMS_TAGS_PER_BATCH

    items = [Param(k, v) for k, v in params.items()]
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        client.log_batch(run_id, params=items[start : start + MAX_PARAMS_TAGS_PER_BATCH])


def upload_folder(client: MlflowClient, run_id: str, folder: Path) -> None:
    """Upload a folder of artifacts to ``jupyter_exp/``; removed once the store has them. A local artifact
    store that fails part way (a full disk) is left without the partial files."""
    try:
        client.log_artifacts(run_id, str(folder), ARTIFACT_DIR)
    except OSError:
        _remove_partial_files(client, run_id, folder)
        raise
    shutil.rmtree(folder, ignore_errors=True)


def _remove_partial_files(client: MlflowClient, run_id: str, folder: Path) -> None:
    from mlflow.utils.file_utils import local_file_uri_to_path

    uri = client.get_run(run_id).info.artifact_uri or ""
    if "://" in uri and not uri.startswith("file:"):
        return  # a remote artifact store: an object is either uploaded whole or not at all
    base = Path(local_file_uri_to_path(uri)) / ARTIFACT_DIR
    for source in folder.rglob("*"):
        target = base / source.relative_to(folder)
        try:
            if source.is_file() and target.is_file() and target.stat().st_size != source.stat().st_size:
                target.unlink()
        except OSError:
            pass


def _unmasked(name: str) -> bool:
    """Generator states are numbers the record needs exactly (``rng_state.json``, ``rng_history.json``)."""
    return name.rsplit("/", 1)[-1].startswith("rng_")


def _clip_tags(tags: dict[str, Any]) -> dict[str, str]:
    return {k: str(v)[: mlflow_rules.MAX_TAG_VAL_LENGTH] for k, v in tags.items() if v is not None}
