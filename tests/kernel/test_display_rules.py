"""A tracked cell displays exactly what the same cell displays untracked (IPython's display rules)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.kernels import KernelSession

pytestmark = pytest.mark.kernel

COUNT = re.compile(r"In ?\[\d+\]|\[\d+\]")
# a cell's file name hashes its source as sent, which a magic's body only has up to a final newline
FILE = re.compile(r"\(\d+\.py, line")


def shown(outputs: list[dict[str, Any]]) -> list[Any]:
    """What the user sees of a cell, execution counts aside."""
    seen: list[Any] = []
    for output in outputs:
        if output["type"] in ("execute_result", "display_data"):
            seen.append((output["type"], output["data"]))
        elif output["type"] == "error":
            seen.append(
                (
                    "error",
                    output["ename"],
                    FILE.sub("(cell, line", output["evalue"]),
                    [COUNT.sub("[N]", line) for line in output["traceback"]],
                )
            )
        else:
            seen.append((output["type"], output["name"], output["text"]))
    return seen


CASES = {
    "last_expr": [
        "y = 42\ny",
        "y = 42\ny;  # silence",
        "y = 42\ny  # a comment",
        "for i in range(2):\n    i",
        "1\n2",
    ],
    "all": ["a = 1\na\na + 1\nprint('p')\na * 3", "a = 1\na\na + 1;"],
    "last_expr_or_assign": ["b = 5", "b = 5\nb += 1", "c = [1]\nc.append(2)"],
    "none": ["7", "d = 8\nd"],
}


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("display") / "project"
    root.mkdir()
    kernel = KernelSession(root)
    kernel.run("%load_ext jupyter_exp")
    yield kernel
    kernel.close()


def untracked_and_tracked(session: KernelSession, body: str) -> tuple[list[Any], list[Any]]:
    plain_reply, plain = session.run(body)
    tracked_reply, tracked = session.run(f"%%track --quiet --name display\n{body}")
    assert tracked_reply["status"] == plain_reply["status"], (plain_reply, tracked_reply)
    assert tracked_reply.get("ename") == plain_reply.get("ename")
    assert FILE.sub("(cell, line", tracked_reply.get("evalue", "")) == FILE.sub(
        "(cell, line", plain_reply.get("evalue", "")
    )
    return shown(plain), shown(tracked)


@pytest.mark.parametrize("interactivity", list(CASES))
def test_tracked_cells_follow_the_display_rules_of_untracked_ones(
    session: KernelSession, interactivity: str
) -> None:
    session.run(f"%config InteractiveShell.ast_node_interactivity = {interactivity!r}")
    try:
        for body in CASES[interactivity]:
            plain, tracked = untracked_and_tracked(session, body)
            assert tracked == plain, body
    finally:
        session.run("%config InteractiveShell.ast_node_interactivity = 'last_expr'")


def test_the_result_is_in_the_output_history_as_untracked(session: KernelSession) -> None:
    session.run("%%track --quiet --name out\n6 * 7")
    _, outputs = session.run("_, Out[max(Out)]")
    assert shown(outputs) == [("execute_result", {"text/plain": "(42, 42)"})]


@pytest.mark.parametrize("body", ["x = (\n", "if True:\nprint(1)", "x = 1\n  y = 2", "def f(:\n    pass"])
def test_a_syntax_error_shows_as_in_an_untracked_cell(session: KernelSession, body: str) -> None:
    plain, tracked = untracked_and_tracked(session, body)
    assert tracked == plain
    assert len(tracked) == 1 and tracked[0][0] == "error"
    assert not any("jupyter_exp" in line or "interactiveshell" in line for line in tracked[0][3])
