"""A tracked cell's record parses its body a dozen times: IPython's transform runs once (issue 24)."""

from __future__ import annotations

from jupyter_exp.capture import cell


def test_a_body_is_transformed_once_and_each_caller_gets_its_own_tree() -> None:
    body = "%time x = 1\n" + "\n".join(f"p{i} = {i}" for i in range(50))
    first = cell.parse_python(body)
    misses = cell._python_source.cache_info().misses
    second = cell.parse_python(body)
    assert cell._python_source.cache_info().misses == misses  # transformed again every time before
    assert first is not None and second is not None and first is not second
    assert cell.names_bound(second) >= {"p0", "p49"}
