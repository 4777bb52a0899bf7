"""The inline card of a seed group: a progress bar over the seeds and each metric's mean, std, CI and n,
updated as each child run is recorded (an ipywidgets card in a kernel, lines on stderr in plain IPython)."""

from __future__ import annotations

import html
import math
import sys
import threading
from typing import Any

from IPython.display import display

from jupyter_exp import record_schema as schema
from jupyter_exp.ipython.widgets import CARD_STYLE, _in_kernel, _run_html
from jupyter_exp.stats.summary import Summary
from jupyter_exp.text_table import number_text, text_table
from jupyter_exp.track.seed_group import ChildResult, GroupObserver, SeedGroup


def is_system(key: str) -> bool:
    return key.startswith(schema.SYSTEM_PREFIX)


def summary_rows(summaries: dict[str, Summary]) -> list[tuple[str, str, str, str, str]]:
    """``(metric, mean, std, 95% CI, n)`` of the results; one seed: ``no spread`` instead of std and CI.
    System metrics (wall time, memory) are not results: a t-interval on them is meaningless (it went
    below zero), so they are left to :func:`system_rows`."""
    rows = []
    for key, s in summaries.items():
        if is_system(key):
            continue
        if s.std is None:
            rows.append((key, number_text(s.mean), "", "no spread", str(s.n)))
        else:
            rows.append(
                (
                    key,
                    number_text(s.mean),
                    number_text(s.std),
                    f"{number_text(s.ci_low)} to {number_text(s.ci_high)}",
                    str(s.n),
                )
            )
    return rows


def system_rows(children: list[ChildResult]) -> list[tuple[str, str, str, str]]:
    """``(metric, mean, min, max)`` of the system metrics over the recorded seeds: what a seed cost, no
    statistics."""
    values: dict[str, list[float]] = {}
    for child in children:
        for key, value in child.metrics.items():
            if is_system(key) and math.isfinite(value):
                values.setdefault(key, []).append(value)
    return [
        (key, number_text(sum(v) / len(v)), number_text(min(v)), number_text(max(v)))
        for key, v in sorted(values.items())
    ]


class GroupCard(GroupObserver):
    def __init__(self, group: SeedGroup) -> None:
        self.group = group
        self.status = schema.RUNNING
        self.running: str = ""
        self.summaries: dict[str, Summary] = {}
        self.children: list[ChildResult] = []
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._html: Any = None
        self._bar: Any = None

    @property
    def total(self) -> int:
        return len(self.group.plan.seeds)

    def started(self, group: SeedGroup) -> None:
        if not _in_kernel():
            print(
                f"[jupyter-exp] group {group.name} ({group.run_id}): {self.total} seeds {group.plan.describe()}",
                file=sys.stderr,
            )
            return
        try:
            import ipywidgets

            self._bar = ipywidgets.IntProgress(value=0, min=0, max=self.total, description="Seeds")
            self._html = ipywidgets.HTML(value=self.html())
            display(ipywidgets.VBox([self._html, self._bar]))
        except Exception:
            self._html = self._bar = None

    def child_started(self, index: int, seed: int) -> None:
        with self._lock:
            self.running = f"seed {seed} ({index + 1}/{self.total})"
            self._refresh()

    def child_recorded(self, child: ChildResult, summaries: dict[str, Summary]) -> None:
        with self._lock:
            self.children.append(child)
            self.summaries = summaries
            self._refresh()
            if self._html is None:
                print(f"[jupyter-exp] {self.group.name}: seed {child.seed} {child.status}", file=sys.stderr)

    def ended(self, status: str, warnings: list[str]) -> None:
        with self._lock:
            self.status, self.running, self.warnings = status, "", list(warnings)
            self._refresh()
            if self._html is None:
                print(self.text(), file=sys.stderr)

    def _refresh(self) -> None:
        if self._html is not None:
            self._html.value = self.html()
        if self._bar is not None:
            self._bar.value = len(self.children)
            if self.status in (schema.FAILED_STATUS, schema.KILLED):
                self._bar.bar_style = "danger" if self.status == schema.FAILED_STATUS else "warning"
            elif self.status == schema.FINISHED:
                self._bar.bar_style = "success"

    def _progress(self) -> str:
        done = sum(c.status == schema.FINISHED for c in self.children)
        others = ", ".join(f"seed {c.seed} {c.status}" for c in self.children if c.status != schema.FINISHED)
        text = f"{done}/{self.total} seeds finished" + (f" ({others})" if others else "")
        return text + (f" · running {self.running}" if self.running and self.status == schema.RUNNING else "")

    def text(self) -> str:
        head = (
            f"[jupyter-exp] group {self.group.name} ({self.group.run_id}) {self.status}: {self._progress()}"
        )
        rows = summary_rows(self.summaries)
        body = "\n" + text_table(rows, ("metric", "mean", "std", "95% CI", "n")) if rows else ""
        system = system_rows(self.children)
        if system:
            body += "\nsystem (per seed):\n" + text_table(system, ("metric", "mean", "min", "max"))
        return head + body + "".join(f"\n⚠ {w}" for w in self.warnings)

    def html(self) -> str:
        group = self.group
        rows = "".join(
            "<tr>" + "".join(f"<td class='jp-exp-card-value'>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in summary_rows(self.summaries)
        )
        system = "".join(
            "<tr>" + "".join(f"<td class='jp-exp-card-value'>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in system_rows(self.children)
        )
        if system:  # collapsed: what the seeds cost, apart from the results
            system = (
                "<details class='jp-exp-card-system'><summary>System metrics (per seed)</summary>"
                "<table><tr><th>metric</th><th>mean</th><th>min</th><th>max</th></tr>"
                f"{system}</table></details>"
            )
        warnings = "".join(
            f"<div class='jp-exp-card-warning'>⚠ {html.escape(w)}</div>" for w in self.warnings
        )
        return (
            f"<div class='jp-exp-card jp-exp-group-card' data-status='{html.escape(self.status)}'>{CARD_STYLE}"
            f"<b>{html.escape(group.name)}</b> <span class='jp-exp-card-status'>{html.escape(self.status)}</span>"
            f"<div class='jp-exp-card-where'>group run "
            f"{_run_html(group.location, group.experiment_id, group.run_id)} · seeds "
            f"{html.escape(group.plan.describe())} · {html.escape(self._progress())}</div>"
            "<table><tr><th>metric</th><th>mean</th><th>std</th><th>95% CI</th><th>n</th></tr>"
            f"{rows}</table>{system}{warnings}</div>"
        )
