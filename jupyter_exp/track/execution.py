"""A compiled ``%%track`` body run in the IPython shell, and what came of it.

The user's exception is caught only to be recorded (with the traceback as the user sees it) and is
raised again, unchanged, by the tracked cell.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.track.cell_code import CompiledCell, run_compiled

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Outcome:
    """How the cell ended: the run's status, and on an exception the exception and its traceback."""

    status: str = schema.FINISHED
    value: Any = None
    error: BaseException | None = None
    traceback_text: str = ""


def execute(shell: Any, compiled: CompiledCell) -> Outcome:
    """Run the body as IPython would; what it displays goes through IPython's display hook."""
    __tracebackhide__ = True
    try:
        run_compiled(shell, compiled)
    except BaseException as error:  # the user's exception, re-raised unchanged after recording
        status = schema.KILLED if isinstance(error, KeyboardInterrupt) else schema.FAILED_STATUS
        return Outcome(status, error=error, traceback_text=traceback_text(shell, error, compiled.filename))
    return Outcome()


def traceback_text(shell: Any, error: BaseException, filename: str) -> str:
    """The traceback as the user sees it, without colours: from the cell's own frame down."""
    tb: TracebackType | None = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    tb = tb or error.__traceback__
    try:
        formatter = shell.InteractiveTB
        text = formatter.stb2text(formatter.structured_traceback(type(error), error, tb, tb_offset=0))
        return ANSI.sub("", text)
    except Exception:
        return "".join(traceback.format_exception(type(error), error, tb))
