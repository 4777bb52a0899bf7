"""The inline run card: name, id, status, live metrics, warnings, and where to find the run."""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

from IPython import get_ipython
from IPython.display import display

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.secrets import redact_text
from jupyter_exp.config import StoreLocation
from jupyter_exp.query.listing import ui_url
from jupyter_exp.reproduce.observer import ReplayObserver
from jupyter_exp.reproduce.provenance import provenance
from jupyter_exp.text_table import number_text, text_table


def _theme_colour(jupyterlab: str, vscode: str, light: str = "") -> str:
    """A CSS colour that follows the theme: JupyterLab's variable, else VS Code's, else a light-theme
    colour (classic Notebook defines neither); with none, the property is unset (inherited)."""
    return f"var(--jp-{jupyterlab}, var(--vscode-{vscode}{', ' + light if light else ''}))"


BRAND = _theme_colour("brand-color1", "charts-blue", "#1a73e8")
SUCCESS = _theme_colour("success-color1", "charts-green", "#188038")
WARN = _theme_colour("warn-color1", "editorWarning-foreground", "#e37400")
ERROR = _theme_colour("error-color1", "errorForeground", "#d93025")
INFO = _theme_colour("info-color1", "charts-purple", "#7b1fa2")
MUTED = _theme_colour("ui-font-color2", "descriptionForeground", "#5f6368")
STATUS_COLOURS = {
    schema.RUNNING: BRAND,
    schema.FINISHED: SUCCESS,
    schema.FAILED_STATUS: ERROR,
    schema.KILLED: WARN,
}
VERDICT_COLOURS = {
    schema.EXACT: SUCCESS,
    schema.CLOSE: BRAND,
    schema.VARIED: INFO,
    schema.DIVERGED: WARN,
    schema.FAILED: ERROR,
    schema.UNVERIFIED: MUTED,
}


def _accent_rules(attribute: str, colours: dict[str, str]) -> str:
    return "".join(
        f".jp-exp-card[{attribute}='{key}']{{--jp-exp-card-accent:{c}}}" for key, c in colours.items()
    )


# The cards' look: class rules over theme variables, no inline styles. Each card carries them in a
# <style> of its own: the extension's CSS is not loaded in Notebook 7's output or VS Code's.
CARD_CSS = (
    f".jp-exp-card{{--jp-exp-card-accent:{MUTED};border-left:4px solid var(--jp-exp-card-accent);"
    f"padding:4px 8px;font-size:var(--jp-ui-font-size1,12px);"
    f"color:{_theme_colour('ui-font-color1', 'foreground')}}}"
    + _accent_rules("data-status", STATUS_COLOURS)
    + _accent_rules("data-verdict", VERDICT_COLOURS)
    + ".jp-exp-card-status,.jp-exp-card-verdict{color:var(--jp-exp-card-accent)}"
    f".jp-exp-card-where{{color:{MUTED}}}"
    ".jp-exp-card a{color:var(--jp-content-link-color,var(--vscode-textLink-foreground,#1a73e8))}"
    ".jp-exp-card code{font-family:var(--jp-code-font-family,monospace);font-size:inherit}"
    ".jp-exp-card table{border-collapse:collapse;color:inherit}"
    ".jp-exp-card th,.jp-exp-card td{padding:1px 8px 1px 0;text-align:left;background:none;border:0}"
    ".jp-exp-card td.jp-exp-card-value{text-align:right;font-family:var(--jp-code-font-family,monospace)}"
    f".jp-exp-card-warning{{color:{WARN}}}"
)
CARD_STYLE = f"<style>{CARD_CSS}</style>"


def store_label(location: StoreLocation) -> tuple[str, str]:
    """(shown, on hover) for where the run is stored: a SQLite file under the root by its relative
    path (no absolute temporary paths on the card), anything else by its URI without credentials."""
    uri = redact_text(location.tracking_uri)
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if path.is_relative_to(location.root):
            return f"{path.relative_to(location.root)} (SQLite)", uri
    return uri, uri


def _in_kernel() -> bool:
    try:
        shell = get_ipython()
        return shell is not None and hasattr(shell, "kernel")
    except Exception:
        return False


