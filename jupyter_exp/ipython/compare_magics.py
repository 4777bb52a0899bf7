"""``%runs`` and ``%compare``: thin shells over query (runs_table, groups, comparison, compare_document) and charts."""

from __future__ import annotations

import html
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.cell import key_values
from jupyter_exp.capture.notebook import notebook_path
from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.errors import JupyterExpError
from jupyter_exp.track import active as _active

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from jupyter_exp.query.groups import Group

# Registered at %load_ext: what a magic runs on (the read side, the charts) is imported when it first runs.


def _argv(line: str, magic: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(f"%{magic}: {error}") from None


def _tags(values: list[str]) -> dict[str, str]:
    try:
        return key_values(values, "--tag")
    except ValueError as error:
        raise UsageError(f"%runs: {error}") from None


@magics_class
class CompareMagics(Magics):
    def __init__(self, shell: Any, settings: JupyterExp) -> None:
        super().__init__(shell)
        self.settings = settings

    @magic_arguments()
    @argument("--all", action="store_true", help="runs of every notebook, not only this one's")
    @argument("--notebook", help="runs of this notebook (a path)")
    @argument("--experiment", help="runs of this experiment (name or id)")
    @argument("--status", help="FINISHED, FAILED, KILLED, RUNNING ...")
    @argument("--tag", action="append", default=[], metavar="K=V", help="tag filter (repeatable)")
    @argument("--sweep", metavar="NAME", help="the runs of this sweep: its parent run and its trials")
    @argument("--filter", default="", help='an MLflow filter string, e.g. "metrics.`eval/acc` > 0.9"')
    @argument("--limit", type=int, default=20, help="how many of the newest runs to show (default 20)")
    @line_magic
    def runs(self, line: str) -> Any:
        """This notebook's latest runs as a table (name, id, status, seed, differing params, metrics)."""
        from jupyter_exp.query.listing import RunQuery, filter_string
        from jupyter_exp.query.runs_table import overview
        from jupyter_exp.query.runs_table import runs as runs_frame

        args = self.runs.parser.parse_args(_argv(line, "runs"))
        if args.limit < 1:
            raise UsageError(f"--limit must be at least 1, got {args.limit}")
        notebook = args.notebook
        if notebook is None and not args.all and args.experiment is None:
            path = notebook_path(self.shell.user_ns if self.shell else {}, self.settings.notebook_path)
            notebook = str(path) if path is not None else None
        try:
            tags = {**_tags(args.tag), **({schema.SWEEP: args.sweep} if args.sweep else {})}
            query = RunQuery(status=args.status, tags=tags, filter=args.filter)
            frame = runs_frame(args.experiment, notebook, filter_string(query), self.settings)
        except JupyterExpError as error:
            raise UsageError(f"%runs: {error}") from None
        except Exception as error:  # MLflow refusing the filter string
            raise UsageError(f"%runs: {str(error).splitlines()[0]}") from None
        return overview(frame, args.limit)

    @magic_arguments()
    @argument(
        "sides", nargs="*", help="run ids, group ids, --seeds parents, id1,id2,... lists, or variable names"
    )
    @argument("--metrics", help="comma-separated metrics (default: the user metrics every side has)")
    @argument("--alpha", type=float, default=0.05, help="significance level after BH (default 0.05)")
    @argument("--lower-is-better", help="regular expression of metrics better when lower")
    @argument("--max-points", type=int, default=500, help="points per curve (default 500)")
    @argument("--no-chart", action="store_true", help="no curves")
    @argument(
        "--save", action="append", default=[], metavar="FILE", help="save the chart (.png, .svg, .html)"
    )
    @line_magic
    def compare(self, line: str) -> None:
        """Compare runs or groups: differing params, final metrics with statistics and a verdict, the curves
        (mean and band for groups), the diff of the tracked cells and the git/environment differences."""
        from jupyter_exp.ipython.charts import chart_bundle, chart_metadata, curves_chart
        from jupyter_exp.query.compare_document import check_max_points, side_curves
        from jupyter_exp.query.comparison import compare_groups
        from jupyter_exp.query.groups import resolve
        from jupyter_exp.tracking.finisher import wait_for_runs

        args = self.compare.parser.parse_args(_argv(line, "compare"))
        if len(args.sides) < 2:
            raise UsageError(
                "%compare needs at least two runs or groups: %compare RUN_OR_GROUP RUN_OR_GROUP ..."
            )
        if not 0 < args.alpha < 1:
            raise UsageError(f"--alpha must lie between 0 and 1, got {args.alpha}")
        bad = [f for f in args.save if not f.lower().endswith((".png", ".svg", ".html", ".json"))]
        if bad or (args.save and args.no_chart):
            raise UsageError(
                f"--save takes a .png, .svg or .html file and a chart: {', '.join(bad) or '--no-chart'}"
            )
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
        pattern = args.lower_is_better or self.settings.lower_is_better or None
        wait_for_runs()
        client = self._client()
        try:
            check_max_points(args.max_points)
            groups = [resolve(client, self._side(token)) for token in args.sides]
            comparison = compare_groups(groups, metrics, alpha=args.alpha, lower_is_better=pattern)
        except (JupyterExpError, ValueError) as error:
            raise UsageError(f"%compare: {error}") from None

        display(comparison)
        keys = [v.metric for index, v in comparison.verdicts if index == 1]
        if not args.no_chart and keys:
            chart = curves_chart(side_curves(client, groups, keys, args.max_points))
            for path in args.save:
                chart.save(path)
            bundle = chart_bundle(chart)
            display(bundle, raw=True, metadata=chart_metadata(bundle))
        display(HTML(self._differences(client, groups)))

    def _client(self) -> MlflowClient:
        from jupyter_exp.tracking.store import client_for

        return client_for(resolve_store(self.settings))

    def _side(self, token: str) -> Any:
        """A variable holding a group/list/run id, ``last``, ``a,b,c`` (a list of run ids), or an id."""
        namespace = self.shell.user_ns if self.shell else {}
        if token.isidentifier() and token in namespace and not isinstance(namespace[token], (int, float)):
            return namespace[token]
        if token == "last":
            if _active.last_run_id is None:
                raise UsageError("%compare last: no %%track cell has recorded a run in this kernel yet")
            return _active.last_run_id
        if "," in token:
            return [part for part in token.split(",") if part]
        return token

    def _differences(self, client: MlflowClient, groups: list[Group]) -> str:
        from jupyter_exp.query.compare_document import run_cells
        from jupyter_exp.query.context import context_differences
        from jupyter_exp.tracking.artifacts import ArtifactStoreError

        parts = []
        try:
            cells = run_cells(client, [g.runs[0] for g in groups])[1:]
        except ArtifactStoreError as error:  # said, never shown as cells that were not recorded
            parts.append(f"<p>Tracked cells not compared: {html.escape(str(error))}</p>")
            cells = [{"run_id": g.runs[0].info.run_id, "source": None, "diff": None} for g in groups[1:]]
        for label, cell in zip([g.label for g in groups[1:]], cells, strict=True):
            if cell["diff"]:
                parts.append(f"<p>Tracked cell, {html.escape(groups[0].label)} → {html.escape(label)}:</p>")
                parts.append(f"<pre>{html.escape(cell['diff'])}</pre>")
            elif cell["diff"] == "":
                parts.append(f"<p>Tracked cell: the same in {html.escape(label)}.</p>")
        try:
            found = context_differences(client, groups)
        except ArtifactStoreError as error:
            return "".join([*parts, f"<p>Environments not compared: {html.escape(str(error))}</p>"])
        if found:
            head = "".join(f"<th>{html.escape(g.label)}</th>" for g in groups)
            rows = "".join(
                f"<tr><td>{html.escape(d['what'])}</td>"
                + "".join(f"<td>{html.escape(v)}</td>" for v in d["values"])
                + "</tr>"
                for d in found
            )
            parts.append(
                f"<p>Also different (could explain a gap):</p><table><tr><th></th>{head}</tr>{rows}</table>"
            )
        else:
            parts.append("<p>Same code version and environment on every side.</p>")
        return "".join(parts)
