"""``jupyter_exp.compare()``'s result: each side measured against the first (the baseline), metric by metric.

The statistics are stats/'s; this module pairs runs by seed, picks the metrics, and shows the result as text,
HTML and a DataFrame. Framework-free: it reads runs already fetched from MLflow.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_exp import record_schema as schema
from jupyter_exp.query.documents import GroupStatistic, SampleSummary
from jupyter_exp.query.groups import Group, resolve, seed_of
from jupyter_exp.stats.summary import Summary
from jupyter_exp.stats.verdicts import MetricSamples, MetricVerdict, judge
from jupyter_exp.text_table import number_text, text_table

if TYPE_CHECKING:
    from mlflow import MlflowClient


@dataclass
class Comparison:
    groups: list[Group]
    verdicts: list[tuple[int, MetricVerdict]]  # (side index, verdict of that side against groups[0])
    params: dict[str, list[str | None]]  # params (minus seed) that differ between the sides, per side
    alpha: float = 0.05
    confidence: float = 0.95
    notes: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> Group:
        return self.groups[0]

    def verdict(self, metric: str, side: int = 1) -> str:
        """The plain verdict of ``side`` against the baseline for ``metric``."""
        for index, found in self.verdicts:
            if index == side and found.metric == metric:
                return found.verdict
        raise KeyError(f"no verdict for metric {metric!r} of side {side}")

    def rows(self) -> list[GroupStatistic]:
        """One JSON-ready row per (side, metric): both summaries, the test and the verdict."""
        rows: list[GroupStatistic] = []
        for index, found in self.verdicts:
            test = found.test
            rows.append(
                {
                    "metric": found.metric,
                    "side": index,
                    "baseline": self.baseline.label,
                    "label": self.groups[index].label,
                    "lower_is_better": found.lower_is_better,
                    "a": summary_dict(found.a),
                    "b": summary_dict(found.b),
                    "difference": test.difference if test else None,
                    "ci_low": test.ci_low if test else None,
                    "ci_high": test.ci_high if test else None,
                    "ci_method": test.ci_method if test else None,
                    "paired": test.paired if test else False,
                    "cohens_d": test.cohens_d if test else None,
                    "test": test.test if test else None,
                    "p_value": test.p_value if test else None,
                    "p_adjusted": found.p_adjusted,
                    "outcome": found.outcome,
                    "verdict": found.verdict,
                    "notes": list(found.notes),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": [
                {"label": g.label, "run_ids": g.run_ids, "seeds": g.seeds, "notes": list(g.notes)}
                for g in self.groups
            ],
            "params": self.params,
            "alpha": self.alpha,
            "confidence": self.confidence,
            "statistics": self.rows(),
            "notes": list(self.notes),
        }

    def to_frame(self) -> Any:
        """The statistics as a pandas DataFrame, one row per (side, metric)."""
        import pandas as pd

        flat = []
        for row in self.rows():
            a: Mapping[str, Any] = row["a"] or {}
            b: Mapping[str, Any] = row["b"] or {}
            rest: dict[str, Any] = {k: v for k, v in row.items() if k not in ("a", "b")}
            rest["notes"] = "; ".join(row["notes"])
            flat.append(
                {
                    **{k: row[k] for k in ("metric", "baseline", "label")},
                    "mean_a": a.get("mean"),
                    "std_a": a.get("std"),
                    "n_a": a.get("n"),
                    "mean_b": b.get("mean"),
                    "std_b": b.get("std"),
                    "n_b": b.get("n"),
                    **{k: v for k, v in rest.items() if k not in ("metric", "baseline", "label", "side")},
                }
            )
        return pd.DataFrame(flat)

    # -- display ----------------------------------------------------------------------------------------
    def _title(self) -> str:
        sides = " vs ".join(f"{g.label} ({len(g)} run{'s' if len(g) != 1 else ''})" for g in self.groups)
        return f"Comparison against the first: {sides}"

    def __repr__(self) -> str:
        lines = [self._title()]
        if self.params:
            lines.append(
                "differing params: "
                + "; ".join(f"{k}: {' | '.join(_text(v) for v in vs)}" for k, vs in self.params.items())
            )
        header = ["metric", "A", "B", f"B - A [{self.confidence:.0%} CI]", "d", "p", "p (BH)", "verdict"]
        lines.append(text_table([_cells(row, self.groups) for row in self.rows()], header, rule=False))
        lines += [f"note: {n}" for n in self.notes] + [
            f"{row['metric']}: {note}" for row in self.rows() for note in row["notes"]
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        header = [
            "metric",
            "A",
            "B",
            f"B - A [{self.confidence:.0%} CI]",
            "Cohen's d",
            "p",
            "p (BH)",
            "verdict",
        ]
        body = []
        for row in self.rows():
            cells = _cells(row, self.groups)
            colour = {"better": "#1a7f37", "worse": "#cf222e"}.get(row["outcome"], "inherit")
            tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells[:-1])
            body.append(
                f"<tr>{tds}<td style='color:{colour};font-weight:600'>{html.escape(cells[-1])}</td></tr>"
            )
        notes = [html.escape(n) for n in self.notes] + [
            f"<code>{html.escape(row['metric'])}</code>: {html.escape(note)}"
            for row in self.rows()
            for note in row["notes"]
        ]
        params = "".join(
            f"<tr><td><code>{html.escape(k)}</code></td>"
            + "".join(f"<td>{html.escape(_text(v))}</td>" for v in values)
            + "</tr>"
            for k, values in self.params.items()
        )
        sides = "".join(
            f"<li><b>{'AB'[i] if i < 2 else i}</b>: {html.escape(g.label)} ({len(g)} runs, seeds "
            f"{html.escape(', '.join(s or '?' for s in g.seeds))})</li>"
            for i, g in enumerate(self.groups)
        )
        return (
            f"<div class='jupyter-exp-comparison'><p>{html.escape(self._title())}</p><ul>{sides}</ul>"
            + (
                f"<table><tr><th>param</th>{''.join(f'<th>{html.escape(g.label)}</th>' for g in self.groups)}</tr>{params}</table>"
                if params
                else ""
            )
            + "<table><tr>"
            + "".join(f"<th>{html.escape(h)}</th>" for h in header)
            + f"</tr>{''.join(body)}</table>"
            + (f"<ul>{''.join(f'<li>{n}</li>' for n in notes)}</ul>" if notes else "")
            + "</div>"
        )


def _text(value: str | None) -> str:
    return "(mixed)" if value is None else value


def _summary_text(summary: SampleSummary | None) -> str:
    if not summary:
        return "-"
    spread = f" ± {summary['std']:.3g}" if summary.get("std") is not None else ""
    return f"{summary['mean']:.4g}{spread} (n={summary['n']})"


def _cells(row: GroupStatistic, groups: Sequence[Group]) -> list[str]:
    interval = ""
    if row["ci_low"] is not None:
        interval = f" [{row['ci_low']:.3g}, {row['ci_high']:.3g}]"
    arrow = " ↓" if row["lower_is_better"] else " ↑"
    label = groups[row["side"]].label if len(groups) > 2 else ""
    verdict = row["verdict"] + (f" ({label})" if label else "")
    return [
        row["metric"] + arrow,
        _summary_text(row["a"]),
        _summary_text(row["b"]),
        number_text(row["difference"], missing="-") + interval,
        number_text(row["cohens_d"], missing="-"),
        number_text(row["p_value"], missing="-"),
        number_text(row["p_adjusted"], missing="-"),
        verdict,
    ]


def summary_dict(summary: Summary | None) -> SampleSummary | None:
    if summary is None:
        return None
    return {
        "mean": summary.mean,
        "std": summary.std,
        "n": summary.n,
        "ci_low": summary.ci_low,
        "ci_high": summary.ci_high,
    }


def default_metrics(groups: Sequence[Group]) -> list[str]:
    """The user's metrics every side has (``system/`` ones only when named: they would dilute the
    correction across metrics)."""
    per_side = [{k for run in g.runs for k in run.data.metrics} for g in groups]
    common = set.intersection(*per_side) if per_side else set()
    return sorted(k for k in common if not k.startswith(schema.SYSTEM_PREFIX))


def samples(metric: str, base: Group, other: Group) -> MetricSamples:
    """Final values of ``metric`` on both sides, paired by seed when both ran the same distinct seeds."""
    a = [(seed_of(r), r.data.metrics[metric]) for r in base.runs if metric in r.data.metrics]
    b = [(seed_of(r), r.data.metrics[metric]) for r in other.runs if metric in r.data.metrics]
    seeds_a, seeds_b = [s for s, _ in a], [s for s, _ in b]
    paired = (
        len(a) >= 2
        and None not in seeds_a
        and len(set(seeds_a)) == len(seeds_a)
        and sorted(seeds_a, key=str) == sorted(seeds_b, key=str)
    )
    if paired:
        by_seed = dict(b)
        ordered = sorted(a, key=lambda item: str(item[0]))
        return MetricSamples(metric, [v for _, v in ordered], [by_seed[s] for s, _ in ordered], paired=True)
    return MetricSamples(metric, [v for _, v in a], [v for _, v in b], paired=False)


def differing_params(groups: Sequence[Group]) -> dict[str, list[str | None]]:
    configs = [g.config for g in groups]
    keys = sorted({k for c in configs for k in c})
    values = {k: [c.get(k, "(absent)") for c in configs] for k in keys}
    return {k: vs for k, vs in values.items() if len(set(vs)) > 1 or None in vs}


def distinct_labels(groups: Sequence[Group], params: dict[str, list[str | None]]) -> list[Group]:
    """The sides as given when their labels differ; else each labelled by the params that differ between them
    (two ``--seeds`` parents of one cell have the same name), else by its first run's id."""
    if len({g.label for g in groups}) == len(groups):
        return list(groups)
    labels = [
        ", ".join(f"{k}={values[i]}" for k, values in params.items() if values[i] is not None)
        for i in range(len(groups))
    ]
    if len(set(labels)) < len(groups) or not all(labels):
        labels = [f"{g.label} ({g.run_ids[0][:8]})" if g.runs else g.label for g in groups]
    return [Group(g.runs, label=label, notes=g.notes) for g, label in zip(groups, labels, strict=True)]


