"""rng_history.json, format 2 (issue 24, flat in the history): each distinct generator state once, a state
that moved a little as a patch of an earlier one, per-cell references; read back exactly, format 1 still
read, anything malformed refused with StateFormatError before anything uses it."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest
import torch

from jupyter_exp.capture import generators, rng_codec, rng_history
from jupyter_exp.capture.notebook import OBJECTS_KEY, ExecutionHistory, HistoryEntry, cell_rng_states
from jupyter_exp.capture.seeds import restore_rng_states


def session(cells: int, draw: Any, every_kind: bool = True) -> list[HistoryEntry]:
    """``cells`` ended history entries with the states a kernel records before each cell; ``draw(n, ns)``
    is what cell n does with the generators (``rng``, and with ``every_kind`` one of each other kind)."""
    random.seed(0)
    np.random.seed(1)
    torch.manual_seed(2)
    namespace: dict[str, Any] = {"rng": np.random.default_rng(3)}
    if every_kind:
        namespace |= {
            "legacy": np.random.RandomState(4),
            "gen": torch.Generator().manual_seed(5),
            "r": random.Random(6),
        }
    entries = []
    for n in range(1, cells + 1):
        entries.append(HistoryEntry(n, None, f"cell {n}", True, rng_states=cell_rng_states(namespace)))
        draw(n, namespace)
    return entries


def mixed(n: int, namespace: dict[str, Any]) -> None:
    random.random()
    if n % 3 == 0:
        namespace["rng"].normal(size=n % 7)
    if n % 5 == 0:
        np.random.rand()
        namespace["legacy"].randint(10)
    if n % 11 == 0:
        torch.rand(2, generator=namespace["gen"])
        namespace["r"].random()
    if n % 97 == 0:
        random.seed(n % 2)  # a state seen before: a reference to it


def written(history: ExecutionHistory, tracked_at: list[int]) -> bytes:
    """The document as a session writes it: tracked cells at ``tracked_at`` (entries ended before them
    added once), the last one running."""
    everything, document = history.entries, b""
    for count in tracked_at:
        history.entries = everything[:count]
        running = HistoryEntry(
            count + 1000, None, "%%track", None, rng_states=everything[count - 1].rng_states
        )
        document = b"".join(history.rng_history_chunks([*history.entries, running]))
    history.entries = everything
    return document


def test_every_cell_reads_back_exactly_and_restores_the_same_draws() -> None:
    entries = session(400, mixed)
    history = ExecutionHistory()
    history.entries = entries
    document = json.loads(written(history, [7, 150, 151, 400]))
    assert document["format"] == rng_history.FORMAT
    states = rng_history.read(document)
    assert sorted(states) == [*range(1, 401), 1400]
    for entry in entries:
        assert states[entry.execution_count] == rng_codec.dumps(entry.rng_states), entry.execution_count
    assert states[1400] == states[400]  # the running cell's states, as they were before it ran

    decoded = rng_codec.loads(states[222])
    restore_rng_states(decoded)
    namespace = {"rng": np.random.default_rng(), "legacy": np.random.RandomState(), "r": random.Random()}
    namespace["gen"] = torch.Generator()
    assert generators.restore(namespace, decoded[OBJECTS_KEY]) == []
    replayed = (random.random(), np.random.rand(), namespace["rng"].random(), namespace["r"].random())
    restore_rng_states(rng_codec.decode(rng_codec.encode(entries[221].rng_states)))
    generators.restore(namespace, entries[221].rng_states[OBJECTS_KEY])
    assert replayed == (random.random(), np.random.rand(), namespace["rng"].random(), namespace["r"].random())


def test_the_session_document_is_the_one_built_afresh_and_ended_cells_are_added_once() -> None:
    entries = session(200, mixed)
    history = ExecutionHistory()
    history.entries = entries
    first = written(history, [120])
    afresh = rng_history.document([(e.execution_count, e.rng_states) for e in entries[:120]])
    assert rng_history.read(json.loads(first))[5] == rng_history.read(json.loads(afresh))[5]
    for old in entries[:120]:
        old.rng_states = {"random": "encoded again, the document would change"}
    later = rng_history.read(json.loads(written(history, [200])))
    assert later[5] == rng_history.read(json.loads(first))[5]
    assert later[200] == rng_codec.dumps(entries[199].rng_states)


def test_the_document_grows_by_what_changed_not_by_the_states() -> None:
    """5,000 cells, each drawing from random and a bound generator: what every cell's states hold (random's
    625 ints, numpy's and torch's states, numpy's at its import) is written once, not per cell."""
    cells = 5_000
    entries = session(cells, lambda n, ns: (random.random(), ns["rng"].random()), every_kind=False)
    document = rng_history.document([(e.execution_count, e.rng_states) for e in entries])
    per_cell = sum(len(rng_codec.dumps(e.rng_states)) for e in entries[:100]) / 100  # format 1: all in full
    assert per_cell > 15_000
    assert len(document) / cells < 600, len(document) / cells
    quiet = session(cells, lambda n, ns: None, every_kind=False)  # nothing drawn: the states referenced
    unchanged = rng_history.document([(e.execution_count, e.rng_states) for e in quiet])
    assert len(unchanged) < 30_000 + 80 * cells
    states = rng_history.read(json.loads(document))
    assert states[cells] == rng_codec.dumps(entries[-1].rng_states)


