"""The store side of one reproduction: the runs it made (found by its ``jupyter_exp.reproduction.id``
tag), how they end, and the verdict written on the reproduced run (its tag and ``reproduction.json``).

Blocking ``MlflowClient`` calls: the replay engine runs them on a thread.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.reproduce.drift import changed_inputs
from jupyter_exp.reproduce.record import read_produced
from jupyter_exp.reproduce.verify import (
    Tolerance,
    explain_inputs,
    failed_verdict,
    unverified_verdict,
    verdict_from,
)
from jupyter_exp.tracking.artifacts import ArtifactStoreError
from jupyter_exp.tracking.run_end import end_run

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.reproduce.reproduction import Reproduction


class ReproductionOutcome:
    """Writes what ``reproduction`` concluded to the store ``client`` reads and writes."""

    def __init__(self, client: MlflowClient, reproduction: Reproduction) -> None:
        self.client = client
        self.reproduction = reproduction

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
        return self.client.search_runs([reproduction.original.run.info.experiment_id], query)

    def find_run(self) -> str | None:
        runs = self.runs()
        return runs[0].info.run_id if runs else None

    def end_running(self, status: str) -> None:
        """No run of this reproduction is left RUNNING."""
        for run in self.runs(schema.RUNNING):
            end_run(self.client, run.info.run_id, status)

    def fail(self, where: str, ename: str, evalue: str, status: str) -> None:
        """A replay that raised: the verdict goes on the reproduced run if it started, else on a new one."""
        reproduction, client = self.reproduction, self.client
        reproduction.verdict = failed_verdict(where, ename, evalue, self.tolerance, self.overrides)
        reproduction.run_id = self.find_run()
        if reproduction.run_id is not None:
            self.end_running(status)
            return
        original = reproduction.original
        run = client.create_run(
            original.run.info.experiment_id,
            run_name=f"{original.name} (reproduced)",
            tags={
                schema.REPRODUCED_FROM: original.run_id,
                schema.REPRODUCTION_ID: reproduction.reproduction_id,
                schema.SOURCE_TYPE: schema.SOURCE_TYPE_NOTEBOOK,
                schema.SOURCE_NAME: original.tags.get(schema.SOURCE_NAME, ""),
                schema.KERNEL_NAME: reproduction.kernel_name,
            },
        )
        end_run(client, run.info.run_id, schema.FAILED_STATUS)
        reproduction.run_id = run.info.run_id

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
                    read_produced(client, reproduction.original_id),
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
        client.set_tag(run_id, schema.REPRODUCTION_VERDICT, reproduction.verdict.verdict)
