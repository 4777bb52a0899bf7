"""Fresh entropy drawn while a tracked cell runs: derived from the cell's seed, or named when it cannot be.

``np.random.default_rng()``, ``np.random.SeedSequence()``, ``random.Random()``, ``random.seed()`` and
``torch.Generator().seed()`` without a seed read OS entropy, so a replay would draw something else. While
the cell runs (on its own thread only), they draw from a stream derived from the cell's recorded seed
instead, in call order, so that the replay draws the same. ``os.urandom``, ``os.getrandom`` and
``random.SystemRandom`` (what ``secrets`` uses) cannot be derived without changing what they promise: they
are counted, so that the card, the run's tag and the verdict say so. Without a seed (``--no-seed``)
nothing is derived and every fresh draw is counted.
"""

from __future__ import annotations

import os
import random
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

IGNORED_CALLERS = frozenset({"uuid", "mlflow", "jupyter_exp"})  # identifiers, not results
PASSED_THROUGH = frozenset({"os", "random", "secrets", __name__})


def _caller_ignored() -> bool:
    """Whether the code that asked for entropy (past os, random, secrets) is one of IGNORED_CALLERS."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__") in PASSED_THROUGH:
        frame = frame.f_back  # type: ignore[assignment]
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return name.partition(".")[0] in IGNORED_CALLERS


class EntropyWatch:
    """A context manager around the cell: ``unreplayable`` counts what could not be derived, by source."""

    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self.stream = random.Random(f"jupyter-exp entropy {seed}") if seed is not None else None
        self.unreplayable: Counter[str] = Counter()
        self._restore: list[tuple[Any, str, Any]] = []
        self._counting = True

    def describe(self) -> str:
        return ", ".join(
            f"{what} ({n} {'call' if n == 1 else 'calls'})" for what, n in self.unreplayable.items()
        )

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
            if self._counting and self._on_cell_thread() and not _caller_ignored():
                self.unreplayable[what] += 1
            return original(*args, **kwargs)

        return read

    def __enter__(self) -> EntropyWatch:
        self._thread = threading.get_ident()
        watch = self
        self._patch(os, "urandom", self._counted("os.urandom", os.urandom))
        if hasattr(os, "getrandom"):
            self._patch(os, "getrandom", self._counted("os.getrandom", os.getrandom))
        self._patch(random, "_urandom", self._counted("random.SystemRandom / secrets", random._urandom))  # type: ignore[attr-defined]
        seed_random = random.Random.seed

        def seed(self: random.Random, a: Any = None, version: int = 2) -> None:
            if a is None and not isinstance(self, random.SystemRandom):
                a = watch._bits("random.Random() without a seed", lambda bits: None, 128)
            seed_random(self, a, version)

        self._patch(random.Random, "seed", seed)
        self._patch(random, "seed", lambda a=None, version=2: seed(random._inst, a, version))
        if "numpy" in sys.modules:  # numpy.random is loaded lazily: load it, or the cell's first use escapes
            import numpy.random.bit_generator as bit_generator

            if hasattr(bit_generator, "randbits"):
                original_bits = bit_generator.randbits
                self._patch(
                    bit_generator,
                    "randbits",
                    lambda bits: watch._bits("numpy SeedSequence without a seed", original_bits, bits),
                )
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(getattr(torch, "Generator", None), type):
            self._patch_torch(torch)
        return self

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
        while self._restore:
            owner, name, original = self._restore.pop()
            setattr(owner, name, original)
