"""The import direction of docs/design.md, read from the source (an AST walk: every import, at the top, in a
function or under TYPE_CHECKING):

    ipython, server, kernels, cli  ->  track, reproduce, query  ->  tracking  ->  capture, stats  ->  app-wide

No module imports one of a layer above it, no two modules import each other through any path, and only the
shells touch IPython's display and magic machinery, ipywidgets, tornado or jupyter_server.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "jupyter_exp"
APP_WIDE = {"config", "errors", "record_schema", "text_table", "_version"}
LAYERS = {  # a unit may import its own layer's other units (no cycles) and every layer below
    "capture": 1,
    "stats": 1,
    "tracking": 2,
    "track": 3,
    "reproduce": 3,
    "query": 3,
    "ipython": 4,
    "server": 4,
    "models": 3,
    "sweep": 3,
    "kernels": 4,
    "cli": 4,
    "__init__": 5,
}
SHELL_ONLY = {  # third-party modules only the shells import
    "IPython.display": {"ipython"},
    "IPython.core.magic": {"ipython"},
    "IPython.core.magic_arguments": {"ipython"},
    "ipywidgets": {"ipython"},
    "tornado": {"server"},
    "jupyter_server": {"server", "kernels"},
}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "labextension" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imported(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports: absolute names (the project writes no relative imports)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import of {node.module} (write it absolute)"
            assert node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def own(target: str) -> str | None:
    """The project module ``target`` names (``jupyter_exp.query.listing.get_run`` -> its module)."""
    while target not in MODULES:
        if "." not in target:
            return None
        target = target.rsplit(".", 1)[0]
    return target


def unit(module: str) -> str:
    """The unit a module belongs to: its subpackage, or the root module itself."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target in imported(name, path):
            module = own(target)
            if module is not None and module != name:
                graph[name].add(module)
    return graph


GRAPH = edges()


def layer(module: str) -> int:
    name = unit(module)
    return 0 if name in APP_WIDE else LAYERS[name]


def test_every_unit_has_a_layer() -> None:
    unknown = {unit(m) for m in MODULES} - set(LAYERS) - APP_WIDE
    assert not unknown, f"add {sorted(unknown)} to LAYERS (and to docs/design.md's import direction)"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_layer_above_it(module: str) -> None:
    upward = sorted(t for t in GRAPH[module] if layer(t) > layer(module))
    assert not upward, f"{module} (layer {layer(module)}) imports {upward}"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the cycles of ``graph`` as its components of more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules() -> None:
    assert strongly_connected(GRAPH) == []


def test_no_import_cycles_between_units() -> None:
    units: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        units.setdefault(unit(module), set()).update(unit(t) for t in targets if unit(t) != unit(module))
    assert strongly_connected(units) == []


@pytest.mark.parametrize("library", sorted(SHELL_ONLY))
def test_only_the_shells_use_display_and_server_machinery(library: str) -> None:
    users = sorted(
        name
        for name, path in MODULES.items()
        if unit(name) not in SHELL_ONLY[library]
        and any(t == library or t.startswith(f"{library}.") for t in imported(name, path))
    )
    assert not users, f"{library} imported outside {sorted(SHELL_ONLY[library])}: {users}"


def test_the_check_sees_a_violation() -> None:
    """The walk finds what it is for: a capture module importing the magics would be caught."""
    graph = {
        **GRAPH,
        "jupyter_exp.capture.cell": {*GRAPH["jupyter_exp.capture.cell"], "jupyter_exp.ipython.magics"},
    }
    assert layer("jupyter_exp.ipython.magics") > layer("jupyter_exp.capture.cell")
    assert strongly_connected({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]
    assert "jupyter_exp.ipython.magics" in graph["jupyter_exp.capture.cell"]


# The entry points defer what is behind them: the package root (every ``import jupyter_exp.<anything>`` runs
# it first: the replay kernel's side, the journal's recovery, the server) and the magics registered at
# %load_ext (their features bring ipywidgets, the replay driver and the comparison in) import the project's
# features inside the functions that use them; everywhere else the project's own modules are imported at the top.
ENTRY_POINTS = {
    "jupyter_exp",
    "jupyter_exp.ipython.magics",
    "jupyter_exp.ipython.compare_magics",
    "jupyter_exp.ipython.model_magics",
}
# What `%load_ext jupyter_exp` must not import: the modules it reaches defer these (in their functions, or
# under TYPE_CHECKING for annotations).
NOT_AT_LOAD_EXT = (
    "mlflow",
    "optuna",
    "pandas",
    "scipy",
    "altair",
    "sqlalchemy",
    "ipywidgets",
    "nbformat",
    "nbclient",
    "jsonschema",
    "jupyter_client",
)


def test_own_modules_are_imported_at_the_top() -> None:
    """Every arrow of the import graph is visible at the top of its module."""
    inside = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if name in ENTRY_POINTS:
                    continue
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jupyter_exp"):
                    inside.append(f"{name}:{node.lineno} {node.module}")
                elif isinstance(node, ast.Import) and any(
                    a.name.startswith("jupyter_exp") for a in node.names
                ):
                    inside.append(f"{name}:{node.lineno}")
    assert not inside, f"imports of jupyter_exp's own modules inside functions: {inside}"


def test_load_ext_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from IPython.testing.globalipapp import start_ipython\n"
        "start_ipython().run_line_magic('load_ext', 'jupyter_exp')\n"
        f"print([m for m in {NOT_AT_LOAD_EXT!r} if m in sys.modules])\n"
    )
    env = {**os.environ, "JUPYTER_EXP_ROOT": str(tmp_path)}  # a store of its own: nothing to recover
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
        env=env,
    )
    assert found.stdout.strip().splitlines()[-1] == "[]", found.stdout + found.stderr
