"""Reproducing a seed group's parent: one replay per finished child, in seed order, and an overall verdict
(the worst child's: a group reproduces exactly only when every child does)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.reproduce.errors import InvalidReproduction, ReproduceStoreFailure
from jupyter_exp.text_table import text_table
from jupyter_exp.tracking.store import StoreError, client_for

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

# worst last: one diverged child makes the group diverged; unverified ranks above close (a match proves less)
RANK = (schema.EXACT, schema.CLOSE, schema.VARIED, schema.UNVERIFIED, schema.DIVERGED, schema.FAILED)


@dataclass
class GroupReproduction:
    parent_id: str
    name: str
    seeds: list[int]  # of the children replayed, in order
    reproductions: list[Any] = field(default_factory=list)  # replay.Reproduction, one per child
    left_out: list[str] = field(default_factory=list)  # children not replayed and why

    @property
    def verdict(self) -> str:
        verdicts = [
            r.verdict.verdict if r.verdict is not None else schema.UNVERIFIED for r in self.reproductions
        ]
        if not verdicts:
            return schema.UNVERIFIED
        return max(verdicts, key=lambda v: RANK.index(v) if v in RANK else len(RANK))

    @property
    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.reproductions:
            verdict = r.verdict.verdict if r.verdict is not None else schema.UNVERIFIED
            counts[verdict] = counts.get(verdict, 0) + 1
        parts = ", ".join(
            f"{n} {verdict}" for verdict, n in sorted(counts.items(), key=lambda i: RANK.index(i[0]))
        )
        text = f"{len(self.reproductions)} children replayed: {parts}"
        return text + ("; " + "; ".join(self.left_out) if self.left_out else "")

    def __repr__(self) -> str:
        rows = [
            (str(seed), r.original_id, str(r.run_id), r.verdict.verdict if r.verdict else schema.UNVERIFIED)
            for seed, r in zip(self.seeds, self.reproductions, strict=True)
        ]
        head = f"[jupyter-exp] {self.verdict.upper()}: group {self.name} ({self.parent_id}): {self.summary}"
        return head + "\n" + text_table(rows, ("seed", "original", "reproduction", "verdict"))

    def _repr_html_(self) -> str:
        return f"<pre class='jp-exp-verdict'>{html.escape(repr(self))}</pre>"


def group_children(client: MlflowClient, parent_id: str) -> tuple[Run, list[Run]] | None:
    """The parent run and its children in seed order, or None when ``parent_id`` is not a seed group's parent."""
    from mlflow.exceptions import MlflowException

    try:
        parent = client.get_run(parent_id)
    except MlflowException:  # no such run: the plain reproduction says so
        return None
    seeds_text = parent.data.tags.get(schema.GROUP_SEEDS)
    if not seeds_text:
        return None
    query = f"tags.`{schema.PARENT_RUN_ID}` = '{parent_id}'"
    children = client.search_runs([parent.info.experiment_id], query, max_results=10_000)
    order = {seed: index for index, seed in enumerate(seeds_text.split(","))}
    children.sort(key=lambda run: order.get(run.data.tags.get(schema.SEED, ""), len(order)))
    return parent, children


@dataclass(frozen=True)
class GroupPlan:
    """What reproducing a group's parent replays: its finished children in seed order, and the rest."""

    parent_id: str
    name: str
    children: list[Any]  # FINISHED child runs, in seed order
    left_out: list[str]  # children not replayed and why

    @property
    def seeds(self) -> list[int]:
        return [int(child.data.tags.get(schema.SEED, -1)) for child in self.children]

    def result(self, reproductions: list[Any]) -> GroupReproduction:
        return GroupReproduction(self.parent_id, self.name, self.seeds, reproductions, list(self.left_out))


def plan_group(client: MlflowClient, parent_id: str) -> GroupPlan | None:
    """None when ``parent_id`` is not a seed group's parent; a ReproduceError when none of its children
    finished."""
    found = group_children(client, parent_id)
    if found is None:
        return None
    parent, children = found
    left_out = [
        f"seed {child.data.tags.get(schema.SEED)} not replayed ({child.info.status})"
        for child in children
        if child.info.status != schema.FINISHED
    ]
    finished = [c for c in children if c.info.status == schema.FINISHED]
    if not finished:
        raise InvalidReproduction(f"group {parent_id} has no finished child run to reproduce")
    return GroupPlan(parent_id, parent.info.run_name or parent_id, finished, left_out)


def reproduce_group(
    parent_id: str,
    location: StoreLocation,
    replay_one: Callable[[str], Any],
) -> GroupReproduction | None:
    """Replay every FINISHED child of the group with ``replay_one(run_id)`` (the replay's public entry with
    the caller's options); None when ``parent_id`` is not a group's parent."""
    try:
        client = client_for(location)
    except StoreError as error:
        raise ReproduceStoreFailure(str(error)) from None
    plan = plan_group(client, parent_id)
    if plan is None:
        return None
    return plan.result([replay_one(child.info.run_id) for child in plan.children])
