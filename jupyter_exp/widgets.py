"""The inline run card: name, id, status, live metrics, warnings, and where to find the run."""

from __future__ import annotations

import html
import sys
from typing import Any

from .config import StoreLocation

STATUS_COLOURS = {"RUNNING": "#1a73e8", "FINISHED": "#188038", "FAILED": "#d93025", "KILLED": "#e37400"}


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return shell is not None and hasattr(shell, "kernel")
    except Exception:
        return False


class RunCard:
    def __init__(self, name: str, run_id: str, location: StoreLocation, experiment_id: str) -> None:
        self.name = name
        self.run_id = run_id
        self.location = location
        self.experiment_id = experiment_id
        self.status = "RUNNING"
        self.metrics: dict[str, float] = {}
        self.warnings: list[str] = []
        self._widget: Any = None

    @property
    def ui_link(self) -> str | None:
        uri = self.location.tracking_uri
        if uri.startswith(("http://", "https://")):
            return f"{uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"
        return None

    def text(self) -> str:
        metrics = "  ".join(f"{k}={v:.4g}" for k, v in self.metrics.items())
        line = f"[jupyter-exp] run {self.name} ({self.run_id}) {self.status}"
        return " | ".join(part for part in (line, metrics, *self.warnings) if part)

    def html(self) -> str:
        colour = STATUS_COLOURS.get(self.status, "#5f6368")
        where = self.ui_link or self.location.tracking_uri
        where_html = (
            f'<a href="{html.escape(where)}" target="_blank">MLflow UI</a>'
            if self.ui_link
            else f"<code>{html.escape(where)}</code>"
        )
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{v:.6g}</td></tr>"
            for k, v in self.metrics.items()
        )
        warnings = "".join(
            f"<div class='jp-exp-card-warning' style='color:#e37400'>⚠ {html.escape(w)}</div>"
            for w in self.warnings
        )
        return (
            f"<div class='jp-exp-card' style='border-left:4px solid {colour};padding:4px 8px;font-size:12px'>"
            f"<b>{html.escape(self.name)}</b> <span class='jp-exp-card-status' style='color:{colour}'>{self.status}</span>"
            f"<div style='opacity:.75'>run <code>{self.run_id}</code> · {where_html}</div>"
            f"<table>{rows}</table>{warnings}</div>"
        )

    def show(self) -> None:
        if not _in_kernel():
            return  # plain IPython: one line at the end
        try:
            from IPython.display import display

            self._widget = _CardWidget(value=self.html())
            self._widget.card = self
            display(self._widget)
        except Exception:
            self._widget = None

    def _refresh(self) -> None:
        if self._widget is not None:
            self._widget.value = self.html()

    def show_metrics(self, latest: dict[str, float]) -> None:
        self.metrics = latest
        self._refresh()

    def show_end(self, status: str, warnings: list[str]) -> None:
        self.status = status
        self.warnings = list(warnings)
        if self._widget is not None:
            self._refresh()
        else:
            print(self.text(), file=sys.stderr)


try:
    import ipywidgets as _ipywidgets

    class _CardWidget(_ipywidgets.HTML):
        card: Any = None

        def __repr__(self) -> str:  # the text/plain a non-widget frontend shows
            return self.card.text() if self.card is not None else "jupyter-exp run"

except ImportError:  # pragma: no cover - ipywidgets is a dependency
    _CardWidget = None  # type: ignore[assignment,misc]
