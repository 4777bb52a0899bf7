"""What a tracked cell reads from the whole history is read once per source (issue 24, flat in the
history): the likely causes of variation and the secret literals of earlier cells."""

from __future__ import annotations

from jupyter_exp.capture import clock, secrets


def test_each_history_source_is_parsed_once_across_tracked_cells() -> None:
    history = [f"from joblib import Parallel\nx{i} = sorted(items, key=id)" for i in range(200)]
    assert "an ordering by object id (key=id)" in clock.likely_causes(history)
    misses = clock._causes_in.cache_info().misses
    assert clock.likely_causes([*history, "y = 1"]) == clock.likely_causes(history)
    assert clock._causes_in.cache_info().misses <= misses + 1  # each source parsed again before


def test_secret_literals_of_a_source_are_found_once() -> None:
    source = 'api_key = "sk-abcdefghijklmnopqrstu"\nx = 1'
    assert secrets.assigned_secrets(source) == ["sk-abcdefghijklmnopqrstu"]
    misses = secrets._assigned_in.cache_info().misses
    found = secrets.assigned_secrets(source)
    found.append("changed by a caller")
    assert secrets.assigned_secrets(source) == ["sk-abcdefghijklmnopqrstu"]
    assert secrets._assigned_in.cache_info().misses == misses


def test_the_history_reads_each_sources_secrets_once() -> None:
    from jupyter_exp.capture.notebook import ExecutionHistory, HistoryEntry

    history = ExecutionHistory()
    history.entries = [
        HistoryEntry(1, None, 'hf_token = "hf_abcdefghijklmnopqrstuvwx"'),
        HistoryEntry(2, None, "x = 1"),
    ]
    assert history.assigned_secrets() == ["hf_abcdefghijklmnopqrstuvwx"]
    for entry in history.entries:
        entry.source = None  # type: ignore[assignment]  # read again, it would fail
    history.entries.append(HistoryEntry(3, None, 'api_key = "sk-abcdefghijklmnopqrstu"'))
    assert history.assigned_secrets() == ["hf_abcdefghijklmnopqrstuvwx", "sk-abcdefghijklmnopqrstu"]
