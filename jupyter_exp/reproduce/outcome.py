"""The store side of one reproduction: the runs it made (found by its ``jupyter_exp.reproduction.id``
tag), how they end, and the verdict written on the reproduced run (its tag and ``reproduction.json``).

Blocking ``MlflowClient`` calls: the replay engine runs them on a thread.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.state import recorded_algorithm
from jupyter_exp.errors import one_line
from jupyter_exp.reproduce.drift import changed_inputs
from jupyter_exp.reproduce.record import read_produced
from jupyter_exp.reproduce.verify import (
    Produced,
    Tolerance,
    explain_inputs,
    failed_verdict,
    unverified_verdict,
    verdict_from,
)
from jupyter_exp.tracking.artifacts import ArtifactStoreError
from jupyter_exp.tracking.identity import is_shared_store, store_user
from jupyter_exp.tracking.model_versions import refresh_version_verdicts
from jupyter_exp.tracking.recorder import send_tags
from jupyter_exp.tracking.run_end import end_run
from jupyter_exp.tracking.store import StoreRefused, refusal

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.reproduce.reproduction import Reproduction


REPRODUCTIONS_OF = schema.REPRODUCTIONS_OF
REPRODUCED_FROM_EXPERIMENT = schema.REPRODUCED_FROM_EXPERIMENT
REPRODUCED_FROM_USER = schema.REPRODUCED_FROM_USER


class ReproductionOutcome:
    """Writes what ``reproduction`` concluded to the store ``client`` reads and writes.

    The reproduction is recorded where the reproducer may write: the original's experiment when the run is
    their own (or the store is theirs alone), else ``<experiment> (reproductions by <user>)``, an
    experiment they create (and own, on a store with permissions), linked by tags to the original. A store
    that refuses a write is one line and a ``failed`` verdict, never a traceback."""

    def __init__(self, client: MlflowClient, reproduction: Reproduction) -> None:
        self.client = client
        self.reproduction = reproduction
        self._destination: tuple[str, str] | None = None
        self._original: Produced | None = None  # read_ahead()

    def read_ahead(self) -> None:
        """Where the reproduction is recorded and what the original produced, read while the replay kernel
        starts (nothing of the original changes during the replay); what cannot be read is read again by
        ``write_verdict``, which says why it cannot."""
        self._original = None
        _ = self.destination
        try:
            self._original = read_produced(self.client, self.reproduction.original_id)
        except ArtifactStoreError:
            pass

    def digest_algorithm(self) -> str | None:
        """The algorithm of the original's ``state.json`` digests (as ``read_ahead`` read it), which the
        replayed cell digests with (``capture/state.py: digest_as``); ``None``: the current one."""
        return recorded_algorithm(self._original.state) if self._original is not None else None

    @property
    def destination(self) -> tuple[str, str]:
        """``(experiment id, name)`` the reproduction's runs are recorded in."""
        if self._destination is None:
            self._destination = self._find_destination()
        return self._destination

    def _find_destination(self) -> tuple[str, str]:
        original = self.reproduction.original
        experiment_id = original.run.info.experiment_id
        name = self.client.get_experiment(experiment_id).name
        me, recorder = store_user(), original.tags.get(schema.USER)
        if not is_shared_store(str(self.client.tracking_uri)) or me is None or recorder in (None, me):
            return experiment_id, name
        own = f"{name} (reproductions by {me})"
        found = self.client.get_experiment_by_name(own)
        if found is not None:
            return found.experiment_id, own
        try:
            return self.client.create_experiment(own, tags={REPRODUCTIONS_OF: experiment_id}), own
        except Exception as error:  # e.g. created by a reproduction beside this one
            found = self.client.get_experiment_by_name(own)
            if found is None:
                raise self.refused(error, f"creating the experiment {own!r}") from None
            return found.experiment_id, own

    def refused(self, error: BaseException, doing: str) -> BaseException:
        """A store refusal as one line (``StoreRefused``); other errors as they are."""
        return refusal(error, str(self.client.tracking_uri), doing) or error

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(self.reproduction.options.rtol, self.reproduction.options.atol)

    @property
    def overrides(self) -> list[str]:
        return [o.describe() for o in self.reproduction.plan.overrides]

    def runs(self, status: str | None = None) -> list[Any]:
        """The runs this reproduction made (a replay records one; a retried job may leave more)."""
        reproduction = self.reproduction
        query = f"tags.`{schema.REPRODUCTION_ID}` = '{reproduction.reproduction_id}'"
        if status:
            query += f" and attributes.status = '{status}'"
        return self.client.search_runs([self.destination[0]], query)

    def find_run(self) -> str | None:
        runs = self.runs()
        return runs[0].info.run_id if runs else None

    def end_running(self, status: str) -> None:
        """No run of this reproduction is left RUNNING."""
        for run in self.runs(schema.RUNNING):
            end_run(self.client, run.info.run_id, status)

    def fail(self, where: str, ename: str, evalue: str, status: str) -> None:
        """A replay that raised: the verdict goes on the reproduced run if it started, else on a new one;
        a store that refuses that too leaves the ``failed`` verdict on no run, saying so in one line."""
        from mlflow.exceptions import MlflowException

        reproduction = self.reproduction
        reproduction.verdict = failed_verdict(where, ename, evalue, self.tolerance, self.overrides)
        try:
            self._record_failure(status)
        except (MlflowException, StoreRefused) as error:
            refused = self.refused(error, "recording the failed reproduction")
            line = one_line(refused)
            reproduction.run_id = None
            reproduction.verdict.summary += f"; not recorded: {line}"
            if reproduction.verdict.failure is not None:
                reproduction.verdict.failure["not_recorded"] = line

    def _record_failure(self, status: str) -> None:
        reproduction, client = self.reproduction, self.client
        reproduction.run_id = self.find_run()
        if reproduction.run_id is not None:
            self.end_running(status)
            return
        original = reproduction.original
        run = client.create_run(
            self.destination[0],
            run_name=f"{original.name} (reproduced)",
            tags={
                schema.REPRODUCED_FROM: original.run_id,
                schema.REPRODUCTION_ID: reproduction.reproduction_id,
                schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
                schema.SOURCE_NAME: original.tags.get(schema.SOURCE_NAME, ""),
                schema.KERNEL_NAME: reproduction.kernel_name,
                **self.link_tags(),
            },
        )
        end_run(client, run.info.run_id, schema.FAILED_STATUS)
        reproduction.run_id = run.info.run_id

    def link_tags(self) -> dict[str, str]:
        """What ties a run recorded outside the original's experiment to it: the original's experiment and
        who recorded it (the verdict's context)."""
        original = self.reproduction.original
        if self.destination[0] == original.run.info.experiment_id:
            return {}
        return {
            REPRODUCED_FROM_EXPERIMENT: original.run.info.experiment_id,
            REPRODUCED_FROM_USER: original.tags.get(schema.USER, ""),
        }

    def write_verdict(self) -> None:
        """The verdict (compared now unless the replay failed) as the reproduced run's tag and
        ``reproduction.json``; a replay that recorded no run gets none."""
        reproduction, client = self.reproduction, self.client
        run_id = reproduction.run_id
        if run_id is None:
            return  # the replay recorded no run: nothing to compare, nothing to write on
        if reproduction.verdict is None:
            try:
                original, reproduced = (
                    self._original
                    if self._original is not None
                    else read_produced(client, reproduction.original_id),
                    read_produced(client, run_id),
                )
            except ArtifactStoreError as error:  # not "nothing recorded": nothing could be compared
                reproduction.verdict = unverified_verdict(
                    f"not compared: {error}", self.tolerance, self.overrides
                )
            else:
                reproduction.verdict = verdict_from(original, reproduced, self.tolerance, self.overrides)
        explain_inputs(reproduction.verdict, changed_inputs(reproduction.drift))
        client.log_text(
            run_id,
            json.dumps(reproduction.document(), indent=1, default=str),
            f"{schema.ARTIFACT_DIR}/{schema.REPRODUCTION}",
        )
        tags = {schema.REPRODUCTION_VERDICT: reproduction.verdict.verdict}
        send_tags(client, run_id, {**tags, schema.REPRODUCTION_REPLAY: reproduction.replayed})  # one write
        refresh_version_verdicts(client, reproduction.original_id)  # registered versions of it
