"""The curves chart of %compare: mean lines and seed bands, saved as real PNG and SVG files."""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from jupyter_exp.ipython.charts import VEGALITE_V5, chart_bundle, chart_metadata, curves_chart, curves_frame

BLUE, ORANGE = "#4c78a8", "#f58518"  # Vega's first two category colours: the first and second side
STEPS = list(range(0, 1000, 10))
CURVES = {
    "train/loss": [
        {
            "label": "lr=0.05 (group)",
            "steps": STEPS,
            "mean": [math.exp(-s / 300) for s in STEPS],
            "low": [math.exp(-s / 300) - 0.05 for s in STEPS],
            "high": [math.exp(-s / 300) + 0.05 for s in STEPS],
        },
        {
            "label": "lr=0.2 (one run)",
            "steps": STEPS,
            "mean": [math.exp(-s / 150) for s in STEPS],
            "low": None,
            "high": None,
        },
    ],
    "eval/acc": [
        {
            "label": "lr=0.05 (group)",
            "steps": [0, 990],
            "mean": [0.1, 0.9],
            "low": [0.05, 0.85],
            "high": [0.15, 0.95],
        }
    ],
}


def test_frame_has_a_row_per_point_and_no_band_for_a_single_run() -> None:
    frame = curves_frame(CURVES)
    assert len(frame) == 2 * len(STEPS) + 2
    single = frame[frame["side"] == "lr=0.2 (one run)"]
    assert single["low"].isna().all() and single["mean"].iloc[0] == 1.0


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_png_and_svg_exports_hold_both_series(tmp_path) -> None:
    chart = curves_chart(CURVES)
    png, svg = tmp_path / "curves.png", tmp_path / "curves.svg"
    chart.save(str(png))
    chart.save(str(svg))

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 300 and image.height > 300
        pixels = list(image.convert("RGB").getdata())
    near = lambda p, c: all(abs(a - b) <= 8 for a, b in zip(p, _rgb(c), strict=True))  # noqa: E731
    assert sum(near(p, BLUE) for p in pixels) > 200  # the group's mean line
    assert sum(near(p, ORANGE) for p in pixels) > 200  # the single run's line

    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = svg.read_text()
    strokes = {e.get("stroke") for e in root.iter() if e.tag.endswith("path")}
    assert BLUE in strokes and ORANGE in strokes
    assert (
        "lr=0.05 (group)" in text
        and "lr=0.2 (one run)" in text
        and "train/loss" in text
        and "eval/acc" in text
    )
    bands = [e for e in root.iter() if e.get("aria-roledescription") == "area mark"]
    assert len(bands) == 2 and all(e.get("fill") == BLUE and e.get("opacity") == "0.2" for e in bands)
    assert all("lr=0.05 (group)" in (e.get("aria-label") or "") for e in bands)  # the group's, not the run's


def test_notebook_bundle_carries_an_svg_and_the_spec() -> None:
    bundle = chart_bundle(curves_chart(CURVES))
    assert (
        bundle["image/svg+xml"].lstrip().startswith("<svg") and "lr=0.2 (one run)" in bundle["image/svg+xml"]
    )
    [spec] = [v for k, v in bundle.items() if k.startswith("application/vnd.vegalite")]
    assert spec["facet"]["row"]["field"] == "metric"


def test_the_chart_has_no_background_of_its_own_and_grey_text() -> None:
    """A white background (vl-convert's and Vega's default) was a white block in the dark theme."""
    bundle = chart_bundle(curves_chart(CURVES))
    [spec] = [v for k, v in bundle.items() if k.startswith("application/vnd.vegalite")]
    assert spec["config"]["background"] == "transparent"
    assert spec["config"]["axis"]["labelColor"] == spec["config"]["legend"]["labelColor"] == "#888888"
    svg = bundle["image/svg+xml"].lower()
    assert 'fill="white"' not in svg and 'fill="#ffffff"' not in svg and 'fill="#fff"' not in svg


def test_without_vl_convert_the_bundle_is_a_vega_lite_5_spec_never_html(monkeypatch) -> None:
    """A plain ``pip install jupyter-exp``: altair's own bundle put the spec, run names included, in a
    <script>; the bundle is the spec JupyterLab draws natively, without Vega's actions menu."""
    monkeypatch.setitem(sys.modules, "vl_convert", None)  # `import vl_convert` raises ImportError
    hostile = {"m": [{**CURVES["eval/acc"][0], "label": "</script><script>window.__pwned=1</script>"}]}
    bundle = chart_bundle(curves_chart(hostile))
    assert set(bundle) == {VEGALITE_V5, "text/plain"}
    assert bundle[VEGALITE_V5]["$schema"].endswith("/vega-lite/v5.json")
    assert chart_metadata(bundle) == {VEGALITE_V5: {"embed_options": {"actions": False}}}


def test_nothing_to_draw_is_an_error() -> None:
    with pytest.raises(ValueError, match="no curves to draw"):
        curves_chart({"m": []})
