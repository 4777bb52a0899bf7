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


def test_rng_history_chunks_are_the_document_and_ended_entries_are_encoded_once() -> None:
    import json
    import random

    from jupyter_exp.capture import rng_history
    from jupyter_exp.capture.notebook import ExecutionHistory, HistoryEntry

    history = ExecutionHistory()
    generator = random.Random(0)

    def entry(n: int, ended: bool = True) -> HistoryEntry:
        states = {"random": generator.getstate()} if n % 3 else {}
        generator.random()
        return HistoryEntry(n, None, f"x = {n}", True if ended else None, rng_states=states)

    history.entries = [entry(n) for n in range(1, rng_history.BLOCK * 3 + 5)] + [entry(999, ended=False)]
    frozen = history.frozen()
    whole = json.loads(b"".join(history.rng_history_chunks(frozen)))
    afresh = json.loads(rng_history.document([(e.execution_count, e.rng_states) for e in frozen]))
    assert dict(rng_history.read(whole)) == dict(rng_history.read(afresh))
    for old in history.entries[:-1]:
        old.rng_states = {"random": "read again"}  # encoded again, the document would change
    history.entries[-1].success = True
    history.entries.append(entry(1000, ended=False))
    again = rng_history.read(json.loads(b"".join(history.rng_history_chunks(history.frozen()))))
    assert again[2] == rng_history.read(whole)[2]  # not encoded again
    assert 1000 in again  # the running cell


def test_history_json_chunks_encode_each_ended_entry_once_and_mask_it() -> None:
    import json

    from jupyter_exp.capture.notebook import HISTORY_BLOCK, ExecutionHistory, HistoryEntry
    from jupyter_exp.capture.secrets import Redactor

    history = ExecutionHistory()
    history.entries = [HistoryEntry(n, f"c{n}", f"x = {n}  # hunter2-secret", True) for n in range(1, 150)]
    last = {"execution_count": 150, "cell_id": "c150", "source": "y = 1", "success": True}
    redactor = Redactor(["hunter2-secret"])
    document = json.loads(b"".join(history.public_chunks(history.entries, [last], redactor)))
    assert document == [*(redactor.document(e.public()) for e in history.entries), last]
    assert "hunter2" not in json.dumps(document) and len(document) > HISTORY_BLOCK * 2

    for old in history.entries:
        old.source = "changed"  # encoded again, the document would change
    history.entries.append(HistoryEntry(150, "c150", "y = 1", True))
    again = json.loads(b"".join(history.public_chunks(history.entries, [last], redactor)))
    assert again[:149] == document[:149] and again[149] == history.entries[-1].public()

    other = Redactor(["another-secret"])  # other secrets to mask: every entry is masked and encoded again
    masked_again = json.loads(b"".join(history.public_chunks(history.entries, [], other)))
    assert [e["source"] for e in masked_again[:3]] == ["changed"] * 3

    elsewhere = [HistoryEntry(1, None, "z = 1", True)]  # not this history's entries: encoded whole
    assert json.loads(b"".join(history.public_chunks(elsewhere, [], other)))[0]["source"] == "z = 1"


def test_namespace_secrets_are_those_of_a_full_scan_looking_at_new_names_only() -> None:
    from jupyter_exp.capture.secrets import NamespaceSecrets, secret_values_in

    class Name(str):
        looks = 0

        def startswith(self, *args: object) -> bool:  # type: ignore[override]
            Name.looks += 1
            return super().startswith(*args)  # type: ignore[arg-type]

    namespace: dict[str, object] = {Name(f"_i{n}"): f"cell source {n}" for n in range(1, 3000)}
    namespace[Name("hf_token")] = "hf_abcdefghijklmnopqrstuvwx"
    watch = NamespaceSecrets()
    assert watch.values(namespace) == secret_values_in(namespace) == ["hf_abcdefghijklmnopqrstuvwx"]
    Name.looks = 0
    namespace[Name("_i3000")] = "one more cell"
    namespace[Name("db_password")] = "correct horse battery"
    namespace[Name("hf_token")] = "hf_rebound0000000000000000"  # rebound in place: its value read again
    found = watch.values(namespace)
    assert Name.looks == 2  # the two new names, not the 3,000 others
    assert sorted(found) == sorted(secret_values_in(namespace))
    del namespace["db_password"]
    namespace[Name("api_key")] = "sk-abcdefghijklmnopqrstu"  # a deletion: every name again, once
    assert sorted(watch.values(namespace)) == sorted(secret_values_in(namespace))
    assert "correct horse battery" not in watch.values(namespace)


def test_likely_causes_remembered_for_a_longer_history_only() -> None:
    parallel = "from joblib import Parallel\nParallel(n_jobs=2)(f(i) for i in range(3))"
    history = [parallel, "x = 1", "y = 2"]
    assert clock.likely_causes(history) == clock.likely_causes([parallel]) != []
    assert clock.likely_causes([*history, "z = 3"]) == clock.likely_causes([parallel])  # its prefix known
    assert clock.likely_causes(["x = 1", "y = 2", "z = 3"]) == []  # another history: nothing remembered
    assert clock.likely_causes([]) == []
