"""Who recorded a run, where and when: reproducing it runs the code they recorded.

``mlflow.user`` is only advisory (anyone who can write to the store can set it), so this is a guard
against running somebody else's code by mistake, not a security boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .. import record_schema as schema
from ..tracking.identity import store_user
from .errors import ReproduceError
from .record import RunRecord


class ForeignRecord(ReproduceError):
    """The run was recorded by another user: its code runs only when the caller confirms."""

    http_status = 409


@dataclass(frozen=True)
class Provenance:
    user: str | None
    host: str | None
    recorded_at: str

    def describe(self) -> str:
        where = f" on {self.host}" if self.host else ""
        return f"recorded by {self.user or 'an unknown user'}{where} at {self.recorded_at}"


def current_user() -> str | None:
    """The name a run of this user records in ``mlflow.user`` (tracking/identity.py)."""
    return store_user()


def provenance(record: RunRecord) -> Provenance:
    tags = record.tags
    host = tags.get(schema.KERNEL_HOST) or record.environment.get("hostname")
    started = datetime.fromtimestamp(record.run.info.start_time / 1000, tz=timezone.utc)
    return Provenance(tags.get(schema.USER), host, started.isoformat(timespec="seconds"))


def check_recorder(record: RunRecord, confirmed: bool) -> None:
    """Refuse to replay another user's recorded code unless ``confirmed``."""
    origin = provenance(record)
    if confirmed or origin.user is None or origin.user == current_user():
        return
    raise ForeignRecord(
        f"run {record.run_id} was {origin.describe()}: reproducing it runs their recorded code. "
        "Look at it first (--dry-run shows every cell that would run), then confirm with --yes "
        "(confirm_foreign in a REST request)"
    )
