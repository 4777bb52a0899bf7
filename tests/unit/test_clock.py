"""The clock, the time zone and the likely causes of variation a cell's code shows (issue 25)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from jupyter_exp.capture.clock import clock_reads_in, likely_causes, time_zone
from jupyter_exp.capture.entropy import EntropyWatch, last_watch
from jupyter_exp.reproduce.drift import clock_drift
from jupyter_exp.reproduce.record import RunRecord
from jupyter_exp.reproduce.verify import Produced, Tolerance, verdict_from


def test_clock_reads_and_causes_are_read_from_the_source() -> None:
    cell = "import datetime, time\nprint(datetime.datetime.now())\nt = time.time()\nd = date.today()"
    assert clock_reads_in(cell) == ["date.today()", "datetime.now()", "time.time()"]
    history = [
        "@numba.njit(parallel=True)\ndef pi(n):\n    for i in numba.prange(n): pass",
        "class Value:\n    def __init__(self, children=()):\n        self._prev = set(children)",
    ]
    assert likely_causes(history) == [
        "a parallel loop whose order varies (parallel=True)",
        "a parallel loop whose order varies (prange)",
        "an ordering by object id (a set of Value objects)",
    ]
    assert {"name", "utc_offset", "locale"} <= set(time_zone())


def test_the_notebooks_clock_reads_are_counted_as_entropy_is() -> None:
    with EntropyWatch(1) as watch:
        exec("import time\nt = time.time()\ns = time.strftime('%Y')", {"__name__": "__main__"})
        exec("import time\nt = time.time()", {"__name__": "some_library"})  # not the notebook's
    assert dict(watch.clock) == {"time.time()": 1, "time.strftime()": 1}
    assert last_watch() is watch and last_watch() is None  # handed to state.json once, as the cell returns


def test_a_divergence_names_its_likely_cause_and_a_time_zone_change() -> None:
    state = {
        "values": {},
        "clock": ["datetime.now()"],
        "causes": ["a parallel loop whose order varies (prange)"],
    }
    zone = {"time_zone": {"name": "Etc/GMT+12", "utc_offset": "-1200"}}
    other = {"time_zone": {"name": "Etc/GMT-14", "utc_offset": "+1400"}}
    found = verdict_from(
        Produced({"pi": [(0, 3.14016)]}, state=state, environment=zone),
        Produced({"pi": [(0, 3.14038)]}, environment=other),
        Tolerance(),
    )
    assert found.verdict == "diverged"
    assert found.summary == (
        "pi diverged at step 0: 3.14016 → 3.14038, under another time zone (Etc/GMT+12 (-1200) → "
        "Etc/GMT-14 (+1400)); likely cause: the cell read the clock (datetime.now()); a parallel loop "
        "whose order varies (prange)"
    )


def test_the_drift_table_shows_another_zone_locale_and_day_for_a_cell_reading_the_clock(
    tmp_path: Path,
) -> None:
    from mlflow.entities import Run, RunData, RunInfo

    started = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    info = RunInfo(
        "r1", "0", "me", "FINISHED", int(started.timestamp() * 1000), None, "active", run_name="stamp"
    )
    source = '%%track\nimport datetime\nprint(f"Last updated: {datetime.datetime.now()}")'
    zone = {"name": "Europe/Paris", "utc_offset": "+0100", "locale": "C.UTF-8"}
    record = RunRecord(Run(info, RunData()), [{"source": source}], tmp_path, environment={"time_zone": zone})
    replay = {"time_zone": {"name": "Etc/UTC", "utc_offset": "+0000", "locale": "de_DE.UTF-8"}}
    rows = [row.row() for row in clock_drift(record, replay, today=started + timedelta(days=3))]
    assert rows == [
        ("time zone", "Europe/Paris (+0100)", "Etc/UTC (+0000)"),
        ("locale", "C.UTF-8", "de_DE.UTF-8"),
        ("clock", "2026-12-04 (the cell reads datetime.now())", "2026-12-07: 3 days later"),
    ]
    assert clock_drift(record, {"time_zone": zone}, today=started) == []
