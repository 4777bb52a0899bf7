"""A cell magic's body compiled and run by IPython's own rules for a cell.

IPython runs a cell's statements with ``ast_node_interactivity`` deciding which of them show their
value through the display hook (``Out``, ``_`` and the execute result), and a cell whose last token is
``;`` shows none. A ``%%track`` body runs inside the magic; compiled and run here the same way, it
shows exactly what it shows untracked. A syntax error shows as in a plain cell too: the error alone
(raised as itself from inside the magic, IPython would add the frames of the magic).
"""

from __future__ import annotations

import ast
import functools
import sys
from types import CodeType
from typing import Any, NamedTuple


class CompiledCell(NamedTuple):
    plain_code: CodeType | None  # statements that run without showing a value
    shown_code: CodeType | None  # compiled in "single" mode: each expression statement is displayed
    filename: str
    quiet: bool  # the cell ends with ";"


class CellSyntaxError(Exception):
    """A syntax error in a cell body, for IPython to show as it shows one in a plain cell.

    Its type is named after the error it stands for (``SyntaxError``, ``IndentationError``), so the
    kernel reports the same ``ename``; the error itself is ``error``.
    """

    def __init__(self, error: SyntaxError, rendered: list[str]) -> None:
        super().__init__(*error.args)
        self.error = error
        self._rendered = rendered

    def __str__(self) -> str:
        return str(self.error)

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an exception is shown
        return self._rendered


@functools.cache
def _standing_for(kind: type) -> type[CellSyntaxError]:
    return type(kind.__name__, (CellSyntaxError,), {"__qualname__": kind.__name__})


def interactive_split(nodes: list[ast.stmt], interactivity: str) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """IPython's ``run_ast_nodes`` rule: which statements run plainly and which show their value."""
    nodes = list(nodes)
    if not nodes:
        return [], []
    if interactivity == "last_expr_or_assign":
        last = nodes[-1]
        target = None
        if isinstance(last, ast.Assign) and len(last.targets) == 1:
            target = last.targets[0]
        elif isinstance(last, ast.AugAssign | ast.AnnAssign):
            target = last.target
        if isinstance(target, ast.Name):
            nodes.append(ast.fix_missing_locations(ast.Expr(ast.Name(target.id, ast.Load()))))
        interactivity = "last_expr"
    if interactivity == "last_expr":
        interactivity = "last" if isinstance(nodes[-1], ast.Expr) else "none"
    if interactivity == "none":
        return nodes, []
    if interactivity == "last":
        return nodes[:-1], nodes[-1:]
    if interactivity == "all":
        return [], nodes
    raise ValueError(f"Interactivity was {interactivity!r}")


def compile_body(shell: Any, body: str, execution_count: int) -> CompiledCell:
    """Compile the cell body the way IPython compiles a cell (transforms, file name, display rules)."""
    code = shell.transform_cell(body)
    filename = shell.compile.cache(code, execution_count, raw_code=body)
    try:
        tree = shell.transform_ast(shell.compile.ast_parse(code, filename=filename))
        quiet = bool(shell.displayhook.semicolon_at_end_of_expression(code))
        plain, shown = interactive_split(tree.body, "none" if quiet else shell.ast_node_interactivity)
        plain_code = shell.compile(ast.Module(plain, []), filename, "exec") if plain else None
        shown_code = shell.compile(ast.Interactive(shown), filename, "single") if shown else None
    except SyntaxError as error:  # IndentationError and compile-time errors ("'return' outside function") too
        rendered = shell.SyntaxTB.structured_traceback(type(error), error, [])
        raise _standing_for(type(error))(error, rendered) from None  # type: ignore[arg-type]
    return CompiledCell(plain_code, shown_code, filename, quiet)


def run_compiled(shell: Any, compiled: CompiledCell) -> None:
    """Run a compiled body in the user's namespace; what IPython would display goes through its
    display hook, as in a plain cell (so nothing is returned for the magic to display again)."""
    __tracebackhide__ = True
    for code in (compiled.plain_code, compiled.shown_code):
        if code is not None:
            exec(code, shell.user_global_ns, shell.user_ns)
    show_pending_figures(shell)


def show_pending_figures(shell: Any) -> None:
    """Show now what matplotlib's inline backend would show right after the cell (its post_execute
    hook draws the cell's figures), while the cell's outputs are still being recorded. The same call,
    in the same order; the hook finds nothing left to draw. After an error the hook does it, as usual."""
    module = sys.modules.get("matplotlib_inline.backend_inline")
    flush = getattr(module, "flush_figures", None)
    if flush is not None and flush in shell.events.callbacks.get("post_execute", []):
        flush()
