"""The clock, the time zone and the likely causes of nondeterminism a cell's code shows, read from its
source (pure: ``ast`` and the standard library).

A cell that reads the clock (``datetime.now()``, ``time.time()``, ``date.today()``) or formats local time
gives other values on another day or under another ``TZ``; a parallel loop whose reduction order varies
(numba ``prange``, OpenMP threads, ``joblib``) or an ordering by object id (``sorted(..., key=id)``, a set
of objects, as micrograd's ``_prev``) gives other last digits from run to run. The verdict names these as
the likely cause of a difference; the runtime side (clock reads counted while the cell runs) is in
``entropy.py``.
"""

from __future__ import annotations

import ast
import functools
import locale
import os
import time
from pathlib import Path
from typing import Any

from jupyter_exp.capture.cell import parse_python

CLOCK_CALLS = frozenset({"now", "today", "utcnow", "time", "time_ns", "ctime", "localtime", "asctime"})
CLOCK_OWNERS = frozenset({"datetime", "date", "time", "Timestamp", "pd", "dt", "arrow", "pendulum"})
PARALLEL_CALLS = frozenset({"prange", "Parallel", "ThreadPoolExecutor", "ProcessPoolExecutor", "Pool"})
ZONEINFO = "/usr/share/zoneinfo/"


def time_zone() -> dict[str, Any]:
    """This process's time zone and locale, for ``environment.json``: ``name`` is what ``TZ`` can be set
    to in a replay kernel (the ``TZ`` variable, else the system zone's IANA name), ``None`` if unknown."""
    name = os.environ.get("TZ") or None
    if name is None:
        try:
            target = os.path.realpath("/etc/localtime")
            name = target.split(ZONEINFO, 1)[1] if ZONEINFO in target else None
        except OSError:
            name = None
        if name is None and Path("/etc/timezone").is_file():
            name = Path("/etc/timezone").read_text(encoding="utf-8").strip() or None
    try:
        current = locale.setlocale(locale.LC_CTYPE, None)
        timed = locale.setlocale(locale.LC_TIME, None)
    except locale.Error:
        current = timed = ""
    return {
        "name": name,
        "utc_offset": time.strftime("%z"),
        "abbreviation": time.strftime("%Z"),
        "locale": current if timed == current else f"{current} (time: {timed})",
    }


def _callee(node: ast.Call) -> tuple[str, str]:
    """``(owner, name)`` of a call: ``datetime.now()`` -> ``("datetime", "now")``."""
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return owner_name, func.attr
    return "", getattr(func, "id", "")


def _tree(source: str) -> ast.Module | None:
    """A cell's Python: a cell magic's first line (``%%track ...``) dropped, IPython syntax transformed."""
    text = source.lstrip()
    if text.startswith("%%"):
        text = text.partition("\n")[2]
    return parse_python(text)


def clock_reads_in(source: str) -> list[str]:
    """The clock reads a cell's code shows: ``["datetime.now()", "time.time()"]``; ``strftime`` of
    ``now`` counts through its ``now()``. An unparsable source shows none."""
    tree = _tree(source)
    if tree is None:
        return []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            owner, name = _callee(node)
            if name in CLOCK_CALLS and owner in CLOCK_OWNERS:
                found.add(f"{owner}.{name}()")
            elif name == "datetime64" and any(
                isinstance(a, ast.Constant) and a.value in ("now", "today") for a in node.args
            ):
                found.add("numpy.datetime64('now')")
    return sorted(found)


def likely_causes(sources: list[str]) -> list[str]:
    """What in ``sources`` (the cell and the history it ran after) makes results vary run to run. The
    causes of all but the last source are remembered for the next call, whose sources usually begin with
    the same ones (the kernel's history, one cell longer): only the new ones are looked up."""
    global _earlier
    known, remembered = _earlier
    causes: set[str] = set()
    rest = sources[:-1]
    if len(sources) > len(known) and sources[: len(known)] == known:  # in C, the same strings by identity
        causes, rest = set(remembered), sources[len(known) : -1]
    for source in rest:
        causes.update(_causes_in(source))
    _earlier = (sources[:-1], frozenset(causes))
    return sorted(causes | _causes_in(sources[-1])) if sources else []


_earlier: tuple[list[str], frozenset[str]] = ([], frozenset())  # likely_causes' last sources but one


@functools.lru_cache(maxsize=16_384)
def _causes_in(source: str) -> frozenset[str]:
    """One source's causes, remembered: every tracked cell reads the whole history again, and parsing
    it each time made a tracked cell's cost grow with the session (issue 24)."""
    causes: set[str] = set()
    tree = _tree(source)
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _, name = _callee(node)
                if name in PARALLEL_CALLS:
                    causes.add(f"a parallel loop whose order varies ({name})")
                elif name == "set_num_threads":
                    causes.add("a parallel loop whose order varies (threads)")
                elif name in ("sorted", "sort", "min", "max") and any(
                    k.arg == "key" and isinstance(k.value, ast.Name) and k.value.id == "id"
                    for k in node.keywords
                ):
                    causes.add("an ordering by object id (key=id)")
                for keyword in node.keywords:
                    if keyword.arg == "parallel" and getattr(keyword.value, "value", None) is True:
                        causes.add("a parallel loop whose order varies (parallel=True)")
            elif isinstance(node, ast.ClassDef) and any(
                isinstance(n, ast.Call) and getattr(n.func, "id", "") == "set" and n.args
                for n in ast.walk(node)
            ):
                causes.add(f"an ordering by object id (a set of {node.name} objects)")
    return frozenset(causes)
