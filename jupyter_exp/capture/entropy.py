"""Fresh entropy drawn while a tracked cell runs: derived from the cell's seed, or named when it cannot be.

``np.random.default_rng()``, ``np.random.SeedSequence()``, ``random.Random()``, ``random.seed()`` and
``torch.Generator().seed()`` without a seed read OS entropy, so a replay would draw something else. While
the cell runs (on its own thread only), they draw from a stream derived from the cell's recorded seed
instead, in call order, so that the replay draws the same. ``os.urandom``, ``os.getrandom`` and
``random.SystemRandom`` (what ``secrets`` uses) cannot be derived without changing what they promise: they
are counted, so that the card, the run's tag and the verdict say so. Without a seed (``--no-seed``)
nothing is derived and every fresh draw is counted.

Each read is attributed to its caller: entropy read by infrastructure (``multiprocessing``'s process auth
keys, ``tempfile`` names, ``uuid`` for file names, MLflow's ids) cannot reach the cell's values, so it is
counted apart (``infrastructure``), a note, never a cause. The clock is watched the same way: the wall
clock read by the notebook's own code (``time.time()``, ``time.localtime()``, ``time.ctime()``...) is
counted in ``clock``; ``datetime.now()`` is a C method that cannot be wrapped, so ``clock.py`` reads the
cell's source for it.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_exp.capture import seeds

_T = TypeVar("_T")

IGNORED_CALLERS = frozenset({"uuid", "mlflow", "jupyter_exp"})  # identifiers, not results
INFRASTRUCTURE = frozenset(  # entropy for keys, names and connections: it never reaches a result
    {"multiprocessing", "tempfile", "concurrent", "asyncio", "ssl", "hmac", "socket", "http", "urllib3"}
)
PASSED_THROUGH = frozenset({"os", "random", "secrets", __name__})
CLOCK_FUNCTIONS = ("time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime")
NOTEBOOK_MODULE = "__main__"  # the module IPython runs the notebook's code in
_finished = threading.local()  # the watch that last ended on this thread, for state.json


def last_watch() -> EntropyWatch | None:
    """The watch that last ended on this thread (the cell's), once: ``state.snapshot`` takes its clock
    and infrastructure counts as the cell returns."""
    watch: EntropyWatch | None = getattr(_finished, "watch", None)
    _finished.watch = None
    return watch


def _caller(depth: int = 3) -> str:
    """The top-level module of the code that asked (past os, random, secrets and this module)."""
    try:
        frame = sys._getframe(depth)
    except ValueError:  # called from C with no Python caller
        return ""
    while frame is not None and frame.f_globals.get("__name__") in PASSED_THROUGH:
        frame = frame.f_back  # type: ignore[assignment]
    return str(frame.f_globals.get("__name__", "") if frame is not None else "").partition(".")[0]


def _caller_module() -> str:
    """The module of the code that called the wrapper calling this (``__main__`` for the notebook's)."""
    try:
        return str(sys._getframe(2).f_globals.get("__name__", ""))
    except ValueError:  # called from C with no Python caller
        return ""


def _caller_ignored() -> bool:
    """Whether the code that asked for entropy (past os, random, secrets) is one of IGNORED_CALLERS."""
    return _caller() in IGNORED_CALLERS


class EntropyWatch:
    """A context manager around the cell: ``unreplayable`` counts what could not be derived, by source."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.stream = random.Random(f"jupyter-exp entropy {seed}") if seed is not None else None
        self.unreplayable: Counter[str] = Counter()
        self.infrastructure: Counter[str] = Counter()  # entropy read by infrastructure, by its caller
        self.clock: Counter[str] = Counter()  # wall-clock reads by the notebook's code, by function
        self._restore: list[tuple[Any, str, Any]] = []
        self._counting = True
        self._numpy_later: Callable[[], None] | None = None  # unregisters the patch at numpy's import

    def describe(self, counts: Counter[str] | None = None) -> str:
        """``os.urandom (2 calls), secrets (1 call)``: ``counts`` (by default what could not be derived)."""
        found = self.unreplayable if counts is None else counts
        return ", ".join(f"{what} ({n} {'call' if n == 1 else 'calls'})" for what, n in found.items())

    # -- the patches -------------------------------------------------------------------------------
    def _on_cell_thread(self) -> bool:
        return threading.get_ident() == self._thread

    def _bits(self, what: str, original: Callable[[int], _T], bits: int) -> int | _T:
        """``bits`` fresh random bits: derived on the cell's thread, else the original's."""
        if self._on_cell_thread():
            if self.stream is not None:
                return self.stream.getrandbits(bits)
            self.unreplayable[what] += 1
        self._counting = False  # what the original reads underneath is counted once, as ``what``
        try:
            return original(bits)
        finally:
            self._counting = True

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        self._restore.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    def _counted(self, what: str, original: Any) -> Any:
        def read(*args: Any, **kwargs: Any) -> Any:
            if self._counting and self._on_cell_thread():
                caller = _caller(2)
                if caller in INFRASTRUCTURE:
                    self.infrastructure[f"{what} by {caller}"] += 1
                elif caller not in IGNORED_CALLERS:
                    self.unreplayable[what] += 1
            return original(*args, **kwargs)

        return read

    def _clock(self, name: str, original: Any) -> Any:
        """``time.<name>`` counting the notebook's own reads of the current time (no time tuple given)."""

        def read(*args: Any, **kwargs: Any) -> Any:
            reads_now = name in ("time", "time_ns") or len(args) <= (1 if name == "strftime" else 0)
            if reads_now and _caller_module() == NOTEBOOK_MODULE:
                self.clock[f"time.{name}()"] += 1
            return original(*args, **kwargs)

        return read

    def __enter__(self) -> EntropyWatch:
        self._thread = threading.get_ident()
        watch = self
        self._patch(os, "urandom", self._counted("os.urandom", os.urandom))
        if hasattr(os, "getrandom"):
            self._patch(os, "getrandom", self._counted("os.getrandom", os.getrandom))
        self._patch(random, "_urandom", self._counted("random.SystemRandom / secrets", random._urandom))  # type: ignore[attr-defined]
        for name in CLOCK_FUNCTIONS:
            self._patch(time, name, self._clock(name, getattr(time, name)))
        seed_random = random.Random.seed

        def seed(self: random.Random, a: Any = None, version: int = 2) -> None:
            if a is None and not isinstance(self, random.SystemRandom):
                a = watch._bits("random.Random() without a seed", lambda bits: None, 128)
            seed_random(self, a, version)

        self._patch(random.Random, "seed", seed)
        self._patch(random, "seed", lambda a=None, version=2: seed(random._inst, a, version))
        if "numpy" in sys.modules:
            self._patch_numpy()
        else:  # numpy seeded as the cell imports it (seeds.apply_seed): patched then
            self._numpy_later = seeds.around_numpy_import(self._numpy_importing, self._numpy_imported)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(getattr(torch, "Generator", None), type):
            self._patch_torch(torch)
        return self

    def _numpy_importing(self) -> None:
        self._counting = False  # its global generator's first seed: replaced by the cell's seed at once

    def _numpy_imported(self, _numpy: Any) -> None:
        self._counting = True
        self._patch_numpy()

    def _patch_numpy(self) -> None:
        # numpy.random is loaded lazily: load it, or the cell's first use escapes
        import numpy.random.bit_generator as bit_generator

        if hasattr(bit_generator, "randbits"):
            watch, original_bits = self, bit_generator.randbits
            self._patch(
                bit_generator,
                "randbits",
                lambda bits: watch._bits("numpy SeedSequence without a seed", original_bits, bits),
            )

    def _patch_torch(self, torch: Any) -> None:
        watch, base = self, torch.Generator

        class Instances(type(base)):  # type: ignore[misc]
            def __instancecheck__(cls, instance: Any) -> bool:  # torch's own generators still pass
                return isinstance(instance, base)

        class Generator(base, metaclass=Instances):  # type: ignore[misc, valid-type]
            """torch.Generator whose ``seed()`` draws from the derived stream on the cell's thread."""

            def seed(self) -> int:
                value = watch._bits("torch.Generator.seed()", lambda bits: None, 63)
                if value is None:
                    return int(super().seed())
                self.manual_seed(value)
                return value

        def torch_seed() -> int:
            value = watch._bits("torch.seed()", lambda bits: None, 63)
            if value is None:
                return int(torch.default_generator.seed())
            torch.manual_seed(value)
            return value

        self._patch(torch, "Generator", Generator)
        self._patch(torch, "seed", torch_seed)

    def __exit__(self, *exc_info: Any) -> None:
        _finished.watch = self
        if self._numpy_later is not None:
            self._numpy_later()
            self._numpy_later = None
        while self._restore:
            owner, name, original = self._restore.pop()
            setattr(owner, name, original)
