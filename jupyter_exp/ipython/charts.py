"""Overlaid metric curves as an altair chart: a line per side, its seed band (mean ± sd) shaded for groups.

``chart.save("curves.png")`` / ``.svg`` needs ``vl-convert-python`` (the ``charts`` extra).
"""

from __future__ import annotations

import io
from typing import Any


def curves_frame(curves: dict[str, list[dict[str, Any]]]) -> Any:
    """One row per (metric, side, step): mean, low and high (low/high empty for a single run)."""
    import pandas as pd

    rows = []
    for metric, sides in curves.items():
        for side in sides:
            low, high = side.get("low"), side.get("high")
            for i, step in enumerate(side["steps"]):
                rows.append(
                    {
                        "metric": metric,
                        "side": side["label"],
                        "step": step,
                        "mean": side["mean"][i],
                        "low": low[i] if low is not None else None,
                        "high": high[i] if high is not None else None,
                    }
                )
    return pd.DataFrame(rows, columns=["metric", "side", "step", "mean", "low", "high"])


def curves_chart(curves: dict[str, list[dict[str, Any]]], width: int = 520, height: int = 180) -> Any:
    """The curves of every metric, one panel each (own y scale), sides coloured alike across panels."""
    import altair as alt

    frame = curves_frame(curves)
    if frame.empty:
        raise ValueError("no curves to draw: the sides share no metric with a history")
    colour = alt.Color("side:N", title=None, legend=alt.Legend(orient="top", labelLimit=400))
    base = alt.Chart().encode(x=alt.X("step:Q", title="step"), color=colour)
    bands = (
        base.transform_filter("isValid(datum.low)")
        .mark_area(opacity=0.2)
        .encode(y=alt.Y("low:Q", title=None), y2="high:Q")
    )
    lines = base.mark_line(strokeWidth=1.5).encode(
        y=alt.Y("mean:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=["side:N", "step:Q", alt.Tooltip("mean:Q", format=".4g")],
    )
    chart = (
        alt.layer(bands, lines, data=frame)
        .properties(width=width, height=height)
        .facet(row=alt.Row("metric:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
        .resolve_scale(y="independent")
    )
    return theme_neutral(chart)


NEUTRAL = "#888888"  # readable on JupyterLab's light and dark backgrounds alike
NEUTRAL_GRID = "rgba(136, 136, 136, 0.3)"


def theme_neutral(chart: Any) -> Any:
    """A transparent background and grey text and rules, so that the chart (an SVG drawn here, or the spec
    JupyterLab draws) sits on the notebook's own background in any theme, not as a white block in a dark one."""
    return (
        chart.configure(background="transparent")
        .configure_axis(
            labelColor=NEUTRAL,
            titleColor=NEUTRAL,
            domainColor=NEUTRAL,
            tickColor=NEUTRAL,
            gridColor=NEUTRAL_GRID,
        )
        .configure_legend(labelColor=NEUTRAL, titleColor=NEUTRAL)
        .configure_header(labelColor=NEUTRAL, titleColor=NEUTRAL)
        .configure_view(stroke=NEUTRAL_GRID)
    )


VEGALITE_V5 = "application/vnd.vegalite.v5+json"  # the newest Vega-Lite JupyterLab 4 draws natively
VEGALITE_V5_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def chart_bundle(chart: Any) -> dict[str, Any]:
    """What a notebook shows for the chart, never HTML: the chart's spec holds run and metric names from the
    store, and altair's HTML bundle puts it inside a ``<script>`` (a run named ``</script><script>…`` ran, and
    again on every reopen of the trusted notebook). With ``vl-convert-python`` installed: an SVG drawn here
    (JupyterLab 4 renders no Vega-Lite 6 spec) with the spec beside it for front ends that draw it; without:
    the spec as Vega-Lite 5, which JupyterLab draws itself."""
    import altair as alt

    spec = chart.to_dict()
    try:
        import vl_convert  # noqa: F401
    except ImportError:
        return {
            VEGALITE_V5: {**spec, "$schema": VEGALITE_V5_SCHEMA},
            "text/plain": "<metric curves (a Vega-Lite chart)>",
        }
    return {
        "image/svg+xml": _svg(chart),
        f"application/vnd.vegalite.{alt.SCHEMA_VERSION.split('.')[0]}+json": spec,
        "text/plain": "<metric curves (an SVG and a Vega-Lite chart)>",
    }


def chart_metadata(bundle: dict[str, Any]) -> dict[str, Any]:
    """The display metadata of ``bundle``: Vega's renderers without their actions menu, whose *View Source*
    writes the spec, unescaped, into a new window of the notebook's origin."""
    return {
        key: {"embed_options": {"actions": False}} for key in bundle if key.startswith("application/vnd.vega")
    }


def _svg(chart: Any) -> str:
    out = io.StringIO()
    chart.save(out, format="svg")
    return out.getvalue()
