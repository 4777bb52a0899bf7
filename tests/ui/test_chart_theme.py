"""``%compare``'s chart in JupyterLab's dark theme, in a real Chromium: it sits on the notebook's dark
background (it was a white block), and is still a chart (its curves and grey labels are drawn)."""

from __future__ import annotations

import time

import pytest

from tests.support.lab import luminance, notebook_lab, open_notebook

pytestmark = pytest.mark.ui

TRAINING = (
    "%%track --name {name}\n"
    "for step in range(30):\n"
    '    jupyter_exp.log(step=step, **{{"train/loss": 1 / (1 + step * {lr})}})'
)
SOURCES = [
    "%load_ext jupyter_exp",
    "import jupyter_exp",
    TRAINING.format(name="slow", lr=0.1),
    TRAINING.format(name="fast", lr=0.3),
    "get_ipython().run_line_magic('compare', ' '.join(jupyter_exp.runs()['run_id'][:2]))",
]
CHART = ".jp-Notebook .jp-Cell:last-child .jp-OutputArea-output.jp-RenderedSVG, " + (
    ".jp-Notebook .jp-Cell:last-child .jp-OutputArea-output.jp-RenderedVegaCommon5"
)


def test_compare_chart_follows_the_dark_theme(browser, tmp_path) -> None:
    with notebook_lab(tmp_path, "dark.ipynb", SOURCES) as lab:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        open_notebook(page, lab, "dark.ipynb")
        page.evaluate(
            "window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
        )
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=60_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        chart = page.locator(CHART).first
        chart.wait_for(timeout=180_000)
        chart.scroll_into_view_if_needed()
        deadline = time.monotonic() + 30
        while True:  # the image is decoded and laid out after the output appears
            box = chart.bounding_box()
            if (box and box["height"] > 100) or time.monotonic() > deadline:
                break
            page.wait_for_timeout(250)
        mean, bright = luminance(chart.screenshot())
        # a white block is all bright (mean > 200); on the dark background only a few pixels are
        assert mean < 80 and bright < 0.05, (mean, bright)
        # still a chart: the curves and labels stand out from the background
        assert page.evaluate(
            "() => { const i = document.querySelector('.jp-Cell:last-child .jp-RenderedSVG img, "
            ".jp-Cell:last-child .jp-RenderedVegaCommon5 svg, .jp-Cell:last-child .jp-RenderedVegaCommon5 canvas');"
            " return !!i && (i.naturalWidth || i.clientWidth) > 200; }"
        )
