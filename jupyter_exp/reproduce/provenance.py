"""Who recorded a run, where and when: reproducing it runs the code they recorded.

``mlflow.user`` is only advisory (anyone who can write to the store can set it): this guard keeps a user
from running somebody else's code by mistake. What makes reading a hostile record safe is elsewhere: the
record is read as data only (JSON with shape checks, never a pickle) and nothing of it runs before a yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import Conflict
from jupyter_exp.reproduce.errors import ReproduceError
from jupyter_exp.tracking.identity import store_user

if TYPE_CHECKING:
    from mlflow.entities import Run


class ForeignRecord(ReproduceError, Conflict):
    """The run was recorded by another user: its code runs only when the caller confirms."""


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


def provenance(run: Run, environment: dict[str, Any] | None = None) -> Provenance:
    """Who recorded MLflow run ``run``, from its tags (and the record's environment when downloaded)."""
    tags = run.data.tags
    host = tags.get(schema.KERNEL_HOST) or (environment or {}).get("hostname")
    started = datetime.fromtimestamp((run.info.start_time or 0) / 1000, tz=timezone.utc)
    return Provenance(tags.get(schema.USER), host, started.isoformat(timespec="seconds"))


def check_recorder(run: Run, confirmed: bool) -> None:
    """Refuse to replay code recorded by anyone but the current user unless ``confirmed``.

    Called on the run alone, before any artifact of its record is downloaded. A run whose recorder is
    missing or unreadable (the tag deleted, or no current user to compare with) counts as someone else's.
    """
    if confirmed:
        return
    origin, me = provenance(run), current_user()
    if origin.user and me and origin.user == me:
        return
    raise ForeignRecord(
        f"run {run.info.run_id} was {origin.describe()}: reproducing it runs their recorded code. "
        "Look at it first (--dry-run shows every cell that would run), then confirm with --yes "
        "(confirm_foreign in a REST request)"
    )
