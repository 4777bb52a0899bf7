"""The contract and the code agree: every key in record_schema.py is documented in docs/run-record.md."""

from __future__ import annotations

from pathlib import Path

from jupyter_exp import record_schema

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "run-record.md"


def test_every_constant_is_in_the_contract():
    text = CONTRACT.read_text()
    constants = {
        name: value
        for name, value in vars(record_schema).items()
        if name.isupper()
        and isinstance(value, str)
        and value not in ("FINISHED", "FAILED", "KILLED", "RUNNING")
    }
    assert len(constants) > 50
    missing = sorted(f"{name} = {value!r}" for name, value in constants.items() if f"`{value}" not in text)
    assert not missing, f"docs/run-record.md lacks: {missing}"


def test_verdicts_are_the_documented_ones():
    assert set(record_schema.VERDICTS) == {"exact", "close", "diverged", "failed", "varied", "unverified"}
