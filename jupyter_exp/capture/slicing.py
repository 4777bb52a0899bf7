"""The tracked cell's dependency slice: which cells of the kernel history it needs, read from their ASTs.

A cell is in the slice when it binds a name the slice reads (the last binding before the reader; a name
rebound unconditionally needs no earlier binding), changes an object the slice uses (a method call on it,
an attribute or item assignment, passing it to a function of the notebook's), writes a file the slice
reads (``inputs.json`` knows what the tracked cell read; other cells' reads are the paths they name), or
changes the environment (imports, ``%``/``!`` lines other than a few known read-only ones, settings on a
module such as ``os.environ[...] =`` or ``torch.backends.cudnn.benchmark =``). When unsure (a cell that
does not parse, ``exec``, ``globals()``, the output history ``_``/``Out``), the cell is kept.

Randomness needs no cell: the generator states recorded before every cell are put back before each
replayed one, so a skipped cell that drew from a generator (``rng.normal()``) changes nothing the
replay sees. Pure functions of source text: nothing is imported or executed.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jupyter_exp.capture.cell import parse_python

FORMAT = 1
IMPORTS_ONLY = "imports (only its import statements are replayed)"
TRACK_LINE = re.compile(r"^\s*%%track\b[^\n]*\n?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


OUTPUT_HISTORY = re.compile(r"^(_{1,3}|_i{1,3}|_i?\d+|In|Out|_oh|_ih|_dh)$")
UNSURE_CALLS = frozenset({"exec", "eval", "globals", "locals", "vars", "__import__", "get_ipython"})
BUILTINS = frozenset(dir(builtins)) | {"display", "get_ipython"}
SETATTR = frozenset({"setattr", "delattr"})
# methods that read their object and leave it as it was (a method call otherwise counts as a change)
PURE_METHODS = _words(
    """head tail describe info copy mean sum std var min max median item tolist numpy keys values items get
    astype reshape to_numpy count nunique unique value_counts isna isnull notna any all argmax argmin
    format startswith endswith split join strip lower upper replace index find round abs cpu detach clone
    size dim numel nelement to_dict to_list to_frame groupby agg aggregate corr cov quantile cumsum diff
    sort_values sort_index query filter select iloc loc plot hist __len__ __repr__ __str__ summary
    predict predict_proba score transform evaluate state_dict parameters named_parameters"""
)
# functions of a module that change their arguments (the rest are read as leaving them alone)
MUTATING_FUNCTIONS = frozenset({"shuffle", "copyto", "put", "place", "fill_diagonal", "putmask"})
# a module's function that changes process-wide settings
SETTER = re.compile(
    r"^(set_\w+|use|use_\w+|filterwarnings|simplefilter|basicConfig|setLevel|enable\w*|disable\w*|"
    r"register\w*|append|insert|extend|update|setdefault|putenv|chdir|install\w*|configure\w*|style)$"
)
READ_ONLY_MAGICS = _words(
    """runs compare who whos who_ls pwd ls lsmagic history hist pinfo pinfo2 pdoc pdef psource pfile page
    ldir reproduce magic quickref doctest_mode"""
)
CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun"})
CODE_CELL_MAGICS = frozenset({"track", "time", "timeit", "capture", "prun"})
OUTPUT_CELL_MAGICS = frozenset({"html", "HTML", "markdown", "latex", "svg", "javascript", "js"})
READ_ONLY_SHELL = _words(
    """ls pwd cat head tail echo which nvidia-smi nproc free df du wc whoami hostname date uname env
    printenv lscpu file stat"""
)
READERS = _words(
    """read_csv read_parquet read_json read_pickle read_excel read_feather read_hdf read_table read_fwf
    read_orc read_stata read_sas read_spss load loads_file loadtxt genfromtxt fromfile read_text read_bytes
    imread load_model load_weights load_state_dict_from_file listdir glob iglob rglob iterdir exists
    is_file isfile scandir"""
)
WRITERS = _words(
    """to_csv to_parquet to_json to_pickle to_excel to_feather to_hdf to_orc to_stata to_netcdf to_file
    save savez savez_compressed savetxt savefig write_text write_bytes tofile imsave imwrite
    save_pretrained save_model save_weights copy copyfile copy2 copytree move rename replace touch mkdir
    makedirs unlink remove rmtree"""
)
WRITE_MODE = re.compile(r"[wax+]")
TIMEIT_OPTIONS = re.compile(r"^\s*((-[nrt]\s*\d*|-[opqc])\s+)*")


@dataclass
class FunctionFacts:
    """What calling a function defined in the notebook does to the namespace."""

    reads: set[str] = field(default_factory=set)  # globals read when it runs
    mutates: set[str] = field(default_factory=set)
    binds: set[str] = field(default_factory=set)  # ``global x; x = ...``
    calls: set[str] = field(default_factory=set)


@dataclass
class CellFacts:
    """What one cell may do to the namespace, the files and the environment."""

    reads: set[str] = field(default_factory=set)  # values it reads from before the cell
    binds: set[str] = field(default_factory=set)
    kills: set[str] = field(default_factory=set)  # rebound unconditionally: earlier bindings not needed
    mutates: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)  # names it calls
    functions: dict[str, FunctionFacts] = field(default_factory=dict)  # the functions it defines
    imports: set[str] = field(default_factory=set)  # names it binds by import
    reads_files: set[str] = field(default_factory=set)
    writes_files: set[str] = field(default_factory=set)
    unknown_reads: bool = False  # a file read at a path not written out
    unknown_writes: bool = False
    keep: str | None = None  # a reason to keep it whatever it binds
    output_history: bool = False  # reads ``_``, ``Out``, ``In``...


def _root(node: ast.AST) -> str | None:
    """``model`` of ``model.fc.weight[0]`` or ``model.layers[0].reset()``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_ipython(call: ast.Call) -> str | None:
    """``run_line_magic`` of ``get_ipython().run_line_magic(...)`` (IPython's transformed magics)."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
    ):
        return func.attr
    return None


def _constants(nodes: Iterable[ast.AST]) -> list[str]:
    """The string literals among ``nodes`` themselves (a path built at run time is not one)."""
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _literal_args(call: ast.Call) -> list[str]:
    return [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


class _Scanner(ast.NodeVisitor):
    """Collects one scope's facts; function bodies are summarised by a scanner of their own."""

    def __init__(self, facts: CellFacts, imported: frozenset[str], local: set[str] | None = None) -> None:
        self.facts = facts
        self.imported = imported
        self.local = local  # a function's locals; None at the module level
        self.hidden: list[set[str]] = []  # comprehension variables in scope

    # -- names ----------------------------------------------------------------------------------
    def _is_global(self, name: str) -> bool:
        return (self.local is None or name not in self.local) and not any(name in h for h in self.hidden)

    def _read(self, name: str) -> None:
        if self._is_global(name):
            if OUTPUT_HISTORY.match(name):
                self.facts.output_history = True
            self.facts.reads.add(name)

    def _mutate(self, node: ast.AST | None) -> None:
        name = _root(node) if node is not None else None
        if name is None or not self._is_global(name):
            return
        if name in self.imported or name in self.facts.imports:
            self.facts.keep = self.facts.keep or f"changes settings of {name}"
        else:
            self.facts.mutates.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        elif self.local is None:
            self.facts.binds.add(node.id)

    def visit_Global(self, node: ast.Global) -> None:
        if self.local is not None:
            for name in node.names:
                self.local.discard(name)

    # -- statements that change objects --------------------------------------------------------
    def _targets(self, targets: Iterable[ast.AST]) -> None:
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Attribute | ast.Subscript) and isinstance(
                    node.ctx, ast.Store | ast.Del
                ):
                    self._mutate(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node.targets)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._targets([node.target])
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._targets([node.target])
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        self._targets(node.targets)
        self.generic_visit(node)

    # -- scopes -------------------------------------------------------------------------------------
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> FunctionFacts:
        arguments = node.args
        params = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        params |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
        local = set(params)
        declared: set[str] = set()
        for statement in body:
            for inner in ast.walk(statement):
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store | ast.Del):
                    local.add(inner.id)
                elif isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    local.add(inner.name)
                elif isinstance(inner, ast.Import | ast.ImportFrom):
                    local |= {(a.asname or a.name).split(".")[0] for a in inner.names}
                elif isinstance(inner, ast.Global | ast.Nonlocal):
                    declared |= set(inner.names)
        local -= declared
        inner_facts = CellFacts()
        scanner = _Scanner(inner_facts, self.imported | frozenset(self.facts.imports), local)
        for statement in body:
            scanner.visit(statement)
        self.facts.output_history |= inner_facts.output_history
        if inner_facts.keep and not self.facts.keep:
            self.facts.keep = inner_facts.keep
        self.facts.reads_files |= inner_facts.reads_files
        self.facts.writes_files |= inner_facts.writes_files
        self.facts.unknown_reads |= inner_facts.unknown_reads
        self.facts.unknown_writes |= inner_facts.unknown_writes
        return FunctionFacts(inner_facts.reads, inner_facts.mutates, declared, inner_facts.calls)

    def _defined(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for expression in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if expression is not None:
                self.visit(expression)
        summary = self._function(node)
        if self.local is None:
            self.facts.binds.add(node.name)
            self.facts.functions[node.name] = summary
        else:  # a nested function: what it does happens when its enclosing one runs
            self.facts.reads |= summary.reads
            self.facts.mutates |= summary.mutates
            self.facts.calls |= summary.calls

    visit_FunctionDef = _defined
    visit_AsyncFunctionDef = _defined

    def visit_Lambda(self, node: ast.Lambda) -> None:
        summary = self._function(node)
        self.facts.reads |= summary.reads
        self.facts.calls |= summary.calls

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self.local is None:
            self.facts.binds.add(node.name)
        for expression in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit(expression)
        for statement in node.body:  # methods: what they read at call time counts now
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                summary = self._function(statement)
                self.facts.reads |= summary.reads
                self.facts.calls |= summary.calls
            else:
                self.visit(statement)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        names = {
            n.id
            for generator in node.generators
            for n in ast.walk(generator.target)
            if isinstance(n, ast.Name)
        }
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        self.hidden.append(names)
        for index, generator in enumerate(node.generators):
            if index:
                self.visit(generator.iter)
            for condition in generator.ifs:
                self.visit(condition)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))
        self.hidden.pop()

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        names = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        if self.local is None:
            self.facts.imports |= names - {"*"}
            self.facts.binds |= names - {"*"}
            if "*" in names:
                self.facts.keep = "a star import"

    visit_ImportFrom = visit_Import

    # -- calls --------------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        ipython = _is_ipython(node)
        if ipython is not None:
            self._ipython(ipython, node)
            return
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        self._files(name, node)
        if isinstance(func, ast.Name):
            if func.id in UNSURE_CALLS:
                self.facts.keep = self.facts.keep or f"calls {func.id}()"
            elif func.id in SETATTR and node.args:
                self._mutate(node.args[0])
            elif func.id not in BUILTINS and self._is_global(func.id):
                self.facts.calls.add(func.id)
                if not func.id[:1].isupper():  # a function may change what it is given; a class rarely
                    for argument in [*node.args, *(k.value for k in node.keywords)]:
                        self._mutate(argument)
        elif isinstance(func, ast.Attribute):
            root = _root(func.value)
            if root is not None and (root in self.imported or root in self.facts.imports):
                if SETTER.match(func.attr):
                    self.facts.keep = self.facts.keep or f"changes settings ({ast.unparse(func)})"
                elif func.attr in MUTATING_FUNCTIONS or (func.attr.endswith("_") and func.attr != "_"):
                    for argument in node.args:
                        self._mutate(argument)
            elif func.attr not in PURE_METHODS:
                self._mutate(func.value)
        self.generic_visit(node)

    def _files(self, name: str, node: ast.Call) -> None:
        method = isinstance(node.func, ast.Attribute)
        if name == "open":  # open(path, mode) or Path(path).open(mode)
            arguments = list(node.args[1:] if not method else node.args)
            mode = next(
                (k.value for k in node.keywords if k.arg == "mode"), arguments[0] if arguments else None
            )
            writes = mode is not None and (
                not isinstance(mode, ast.Constant) or bool(WRITE_MODE.search(str(mode.value)))
            )  # a mode that cannot be read may write
            paths = _constants(node.args[:1]) if not method else []
        elif name in WRITERS or name in READERS:
            writes = name in WRITERS
            paths = _constants([*node.args, *(k.value for k in node.keywords)])
        else:
            return
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(receiver, ast.Call):  # Path("data/x.csv").write_text(...)
            paths += _constants([*receiver.args, *(k.value for k in receiver.keywords)])
        paths = [p for p in paths if p and len(p) < 1024]
        if writes:
            self.facts.writes_files |= set(paths)
            self.facts.unknown_writes |= not paths
        else:
            self.facts.reads_files |= set(paths)
            self.facts.unknown_reads |= not paths

    def _ipython(self, method: str, node: ast.Call) -> None:
        args = _literal_args(node)
        facts = self.facts
        if method in ("system", "getoutput"):
            command = (args[0].split() or [""])[0] if args else ""
            if command not in READ_ONLY_SHELL:
                facts.keep = facts.keep or "a shell command"
            return
        if method not in ("run_line_magic", "run_cell_magic") or not args:
            facts.keep = facts.keep or f"get_ipython().{method}"
            return
        magic, line = args[0], args[1] if len(args) > 1 else ""
        if method == "run_line_magic":
            if magic in READ_ONLY_MAGICS or (magic == "env" and "=" not in line and len(line.split()) < 2):
                return
            if magic == "load_ext" and line.strip() == "jupyter_exp":
                return
            if magic in CODE_LINE_MAGICS:
                self._code(TIMEIT_OPTIONS.sub("", line) if magic != "time" else line)
                return
            facts.keep = facts.keep or f"%{magic}"
            return
        body = args[2] if len(args) > 2 else ""
        if magic in CODE_CELL_MAGICS:
            if magic == "capture" and line.split():
                facts.binds.add(line.split()[-1])
            self._code(body)
            if (
                magic == "track"
            ):  # --config objects and the --name template's values, unless the cell binds them
                named = re.findall(r"--config[=\s]+(\w+)", line) + re.findall(r"\{(\w+)", line)
                facts.reads |= set(named) - facts.kills
        elif magic == "writefile":
            path = line.replace("-a", "").strip()
            facts.writes_files.add(path)
            facts.unknown_writes |= not path
        elif magic not in OUTPUT_CELL_MAGICS:
            facts.keep = facts.keep or f"%%{magic}"

    def _code(self, source: str) -> None:
        tree = parse_python(source)
        if tree is None:
            self.facts.keep = self.facts.keep or "code that does not parse"
            return
        _scan_statements(tree.body, self.facts, self.imported)