def compare_groups(
    groups: Sequence[Group],
    metrics: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    lower_is_better: str | Sequence[str] | None = None,
) -> Comparison:
    """Every side after the first against the first, for ``metrics`` (default: the user metrics all share);
    Benjamini-Hochberg over all the (side, metric) tests together."""
    if len(groups) < 2:
        raise ValueError("a comparison needs at least two sides")
    notes = [note for g in groups for note in (f"{g.label}: {n}" for n in g.notes)]
    wanted = list(metrics) if metrics else default_metrics(groups)
    if not wanted:
        notes.append("the sides have no metric in common: nothing was compared")
    missing = [m for m in wanted if not all(any(m in r.data.metrics for r in g.runs) for g in groups)]
    if missing:
        notes.append(f"not on every side, left out: {', '.join(missing)}")
    wanted = [m for m in wanted if m not in missing]
    items = [(i, samples(m, groups[0], groups[i])) for i in range(1, len(groups)) for m in wanted]
    judged = judge(
        [s for _, s in items], alpha=alpha, confidence=confidence, lower_is_better_pattern=lower_is_better
    )
    if any(s.paired for _, s in items):
        notes.append("paired by seed: both sides ran the same seeds")
    params = differing_params(groups)
    return Comparison(
        groups=distinct_labels(groups, params),
        verdicts=[(i, v) for (i, _), v in zip(items, judged, strict=True)],
        params=params,
        alpha=alpha,
        confidence=confidence,
        notes=notes,
    )


def compare_sides(
    client: MlflowClient,
    sides: Sequence[Any],
    metrics: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    lower_is_better: str | Sequence[str] | None = None,
) -> Comparison:
    """``compare_groups`` over sides given as run ids, group ids, parents, ``Group``s or lists of runs."""
    return compare_groups(
        [resolve(client, side) for side in sides], metrics, alpha, confidence, lower_is_better
    )
