"""``%reproduce RUN --noise N``: is the reproduction's difference from the original within seed noise?

Besides the reproduction itself (the recorded seed), the cell is replayed with N other seeds (drawn, each a
``varied`` run as ``--set`` would make). For each metric, the final values of those N runs measure the
seed-to-seed spread s; the band is the half-width of the 95% interval of the difference between two runs of
different seeds, ``t(0.975, df=N-1) * s * sqrt(2)`` (two independent draws differ by N(0, 2 sigma^2), and the
difference over s * sqrt(2) is Student-t with the estimate's degrees of freedom). A reproduction that diverged by
less than that is "diverged, but within seed noise": whatever made it differ (a GPU kernel, a library version)
matters less than the choice of seed. The original's value is not part of the spread: the N runs are made under
the reproduction's conditions, and a shift those conditions cause would otherwise widen the band by itself.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.seeds import draw_seed
from jupyter_exp.reproduce.errors import InvalidReproduction
from jupyter_exp.stats.summary import DEFAULT_CONFIDENCE, Summary, summarize
from jupyter_exp.text_table import number_text, text_table
from jupyter_exp.tracking.store import client_for

MIN_NOISE_SEEDS = 2
MAX_NOISE_SEEDS = 100
MATCHED, WITHIN, BEYOND, NO_BAND = "matched", "within seed noise", "beyond seed noise", "no band"


def difference_band(
    values: list[float], confidence: float = DEFAULT_CONFIDENCE
) -> tuple[Summary, float | None]:
    """The values' summary and the half-width holding ``confidence`` of the differences between two runs of
    different seeds (None without spread: one value)."""
    from scipy import stats

    summary = summarize(values, confidence)
    if summary.std is None:
        return summary, None
    quantile = float(stats.t.ppf((1 + confidence) / 2, df=summary.n - 1))
    return summary, quantile * summary.std * math.sqrt(2)


@dataclass(frozen=True)
class NoiseRow:
    key: str
    original: float | None
    reproduced: float | None
    seeds: Summary | None  # the final values of the runs with the other seeds
    band: float | None
    status: str  # matched / within seed noise / beyond seed noise / no band

    @property
    def difference(self) -> float | None:
        if self.original is None or self.reproduced is None:
            return None
        return self.reproduced - self.original


@dataclass
class NoiseCheck:
    reproduction: Any  # replay.Reproduction with the recorded seed
    seeds: list[int]  # the other seeds
    noise: list[Any] = field(default_factory=list)  # one replay.Reproduction per other seed
    rows: list[NoiseRow] = field(default_factory=list)

    @property
    def verdict(self) -> str | None:
        verdict = self.reproduction.verdict
        return verdict.verdict if verdict is not None else None

    @property
    def line(self) -> str:
        """``diverged, but within seed noise: eval/accuracy |d| = 0.004 < band 0.02``."""
        verdict = self.verdict or schema.UNVERIFIED
        if verdict in (schema.FAILED, schema.UNVERIFIED):
            return f"{verdict}: nothing to hold against seed noise"
        measured = [r for r in self.rows if r.band is not None and r.difference is not None]
        if not measured:
            return f"{verdict}; no seed-noise band: no metric had a final value in two runs or more"
        differing = [r for r in measured if r.status != MATCHED]
        if not differing:
            widest = max(measured, key=lambda r: r.band or 0.0)
            return f"{verdict}: the reproduction matched (seed-noise band of {widest.key}: {widest.band:.3g})"
        worst = max(differing, key=_ratio)
        assert worst.difference is not None and worst.band is not None
        size = f"{worst.key} |d| = {abs(worst.difference):.3g}"
        if all(r.status == WITHIN for r in differing):
            return f"{verdict}, but within seed noise: {size} < band {worst.band:.3g}"
        return f"{verdict} beyond seed noise: {size} ≥ band {worst.band:.3g}"

    def table(self) -> list[tuple[str, str, str, str, str, str]]:
        num = number_text
        return [
            (r.key, num(r.original), num(r.reproduced), num(r.difference), num(r.band), r.status)
            for r in self.rows
        ]

    def __repr__(self) -> str:

        seeds = ", ".join(str(s) for s in self.seeds)
        head = f"[jupyter-exp] seed noise ({len(self.seeds)} other seeds: {seeds}): {self.line}"
        rows = self.table()
        header = ("metric", "original", "reproduced", "difference", "band", "")
        return head + ("\n" + text_table(rows, header) if rows else "")

    def _repr_html_(self) -> str:
        return f"<pre class='jp-exp-noise'>{html.escape(repr(self))}</pre>"


def _ratio(row: NoiseRow) -> float:
    if row.difference is None or row.band is None:
        return 0.0
    return math.inf if row.band == 0 else abs(row.difference) / row.band


def other_seeds(recorded: int, n: int) -> list[int]:
    """``n`` distinct fresh seeds, none the recorded one."""
    drawn: list[int] = []
    while len(drawn) < n:
        seed = draw_seed()
        if seed != recorded and seed not in drawn:
            drawn.append(seed)
    return drawn


def rows_for(reproduction: Any, noise: list[Any]) -> list[NoiseRow]:
    """One row per metric the verdict compared: the difference and the band measured over the other seeds."""
    verdict = reproduction.verdict
    if verdict is None:
        return []
    rows = []
    for metric in verdict.metrics:
        values = []
        for other in noise:
            found = [m for m in (other.verdict.metrics if other.verdict else []) if m.key == metric.key]
            if found and found[0].reproduced_last is not None:
                values.append(found[0].reproduced_last)
        values = [v for v in values if math.isfinite(v)]
        summary, band = difference_band(values) if values else (None, None)
        if metric.status in (schema.EXACT, schema.CLOSE):
            status = MATCHED
        elif band is None or metric.original_last is None or metric.reproduced_last is None:
            status = NO_BAND
        else:
            status = WITHIN if abs(metric.reproduced_last - metric.original_last) < band else BEYOND
        rows.append(NoiseRow(metric.key, metric.original_last, metric.reproduced_last, summary, band, status))
    return rows


def check_noise(
    run_id: str,
    recorded_seed: int | None,
    n: int,
    options: Any,
    replay: Callable[[str, Any], Any],
) -> NoiseCheck:
    """Reproduce ``run_id`` with ``replay(run_id, options)`` (the replay's public entry), then once per other
    seed with ``options.seed`` set, and weigh the difference against the band."""
    if not MIN_NOISE_SEEDS <= n <= MAX_NOISE_SEEDS:
        raise InvalidReproduction(
            f"--noise takes {MIN_NOISE_SEEDS} to {MAX_NOISE_SEEDS} other seeds, got {n}"
        )
    if recorded_seed is None:
        raise InvalidReproduction(
            "--noise: the run was recorded without a seed (--no-seed): there is no seed to vary"
        )
    if getattr(options, "dry_run", False):
        raise InvalidReproduction("--noise replays the cell; it cannot be combined with --dry-run")
    check = NoiseCheck(replay(run_id, options), other_seeds(recorded_seed, n))
    if check.verdict in (None, schema.FAILED):
        return check  # nothing to weigh: the other seeds are not replayed
    check.noise = [replay(run_id, replace(options, seed=seed)) for seed in check.seeds]
    check.rows = rows_for(check.reproduction, check.noise)
    return check


def record_line(check: NoiseCheck, location: Any) -> None:
    """The line goes on the reproduction's run (``jupyter_exp.reproduction.noise``) beside its verdict."""
    run_id = check.reproduction.run_id
    if run_id is not None and check.rows:
        client_for(location).set_tag(run_id, schema.REPRODUCTION_NOISE, check.line[:5000])