def test_torch_bytes_move_by_text_edits() -> None:
    torch.manual_seed(0)
    torch.rand(1)  # the first draw after seeding fills the whole state: the next ones move a counter
    before = torch.get_rng_state()
    torch.rand(3)
    states = [(1, {"torch": before}), (2, {"torch": torch.get_rng_state()})]
    document = json.loads(rng_history.document(states))
    patch = document["values"][1]["patch"]
    assert patch["base"] == 0 and "text" in patch["edits"][0]
    assert len(json.dumps(patch)) < len(json.dumps(document["values"][0])) / 4
    restored = rng_codec.loads(rng_history.read(document)[2])["torch"]
    assert restored == bytes(states[1][1]["torch"].tolist())


def test_values_equal_in_python_but_written_differently_are_kept_apart() -> None:
    states = [
        (1, {"s": (1, 0.0, "a" * 300)}),
        (2, {"s": (True, -0.0, "a" * 300)}),
        (3, {"s": (1.0, 0.0, "b" * 300)}),
    ]
    read = rng_history.read(json.loads(rng_history.document(states)))
    assert [rng_codec.loads(read[n])["s"][:2] for n in (1, 2, 3)] == [(1, 0.0), (True, -0.0), (1.0, 0.0)]
    assert [type(rng_codec.loads(read[n])["s"][0]) for n in (1, 2, 3)] == [int, bool, float]
    assert str(rng_codec.loads(read[2])["s"][1]) == "-0.0"


def test_format_1_is_still_read() -> None:
    entries = session(5, mixed)
    old = {"format": 1, "states": {str(e.execution_count): rng_codec.encode(e.rng_states) for e in entries}}
    states = rng_history.read(json.loads(json.dumps(old)))
    assert [states[e.execution_count] for e in entries] == [rng_codec.dumps(e.rng_states) for e in entries]


FULL = {"tuple": [3, {"tuple": [1, 2, 3]}, None]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": 3, "values": [], "states": {}}, "format 1 or 2"),
        ({"format": 2, "values": [FULL], "states": {"1": {"random": 1}}}, "references"),
        ({"format": 2, "values": [FULL], "states": {"1": {"random": True}}}, "references"),
        ({"format": 2, "values": [FULL], "states": {"x": {"random": 0}}}, "execution count"),
        ({"format": 2, "values": [FULL], "states": {"1": 0}}, "references"),
        ({"format": 2, "states": {}}, "no values"),
        (
            {
                "format": 2,
                "values": [{"ndarray": {"dtype": "O", "shape": [1], "data": "gAQ="}}],
                "states": {},
            },
            "dtype",
        ),
        ({"format": 2, "values": [{"patch": {"base": 0, "edits": []}}], "states": {}}, "earlier full value"),
        ({"format": 2, "values": [FULL, {"patch": {"base": True, "edits": []}}]}, "earlier full value"),
        ({"format": 2, "values": [FULL, {"patch": {"base": [0], "edits": []}}]}, "earlier full value"),
        ({"format": 2, "values": [FULL, {"patch": {"base": 0, "edits": [], "run": "x"}}]}, "{base, edits}"),
        (
            {
                "format": 2,
                "values": [FULL, {"patch": {"base": 0, "edits": []}}, {"patch": {"base": 1, "edits": []}}],
            },
            "earlier full value",
        ),
        (
            {"format": 2, "values": [FULL, {"patch": {"base": 0, "edits": [{"at": ["dict"], "set": 1}]}}]},
            "base does not have",
        ),
        (
            {
                "format": 2,
                "values": [
                    FULL,
                    {"patch": {"base": 0, "edits": [{"at": ["tuple", 1, "tuple", 9], "set": 1}]}},
                ],
            },
            "base does not have",
        ),
        (
            {
                "format": 2,
                "values": [FULL, {"patch": {"base": 0, "edits": [{"at": ["tuple", 1], "text": [[0, "x"]]}]}}],
            },
            "not text",
        ),
        (
            {
                "format": 2,
                "values": [
                    {"bytes": "AAAA"},
                    {"patch": {"base": 0, "edits": [{"at": ["bytes"], "text": [[3, "AA"]]}]}},
                ],
            },
            "past the end",
        ),
        (
            {
                "format": 2,
                "values": [
                    {"bytes": "AAAA"},
                    {"patch": {"base": 0, "edits": [{"at": ["bytes"], "text": [[0, "!!!!"]]}]}},
                ],
            },
            "base64",
        ),
        (
            {
                "format": 2,
                "values": [
                    FULL,
                    {
                        "patch": {
                            "base": 0,
                            "edits": [{"at": ["tuple", 1], "set": {"py/object": "os.system"}}],
                        }
                    },
                ],
            },
            "py/object",
        ),
        (
            {"format": 2, "values": [FULL, {"patch": {"base": 0, "edits": [{"at": [], "set": 1, "x": 2}]}}]},
            "{at, set}",
        ),
    ],
)
def test_anything_else_is_refused(document: dict[str, Any], message: str) -> None:
    document.setdefault("states", {})
    with pytest.raises(rng_codec.StateFormatError, match=message.replace("{", r"\{").replace("}", r"\}")):
        rng_history.read(json.loads(json.dumps(document)))
