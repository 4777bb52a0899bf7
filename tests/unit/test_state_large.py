"""Large arrays a cell binds (issue 24, large values): hashed on the cell's path from their buffer, no
copy held, the same digest a copy gives, and a later change in place does not reach the record; digests
name their algorithm (XXH3-128 now, sha256 in older records) and still verify older records."""

from __future__ import annotations

import json

import numpy as np

from jupyter_exp.capture import state
from jupyter_exp.reproduce.bound import compare_bound, not_comparable
from jupyter_exp.reproduce.verify import Produced, Tolerance, verdict_from


def test_a_large_array_is_hashed_on_the_path_and_no_copy_is_held() -> None:
    big = np.arange(state.HASH_ON_PATH_BYTES // 8 + 1, dtype=np.float64)
    strided = np.arange(state.HASH_ON_PATH_BYTES // 4 + 2, dtype=np.float64)[::2]  # not contiguous: copied
    namespace = {"big": big, "strided": strided}
    expected = state._hex(big.copy(), [state.MAX_ITEMS])
    snapshot = state.snapshot("big = make()\nstrided = make()", namespace)
    held = snapshot.values["big"][1]
    assert not isinstance(held, np.ndarray)  # a copy held until hashing (100 MB more for 100 MB bound)
    big[0] = -1.0  # the next cell changes it in place: the record keeps what the cell returned
    strided[0] = -1.0
    document = snapshot.document()
    assert document["values"]["big"]["digest"] == expected
    assert document["values"]["big"]["summary"] == f"float64 ({big.size},)"
    assert document["values"]["strided"]["digest"] != state._hex(strided, [state.MAX_ITEMS])


def test_buffer_hashing_gives_the_digest_tobytes_gave() -> None:
    import hashlib

    import xxhash

    for value in (np.ones((3, 4), dtype="<i4"), np.zeros(5, dtype=">f8"), np.ones((4, 3), order="F")):
        for algorithm, hasher, named in (
            (state.SHA256, hashlib.sha256(), ""),  # as records before the names hold it: bare hex
            (state.XXH3_128, xxhash.xxh3_128(), "xxh3_128:"),
        ):
            kind = type(value)
            hasher.update(f"{kind.__module__}.{kind.__qualname__}|".encode())
            hasher.update(f"{value.dtype.str}|{value.shape}|".encode())
            hasher.update(value.tobytes(order="C"))
            assert state._hex(value, [state.MAX_ITEMS], algorithm) == named + hasher.hexdigest()


def test_new_digests_name_their_algorithm_and_one_element_tells_arrays_apart() -> None:
    big = np.random.default_rng(0).random(state.HASH_ON_PATH_BYTES // 8 + 1)
    other = big.copy()
    other[len(other) // 2] = np.nextafter(other[len(other) // 2], 2.0)  # one element, one ulp
    small, small_other = np.arange(4.0), np.array([0.0, 1.0, 2.0, 3.5])
    body = "big = small = make()"
    first = state.snapshot(body, {"big": big, "small": small}).document()["values"]
    second = state.snapshot(body, {"big": other, "small": small_other}).document()["values"]
    again = state.snapshot(body, {"big": big.copy(), "small": small.copy()}).document()["values"]
    for name in ("big", "small"):
        assert state.algorithm_of(first[name]["digest"]) == state.ALGORITHM == "xxh3_128"
        assert first[name]["digest"].startswith("xxh3_128:") and len(first[name]["digest"]) == 9 + 32
        assert first[name]["digest"] != second[name]["digest"]
        assert first[name]["digest"] == again[name]["digest"]
    assert state.recorded_algorithm({"values": first}) == "xxh3_128"


def _as_recorded(document: dict) -> dict:
    return json.loads(json.dumps(document))  # as state.json holds it


def test_a_record_digested_with_sha256_still_verifies_exact() -> None:
    """Records made before digests named their algorithm hold bare sha256: a replay that digests with the
    recorded algorithm compares them exactly, and a difference is still found."""
    rng = np.random.default_rng(1)
    values = {"big": rng.random(state.HASH_ON_PATH_BYTES // 8 + 1), "text": "done", "fit": {"a": [1, 2]}}
    body = "big = text = fit = make()"
    old = _as_recorded(state.snapshot(body, values, algorithm=state.SHA256).document())
    assert all(len(e["digest"]) == 64 and ":" not in e["digest"] for e in old["values"].values())
    assert state.recorded_algorithm(old) == state.SHA256

    replayed = _as_recorded(state.snapshot(body, values, algorithm=state.recorded_algorithm(old)).document())
    verdict = verdict_from(Produced(state=old), Produced(state=replayed), Tolerance())
    assert verdict.verdict == "exact" and verdict.not_compared == {}
    assert [c.status for c in verdict.bound] == ["exact"] * 3

    changed = {**values, "text": "Done"}
    replayed = _as_recorded(state.snapshot(body, changed, algorithm=state.SHA256).document())
    verdict = verdict_from(Produced(state=old), Produced(state=replayed), Tolerance())
    assert verdict.verdict == "diverged" and {c.name: c.status for c in verdict.bound}["text"] == "diverged"


def test_digests_of_different_algorithms_are_not_compared_never_diverged() -> None:
    body = "big = text = w = make()"
    values = {"big": np.ones(state.HASH_ON_PATH_BYTES // 8 + 1), "text": "done", "w": np.arange(3.0)}
    old = _as_recorded(state.snapshot(body, values, algorithm=state.SHA256).document())
    new = _as_recorded(state.snapshot(body, values).document())
    assert state.recorded_algorithm(new) == state.XXH3_128
    verdict = verdict_from(Produced(state=old), Produced(state=new), Tolerance())
    why = "digests of different algorithms (sha256 recorded, xxh3_128 replayed)"
    assert verdict.not_compared == {"big": why, "text": why}
    assert [(c.name, c.status) for c in verdict.bound] == [("w", "exact")]  # its elements tell
    assert verdict.verdict == "exact"

    moved = {**values, "w": np.array([0.0, 1.0, 2.5]), "big": np.ones((2, state.HASH_ON_PATH_BYTES // 16))}
    new = _as_recorded(state.snapshot(body, moved).document())
    compared = {c.name: c for c in compare_bound(old, new, Tolerance().close)}
    assert compared["w"].describe() == "w: 1 of 3 elements differ, max abs 0.5"  # the elements still tell
    assert compared["big"].status == "diverged" and "→" in compared["big"].detail  # so does its shape
    assert not_comparable(old, new) == {"text": why}


def test_the_copy_cap_bounds_copies_not_arrays_hashed_on_the_path() -> None:
    """A cell binding 3 x 100 MB was over the 256 MB cap: only what is copied counts against it now."""
    big = np.ones(state.HASH_ON_PATH_BYTES // 8 + 1)
    strided = np.ones(state.HASH_ON_PATH_BYTES // 4 + 2)[::2]  # not contiguous: it would be copied
    document = state.snapshot(
        "big = strided = make()", {"big": big, "strided": strided}, max_bytes=1000
    ).document()
    assert sorted(document["values"]) == ["big"]
    assert list(document["not_compared"]) == ["strided"]
    assert document["not_compared"]["strided"].startswith("4.0 MB, over the")


def test_a_replay_kernel_digests_as_the_record_it_is_told_of() -> None:
    """``digest_as`` (the replay driver's directive): the snapshots of that kernel use the record's
    algorithm until told otherwise; an algorithm not known here, or none, is the current one."""
    body, values = "text = make()", {"text": "done"}
    try:
        state.digest_as(state.SHA256)
        assert state.recorded_algorithm(state.snapshot(body, values).document()) == state.SHA256
        state.digest_as("md5")
        assert state.recorded_algorithm(state.snapshot(body, values).document()) == state.ALGORITHM
    finally:
        state.digest_as(None)
    assert state.recorded_algorithm(state.snapshot(body, values).document()) == state.ALGORITHM
