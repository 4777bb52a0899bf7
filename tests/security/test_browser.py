"""Store values are never run as script: every view that shows them, in a real JupyterLab and a real Chromium.

A store writer (anyone who can write to the shared store) puts a payload in every field they control: run name,
note, tags, params, metric names, experiment, git branch, user, outputs and the notebook snapshot. The notebook
then shows them through the inline card, the group card, ``%runs``, ``%compare`` (as after a plain
``pip install jupyter-exp``: no vl-convert-python) and the reproduce report; the sidebar through its list,
detail, compare view (Vega's menus opened), reproduce dialog and job line, and *Open snapshot*. Then the saved
notebook and the snapshot tab are reopened by a reload. Any payload that runs sets ``window.__pwned`` (read in
every page and frame, popups included) or logs ``__pwned`` (console listener).
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from mlflow import MlflowClient

from jupyter_exp import record_schema as schema
from tests.support.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Lab,
    collect_errors,
    notebook_lab,
    open_notebook,
    open_runs_panel,
)

pytestmark = [pytest.mark.ui, pytest.mark.slow]

RUN = "window.__pwned=(window.__pwned||0)+1;console.warn('__pwned')"
# Breaks out of a <script> (altair's HTML bundle), of quoted attributes, and runs from innerHTML (onerror).
PAYLOAD = f"'\"></script><script>{RUN}</script><img src=x onerror={RUN}>"
METRIC = f"{PAYLOAD}loss"  # no comma: the REST API takes metric lists comma-separated
NOTEBOOK = "train.ipynb"
TRAINING = (
    "lr = {lr}\n"
    "for step in range(5):\n"
    '    jupyter_exp.log(step=step, **{{"train/loss": 1 / (1 + step * lr)}})\n'
    "print(P)"  # the cell's recorded outputs hold it too
)
QUOTED = shlex.quote(PAYLOAD)
SOURCES = [
    "%load_ext jupyter_exp",
    "import json, sys\nimport jupyter_exp\n"
    'sys.modules["vl_convert"] = None  # as after `pip install jupyter-exp`: no vl-convert-python\n'
    f"P = {PAYLOAD!r}",
    f"%%track --name {QUOTED} --seed 1 --note {QUOTED} --tag team={QUOTED}\n" + TRAINING.format(lr=0.1),
    f"%%track --name {QUOTED} --seeds 1,2\n" + TRAINING.format(lr=0.3),
    "jupyter_exp.wait_for_runs(120)",
    # ---- here the store writer plants the payloads (HOSTILE_FROM: the cells after run on them) ----
    'ids = json.loads(open("ids.json").read())\nvictim, group = ids["victim"], ids["group"]',
    "%runs --all",
    "%compare {victim} {group}",
    "%reproduce {victim} --yes",
]
HOSTILE_FROM = 5
VISIBLE = "<img src=x onerror="  # a piece of the payload that shows as text wherever it is escaped

pwned = "() => window.__pwned || 0"


def hostile_snapshot() -> dict[str, Any]:
    """What the writer puts as the victim's notebook.ipynb: cells claiming trust, outputs that run script."""
    outputs = [
        {"output_type": "display_data", "metadata": {}, "data": {"text/html": PAYLOAD, "text/plain": "x"}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/javascript": RUN}},
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{RUN}"></svg>'},
        },
    ]
    cell = {"cell_type": "code", "id": "c0", "metadata": {"trusted": True}, "source": "x", "outputs": outputs}
    markdown = {"cell_type": "markdown", "id": "m0", "metadata": {"trusted": True}, "source": PAYLOAD}
    return {
        "cells": [{**cell, "execution_count": 1}, markdown],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def plant_payloads(lab: Lab) -> dict[str, str]:
    """The store writer's part, on the lab's store: MLflow's client where it takes the value, SQL on the store
    file for metric names (MLflow's client refuses ``<`` in a key; the store does not)."""
    database = lab.root / "mlflow.db"
    client = MlflowClient(f"sqlite:///{database}")
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    group = next(r for r in runs if schema.GROUP_SEEDS in r.data.tags)
    victim = next(r for r in runs if schema.GROUP not in r.data.tags)
    for run in runs:
        run_id = run.info.run_id
        client.update_run(run_id, name=f"{PAYLOAD} {run.info.run_name[-12:]}")
        for key in (schema.NOTE, schema.GIT_BRANCH, schema.USER, "team"):
            client.set_tag(run_id, key, PAYLOAD)
        client.log_param(run_id, "comment", PAYLOAD)
    client.rename_experiment(victim.info.experiment_id, f"{PAYLOAD} experiment")
    snapshot = lab.root.parent / "planted" / "notebook.ipynb"
    snapshot.parent.mkdir()
    snapshot.write_text(json.dumps(hostile_snapshot()))
    client.log_artifact(victim.info.run_id, str(snapshot), schema.ARTIFACT_DIR)
    with sqlite3.connect(database) as db:
        for table in ("metrics", "latest_metrics"):
            db.execute(f"UPDATE {table} SET key = replace(key, 'train/loss', ?)", (METRIC,))
    ids = {"victim": victim.info.run_id, "group": group.info.run_id}
    (lab.root / "ids.json").write_text(json.dumps(ids))
    return ids


class Watch:
    """Signs of a payload that ran, in every page of the context: dialogs, console lines, ``__pwned``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.signs: list[str] = []
        context.on("page", self._watch)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page: Any) -> None:
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.signs.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "__pwned" in message.text:
            self.signs.append(f"console: {message.text}")

    def check(self, where: str) -> None:
        found = list(self.signs)
        for page in self.context.pages:
            for frame in page.frames:
                try:
                    count = frame.evaluate(pwned)
                except Exception:  # a frame gone meanwhile
                    continue
                if count:
                    found.append(f"window.__pwned = {count} in {frame.url or page.url}")
        assert not found, f"a store value ran as script ({where}): {dict(Counter(found))}"


def run_cells(page: Any, start: int, stop: int) -> None:
    """Execute cells ``start`` to ``stop - 1`` of the open notebook and wait until each has run without error."""
    command = "notebook:run-all-below" if stop == len(SOURCES) else "notebook:run-all-above"
    index = start if command == "notebook:run-all-below" else stop
    page.evaluate(
        f"() => {{ window.jupyterapp.shell.currentWidget.content.activeCellIndex = {index};"
        f" void window.jupyterapp.commands.execute('{command}'); }}"
    )
    page.wait_for_function(
        "([start, stop]) => { const w = window.jupyterapp.shell.currentWidget;"
        " const cells = w.content.widgets.slice(start, stop);"
        " const failed = cells.some(c => c.model.outputs && c.model.outputs.toJSON().some(o => o.output_type === 'error'));"
        " return failed || (w.sessionContext.session.kernel.status === 'idle'"
        "   && cells.every(c => c.model.executionCount !== null)); }",
        arg=[start, stop],
        timeout=300_000,
    )
    errors = page.evaluate(
        "([start, stop]) => window.jupyterapp.shell.currentWidget.content.widgets.slice(start, stop)"
        ".flatMap(c => c.model.outputs.toJSON()).filter(o => o.output_type === 'error')"
        ".map(o => o.ename + ': ' + o.evalue)",
        [start, stop],
    )
    assert not errors, errors


def shows_payload(locator: Any) -> None:
    """The view holds the payload, as text (escaped, it reads as written)."""
    locator.first.wait_for(timeout=120_000)
    text = " ".join(locator.all_inner_texts())
    assert VISIBLE in text, text[:500]


def open_vega_menus(page: Any) -> int:
    """Click *View Source* in every Vega chart that has an actions menu (it writes the spec into a popup)."""
    opened = 0
    for embed in page.locator(".vega-embed >> visible=true").all():
        summary = embed.locator("details > summary")
        if summary.count() == 0:
            continue
        summary.click()
        with page.expect_popup() as popup:
            embed.locator("a", has_text="View Source").click()
        popup.value.wait_for_load_state()
        opened += 1
    return opened


def to_list(page: Any) -> None:
    """The Runs panel showing its list (not a run's detail)."""
    sidebar: Any = open_runs_panel(page)
    back = sidebar.locator(".jp-exp-back")
    if back.is_visible():
        back.click()


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> (
    None
):  # overrides pytest-jupyter's: no in-process server here, Playwright's loop only
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:  # overrides pytest-jupyter's (it stops an in-process server)
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Chromium for this module alone, closed after it (not the session's ``browser``): Playwright's sync API
    holds the thread's event loop while it is open, and the suite's async server tests come after this one."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with notebook_lab(tmp_path_factory.mktemp("xss"), NOTEBOOK, SOURCES) as lab:
        yield lab


def test_no_store_value_runs_as_script(chromium: Any, lab: Lab) -> None:
    started = time.monotonic()
    context = chromium.new_context(viewport={"width": 1500, "height": 950})
    watch = Watch(context)
    page = context.new_page()
    errors = collect_errors(page)
    open_notebook(page, lab, NOTEBOOK)

    # The runs, recorded by the notebook: the inline card and the group card show their names.
    run_cells(page, 0, HOSTILE_FROM)
    shows_payload(page.locator(".jp-exp-card:not(.jp-exp-group-card)"))
    shows_payload(page.locator(".jp-exp-group-card"))
    ids = plant_payloads(lab)

    # %runs, %compare (no vl-convert: the Vega-Lite chart) and the reproduce report, over the planted store.
    run_cells(page, HOSTILE_FROM, len(SOURCES))
    shows_payload(page.locator(".jp-OutputArea-output table.dataframe"))
    shows_payload(page.locator(".jupyter-exp-comparison"))
    shows_payload(page.locator(".jp-exp-report"))
    watch.check("the notebook's outputs")
    chart = ".jp-OutputArea-output .vega-embed svg, .jp-OutputArea-output .vega-embed canvas"
    page.locator(chart).first.wait_for(timeout=60_000)  # %compare's chart, drawn by JupyterLab
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")  # signed trusted, reopened below
    notebook_tab = page.evaluate("window.jupyterapp.shell.currentWidget.id")

    # The sidebar: list, detail (params, metrics, tags, note, experiment, cell), compare view.
    sidebar: Any = open_runs_panel(page)
    victim_row = sidebar.locator(f'.jp-exp-run[data-run-id="{ids["victim"]}"]')
    shows_payload(victim_row)
    victim_row.locator(".jp-exp-run-name").click()
    detail = sidebar.locator(f'.jp-exp-detail[data-run-id="{ids["victim"]}"]')
    shows_payload(detail.locator(".jp-exp-note"))
    shows_payload(detail.locator(".jp-exp-params"))
    detail.locator("svg.jp-exp-sparkline").first.wait_for(timeout=60_000)
    assert METRIC in detail.inner_text()
    detail.locator(".jp-exp-open-snapshot").click()
    snapshot = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-MarkdownCell"))
    snapshot.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)
    watch.check("the snapshot tab")

    page.evaluate(f"window.jupyterapp.shell.activateById('{notebook_tab}')")  # the list follows the tab
    to_list(page)
    for run_id in ids.values():
        sidebar.locator(f'.jp-exp-run[data-run-id="{run_id}"] input.jp-exp-run-select').check()
    sidebar.locator(".jp-exp-compare-button").click()
    compare = page.locator(".jp-exp-compare")
    shows_payload(compare.locator("table.jp-exp-param-table"))
    # Drawn by Vega (a store value that broke the spec would leave the SVG stand-in), titled by the metric.
    compare.locator(
        ".jp-exp-chart-host .vega-embed svg, .jp-exp-chart-host .vega-embed canvas"
    ).first.wait_for(timeout=60_000)
    assert METRIC in compare.inner_text()
    assert (
        compare.locator(".jp-exp-chart").count() == compare.locator(".jp-exp-chart-host .vega-embed").count()
    )

    # Every Vega chart on the page (the sidebar's and %compare's): a "View Source" menu writes the spec,
    # unescaped, into a popup of this origin. Opened where there is one.
    opened = open_vega_menus(page)
    page.evaluate(f"window.jupyterapp.shell.activateById('{notebook_tab}')")
    opened += open_vega_menus(page)
    watch.check(f"the compare views, {opened} Vega source views opened")

    # Reproduce from the sidebar: the dialog names the (planted) recorder; the job line shows the run.
    to_list(page)
    sidebar.locator(f'.jp-exp-run[data-run-id="{ids["victim"]}"] .jp-exp-run-name').click()
    sidebar.locator(".jp-exp-reproduce-button").click()
    page.locator(".jp-Dialog button", has_text="Reproduce").click()
    confirm = page.locator(".jp-Dialog").filter(has=page.locator("button", has_text="Run their code"))
    shows_payload(confirm.locator(".jp-Dialog-body"))
    confirm.locator("button", has_text="Run their code").click()
    page.wait_for_selector('.jp-exp-job[data-state="finished"]', timeout=240_000)
    shows_payload(page.locator(".jp-exp-job"))
    watch.check("the sidebar")

    # Reopened: the saved (trusted) notebook's outputs and the restored snapshot tab render again.
    page.reload()
    page.wait_for_selector(".jp-OutputArea-output .jupyter-exp-comparison", timeout=120_000)
    page.locator(".jp-NotebookPanel .jp-MarkdownCell").first.wait_for(state="attached", timeout=120_000)
    page.wait_for_function(  # the snapshot tab is restored, its two cells rendered
        "() => Array.from(window.jupyterapp.shell.widgets('main'))"
        ".some(w => w.context && w.context.path.startsWith('JupyterExpSnapshots:')"
        " && w.content.widgets.length === 2)",
        timeout=120_000,
    )
    watch.check("after a reload")
    assert not [e for e in errors if e.startswith("uncaught") and "jupyter-exp" in e], errors
    context.close()
    print(f"browser check took {time.monotonic() - started:.0f} s")