UNCONDITIONAL = (
    ast.Assign,
    ast.AnnAssign,
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)


def _scan_statements(body: Sequence[ast.stmt], facts: CellFacts, imported: frozenset[str]) -> None:
    """Top-level statements in order: a name bound unconditionally before it is read is the cell's own."""
    own: set[str] = set()
    for statement in body:
        step = CellFacts(imports=set(facts.imports))
        _Scanner(step, imported).visit(statement)
        facts.reads |= step.reads - own
        facts.binds |= step.binds
        facts.mutates |= step.mutates - own
        facts.calls |= step.calls
        facts.functions.update(step.functions)
        facts.imports |= step.imports
        facts.reads_files |= step.reads_files
        facts.writes_files |= step.writes_files
        facts.unknown_reads |= step.unknown_reads
        facts.unknown_writes |= step.unknown_writes
        facts.output_history |= step.output_history
        facts.keep = facts.keep or step.keep
        if isinstance(statement, UNCONDITIONAL):
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                bound = {
                    n.id
                    for t in targets
                    if not isinstance(t, ast.Attribute | ast.Subscript)
                    for n in ast.walk(t)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                }
            else:
                bound = step.binds
            own |= bound
            facts.kills |= bound


@lru_cache(maxsize=2048)
def _parsed(source: str) -> ast.Module | None:
    return parse_python(source)


