"""Large arrays a cell binds (issue 24, large values): hashed on the cell's path from their buffer, no
copy held, the same digest a copy gives, and a later change in place does not reach the record."""

from __future__ import annotations

import numpy as np

from jupyter_exp.capture import state


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

    for value in (np.ones((3, 4), dtype="<i4"), np.zeros(5, dtype=">f8"), np.ones((4, 3), order="F")):
        digest = hashlib.sha256()
        kind = type(value)
        digest.update(f"{kind.__module__}.{kind.__qualname__}|".encode())
        digest.update(f"{value.dtype.str}|{value.shape}|".encode())
        digest.update(value.tobytes(order="C"))
        assert state._hex(value, [state.MAX_ITEMS]) == digest.hexdigest()
