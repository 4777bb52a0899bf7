"""Inside the fresh venv of tools/wheel_check.sh: the installed wheel, used as a pip user would use it.

- no node on PATH, and jupyter_exp imported from the venv (not from a checkout);
- `jupyter labextension list` / `jupyter server extension list` say jupyter-exp is enabled and OK;
- `python -m jupyterlab.browser_check`: JupyterLab starts with the extension and logs no error; its browser
  step (which would `npm install playwright` and download a browser) runs on Debian's Chromium through the
  Python playwright package, offline, and also asserts that the jupyter-exp plugin is activated;
- one `%%track` cell and `%reproduce last` in a real kernel (nbclient), the verdict read from the store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("JUPYTER_EXP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
PLUGIN_ID = "jupyter-exp:plugin"
SIDEBAR_ID = "jupyter-exp-sidebar"  # labextension/src/tokens.ts


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"wheel check FAILED: {message}")
    print(f"ok: {message}")


def run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    output = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # no colours
    if done.returncode != 0:
        raise SystemExit(
            f"wheel check FAILED: {' '.join(command)} exited {done.returncode}:\n{output[-3000:]}"
        )
    return output


def no_node() -> None:
    node = shutil.which("node")
    works = node is not None and subprocess.run([node, "--version"], capture_output=True).returncode == 0
    check(not works, "no working node on PATH")
    import jupyter_exp

    check(
        Path(jupyter_exp.__file__).is_relative_to(sys.prefix),
        f"jupyter_exp {jupyter_exp.__version__} from the venv",
    )


def extension_lists() -> None:
    labextensions = run("jupyter", "labextension", "list")
    check(
        bool(re.search(r"jupyter-exp v\S+ enabled OK", labextensions)),
        "jupyter labextension list: enabled OK",
    )
    server = run("jupyter", "server", "extension", "list")
    check(bool(re.search(r"jupyter_exp enabled", server)), "jupyter server extension list: enabled")
    check(bool(re.search(r"jupyter_exp \S+ OK", server)), "jupyter server extension list: OK")


async def run_browser(url: str) -> None:
    """browser_check's browser step (jupyterlab/browser-test.js), on Debian's Chromium."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            await page.goto(url)
            await page.locator("#jupyter-config-data").wait_for(state="attached")
            await page.wait_for_selector("#main", timeout=100_000)
            status = await page.wait_for_selector("#browserTest", timeout=100_000, state="attached")
            await page.wait_for_selector(".completed", state="attached", timeout=100_000)
            errors = json.loads(await status.text_content() or "[]")
            # the plugin's sidebar tab in the left area: jupyter-exp's frontend loaded and activated
            tab = page.locator(f"[data-id='{SIDEBAR_ID}']")
            await tab.first.wait_for(state="attached", timeout=30_000)
            activated = await tab.count() > 0
        finally:
            await browser.close()
    if errors or page_errors:
        raise RuntimeError(f"errors in the page: {errors + page_errors}")
    if not activated:
        raise RuntimeError(f"{PLUGIN_ID} is not activated")
    print(f"ok: browser_check's browser step: JupyterLab started, {PLUGIN_ID} activated, no errors")


def browser_check_app() -> None:
    """`python -m jupyterlab.browser_check` with its browser step replaced by ``run_browser``: its app, run
    from this ``__main__`` as it runs from its own under ``-m`` (the server loads the starter extension
    from the app's module)."""
    from jupyterlab import browser_check

    browser_check.run_browser = run_browser

    class BrowserApp(browser_check.BrowserApp):
        name = "__main__"

    globals()["_jupyter_server_extension_points"] = lambda: [{"module": "__main__", "app": BrowserApp}]
    sys.argv = [sys.argv[0], "--ServerApp.allow_root=True"]
    BrowserApp.launch_instance()


def browser_checks() -> None:
    run(sys.executable, "-m", "jupyterlab.browser_check", "--no-browser-test", "--ServerApp.allow_root=True")
    check(True, "python -m jupyterlab.browser_check --no-browser-test")
    output = run(sys.executable, __file__, "browser-check")
    check(
        "Browser test complete" in output or "activated, no errors" in output,
        "python -m jupyterlab.browser_check",
    )


def track_and_reproduce() -> None:
    import nbformat
    from nbclient import NotebookClient

    folder = Path(tempfile.mkdtemp(prefix="wheel-check-"))
    store = f"sqlite:///{folder / 'mlflow.db'}"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(f"%load_ext jupyter_exp\n%config JupyterExp.tracking_uri = {store!r}"),
        nbformat.v4.new_code_cell(
            "%%track --name wheel-check\nimport random\nimport jupyter_exp\nscore = random.random()\n"
            "for step in range(3):\n    jupyter_exp.log(step=step, score=score * step)\nprint(round(score, 6))"
        ),
        nbformat.v4.new_code_cell("%reproduce last"),
    ]
    path = folder / "check.ipynb"
    nbformat.write(notebook, path)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    check(len(runs) == 2, f"%%track and %reproduce recorded 2 runs ({len(runs)})")
    replay = [r for r in runs if r.data.tags.get("jupyter_exp.reproduced_from")]
    check(len(replay) == 1, "one run tagged jupyter_exp.reproduced_from")
    verdict = replay[0].data.tags.get("jupyter_exp.reproduction.verdict")
    check(verdict == "exact", f"%reproduce last: verdict {verdict}")


def main() -> None:
    if sys.argv[1:] == ["browser-check"]:
        browser_check_app()
        return
    no_node()
    extension_lists()
    browser_checks()
    track_and_reproduce()


if __name__ == "__main__":
    main()
