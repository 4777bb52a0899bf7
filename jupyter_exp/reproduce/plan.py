"""The replay plan: which recorded cells run, in which order, with what, and which are skipped.

The recorded history is replayed in execution order (hidden state from out-of-order execution is
exactly what must come back), up to and including the tracked cell; a sliced plan keeps only the cells of
the tracked cell's dependency slice (``capture/slicing.py``: recorded as ``slice.json``, computed from the
history for a run recorded without one).
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture import rng_codec
from jupyter_exp.capture.cell import parse_python
from jupyter_exp.capture.slicing import (
    IMPORTS_ONLY,
    HistorySlice,
    cell_facts,
    generator_names,
    import_statements,
    slice_history,
)
from jupyter_exp.reproduce.errors import OverrideError
from jupyter_exp.reproduce.record import RunRecord

INSTALL_LINE = re.compile(r"^\s*[!%]{1,2}\s*(pip|pip3|conda|mamba|uv\s+pip)\s+(install|uninstall)\b")
LOAD_EXT = re.compile(r"^\s*%(load_ext|reload_ext)\s+(\S+)\s*$")
REPRODUCE = re.compile(r"^\s*%{1,2}reproduce\b", re.MULTILINE)
TRACK = re.compile(r"^\s*%%track\b")
OWN_EXTENSION = "jupyter_exp"
# jupyter_exp's magics that only read the store (and import pandas and MLflow to do it, seconds in a fresh
# kernel): a line of its own binds nothing but the output history
READ_ONLY_MAGIC = re.compile(r"^\s*%(runs|compare)\b")
READ_ONLY_REASON = "read-only jupyter_exp magic"


@dataclass
class ReplayStep:
    execution_count: int
    cell_id: str | None
    source: str
    tracked: bool = False  # a %%track cell
    target: bool = False  # the cell being reproduced
    seed: int | None = None
    deterministic: bool = False
    has_rng_state: bool = False
    assign: dict[str, Any] = field(default_factory=dict)  # --set values for the namespace
    removed_lines: list[str] = field(default_factory=list)
    imports_only: bool = False  # in the slice for its imports alone: only its import statements run

    @property
    def label(self) -> str:
        first = next((line.strip() for line in self.source.splitlines() if line.strip()), "")
        return f"[{self.execution_count}] {first[:60]}"


@dataclass
class SkippedEntry:
    execution_count: int
    source: str
    reason: str
    sliced: bool = False  # left out by the slice (a full replay runs it)


@dataclass
class Override:
    name: str
    original: Any
    value: Any
    where: str  # "cell", "namespace" or "seed" (vary_seed)

    def describe(self) -> str:
        return f"{self.name}: {self.original!r} → {self.value!r}"


@dataclass
class ReplayPlan:
    steps: list[ReplayStep]
    skipped: list[SkippedEntry]
    overrides: list[Override]
    sliced: bool = False  # only the tracked cell's slice is replayed
    history_size: int = 0  # cells in the recorded history

    @property
    def sliced_out(self) -> list[SkippedEntry]:
        """The cells a full replay runs and this sliced one does not."""
        return [s for s in self.skipped if s.sliced]

    def describe(self) -> str:
        """``replays 3 of 41 cells (the tracked cell's slice)``."""
        how = "the tracked cell's slice" if self.sliced else "the full history"
        return f"replays {len(self.steps)} of {self.history_size} cells ({how})"

    @property
    def target(self) -> ReplayStep:
        return self.steps[-1]

    @property
    def without_rng_state(self) -> list[int]:
        return [s.execution_count for s in self.steps if not s.has_rng_state]


def _skip_reason(source: str, loaded: set[str]) -> str | None:
    if not source.strip():
        return "empty"
    if REPRODUCE.search(source):
        return "%reproduce"
    lines = [line for line in source.splitlines() if line.strip()]
    if all(READ_ONLY_MAGIC.match(line) for line in lines):
        return READ_ONLY_REASON
    if len(lines) == 1 and (match := LOAD_EXT.match(lines[0])):
        extension = match.group(2)
        if extension == OWN_EXTENSION:
            return "jupyter_exp is loaded by the replay"
        if extension in loaded:
            return f"%load_ext {extension} again"
        loaded.add(extension)
    return None


def _output_read_after(history: list[dict[str, Any]]) -> list[bool]:
    """For each cell, whether a later one reads the output history (``_``, ``Out``): it may read the value
    of the cell's last line."""
    found, later = [], False
    for entry in reversed(history):
        found.append(later)
        later = later or cell_facts(str(entry.get("source", ""))).output_history
    return found[::-1]


def _without_installs(source: str) -> tuple[str, list[str]]:
    kept: list[str] = []
    removed: list[str] = []
    for line in source.splitlines(keepends=True):
        (removed if INSTALL_LINE.match(line) else kept).append(line)
    return "".join(kept), [line.strip() for line in removed]


def record_slice(record: RunRecord) -> HistorySlice:
    """The slice recorded with the run (``slice.json``, read as data), else the one its history gives."""
    target = int(record.target.get("execution_count", len(record.history)))
    try:
        recorded = HistorySlice.from_document(json.loads(record.text(schema.SLICE) or "null"))
    except ValueError:
        recorded = None
    if recorded is not None and recorded.target == target:
        return recorded
    try:
        inputs = json.loads(record.text(schema.INPUTS) or "[]")
    except ValueError:
        inputs = []
    paths = [i["path"] for i in inputs if isinstance(i, dict) and isinstance(i.get("path"), str)]
    states_text = record.rng_states(target)
    try:
        states = rng_codec.loads(states_text) if states_text else None
    except rng_codec.StateFormatError:
        states = None
    return slice_history(record.history, paths, generator_names(states if isinstance(states, dict) else None))


def build_plan(record: RunRecord, sets: dict[str, Any] | None = None, sliced: bool = False) -> ReplayPlan:
    """The cells to replay; ``sliced``: only those of the tracked cell's slice."""
    steps: list[ReplayStep] = []
    skipped: list[SkippedEntry] = []
    loaded: set[str] = set()
    last = len(record.history) - 1
    read_after: list[bool] = []  # _output_read_after, when a cell needs it
    for index, entry in enumerate(record.history):
        count, source = int(entry.get("execution_count", index + 1)), entry["source"]
        is_target = index == last
        if not is_target:
            if entry.get("success") is False:
                skipped.append(SkippedEntry(count, source, "failed originally"))
                continue
            reason = _skip_reason(source, loaded)
            if reason == READ_ONLY_REASON:
                read_after = read_after or _output_read_after(record.history)
                reason = None if read_after[index] else reason
            if reason is not None:
                if reason != "empty":
                    skipped.append(SkippedEntry(count, source, reason))
                continue
        source, removed = _without_installs(source)
        if removed and not source.strip():
            skipped.append(SkippedEntry(count, entry["source"], "package install"))
            continue
        steps.append(
            ReplayStep(
                execution_count=count,
                cell_id=entry.get("cell_id"),
                source=source,
                tracked=bool(TRACK.match(source)),
                target=is_target,
                seed=record.seed if is_target else entry.get("seed"),
                deterministic=bool(entry.get("deterministic")),
                has_rng_state=record.rng_states(count) is not None,
                removed_lines=removed,
            )
        )
    if record.tags.get(schema.DETERMINISTIC) == "true":
        steps[-1].deterministic = True
    if sliced:
        steps, skipped = _sliced(steps, skipped, record_slice(record))
    overrides = apply_overrides(steps[-1], record.config, sets or {})
    return ReplayPlan(steps, skipped, overrides, sliced, len(record.history))


def _sliced(
    steps: list[ReplayStep], skipped: list[SkippedEntry], found: HistorySlice
) -> tuple[list[ReplayStep], list[SkippedEntry]]:
    """The steps of the slice; the others are skipped with the slice's reason (a cell the slice does not
    know, such as one recorded after it was computed, is kept)."""
    decided = {cell.execution_count: cell for cell in found.cells}
    kept: list[ReplayStep] = []
    for step in steps:
        cell = decided.get(step.execution_count)
        imports = import_statements(step.source) if cell is not None and cell.why == IMPORTS_ONLY else None
        if imports is not None and not step.target:  # the rest of the cell is not in the slice
            step.source, step.tracked, step.imports_only = imports, False, True
        if step.target or cell is None or cell.kept:
            kept.append(step)
        else:
            skipped.append(
                SkippedEntry(step.execution_count, step.source, f"not in the slice: {cell.why}", True)
            )
    skipped.sort(key=lambda s: s.execution_count)
    return kept, skipped


def vary_seed(plan: ReplayPlan, seed: int) -> None:
    """Replay the tracked cell with another seed; an override like ``--set``, so the verdict is ``varied``."""
    target = plan.target
    if target.seed is None:
        raise OverrideError("the run was recorded without a seed (--no-seed): there is no seed to vary")
    if seed != target.seed:
        plan.overrides.append(Override("seed", target.seed, seed, "seed"))
        target.seed = seed


# -- --set ---------------------------------------------------------------------------------------
def _get_path(value: Any, parts: list[str]) -> Any:
    for part in parts:
        value = value[part]
    return value


def _set_path(value: Any, parts: list[str], new: Any) -> Any:
    if not parts:
        return new
    value = copy.deepcopy(value)
    _get_path(value, parts[:-1])[parts[-1]] = new
    return value


def _has_path(value: Any, dotted: str) -> bool:
    try:
        _get_path(value, dotted.split("."))
    except (KeyError, TypeError, IndexError, AttributeError):
        return False
    return isinstance(value, dict)


def apply_overrides(target: ReplayStep, config: dict[str, Any], sets: dict[str, Any]) -> list[Override]:
    """Change the tracked cell's literal assignment, or the namespace value it read, for each ``--set``."""
    overrides = []
    changed: dict[str, Any] = {}  # each cell-literal name's value with the overrides so far
    for dotted, value in sets.items():
        head, *rest = dotted.split(".")
        entry = config.get(head)
        try:
            original = _get_path(entry["value"], rest) if entry else None
        except (KeyError, TypeError, IndexError):
            entry = None
        if entry is None:
            known = ", ".join(sorted(config)) or "none"
            inside = [
                f"{name}.{dotted}" for name, e in sorted(config.items()) if _has_path(e.get("value"), dotted)
            ]
            hint = f"; did you mean {' or '.join(inside)}?" if inside else ""
            raise OverrideError(
                f"--set {dotted}: not a captured parameter of this run (captured: {known}){hint}"
            )
        source = entry.get("source")
        if source == "cell":
            # config.epochs=3 and config.label=x both rewrite `config = {...}`: the second keeps the first
            changed[head] = _set_path(changed.get(head, entry["value"]), rest, value)
            target.source = _replace_literal(target.source, head, changed[head], dotted)
        elif source in ("namespace", "object"):
            target.assign[dotted] = value
        else:
            raise OverrideError(
                f"--set {dotted}: it came from {source}, which a replay cannot change; edit the cell instead"
            )
        overrides.append(Override(dotted, original, value, "cell" if source == "cell" else "namespace"))
    return overrides


def _replace_literal(source: str, name: str, value: Any, dotted: str) -> str:
    """Rewrite the last top-level ``name = <literal>`` of a ``%%track`` cell to ``name = repr(value)``."""
    first, _, body = source.partition("\n") if TRACK.match(source) else ("", "", source)
    tree = parse_python(body)
    statement: ast.Assign | ast.AnnAssign | None = None
    for node in tree.body if tree is not None else []:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and getattr(node, "value", None):
            assert isinstance(node, ast.Assign | ast.AnnAssign)
            statement = node
    if statement is None:
        raise OverrideError(f"--set {dotted}: no plain `{name} = ...` assignment found in the tracked cell")
    literal = repr(value)
    try:
        if ast.literal_eval(literal) != value:
            raise ValueError
    except (ValueError, SyntaxError):
        raise OverrideError(f"--set {dotted}: {value!r} cannot be written as a Python literal") from None
    lines = body.splitlines(keepends=True)
    value_node = statement.value
    assert (
        value_node is not None and value_node.end_lineno is not None and value_node.end_col_offset is not None
    )
    start = sum(len(line) for line in lines[: value_node.lineno - 1]) + _byte_col(
        lines, value_node.lineno, value_node.col_offset
    )
    end = sum(len(line) for line in lines[: value_node.end_lineno - 1]) + _byte_col(
        lines, value_node.end_lineno, value_node.end_col_offset
    )
    body = body[:start] + literal + body[end:]
    return f"{first}\n{body}" if first else body


def _byte_col(lines: list[str], lineno: int, byte_offset: int) -> int:
    """ast column offsets count UTF-8 bytes; string slicing counts characters."""
    return len(lines[lineno - 1].encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))
