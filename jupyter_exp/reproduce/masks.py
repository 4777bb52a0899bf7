"""Volatile text: what differs between any two runs of the same code, masked before outputs are compared.

A mask covers the volatile token only (``0.52s`` in ``epoch 1 | time 0.52s | loss 0.2790``), never
what follows it. A number with a time unit is a time only where the text says so: after a timing
word (``time``, ``took``, ``elapsed``, ``Wall time:`` ...), as a rate (``9.8it/s``, ``13ms/step``) or
in a progress counter (``[00:01<00:00, 9.8it/s]``); ``x = 5 s`` is a result.
"""

from __future__ import annotations

import re
from collections import Counter

_UNIT = r"(?:ns|µs|us|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?)"
DURATION = re.compile(rf"\d+(?:\.\d+)?(?:\s?{_UNIT}|m\s?\d+(?:\.\d+)?s)(?![\w/])")
# a timing word, then durations and the words that join them: "CPU times: user 2.6 ms, sys: 0 ns, total: 2.6 ms"
_TIMED = re.compile(
    rf"(?i)\b(?:wall time|cpu times?|elapsed(?: time)?|took|duration|runtime|run time|time taken|time|latency"
    rf"|eta|in)\b\s*[:=]?\s*(?:(?:user|sys|total|wall)\s*:?\s*)?{DURATION.pattern}"
    rf"(?:\s*,?\s*(?:user|sys|total|wall)\s*:?\s*{DURATION.pattern})*"
)
_RATE = re.compile(rf"(?:\d+(?:\.\d+)?|\?)\s?(?:it/s|s/it|{_UNIT}/(?:step|it|epoch|sample|batch))(?![\w/])")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"

# tqdm: [elapsed<remaining, rate] (the rate may be "?it/s" before the first update); masked first, rate and all
PROGRESS = re.compile(rf"\[{_CLOCK}<(?:{_CLOCK}|\?)(?:,\s*[^\]\n]*)?\]")
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # RFC 2822 (statsmodels' "Date: Tue, 01 Dec 2026") and time.ctime() ("Tue Dec  1 19:03:17 2026")
    (
        "date/time",
        re.compile(
            rf"\b{_DAY},?\s+\d{{1,2}}\s+{_MONTH}\s+\d{{4}}(?:\s+{_CLOCK}(?:\s*(?:[+-]\d{{4}}|[A-Z]{{2,4}}))?)?\b"
            rf"|\b{_DAY}\s+{_MONTH}\s+\d{{1,2}}\s+{_CLOCK}\s+\d{{4}}\b"
        ),
    ),
    (
        "date/time",
        re.compile(r"\b\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?\b"),
    ),
    ("date/time", re.compile(r"\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b")),
    ("memory address", re.compile(r"\b0x[0-9a-fA-F]{6,}\b")),
    (
        "temp path",
        re.compile(
            r"(/tmp|/var/folders|/private/var/folders|[A-Za-z]:\\\\Users\\\\[^\\\\]+\\\\AppData\\\\Local\\\\Temp)[^\s'\",)\]]*"
        ),
    ),
    (
        "run or kernel id",
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b"),
    ),
]


def _sub(label: str, pattern: re.Pattern[str], text: str, counts: Counter[str] | None) -> str:
    text, found = pattern.subn(f"<{label}>", text)
    if counts is not None and found:
        counts[label] += found
    return text


def mask(text: str, counts: Counter[str] | None = None) -> str:
    """``text`` with every volatile token replaced by ``<label>``; ``counts`` tallies them by label."""
    text = _sub("progress", PROGRESS, text, counts)
    text = _TIMED.sub(lambda timed: _sub("elapsed time", DURATION, timed.group(0), counts), text)
    text = _sub("elapsed time", _RATE, text, counts)
    for label, pattern in PATTERNS:
        text = _sub(label, pattern, text, counts)
    return text


def as_displayed(text: str) -> str:
    """What a notebook shows of a stream: a carriage return rewrites its line (progress bars redraw a
    varying number of times), so only the text after a line's last ``\\r`` is kept."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n"))


MASK_TOKEN = re.compile(r"<(progress|elapsed time|date/time|memory address|temp path|run or kernel id)>")
_LITERAL_PART = 3  # string literals at least this long are removed from a line as fixed text
_TOKEN = re.compile(r"[^\s,;:|=()\[\]{}'\"]+")


def configuration_lines(text: str, constructors: list[str]) -> set[int]:
    """Indexes of the lines of ``text`` that only show the repr of a class the cell constructed
    (``RandomForestRegressor(n_estimators=10)``, over several lines when wrapped): configuration."""
    found: set[int] = set()
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for name in constructors:
        for match in re.finditer(rf"(?m)^\s*{re.escape(name)}\(", text):
            depth, end = 0, None
            for index in range(match.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[index], 0)
                if depth == 0:
                    end = index
                    break
            if end is None or text[end + 1 :].split("\n", 1)[0].strip():
                continue  # unbalanced, or more follows on its last line: not just the repr
            first = next(i for i in range(len(lines)) if starts[i + 1] > match.start())
            last = next(i for i in range(len(lines)) if starts[i + 1] > end)
            found.update(range(first, last + 1))
    return found


def echo_of(line: str, literal_texts: list[str]) -> str | None:
    """Why a masked output ``line`` compares nothing (``"masked date/time"``, ``"a literal of the
    cell"``), or ``None`` when it shows something the cell computed."""
    text = line.strip()
    masked = MASK_TOKEN.findall(text)
    if not text or text in literal_texts:
        return "a literal of the cell" if text else None
    rest = text
    for literal in sorted(
        (t for t in literal_texts if len(t.strip()) >= _LITERAL_PART), key=len, reverse=True
    ):
        rest = rest.replace(literal.strip(), " ")
    rest = MASK_TOKEN.sub(" ", rest)
    tokens = [t for t in _TOKEN.findall(rest) if t not in literal_texts and any(c.isalnum() for c in t)]
    if masked and not any(c.isdigit() for c in rest):  # "<FuncAnimation at <memory address>>"
        return "masked " + "/".join(sorted(set(masked)))
    if not tokens:
        return "a literal of the cell"
    return None