def cell_facts(source: str, imported: Iterable[str] = ()) -> CellFacts:
    """What ``source`` may do, given the names earlier cells bound by import (modules and their members)."""
    facts = CellFacts()
    tree = _parsed(source)
    if tree is None:
        facts.keep = "does not parse"
        return facts
    _scan_statements(tree.body, facts, frozenset(imported))
    return facts


def import_statements(source: str) -> str | None:
    """The top-level import statements of a cell (of a ``%%track`` cell's body), what a replay runs of a cell
    kept only for its imports; None when an import is nested (``try: import x``) or the cell is another
    cell magic: then the whole cell runs."""
    body = TRACK_LINE.sub("", source, count=1) if TRACK_LINE.match(source) else source
    if body.lstrip().startswith("%%"):
        return None
    tree = _parsed(body)
    if tree is None:
        return None
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    every = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    if not top or len(top) != len(every):
        return None
    return "\n".join(ast.unparse(node) for node in top) + "\n"


# -- the slice ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SliceCell:
    execution_count: int
    kept: bool
    why: str

    def document(self) -> dict[str, Any]:
        return {"execution_count": self.execution_count, "kept": self.kept, "why": self.why}


@dataclass(frozen=True)
class HistorySlice:
    """The tracked cell (``target``) and, for every earlier cell of the history, whether it is kept and why."""

    target: int
    cells: tuple[SliceCell, ...]

    @property
    def kept(self) -> list[int]:
        return [c.execution_count for c in self.cells if c.kept]

    def document(self) -> dict[str, Any]:
        """``slice.json``."""
        return {"format": FORMAT, "target": self.target, "cells": [c.document() for c in self.cells]}

    @classmethod
    def from_document(cls, document: Any) -> HistorySlice | None:
        """A recorded ``slice.json`` read as data; None for anything not of its shape."""
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return None
        target, cells = document.get("target"), document.get("cells")
        if not isinstance(target, int) or not isinstance(cells, list):
            return None
        found = []
        for cell in cells:
            if not isinstance(cell, dict):
                return None
            count, kept, why = cell.get("execution_count"), cell.get("kept"), cell.get("why")
            if not isinstance(count, int) or not isinstance(kept, bool) or not isinstance(why, str):
                return None
            found.append(SliceCell(count, kept, why[:300]))
        return cls(target, tuple(found))


