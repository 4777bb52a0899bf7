"""A non-blocking metric writer: ``log()`` appends to a buffer; a thread flushes it in batches.

The caller pays a few hundred nanoseconds (``log`` is a closure over its buffer: no attribute lookups,
one packed append a point); the thread, at a lower CPU priority, wakes every flush interval and sends
batches to a sink (``metric_sink``: MLflow's ``log_batch``, or the direct SQLite path). With a spool (the
run's journal entry), every batch is on disk before it is sent and leaves the disk once the store has it;
``seal()`` spools what is still buffered when the cell returns (one packed write), and holds the thread's
sending until the cell has returned. So a kernel killed after its cell loses nothing (but for one killed
just then: the batch the thread had taken and was writing to disk as the cell returned), and one killed
during the cell loses at most the points of one flush interval. ``close()`` drains everything before the
run ends. A failed write is retried with backoff and never dropped while the writer lives.

A sink with ``parallel`` > 1 (an ``mlflow server``) gets the batches of one flush sent side by side on
that many sender threads, each batch with its own retries; the flush still ends only when all of them are
in the store (or kept as unsent), so the spool and ``close()`` keep their meaning. MLflow keeps a metric's
history by (step, timestamp, value) and its latest value by the greatest of those, whatever order batches
arrive in, so sending them side by side stores exactly what sending them in turn would.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from jupyter_exp.errors import one_line
from jupyter_exp.tracking.point_columns import PointColumns, Taken
from jupyter_exp.tracking.priority import lower_this_thread, yield_to_cell

BATCH_SIZE = 1000
Point = tuple[str, float, int, int]  # key, value, timestamp (ms), step: what a sink receives
FLUSH_INTERVAL_S = 0.5
MAX_RETRY_DELAY_S = 5.0
HOLD_S = 0.5  # seal() pauses the thread's sending at most this long (the cell's return ends it sooner)
_time = time.time  # the real clock: the entropy watch patches time.time while a tracked cell runs


class PointSpool(Protocol):
    def spool_points(self, points: list[Point]) -> Path: ...

    def spool_columns(self, taken: Taken) -> Path: ...


class MetricWriter:
    def __init__(
        self,
        send_batch: Callable[[list[Point]], None] | None,
        on_flush: Callable[[dict[str, float]], None] | None = None,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        spool: PointSpool | None = None,
    ) -> None:
        self._send_batch = send_batch
        self._spool = spool
        self._take_lock = threading.Lock()  # held while points are taken off the buffer (not spooled)
        self._sealed: deque[tuple[Taken, list[Point], list[Path]]] = deque()
        self._on_flush = on_flush
        self._interval = flush_interval_s
        # floats packed (32 bytes a point); anything else (numpy ints, tensors) as tuples, converted
        # on the thread so that the caller never waits for a device
        self._columns = PointColumns()
        self._buffer: deque[tuple[str, Any, int, int]] = deque()
        self.log, self._close_log = self._logger()
        self.unsent: list[Point] = []
        self.rejected: list[tuple[str, str]] = []
        self._wake = threading.Event()
        self._go = threading.Event()  # cleared by seal(): the cell's end has the interpreter to itself
        self._go.set()
        self._held_until = 0.0
        self._closed = False
        self.latest: dict[str, float] = {}
        self.points_written = 0
        self.kept_locally = 0  # offline (no ``send_batch``): points only spooled
        self.last_error: BaseException | None = None
        self._senders: ThreadPoolExecutor | None = None  # for a sink that takes batches side by side
        self._thread = threading.Thread(target=self._run, name="jupyter-exp-metrics", daemon=True)
        self._thread.start()

    def _logger(self) -> tuple[Callable[..., None], Callable[[], None]]:
        """``log(step=None, **metrics)`` and what closes it. The caller's whole cost, so made of locals
        (no attribute lookups a call): the buffer's bound methods, the clock, the automatic step. Steps
        beyond 2**53 (not exact as doubles) and values other than floats and exact ints go as tuples."""
        get, key_index = self._columns.index.get, self._columns.key_index
        extend, pack, objects = self._columns.packed.extend, self._columns.pack, self._buffer.append
        auto, clock = itertools.count(), _time
        closed = False

        def log(step: int | None = None, **metrics: float) -> None:
            """Record metrics at ``step`` (default: one more than the previous call without a step)."""
            if closed:
                raise RuntimeError("this run has ended; jupyter_exp.log() works inside a %%track cell")
            if type(step) is not int:
                step = next(auto) if step is None else int(step)
            now = clock()  # seconds: made milliseconds on the thread
            exact = -(2**53) <= step <= 2**53  # a double holds it exactly (constants, folded)
            for key in metrics:  # faster than items()
                value = metrics[key]
                if type(value) is not float or not exact:
                    if exact and type(value) is int and -(2**53) <= value <= 2**53:
                        value = float(value)
                    else:  # numpy scalars, tensors, odd values: converted (or refused) on the thread
                        objects((key, value, int(now * 1000), step))  # deque.append is atomic
                        continue
                number = get(key)
                extend(pack(key_index(key) if number is None else number, value, now, step))  # whole or not

        def close() -> None:
            nonlocal closed
            closed = True

        return log, close

    def _take(self) -> list[tuple[str, Any, int, int]]:
        popleft = self._buffer.popleft
        return [popleft() for _ in range(len(self._buffer))]

    def _run(self) -> None:
        lower_this_thread()  # the user's loop gets the core first; the writer takes what is left
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            closing = self._closed
            while self._sealed:
                self._flush(*self._sealed.popleft())
            self._flush(*self._take_spooled())
            if closing:
                return

    def _take_spooled(self) -> tuple[Taken, list[Point], list[Path]]:
        with self._take_lock:  # each point taken once, by the thread or by seal()
            taken = self._columns.take()
            raw = self._take()
        objects = self._convert(raw)
        spooled = []
        if self._spool is not None:  # on disk before anything is sent
            if len(taken):
                spooled.append(self._spool.spool_columns(taken))
            if objects:
                spooled.append(self._spool.spool_points(objects))
        return taken, objects, spooled

    @property
    def pending(self) -> int:
        """Points logged and not yet handed to the sink (or, offline, counted as kept)."""
        sealed = sum(len(taken) + len(objects) for taken, objects, _ in list(self._sealed))
        return len(self._columns) + len(self._buffer) + sealed

    def seal(self) -> None:
        """Put everything still buffered on disk now (the cell is returning), in one packed write; the
        thread sends it. It does not wait for the thread (at its lower priority, a wait of tens of ms on
        a busy machine): a batch the thread took just before is on disk once the thread has written it,
        moments after the cell returned, and the thread's sending goes on after the cell."""
        self._held_until = time.monotonic() + HOLD_S
        self._go.clear()
        if self._spool is None:
            return
        taken, objects, spooled = self._take_spooled()
        if len(taken) or objects:  # sent on the thread's next turn, or by close(): no wake-up competing
            self._sealed.append((taken, objects, spooled))

    def resume(self) -> None:
        """The thread sends again without waiting for the cell to return."""
        self._go.set()

    def _hold(self) -> None:
        """Between batches, after seal(): wait until the cell has returned (IPython's ``post_run_cell``;
        not in a replay, nor while someone waits for the runs), at most ``HOLD_S``, or until ``resume()``
        (``close()``). Making a batch's rows holds the interpreter's lock, and each file the cell's end
        writes, and the kernel's reply, hand it over."""
        while not self._go.is_set() and yield_to_cell() and time.monotonic() < self._held_until:
            self._go.wait(0.01)
        self._go.set()

    def _flush(self, taken: Taken, objects: list[Point], spooled: list[Path]) -> None:
        count = len(taken) + len(objects)
        if not count:
            return
        if len(taken):  # here, not as they are taken: seal() does only what the disk needs
            self.latest.update(taken.last_values())
        if self._send_batch is None:  # offline: the journal keeps them
            self.kept_locally += count
        else:
            size = getattr(self._send_batch, "batch_size", BATCH_SIZE)
            unsent = len(self.unsent)
            # tuples made a batch at a time (zip, on this thread): a million points never all at once
            batches: list[Taken | list[Point]] = [
                taken.slice(start, start + size) for start in range(0, len(taken), size)
            ]
            batches += [objects[start : start + size] for start in range(0, len(objects), size)]
            senders = self._sender_pool() if len(batches) > 1 else None
            if senders is None:
                for batch in batches:
                    self._hold()
                    self._send_with_retry(_points(batch))
            else:
                sending = []
                for batch in batches:
                    self._hold()
                    sending.append(senders.submit(self._send_with_retry, _points(batch)))
                for done in sending:
                    done.result()  # _send_with_retry keeps what it cannot send in ``unsent``; it does not raise
            self.points_written += count
            if len(self.unsent) == unsent:  # in the store now; points not sent stay in the journal
                for path in spooled:
                    path.unlink(missing_ok=True)
        if self._on_flush is not None:
            try:
                self._on_flush(dict(self.latest))
            except Exception:
                pass

    def _sender_pool(self) -> ThreadPoolExecutor | None:
        parallel = getattr(self._send_batch, "parallel", 1)
        if parallel <= 1:
            return None
        if self._senders is None:
            self._senders = ThreadPoolExecutor(parallel, thread_name_prefix="jupyter-exp-metrics-send")
        return self._senders

    def _convert(self, raw: list[tuple[str, Any, int, int]]) -> list[Point]:
        points: list[Point] = []
        latest = self.latest
        for key, value, timestamp, step in raw:
            if type(value) is not float:  # ints, numpy scalars, 0-d tensors
                try:
                    value = _as_float(value)
                except (TypeError, ValueError):
                    self.rejected.append((key, repr(value)[:80]))
                    continue
            points.append((key, value, timestamp, step if type(step) is int else int(step)))
            latest[key] = value
        return points

    def _send_with_retry(self, batch: list[Point]) -> None:
        send = self._send_batch
        assert send is not None  # offline writers only spool
        delay = 0.2
        while True:
            try:  # a bad key is refused for ever: the good points are kept, the key's go
                _, refused = send_points(send, batch, self._send_with_retry)
            except Exception as error:
                if self._closed and delay >= MAX_RETRY_DELAY_S:  # store busy or unreachable
                    self.last_error = error
                    self.unsent.extend(batch)
                    return
                time.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
                continue
            for key, why in refused:
                self.rejected.append((key, why))
                self.latest.pop(key, None)
            return

    def close(self, timeout_s: float | None = None) -> None:
        """Drain every buffered point, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._close_log()
        self.resume()
        self._wake.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            return
        if self._senders is not None:
            self._senders.shutdown(wait=True)
        close_sink = getattr(self._send_batch, "close", None)  # e.g. a sink's own connection
        if close_sink is not None:
            close_sink()


# what a store says of a write it refuses for good (an invalid key or value, a run gone or ended), as
# opposed to a store busy or away: the writer and the journal's completion agree on it
REFUSED_CODES = frozenset({"INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "INVALID_STATE"})


def is_refused(error: BaseException) -> bool:
    """The store says no for good (not: it cannot be reached right now)."""
    return getattr(error, "error_code", None) in REFUSED_CODES


def send_points(
    send: Callable[[list[Point]], None],
    batch: list[Point],
    retry_key: Callable[[list[Point]], None] | None = None,
) -> tuple[int, list[tuple[str, str]]]:
    """Send ``batch``; when the store refuses it for good, its points again one key at a time, so that one
    bad key costs no other. Returns how many points were sent and ``(key, why)`` of each key the store
    refused. Any other failure of the batch is raised; of one key, it goes to ``retry_key(points)`` (raised
    without one)."""
    try:
        send(batch)
        return len(batch), []
    except Exception as error:
        if not is_refused(error):
            raise
    by_key: dict[str, list[Point]] = {}
    for point in batch:
        by_key.setdefault(point[0], []).append(point)
    sent, refused = 0, []
    for key, points in by_key.items():
        try:
            send(points)
            sent += len(points)
        except Exception as error:
            if is_refused(error):
                refused.append((key, one_line(error)))
            elif retry_key is not None:
                retry_key(points)
            else:
                raise
    return sent, refused


def _points(batch: Taken | list[Point]) -> list[Point]:
    return batch.points() if isinstance(batch, Taken) else batch


def _as_float(value: Any) -> float:
    if hasattr(value, "item"):  # numpy scalars, 0-d tensors
        value = value.item()
    return float(value)
