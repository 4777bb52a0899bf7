"""Slice vs full replay on notebooks nobody wrote for this project: the table in docs/reproducing.md.

No notebook ships inside the installed packages, so the notebooks are generated from their documentation:
each is the ``Examples`` sections of a few objects of one library (scikit-learn, SciPy, pandas, NumPy), run in
sequence as a session exploring them would, one statement a cell, under ``%load_ext jupyter_exp``; the last
cell that computes something is made a ``%%track`` cell. Each notebook is executed in a fresh kernel, its run
reproduced with ``--slice`` and with ``--full`` (the slice first, then the full history; ``--repeat`` times
each), and the verdicts and wall times are printed as a Markdown table (``--write``: also into
docs/reproducing.md between its ``slice-corpus`` markers).

    .venv/bin/python tools/slice_corpus.py [--repeat 2] [--write] [--only NAME]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import doctest
import importlib
import io
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_exp.config import ROOT_ENV, StoreLocation, resolve_store
from jupyter_exp.reproduce.kernel_run import execute_notebook
from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking

DOCS = Path(__file__).resolve().parents[1] / "docs" / "reproducing.md"
START, END = "<!-- slice-corpus:start -->", "<!-- slice-corpus:end -->"
NOTEBOOKS = {  # name: the documented objects whose Examples make the notebook, in order
    "sklearn-ensemble": [
        "sklearn.ensemble:RandomForestClassifier",
        "sklearn.ensemble:GradientBoostingRegressor",
        "sklearn.ensemble:HistGradientBoostingClassifier",
    ],
    "sklearn-cluster": [
        "sklearn.cluster:KMeans",
        "sklearn.cluster:DBSCAN",
        "sklearn.cluster:AgglomerativeClustering",
    ],
    "sklearn-model-selection": [
        "sklearn.model_selection:train_test_split",
        "sklearn.model_selection:cross_val_score",
        "sklearn.model_selection:GridSearchCV",
    ],
    "sklearn-linear-model": [
        "sklearn.linear_model:Ridge",
        "sklearn.linear_model:Lasso",
        "sklearn.linear_model:LogisticRegression",
    ],
    "sklearn-decomposition": [
        "sklearn.decomposition:NMF",
        "sklearn.decomposition:TruncatedSVD",
        "sklearn.decomposition:PCA",
    ],
    "scipy-optimize": ["scipy.optimize:curve_fit", "scipy.optimize:least_squares", "scipy.optimize:minimize"],
    "pandas-reshaping": ["pandas:merge", "pandas:DataFrame.pivot_table", "pandas:DataFrame.groupby"],
    "numpy-linalg": ["numpy.linalg:svd", "numpy.linalg:eig", "numpy.linalg:lstsq"],
}
PRELUDE = "import numpy as np\nimport pandas as pd"  # what the libraries' docs assume (their doctest globals)


def _object(spec: str) -> object:
    module, _, dotted = spec.partition(":")
    found: object = importlib.import_module(module)
    for part in dotted.split("."):
        found = getattr(found, part)
    return found


def _running(statements: list[str]) -> list[str]:
    """The statements that run, in order, in a namespace of their own (output aside): an example that needs
    what is not here (a file, the network, a name from another page) is left out, with what needs it."""
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    exec(PRELUDE, namespace)
    kept = []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for statement in statements:
            try:
                exec(compile(statement, "<example>", "exec"), namespace)  # the library's own documentation
            except Exception:
                continue
            kept.append(statement)
    return kept


def cells(specs: list[str]) -> list[str]:
    """One cell per documented statement, of the objects whose examples run here; the last computing one
    tracked."""
    import matplotlib

    matplotlib.use("Agg")
    found: list[str] = []
    for spec in specs:
        examples = doctest.DocTestParser().get_examples(getattr(_object(spec), "__doc__", "") or "")
        statements = [e.source for e in examples if e.exc_msg is None]  # not the ones showing an error
        found += _running(statements)
    for index in range(len(found) - 1, -1, -1):
        tree = ast.parse(found[index])
        last = tree.body[-1] if tree.body else None
        computes = isinstance(last, ast.Assign | ast.AugAssign) or (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call | ast.BinOp | ast.Subscript | ast.Attribute)
        )
        if computes and "plt." not in found[index] and not found[index].startswith("print("):
            found[index] = f"%%track --name {specs[-1].rpartition(':')[2].rpartition('.')[2]}\n{found[index]}"
            return ["%load_ext jupyter_exp", "%matplotlib agg", PRELUDE, *found[: index + 1]]
    raise SystemExit(f"no computing cell in {specs}")


@dataclass
class Measured:
    name: str
    cells: int
    slice_cells: str = ""
    verdicts: dict[str, list[str]] = field(default_factory=lambda: {"slice": [], "full": []})
    seconds: dict[str, list[float]] = field(default_factory=lambda: {"slice": [], "full": []})

    def row(self) -> str:
        def verdict(mode: str) -> str:
            return "/".join(sorted(set(self.verdicts[mode])))

        def times(mode: str) -> str:
            return ", ".join(f"{s:.1f}" for s in self.seconds[mode])

        ratio = statistics.median(self.seconds["slice"]) / statistics.median(self.seconds["full"])
        return (
            f"| {self.name} | {self.slice_cells} | {verdict('slice')} / {verdict('full')} "
            f"| {times('slice')} | {times('full')} | {ratio:.2f} |"
        )


def measure(name: str, specs: list[str], repeat: int, folder: Path) -> Measured:
    root = folder / name
    root.mkdir()
    notebook = root / f"{name}.ipynb"
    sources = cells(specs)
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(s) for s in sources],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        ),
        notebook,
    )
    os.environ[ROOT_ENV] = str(root)
    location: StoreLocation = resolve_store()
    execute_notebook(notebook, timeout=300)
    from mlflow import MlflowClient

    client = MlflowClient(location.tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(experiments)  # the notebook's one tracked cell, before any reproduction
    found = Measured(name, len(sources))
    for _ in range(repeat):
        for mode in ("slice", "full"):
            started = time.perf_counter()
            result = reproduce_blocking(run.info.run_id, location, ReproduceOptions(slice=mode == "slice"))
            found.seconds[mode].append(time.perf_counter() - started)
            assert result.verdict is not None
            verdict = result.verdict.verdict
            if mode == "slice" and result.after_slice:
                verdict = f"{result.after_slice['verdict']} → full {verdict}"
            found.verdicts[mode].append(verdict)
            if mode == "slice":
                after, size = result.after_slice, result.plan.history_size
                kept = after["cells"] if after else len(result.plan.steps)
                found.slice_cells = f"{kept} of {size} cells" + (" (fell back)" if after else "")
    print(found.row(), flush=True)
    return found


def table(rows: list[Measured], repeat: int) -> str:
    head = (
        "| notebook (generated from the docs' Examples) | slice replays | verdict slice / full | slice, s "
        "| full, s | slice / full (medians) |\n|---|---|---|---|---|---|"
    )
    return "\n".join([head, *(r.row() for r in rows)]) + (
        f"\n\n{len(rows)} notebooks, each reproduced {repeat}x each way, slice first; wall seconds of the whole "
        "reproduction (kernel start, replay, comparison), measured by `tools/slice_corpus.py`."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", action="append", help="a notebook's name (repeatable)")
    parser.add_argument("--write", action="store_true", help="write the table into docs/reproducing.md")
    args = parser.parse_args(argv)
    chosen = {n: s for n, s in NOTEBOOKS.items() if not args.only or n in args.only}
    with tempfile.TemporaryDirectory(prefix="jupyter-exp-slice-corpus-") as folder:
        rows = [measure(name, specs, args.repeat, Path(folder)) for name, specs in chosen.items()]
    text = table(rows, args.repeat)
    print(text)
    if args.write:
        document = DOCS.read_text(encoding="utf-8")
        before, start, rest = document.partition(START)
        _, end, after = rest.partition(END)
        if not start or not end:
            print(f"slice_corpus: no {START} ... {END} in {DOCS}", file=sys.stderr)
            return 1
        DOCS.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
