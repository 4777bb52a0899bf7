"""The notebook around a cell: its path, a snapshot of the file, and the kernel's execution history."""

from __future__ import annotations

import json
import operator
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_exp.capture import generators, import_states, rng_history, session
from jupyter_exp.capture.secrets import NamespaceSecrets, Redactor, assigned_secrets
from jupyter_exp.capture.seeds import global_rng_states

SESSION_ENV = "JPY_SESSION_NAME"
VSCODE_NAME = "__vsc_ipynb_file__"  # VS Code and Cursor set it in the namespace
IPYNB_FILE = "IPYNB_FILE"


def notebook_path(namespace: dict[str, Any], configured: str = "") -> Path | None:
    """The notebook this kernel runs: configured, else its session's path now according to the Jupyter
    server owning the kernel (renames and moves followed), else the session's path at kernel start
    (``__session__`` / ``JPY_SESSION_NAME``), else what VS Code says (``__vsc_ipynb_file__``,
    ``IPYNB_FILE``). Call it once a cell: asking the server takes a request."""
    if not configured:
        current = session.current_notebook()
        if current is not None:
            return current
    candidates = (
        configured,
        namespace.get("__session__"),
        os.environ.get(SESSION_ENV),
        namespace.get(VSCODE_NAME),
        namespace.get(IPYNB_FILE),
        os.environ.get(IPYNB_FILE),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            path = Path(candidate).expanduser()
            return path.resolve() if path.is_absolute() else (Path.cwd() / path).resolve()
    return None


def recorded_names(notebook: str, root: Path, cwd: Path | None = None) -> list[str]:
    """The ``mlflow.source.name`` values a notebook path given by a user may have been recorded as: as
    given, relative to the root, or (relative to the working directory, or absolute) resolved."""
    given = Path(notebook).expanduser()
    absolute = given if given.is_absolute() else (cwd or Path.cwd()) / given
    names = [notebook, relative_to_root(absolute.resolve(), root) or notebook]
    if not given.is_absolute():
        names.append(relative_to_root((root / given).resolve(), root) or notebook)
    return list(dict.fromkeys(names))


def relative_to_root(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def snapshot(path: Path, cell_source: str, cell_id: str | None) -> tuple[bytes, bool] | None:
    """The notebook file as saved on disk, marked with whether it holds this cell's exact source."""
    try:
        raw = path.read_text(encoding="utf-8")
        document = json.loads(raw)
    except (OSError, ValueError):
        return None
    cells = [c for c in document.get("cells", []) if c.get("cell_type") == "code"]
    in_sync = any(_source(c) == cell_source for c in cells if cell_id is None or c.get("id") == cell_id)
    document.setdefault("metadata", {}).setdefault("jupyter_exp", {})["in_sync"] = in_sync
    return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8"), in_sync


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


OBJECTS_KEY = "objects"  # generators bound to names, in the states recorded before a cell
HISTORY_BLOCK = 64  # history.json entries joined into one chunk


def cell_rng_states(
    namespace: dict[str, Any], watch: generators.GeneratorWatch | None = None
) -> dict[str, Any]:
    """The global generator states and those of the generators bound in the namespace, right now (with
    ``watch``: looking only at what changed since its last look)."""
    states = global_rng_states()
    bound = generators.namespace_states(namespace) if watch is None else watch.states(namespace)
    if bound:
        states[OBJECTS_KEY] = bound
    return states


@dataclass
class HistoryEntry:
    execution_count: int
    cell_id: str | None
    source: str
    success: bool | None = None
    seed: int | None = None  # set when the entry is a %%track cell that applied a seed
    deterministic: bool = False
    rng_states: dict[str, Any] = field(default_factory=dict, repr=False)

    def public(self) -> dict[str, Any]:
        """The ``history.json`` entry; ``seed``/``deterministic`` only on tracked cells that set them."""
        # not asdict(): it would deep-copy every entry's generator states (milliseconds each)
        entry: dict[str, Any] = {
            "execution_count": self.execution_count,
            "cell_id": self.cell_id,
            "source": self.source,
            "success": self.success,
        }
        if self.seed is not None:
            entry["seed"] = self.seed
        if self.deterministic:
            entry["deterministic"] = True
        return entry


class ExecutionHistory:
    """Every cell the kernel executes, in execution order, with the RNG states before it ran.

    Registered on IPython's ``pre_run_cell`` / ``post_run_cell`` events by ``%load_ext``; it imports
    nothing heavy and costs microseconds a cell.
    """

    def __init__(
        self, on_start: Callable[[], None] | None = None, on_end: Callable[[], None] | None = None
    ) -> None:
        """``on_start``/``on_end``: told when a user's cell starts and ends (the record's background work
        paces itself by them)."""
        self._on_start, self._on_end = on_start, on_end
        self.entries: list[HistoryEntry] = []
        self._pending: HistoryEntry | None = None
        self._watch = generators.GeneratorWatch()
        self._rng_lock = threading.Lock()
        self._rng = rng_history.SessionStates()  # the states of the first _rng_counted entries, added once
        self._rng_counted = 0
        self._public = _EncodedEntries()  # history.json's ended entries, masked and encoded once
        self._namespace_secrets = NamespaceSecrets()

    def register(self, shell: Any) -> None:
        """Start recording; cells run before the extension was loaded are taken from IPython's input
        history (no cell id, no RNG states), and the cell loading it completes on ``post_run_cell``."""
        self._shell = shell
        inputs = list(getattr(shell.history_manager, "input_hist_raw", []) or [])
        for count, source in enumerate(inputs[1:], start=1):
            if source.strip():
                self.entries.append(HistoryEntry(execution_count=count, cell_id=None, source=source))
        if self.entries and self.entries[-1].execution_count == shell.execution_count - 1:
            self._pending = self.entries[-1]
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        self._import_watch = import_states.recorder(
            lambda: self._pending.rng_states if self._pending else None
        )
        import_states.watch(self._import_watch)

    def unregister(self, shell: Any) -> None:
        import_states.unwatch(getattr(self, "_import_watch", None))
        for event, callback in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                shell.events.unregister(event, callback)
            except ValueError:
                pass

    def pre_run_cell(self, info: Any) -> None:
        if self._on_start is not None:
            self._on_start()
        source = getattr(info, "raw_cell", None) or ""
        if getattr(info, "silent", False) or not getattr(info, "store_history", True):
            self._pending = None
            self._watch.saw_cell(source)
            return
        self._pending = HistoryEntry(
            execution_count=self._shell.execution_count - 1,  # IPython counts up before this event
            cell_id=getattr(info, "cell_id", None),
            source=info.raw_cell,
            rng_states=cell_rng_states(self._shell.user_ns, self._watch),
        )
        self._watch.saw_cell(source)  # what this cell binds is looked at before the next one
        self.entries.append(self._pending)

    def post_run_cell(self, result: Any) -> None:
        if self._on_end is not None:
            self._on_end()
        entry, self._pending = self._pending, None
        if entry is None:
            return
        if getattr(result, "execution_count", None) is not None:
            entry.execution_count = result.execution_count
        entry.success = bool(result.success)

    @property
    def current(self) -> HistoryEntry | None:
        return self._pending

    def public(self) -> list[dict[str, Any]]:
        return [entry.public() for entry in self.entries]

    def namespace_secrets(self, namespace: dict[str, Any]) -> list[str]:
        """The strings bound to secret names in ``namespace`` (``secret_values_in``), looking only at the
        names bound since the last look."""
        return self._namespace_secrets.values(namespace)

    def assigned_secrets(self) -> list[str]:
        """The secret literals the history's sources assign (``api_key = "..."``), each source read once
        across tracked cells: a tracked cell's cost must not grow with the session."""
        found: dict[str, None] = getattr(self, "_secrets", {})
        for entry in self.entries[getattr(self, "_secrets_read", 0) :]:
            found.update(dict.fromkeys(assigned_secrets(entry.source)))
        self._secrets, self._secrets_read = found, len(self.entries)
        return list(found)

    def rng_history_chunks(self, entries: list[HistoryEntry]) -> list[bytes]:
        """``rng_history.json`` of ``entries`` (``frozen()``) as chunks to write in turn: each ended entry's
        states are added to the session's document once (``rng_history.SessionStates``), so that a tracked
        cell's work on it does not grow with the session."""
        ended = len(entries) - (1 if entries and entries[-1].success is None else 0)
        with self._rng_lock:
            if ended < self._rng_counted or not _is_prefix(entries, self.entries, self._rng_counted):
                return [rng_history.document(_states_of(entries))]  # not this history's prefix: whole
            for entry in entries[self._rng_counted : ended]:
                self._rng.add(entry.execution_count, entry.rng_states)
            self._rng_counted = ended
            return self._rng.chunks(_states_of(entries[ended:]))

    def public_chunks(
        self, entries: list[HistoryEntry], last: list[dict[str, Any]], redactor: Redactor
    ) -> list[bytes]:
        """``history.json``: ``entries`` (``frozen()``) then ``last`` (the tracked cell's entry as the record
        says it ended), masked by ``redactor``, as chunks to write in turn. Each ended entry is masked and
        encoded once across tracked cells (again only when the secrets to mask change)."""
        ended = len(entries) - (1 if entries and entries[-1].success is None else 0)
        cache = self._public
        with cache.lock:
            if cache.values != redactor.values:  # masked with other secrets: encoded again
                cache.reset(redactor.values)
            if ended < cache.counted or not _is_prefix(entries, self.entries, cache.counted):
                whole = [*(entry.public() for entry in entries), *last]  # not this history's: nothing kept
                return _json_array([], [_encoded(item, redactor) for item in whole])
            for entry in entries[cache.counted : ended]:
                cache.append(_encoded(entry.public(), redactor))
            kept = [*cache.blocks, *cache.tail]
        rest = [*(entry.public() for entry in entries[ended:]), *last]
        return _json_array(kept, [_encoded(item, redactor) for item in rest])

    def frozen(self) -> list[HistoryEntry]:
        """The entries as they are now, for building the history artifacts off the cell's path (their cost
        grows with the session): a list of references, the running cell's states as they were before it
        ran (an import during the cell adds to them; the states themselves are never changed in place)."""
        entries = list(self.entries)
        if entries and entries[-1].success is None:
            current = entries[-1]
            entries[-1] = HistoryEntry(
                current.execution_count,
                current.cell_id,
                current.source,
                None,
                current.seed,
                current.deterministic,
                dict(current.rng_states),
            )
        return entries


def _states_of(entries: list[HistoryEntry]) -> list[tuple[int, dict[str, Any]]]:
    return [(entry.execution_count, entry.rng_states) for entry in entries]


def _is_prefix(entries: list[HistoryEntry], ours: list[HistoryEntry], count: int) -> bool:
    """Whether the first ``count`` of ``entries`` are this history's own (not a list built elsewhere)."""
    return len(entries) >= count and all(map(operator.is_, entries[:count], ours[:count]))


class _EncodedEntries:
    """``history.json``'s ended entries, each masked and encoded once, kept in blocks (``public_chunks``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset(None)

    def reset(self, values: frozenset[str] | None) -> None:
        self.values = values  # the secret values they were masked with
        self.counted = 0
        self.blocks: list[bytes] = []
        self.tail: list[bytes] = []

    def append(self, item: bytes) -> None:
        self.tail.append(b",\n" + item if self.counted else item)
        self.counted += 1
        if len(self.tail) >= HISTORY_BLOCK:
            self.blocks.append(b"".join(self.tail))
            self.tail = []


def _encoded(document: dict[str, Any], redactor: Redactor) -> bytes:
    text = json.dumps(redactor.document(document), default=str, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace")


def _json_array(kept: list[bytes], items: list[bytes]) -> list[bytes]:
    """A JSON array of ``kept`` (joined items, each after the first led by a comma) and then ``items``."""
    rest = [b",\n" + item if kept or index else item for index, item in enumerate(items)]
    return [b"[\n", *kept, *rest, b"\n]\n"]
