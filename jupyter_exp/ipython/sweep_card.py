"""A sweep's live card: trials done and pruned, the best so far and the top trials (with ``--workers``, a
line a worker: its trials done/running/pruned/failed), as escaped text in one display that is updated
after every trial (a plain-text line on stderr outside a kernel)."""

from __future__ import annotations

import html
import sys
from typing import Any

from IPython.display import display

from jupyter_exp.ipython.widgets import _in_kernel
from jupyter_exp.sweep.records import Standings
from jupyter_exp.sweep.runner import Sweep, SweepObserver


class _Text:
    """The card's content: text/plain, and the same text escaped inside <pre> (never trusted HTML)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return f"<pre class='jupyter-exp-sweep'>{html.escape(self.text)}</pre>"

    def __repr__(self) -> str:
        return self.text


class SweepCard(SweepObserver):
    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        self.handle: Any = None
        self.last = ""

    def _head(self) -> str:
        sweep = self.sweep
        how = "resumed" if sweep.resumed else "started"
        where = f" on {sweep.options.workers} workers" if sweep.options.workers else ""
        return (
            f"sweep {sweep.options.name} ({how}, parent run {sweep.run_id}): "
            f"{sweep.options.trials} trials to run{where}"
        )

    def started(self, sweep: Sweep) -> None:
        self.last = self._head()
        if _in_kernel():
            self.handle = display(_Text(self.last), display_id=True)
        else:
            print(f"[jupyter-exp] {self.last}", file=sys.stderr)

    def trial_ended(self, sweep: Sweep, standings: Standings) -> None:
        end = sweep.ended[-1]
        self.last = (
            f"{self._head()}\nlast: trial {end.number} {end.state}\n{standings.text(sweep.options.name)}"
        )
        self._show()

    def workers(self, sweep: Sweep, standings: Standings, lines: list[str]) -> None:
        self.last = "\n".join([self._head(), *lines, standings.text(sweep.options.name)])
        self._show()

    def ended(self, status: str) -> None:
        self.last = f"{self.last}\n{status}"
        self._show()

    def _show(self) -> None:
        if self.handle is not None:
            self.handle.update(_Text(self.last))
        else:
            print(f"[jupyter-exp] {self.last.splitlines()[-1]}", file=sys.stderr)
