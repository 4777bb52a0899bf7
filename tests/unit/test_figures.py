"""Figures compared by decoded pixels (PNG, JPEG) and normalized markup (SVG), and in the verdict."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from PIL import Image, PngImagePlugin

from jupyter_exp.reproduce.figures import compare_figures
from jupyter_exp.reproduce.verify import Produced, Tolerance, verdict_from

matplotlib.use("Agg")
from matplotlib import pyplot as plt

PIXELS = np.random.default_rng(3).integers(0, 255, size=(20, 30, 3), dtype=np.uint8)


def encoded(pixels: np.ndarray, kind: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, kind, **options)
    return buffer.getvalue()


def svg(values: list[float]) -> bytes:
    figure, axes = plt.subplots()
    axes.plot(values)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    return buffer.getvalue()


def test_same_pixels_in_other_bytes_are_exact() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "another version")
    a, b = encoded(PIXELS, compress_level=1), encoded(PIXELS, compress_level=9, pnginfo=info)
    assert a != b
    (compared,) = compare_figures({"figures/figure-1.png": a}, {"figures/figure-1.png": b})
    assert compared.status == "exact" and compared.pixels == 600 and compared.differing == 0


def test_changed_pixels_diverge_and_are_counted() -> None:
    changed = PIXELS.copy()
    changed[0, 0] = 255 - changed[0, 0]
    changed[5, 7:10] = 0
    (png,) = compare_figures(
        {"figures/figure-1.png": encoded(PIXELS)}, {"figures/figure-1.png": encoded(changed)}
    )
    assert png.status == "diverged" and png.differing == 4 and png.pixels == 600
    assert png.describe() == "figures/figure-1.png: 4 of 600 pixels differ"
    same_jpeg = encoded(PIXELS, "JPEG", quality=90)
    (jpeg,) = compare_figures({"figures/figure-1.jpg": same_jpeg}, {"figures/figure-1.jpg": same_jpeg})
    assert jpeg.status == "exact"
    (jpeg,) = compare_figures(
        {"figures/figure-1.jpg": same_jpeg}, {"figures/figure-1.jpg": encoded(changed, "JPEG")}
    )
    assert jpeg.status == "diverged" and jpeg.differing > 0


def test_a_resized_missing_or_extra_figure_diverges() -> None:
    small = encoded(PIXELS[:10])
    (resized,) = compare_figures({"figures/figure-1.png": encoded(PIXELS)}, {"figures/figure-1.png": small})
    assert resized.status == "diverged" and resized.why == "the size changed: 30x20 → 30x10 pixels"
    two = {"figures/figure-1.png": small, "figures/figure-2.png": small}
    missing = compare_figures(two, {"figures/figure-1.png": small})
    assert [f.status for f in missing] == ["exact", "diverged"] and missing[
        1
    ].why == "not shown by the replay"
    extra = compare_figures({}, {"figures/figure-1.png": small})
    assert extra[0].status == "diverged" and extra[0].why == "shown only by the replay"


def test_figures_pair_in_the_order_they_were_shown() -> None:
    names = [f"figures/figure-{n}.png" for n in (1, 2, 10)]
    figures = {name: encoded(PIXELS[: 5 + i]) for i, name in enumerate(names)}
    compared = compare_figures(figures, dict(reversed(figures.items())))
    assert [f.original for f in compared] == names and all(f.status == "exact" for f in compared)


def test_svg_compares_its_markup_without_ids_dates_and_comments() -> None:
    first, second = svg([1, 2, 3]), svg([1, 2, 3])
    (same,) = compare_figures({"figures/figure-1.svg": first}, {"figures/figure-1.svg": second})
    assert same.status == "exact"
    (other,) = compare_figures({"figures/figure-1.svg": first}, {"figures/figure-1.svg": svg([1, 2, 4])})
    assert other.status == "diverged" and other.why == "the SVG markup differs"


def test_a_changed_figure_is_never_exact_and_an_unchanged_one_counts_as_compared() -> None:
    changed = PIXELS.copy()
    changed[1, 1] = 0
    original = Produced(figures={"figures/figure-1.png": encoded(PIXELS)})
    verdict = verdict_from(
        original, Produced(figures={"figures/figure-1.png": encoded(changed)}), Tolerance()
    )
    assert verdict.verdict == "diverged"
    assert verdict.summary == "figure differs: figures/figure-1.png: 1 of 600 pixels differ"
    same = verdict_from(original, original, Tolerance())
    assert same.verdict == "exact" and same.summary == "0 metrics and 1 figure identical"
    assert same.compared["figures"] == 1