def ui_link(location: StoreLocation, experiment_id: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI when the store is an MLflow server (without credentials)."""
    return ui_url(location.tracking_uri, experiment_id, run_id)


def _run_html(location: StoreLocation, experiment_id: str, run_id: str | None) -> str:
    link = ui_link(location, experiment_id, run_id) if run_id else None
    code = f"<code>{html.escape(str(run_id))}</code>"
    return f'<a href="{html.escape(link)}" target="_blank">{code}</a>' if link else code


class RunCard:
    def __init__(self, name: str, run_id: str, location: StoreLocation, experiment_id: str) -> None:
        self.name = name
        self.run_id = run_id
        self.location = location
        self.experiment_id = experiment_id
        self.status = schema.RUNNING
        self.metrics: dict[str, float] = {}
        self.warnings: list[str] = []
        self._widget: Any = None

    @property
    def ui_link(self) -> str | None:
        return ui_link(self.location, self.experiment_id, self.run_id)

    def text(self) -> str:
        metrics = "  ".join(f"{k}={v:.4g}" for k, v in self.metrics.items())
        line = f"[jupyter-exp] run {self.name} ({self.run_id}) {self.status}"
        return " | ".join(part for part in (line, metrics, *self.warnings) if part)

    def html(self) -> str:
        if self.ui_link:
            where_html = f'<a href="{html.escape(self.ui_link)}" target="_blank">MLflow UI</a>'
        else:
            shown, full = store_label(self.location)
            where_html = f'<code title="{html.escape(full)}">{html.escape(shown)}</code>'
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td class='jp-exp-card-value'>{v:.6g}</td></tr>"
            for k, v in self.metrics.items()
        )
        warnings = "".join(
            f"<div class='jp-exp-card-warning'>⚠ {html.escape(w)}</div>" for w in self.warnings
        )
        return (
            f"<div class='jp-exp-card' data-status='{html.escape(self.status)}'>{CARD_STYLE}"
            f"<b>{html.escape(self.name)}</b> <span class='jp-exp-card-status'>{html.escape(self.status)}</span>"
            f"<div class='jp-exp-card-where'>run <code>{html.escape(self.run_id)}</code> · {where_html}</div>"
            f"<table>{rows}</table>{warnings}</div>"
        )

    def show(self) -> None:
        if not _in_kernel():
            return  # plain IPython: one line at the end
        try:
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

    def show_delivered(self, run_id: str) -> None:
        """An offline run reached the store: the card shows its id there."""
        self.run_id = run_id
        self.warnings = [w for w in self.warnings if not w.startswith("offline:")]
        self.warnings.append(f"recorded offline, delivered to the store as run {run_id}")
        if self._widget is not None:
            self._refresh()

    def show_late_warnings(self, warnings: list[str]) -> None:
        """Warnings found while the run was completed after its cell returned (hidden state, metric
        points the store refused): the card updates in place; plain IPython prints them."""
        late = warnings[len(self.warnings) :]
        self.warnings = list(warnings)
        if self._widget is not None:
            self._refresh()
        else:
            for warning in late:
                print(f"[jupyter-exp] {self.name}: {warning}", file=sys.stderr)


try:
    import ipywidgets as _ipywidgets

    class _CardWidget(_ipywidgets.HTML):
        card: Any = None

        def __repr__(self) -> str:  # the text/plain a non-widget frontend shows
            return self.card.text() if self.card is not None else "jupyter-exp run"

except ImportError:  # pragma: no cover - ipywidgets is a dependency
    _CardWidget = None  # type: ignore[assignment,misc]


class ReplayProgress(ReplayObserver):
    """A progress bar for ``%reproduce``: cells replayed / total and the current cell.

    An ipywidgets bar in a kernel, a line rewritten on stderr in plain IPython. It also prints the
    drift table and the plan before the first cell runs.
    """

    def __init__(self) -> None:
        self._bar: Any = None
        self._label: Any = None

    def planned(self, reproduction: Any) -> None:
        print(plan_text(reproduction))
        if reproduction.options.dry_run:
            return
        if _in_kernel():
            try:
                import ipywidgets

                total = len(reproduction.plan.steps)
                self._bar = ipywidgets.IntProgress(value=0, min=0, max=total, description="Replaying")
                self._label = ipywidgets.Label(f"0/{total}")
                display(ipywidgets.HBox([self._bar, self._label]))
            except Exception:
                self._bar = None

    def cell_started(self, index: int, total: int, step: Any) -> None:
        text = f"{index}/{total} cells · running {step.label}"
        if self._bar is not None:
            self._bar.value, self._label.value = index, text
        else:
            print(f"\r[jupyter-exp] replaying {text}"[:120].ljust(120), end="", file=sys.stderr, flush=True)

    def cell_finished(self, index: int, total: int, step: Any, result: Any) -> None:
        if self._bar is not None:
            self._bar.value, self._label.value = index + 1, f"{index + 1}/{total} cells"
            if result.status != "ok":
                self._bar.bar_style = "danger"
        elif index + 1 == total or result.status != "ok":
            print(file=sys.stderr)


def plan_text(reproduction: Any) -> str:
    """The drift table and the replay plan, as printed before anything runs (and by --dry-run)."""
    plan = reproduction.plan

    parts = [
        f"Reproducing {reproduction.original.name} ({reproduction.original_id}) in kernel {reproduction.kernel_name!r}",
        f"The run was {provenance(reproduction.original.run, reproduction.original.environment).describe()}",
    ]
    if reproduction.drift:
        parts.append(
            "Drift:\n" + text_table([d.row() for d in reproduction.drift], ("what", "recorded", "now"))
        )
    else:
        parts.append("Drift: none (same commit, diff, packages, device and notebook)")
    replayed = ", ".join(f"[{s.execution_count}]" for s in plan.steps)
    if reproduction.after_slice:
        parts.append(
            f"The slice replay was {reproduction.after_slice['verdict']}: replaying the full history"
        )
    parts.append(f"Replay: {len(plan.steps)} cells in execution order: {replayed}; {plan.describe()}")
    for step in plan.steps:
        if step.imports_only:
            parts.append(f"  only the imports of [{step.execution_count}]: the rest is not in the slice")
        for line in step.removed_lines:
            parts.append(f"  removed from [{step.execution_count}]: {line}")
    for skipped in plan.skipped:
        first = skipped.source.strip().splitlines()[0][:50] if skipped.source.strip() else ""
        parts.append(f"  skipped [{skipped.execution_count}] {first} ({skipped.reason})")
    for override in plan.overrides:
        parts.append(f"  --set {override.describe()} ({override.where})")
    if reproduction.options.dry_run:  # what would execute, whole
        for step in plan.steps:
            code = "\n".join(f"    {line}" for line in step.source.splitlines())
            parts.append(f"  [{step.execution_count}]{' (reproduced)' if step.target else ''}:\n{code}")
    return "\n".join(parts)


class ReproductionReport:
    """What ``%reproduce`` returns: the verdict table as the cell's result; the reproduction inside."""

    def __init__(self, reproduction: Any, location: StoreLocation) -> None:
        self.reproduction = reproduction
        self.location = location

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reproduction, name)

    @property
    def verdict(self) -> str | None:
        verdict = self.reproduction.verdict
        return verdict.verdict if verdict is not None else None

    def _rows(self) -> list[tuple[str, str, str, str]]:
        verdict = self.reproduction.verdict
        if verdict is None:
            return []

        def shown(status: str) -> str:  # in a deliberate variation a difference is a change
            return "changed" if verdict.verdict == schema.VARIED and status == schema.DIVERGED else status

        rows = []
        for m in verdict.metrics:
            where = f" step {m.first_divergence['step']}" if m.first_divergence else ""
            rows.append(
                (
                    m.key,
                    number_text(m.original_last, 6),
                    number_text(m.reproduced_last, 6),
                    shown(m.status) + where,
                )
            )
        if verdict.outputs is not None and verdict.outputs.status != "unavailable":
            masked = ", ".join(f"{n} {k}" for k, n in verdict.outputs.masked.items())
            rows.append(
                (
                    "outputs",
                    "",
                    "",
                    shown(verdict.outputs.status) + (f" (masked: {masked})" if masked else ""),
                )
            )
        for item in [*verdict.figures, *verdict.bound]:  # figures, then the values the cell bound, by name
            detail = f": {item.detail}" if item.status != schema.EXACT and item.detail else ""
            rows.append((item.label, "", "", shown(item.status) + detail))
        return rows

    def __repr__(self) -> str:
        r = self.reproduction
        if r.verdict is None:
            return f"[jupyter-exp] dry run of {r.original_id}: nothing executed"
        head = f"[jupyter-exp] {r.verdict.verdict.upper()}: {r.verdict.summary}\n"
        head += f"original {r.original_id} → reproduction {r.run_id} (kernel {r.kernel_name}, {r.duration_s:.1f} s)"
        rows = self._rows()
        return head + ("\n" + text_table(rows, ("", "original", "reproduced", "verdict")) if rows else "")

    def _repr_html_(self) -> str:
        r = self.reproduction
        if r.verdict is None:
            return f"<pre>{html.escape(repr(self))}</pre>"
        experiment = r.original.run.info.experiment_id
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self._rows()
        )
        return (
            f"<div class='jp-exp-card jp-exp-report' data-verdict='{html.escape(r.verdict.verdict)}'>{CARD_STYLE}"
            f"<b class='jp-exp-card-verdict'>{html.escape(r.verdict.verdict)}</b> {html.escape(r.verdict.summary)}"
            f"<div class='jp-exp-card-where'>original {_run_html(self.location, experiment, r.original_id)} → "
            f"reproduction {_run_html(self.location, experiment, r.run_id)} · kernel "
            f"{html.escape(r.kernel_name)} · {r.duration_s:.1f} s</div>"
            f"<table><tr><th></th><th>original</th><th>reproduced</th><th>verdict</th></tr>{body}</table></div>"
        )