def _names(names: Iterable[str], limit: int = 4) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


def _norm(path: str) -> str:
    return path.replace("\\", "/").lstrip("./") if not path.startswith("../") else path.replace("\\", "/")


def _same_file(written: str, read: str) -> bool:
    a, b = _norm(written), _norm(read)
    return a == b or a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1]


def generator_names(states: Mapping[str, Any] | None) -> set[str]:
    """Top-level names of the generators recorded in one entry's states (``notebook.OBJECTS_KEY``)."""
    found: set[str] = set()
    for item in (states or {}).get("objects", []) or []:
        try:
            path = item[0]
            if len(path) == 1 and path[0][0] == "name":
                found.add(str(path[0][1]))
        except (TypeError, IndexError, KeyError):
            continue
    return found


def slice_history(
    history: Sequence[Mapping[str, Any]],
    inputs: Iterable[str] = (),
    generators: Iterable[str] = (),
) -> HistorySlice:
    """The slice of ``history`` (``history.json``'s entries, the tracked cell last) the tracked cell needs.

    ``inputs``: the files the tracked cell read (``inputs.json`` paths); ``generators``: names of the
    generators whose states are put back before the tracked cell (a skipped cell drawing from one changes
    nothing the replay sees).
    """
    entries = list(history)
    if not entries:
        return HistorySlice(0, ())
    facts: list[CellFacts] = []
    imported: set[str] = set()
    functions: dict[str, FunctionFacts] = {}
    for entry in entries:  # forward: what each name is (a module, a function of the notebook) at each cell
        found = cell_facts(str(entry.get("source", "")), imported)
        functions.update(found.functions)
        _resolve_calls(found, functions, imported)
        imported = (imported - found.binds) | found.imports
        for name in found.binds - set(found.functions):
            functions.pop(name, None)
        facts.append(found)
    target_facts, target = facts[-1], int(entries[-1].get("execution_count", len(entries)))
    live = target_facts.reads | target_facts.mutates | _deferred(target_facts)
    read_files = {*inputs, *target_facts.reads_files}
    unknown_reads = target_facts.unknown_reads
    skip_mutations = set(generators)
    history_read = target_facts.output_history
    decided: list[SliceCell] = []
    for entry, cell in zip(reversed(entries[:-1]), reversed(facts[:-1]), strict=True):
        count = int(entry.get("execution_count", 0))
        if entry.get("success") is False:
            decided.append(SliceCell(count, False, "failed originally"))
            continue
        why = _why_kept(cell, live, skip_mutations, read_files, unknown_reads, history_read)
        if why is None:
            decided.append(SliceCell(count, False, _why_skipped(cell)))
            continue
        if why == IMPORTS_ONLY and import_statements(str(entry.get("source", ""))) is None:
            why = "imports"  # nested or in a cell magic: the whole cell runs
        decided.append(SliceCell(count, True, why))
        if why == IMPORTS_ONLY:  # only its imports run: what the rest of it reads is not needed
            continue
        live = (live - cell.kills) | cell.reads | _deferred(cell)
        read_files |= cell.reads_files
        unknown_reads |= cell.unknown_reads
        history_read |= cell.output_history
    return HistorySlice(target, tuple(reversed(decided)))


