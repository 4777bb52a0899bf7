"""What differs between the recorded run and the place it is about to be replayed, before anything runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.clock import clock_reads_in
from jupyter_exp.capture.git import capture_git
from jupyter_exp.capture.inputs import file_sha256
from jupyter_exp.reproduce.plan import ReplayPlan
from jupyter_exp.reproduce.record import RunRecord

MAX_PACKAGES_LISTED = 8


@dataclass
class Drift:
    what: str  # git, packages, python, device, notebook, rng, kernel
    recorded: str
    now: str

    def row(self) -> tuple[str, str, str]:
        return self.what, self.recorded, self.now


def git_drift(record: RunRecord, root: Path, checkout: bool) -> list[Drift]:
    commit = record.tags.get(schema.GIT_COMMIT)
    if not commit:
        return []
    if checkout:
        dirty = record.tags.get(schema.GIT_DIRTY) == "true"
        return [
            Drift("git", commit[:10] + (" + diff" if dirty else ""), "checked out in a temporary worktree")
        ]
    state = capture_git(root)
    if state is None:
        return [Drift("git", commit[:10], "not a git work tree")]
    found = []
    if state.commit != commit:
        found.append(Drift("git", f"HEAD {commit[:10]}", f"HEAD {(state.commit or 'none')[:10]}"))
    recorded_diff = (record.text(schema.GIT_DIFF) or "").strip()
    if state.diff.strip() != recorded_diff:
        recorded = f"uncommitted diff ({len(recorded_diff.splitlines())} lines)" if recorded_diff else "clean"
        now = (
            f"uncommitted diff ({len(state.diff.strip().splitlines())} lines)"
            if state.diff.strip()
            else "clean"
        )
        found.append(Drift("git diff", recorded, now if now != recorded else "a different diff"))
    return found


def environment_drift(record: RunRecord, probe: dict[str, Any]) -> list[Drift]:
    found = []
    recorded_python = record.environment.get("python")
    if recorded_python and probe.get("python") and recorded_python != probe["python"]:
        found.append(Drift("python", str(recorded_python), probe["python"]))
    pins, now = record.requirements(), probe.get("packages", {})
    changed = [
        f"{name} {version} → {now.get(name, 'missing')}"
        for name, version in sorted(pins.items())
        if now.get(name) != version
    ]
    if changed:
        shown = ", ".join(changed[:MAX_PACKAGES_LISTED])
        more = f" and {len(changed) - MAX_PACKAGES_LISTED} more" if len(changed) > MAX_PACKAGES_LISTED else ""
        found.append(Drift("packages", f"{len(pins)} pinned", f"{len(changed)} differ: {shown}{more}"))
    device = record.tags.get(schema.DEVICE, "")
    if device and probe.get("cuda") is not None:
        recorded_cuda = device.startswith("cuda")
        if recorded_cuda and not probe["cuda"]:
            found.append(Drift("device", device, "no CUDA in the replay kernel"))
        elif not recorded_cuda and probe["cuda"]:
            found.append(Drift("device", device, "CUDA available in the replay kernel"))
    return found + clock_drift(record, probe)


def _zone(recorded: Any) -> str:
    if not isinstance(recorded, dict):
        return ""
    return f"{recorded.get('name') or 'unknown'} ({recorded.get('utc_offset', '?')})"


def clock_drift(record: RunRecord, probe: dict[str, Any], today: datetime | None = None) -> list[Drift]:
    """Another time zone or locale in the replay kernel, and another day when the cell reads the clock:
    what a cell that formats dates gives otherwise."""
    found = []
    before, after = record.environment.get("time_zone"), probe.get("time_zone")
    if _zone(before) and _zone(after) and _zone(before) != _zone(after):
        found.append(Drift("time zone", _zone(before), _zone(after)))
    if isinstance(before, dict) and isinstance(after, dict) and before.get("locale") != after.get("locale"):
        found.append(Drift("locale", str(before.get("locale")), str(after.get("locale"))))
    reads = clock_reads_in(str(record.target.get("source") or ""))
    started = record.run.info.start_time
    if reads and started:
        then = datetime.fromtimestamp(started / 1000, timezone.utc).date()
        now = (today or datetime.now(timezone.utc)).date()
        if now != then:
            days = (now - then).days
            found.append(
                Drift("clock", f"{then} (the cell reads {', '.join(reads)})", f"{now}: {days} days later")
            )
    return found


def notebook_drift(record: RunRecord, notebook: Path | None) -> list[Drift]:
    snapshot = record.text(schema.NOTEBOOK)
    if snapshot is None or notebook is None:
        return []
    if not notebook.exists():
        return [
            Drift("notebook", record.tags.get(schema.SOURCE_NAME, notebook.name), "file no longer exists")
        ]
    try:
        before, after = _code_sources(json.loads(snapshot)), _code_sources(json.loads(notebook.read_text()))
    except (OSError, ValueError):
        return [Drift("notebook", "snapshot", "current file unreadable")]
    if before == after:
        return []
    edited = sum(1 for cell_id, source in before.items() if cell_id in after and after[cell_id] != source)
    deleted = sum(1 for cell_id in before if cell_id not in after)
    added = sum(1 for cell_id in after if cell_id not in before)
    parts = [f"{n} {what}" for n, what in ((edited, "edited"), (added, "added"), (deleted, "deleted")) if n]
    return [Drift("notebook", "snapshot at run start", "changed since: " + ", ".join(parts or ["reordered"]))]


def _code_sources(document: dict[str, Any]) -> dict[str, str]:
    cells = {}
    for index, cell in enumerate(document.get("cells", [])):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells[cell.get("id") or f"#{index}"] = "".join(source) if isinstance(source, list) else source
    return cells


def replay_drift(plan: ReplayPlan) -> list[Drift]:
    missing = plan.without_rng_state
    if not missing:
        return []
    cells = ", ".join(f"[{c}]" for c in missing)
    return [
        Drift("rng state", "not recorded for " + cells, "run before the extension was loaded: cannot restore")
    ]


def hashseed_drift(record: RunRecord) -> list[Drift]:
    """A kernel that ran with a random ``str`` hash seed cannot be given the same one."""
    seed = record.tags.get(schema.HASHSEED)
    if seed is not None and seed.isdigit():
        return []
    return [
        Drift(
            "hash seed",
            seed or "not recorded",
            "unknown, so another one: may change the set iteration order of strings "
            "(and what is built from it); pin PYTHONHASHSEED to avoid it",
        )
    ]


def inputs_drift(record: RunRecord, root: Path) -> list[Drift]:
    """Every file the cell read (``inputs.json``) that changed or vanished since."""
    try:
        inputs = json.loads(record.text(schema.INPUTS) or "[]")
    except ValueError:
        return [Drift("input", schema.INPUTS, "corrupt: inputs not checked")]
    if not isinstance(inputs, list):
        return [Drift("input", schema.INPUTS, "corrupt: inputs not checked")]
    found, base = [], root.resolve()
    for item in inputs:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            found.append(Drift("input", schema.INPUTS, "corrupt entry: not checked"))
            continue
        path = (base / item["path"]).resolve()
        recorded = f"{item['path']} ({item.get('size')} bytes)"
        if not path.is_relative_to(base):  # a record never makes us read files outside the project
            found.append(Drift("input", recorded, "outside the project: not checked"))
            continue
        if not path.is_file():
            found.append(Drift("input", recorded, "vanished"))
            continue
        size = path.stat().st_size
        if item.get("sha256"):
            changed = size != item["size"] or file_sha256(path) != item["sha256"]
        else:  # not hashed (over the cap): size and mtime are all there is
            changed = size != item["size"] or path.stat().st_mtime != item["mtime"]
        if changed:
            found.append(Drift("input", recorded, f"changed: {size} bytes now"))
    return found


def changed_inputs(drift: list[Drift]) -> list[str]:
    """The paths of the input rows of a drift table."""
    return [row.recorded.rsplit(" (", 1)[0] for row in drift if row.what == "input"]
