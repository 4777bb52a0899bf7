"""Run management from the sidebar: rename, tag, note, delete and restore (MLflow's deleted lifecycle).

Each is one MlflowClient call on a run that exists; the store's own permissions decide (a tracking server's
403 becomes a one-line ``Forbidden``). The record's own tags (``mlflow.*``, ``jupyter_exp.*``) are not the
user's to set or remove here: a reproduction reads them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

from jupyter_exp import record_schema as schema
from jupyter_exp.errors import BadRequest, Conflict, JupyterExpError, NotFound, one_line

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

T = TypeVar("T")
MAX_NAME = 250  # MLflow's limit on a tag value it indexes (runName)
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 8000
MAX_NOTE = 100_000
RESERVED_PREFIXES = ("mlflow.", "jupyter_exp.")
DELETED = "deleted"
ACTIVE = "active"


class Forbidden(JupyterExpError):
    """The store refused the change to this user (a tracking server's permissions)."""

    http_status = 403


class RunNotFound(NotFound):
    """No run with that id in the store."""


def _store_call(run_id: str, action: str, call: Callable[[], T]) -> T:
    """``call()``, with MLflow's refusals as one-line errors of ours."""
    from mlflow.exceptions import MlflowException

    try:
        return call()
    except MlflowException as error:
        if (
            error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
            and "not found" in str(error).lower()
        ):
            raise RunNotFound(f"no run with id {run_id!r}") from None
        if error.error_code in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
            raise Forbidden(f"the store does not let you {action} run {run_id}: {one_line(error)}") from None
        raise


def existing_run(client: MlflowClient, run_id: str) -> Run:
    """The run, deleted or not; ``RunNotFound`` when the store has none by that id."""
    from mlflow.exceptions import MlflowException

    try:
        return _store_call(run_id, "read", lambda: client.get_run(run_id))
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise RunNotFound(f"no run with id {run_id!r}") from None
        raise


def _one_line_text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string")
    text = value.strip()
    if not text:
        raise BadRequest(f"{what} must not be empty")
    if "\n" in text or "\r" in text:
        raise BadRequest(f"{what} must be one line")
    if len(text) > limit:
        raise BadRequest(f"{what} is longer than {limit} characters")
    return text


def check_user_tag_key(key: object) -> str:
    """A tag key the user may set or remove: not one of the record's (``mlflow.*``, ``jupyter_exp.*``)."""
    text = _one_line_text(key, "a tag key", MAX_TAG_KEY)
    if text.startswith(RESERVED_PREFIXES):
        raise BadRequest(
            f"tag {text!r} belongs to the run's record: keys starting with mlflow. or jupyter_exp. are kept"
        )
    return text


def rename_run(client: MlflowClient, run_id: str, name: object) -> str:
    """Give the run a new name (MLflow's ``runName``); returns the name as stored."""
    text = _one_line_text(name, "the run name", MAX_NAME)
    existing_run(client, run_id)
    _store_call(run_id, "rename", lambda: client.update_run(run_id, name=text))
    return text


def set_note(client: MlflowClient, run_id: str, note: object) -> str | None:
    """The run's note (MLflow's ``mlflow.note.content``, shown by the MLflow UI too); empty removes it."""
    if not isinstance(note, str):
        raise BadRequest("the note must be a string")
    if len(note) > MAX_NOTE:
        raise BadRequest(f"the note is longer than {MAX_NOTE} characters")
    run = existing_run(client, run_id)
    if note.strip():
        _store_call(run_id, "edit the note of", lambda: client.set_tag(run_id, schema.NOTE, note))
        return note
    if schema.NOTE in run.data.tags:
        _store_call(run_id, "edit the note of", lambda: client.delete_tag(run_id, schema.NOTE))
    return None


def update_tags(
    client: MlflowClient, run_id: str, set_tags: Mapping[str, object], delete: Sequence[object]
) -> dict[str, str]:
    """Set ``set_tags`` and remove ``delete`` (the user's own tags only); returns the run's tags after.

    Everything is checked before anything is written, so a bad key leaves the run as it was."""
    from mlflow.entities import RunTag

    if not isinstance(set_tags, Mapping) or not isinstance(delete, Sequence) or isinstance(delete, str):
        raise BadRequest("tags: 'set' must be an object and 'delete' a list of keys")
    pairs: list[tuple[str, str]] = []
    for key, value in set_tags.items():
        if not isinstance(value, str):
            raise BadRequest(f"the value of tag {key!r} must be a string")
        if len(value) > MAX_TAG_VALUE:
            raise BadRequest(f"the value of tag {key!r} is longer than {MAX_TAG_VALUE} characters")
        pairs.append((check_user_tag_key(key), value))
    removed = [check_user_tag_key(key) for key in delete]
    if not pairs and not removed:
        raise BadRequest("tags: nothing to set or delete")
    run = existing_run(client, run_id)
    unknown = [key for key in removed if key not in run.data.tags]
    if unknown:
        raise BadRequest(f"run {run_id} has no tag {', '.join(repr(k) for k in unknown)}")
    if pairs:
        tags = [RunTag(key, value) for key, value in pairs]
        _store_call(run_id, "tag", lambda: client.log_batch(run_id, tags=tags))
    for key in removed:
        _store_call(run_id, "untag", functools.partial(client.delete_tag, run_id, key))
    after = dict(run.data.tags)
    after.update(pairs)
    for key in removed:
        after.pop(key, None)
    return dict(sorted(after.items()))


def delete_run(client: MlflowClient, run_id: str) -> str:
    """Move the run to MLflow's deleted state (restorable until the store's garbage collection); a run
    still running is refused: its kernel is writing to it."""
    run = existing_run(client, run_id)
    if run.info.lifecycle_stage == DELETED:
        return DELETED
    if run.info.status == schema.RUNNING:
        raise Conflict(f"run {run_id} is still running: stop it (or let it end) before deleting it")
    _store_call(run_id, "delete", lambda: client.delete_run(run_id))
    return DELETED


def restore_run(client: MlflowClient, run_id: str) -> str:
    """Bring a deleted run back to the active runs."""
    run = existing_run(client, run_id)
    if run.info.lifecycle_stage != DELETED:
        return ACTIVE
    _store_call(run_id, "restore", lambda: client.restore_run(run_id))
    return ACTIVE