def _resolve_calls(cell: CellFacts, functions: Mapping[str, FunctionFacts], imported: set[str]) -> None:
    """A call of a function of the notebook does what its body does; calling anything else that is not a
    module's (``model(x)``) may change it."""
    seen: set[str] = set()
    pending = list(cell.calls)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        summary = functions.get(name)
        if summary is None:
            known = name in imported or name in cell.imports or name[:1].isupper()
            if not known and name in cell.calls:
                cell.mutates.add(name)
            continue
        cell.reads |= summary.reads
        cell.mutates |= summary.mutates
        cell.binds |= summary.binds
        pending.extend(summary.calls)


def _deferred(cell: CellFacts) -> set[str]:
    """What the functions a cell defines read when they run (they may be called by a kept cell)."""
    return set().union(*(f.reads for f in cell.functions.values())) if cell.functions else set()


def _why_kept(
    cell: CellFacts,
    live: set[str],
    generators: set[str],
    read_files: set[str],
    unknown_reads: bool,
    history_read: bool,
) -> str | None:
    if history_read:
        return "the slice reads the output history (_, Out, In)"
    if bound := cell.binds & live:
        return f"binds {_names(bound)}"
    if changed := (cell.mutates - generators) & live:
        return f"changes {_names(changed)}"
    if cell.writes_files:
        if matched := {w for w in cell.writes_files for r in read_files if _same_file(w, r)}:
            return f"writes {_names(matched, 2)}, which the slice reads"
        if unknown_reads:
            return "writes files, and the slice reads files it does not name"
    if cell.unknown_writes and (read_files or unknown_reads):
        return "writes files it does not name, and the slice reads files"
    if cell.keep:
        return cell.keep
    return IMPORTS_ONLY if cell.imports else None


def _why_skipped(cell: CellFacts) -> str:
    if cell.binds:
        return f"binds only {_names(cell.binds)}, which the slice does not read"
    if cell.mutates:
        return f"changes only {_names(cell.mutates)}, which the slice does not read"
    return "changes nothing the slice reads"
