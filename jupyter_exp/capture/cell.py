"""The configuration of a cell: literal assignments, namespace values it reads, config objects.

Every value carries where it came from (``cell``, ``namespace``, ``object``, ``--param``) so that
``config.json`` can say so and a reproduction can override the right thing.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_exp.capture.secrets import MASK, Redactor, is_secret_value, secret_values

CONVENTIONAL_CONFIG_NAMES = ("config", "cfg", "params", "hparams", "args")
SCALARS = (bool, int, float, str, type(None))
MAX_COLLECTION_ITEMS = 64


@dataclasses.dataclass
class ConfigValue:
    value: Any
    source: str


def cell_sha256(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_python(source: str) -> ast.Module | None:
    """Parse cell code that may contain IPython syntax (magics, ``!cmd``); None if it does not parse."""
    try:
        return ast.parse(_python_source(source))
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=16)
def _python_source(source: str) -> str:
    """``source`` as Python: IPython's transform, remembered, since a tracked cell's record parses its
    body a dozen times (a quarter of a second each for a 4,000-line cell); each caller gets a tree of its
    own."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return str(TransformerManager().transform_cell(source))
    except Exception:  # IPython missing or a transformer failed: try the raw text
        return source


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def literal_assignments(tree: ast.Module | None) -> dict[str, Any]:
    """Top-level ``name = <literal>`` (also annotated and tuple-unpacked) assignments, last one wins."""
    found: dict[str, Any] = {}
    if tree is None:
        return found
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:  # any other rebinding (``x *= 2``, ``for x in``, ``import x``) hides an earlier literal
            for name in names_bound(ast.Module(body=[stmt], type_ignores=[])):
                found.pop(name, None)
            continue
        ok, literal = _literal(value)
        if not ok:
            for target in targets:  # a non-literal rebinding hides an earlier literal
                for name in _target_names(target):
                    found.pop(name, None)
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = literal
            elif isinstance(target, ast.Tuple | ast.List) and isinstance(literal, tuple | list):
                if len(target.elts) == len(literal):
                    for element, item in zip(target.elts, literal, strict=True):
                        if isinstance(element, ast.Name):
                            found[element.id] = item
    return found


def _target_names(target: ast.AST) -> Iterable[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


def names_read(tree: ast.Module | None) -> list[str]:
    """Names whose first appearance in the cell (in source order) reads them: values from before the cell.

    A name the cell assigns before using (``for epoch in ...``, ``acc = train()``) is its own output,
    not configuration, even when an earlier run left a value for it in the namespace.
    """
    if tree is None:
        return []
    first: dict[str, tuple[int, int, bool]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            name, is_load = node.id, isinstance(node.ctx, ast.Load)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name, is_load = node.name, False
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound = (alias.asname or alias.name).split(".")[0]
                position = (node.lineno, node.col_offset, False)
                if bound not in first or position < first[bound]:
                    first[bound] = position
            continue
        else:
            continue
        position = (node.lineno, node.col_offset, is_load)
        if name not in first or position[:2] < first[name][:2]:
            first[name] = position
    ordered = sorted(first.items(), key=lambda item: item[1][:2])
    return [name for name, (_, _, is_load) in ordered if is_load]


def names_bound(tree: ast.Module | None) -> set[str]:
    """Names the cell assigns at any level (assignments, for targets, imports, defs)."""
    bound: set[str] = set()
    if tree is None:
        return bound
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
    return bound


def is_plain_value(value: Any, depth: int = 0) -> bool:
    """Scalars and small literal collections of them: what counts as configuration."""
    if isinstance(value, SCALARS):
        return True
    if depth > 2:
        return False
    if isinstance(value, list | tuple | set | frozenset):
        return len(value) <= MAX_COLLECTION_ITEMS and all(is_plain_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return len(value) <= MAX_COLLECTION_ITEMS and all(
            isinstance(k, str | int) and is_plain_value(v, depth + 1) for k, v in value.items()
        )
    return False


def namespace_reads(
    tree: ast.Module | None, namespace: Mapping[str, Any], skip: Iterable[str] = ()
) -> dict[str, Any]:
    """Plain values the cell reads from the namespace (defined by earlier cells)."""
    skipped = set(skip)
    found: dict[str, Any] = {}
    for name in names_read(tree):
        if name in skipped or name.startswith("_") or name not in namespace:
            continue
        if name in ("In", "Out", "exit", "quit", "get_ipython"):
            continue
        value = namespace[name]
        if is_plain_value(value):
            found[name] = value
    return found


def object_to_mapping(obj: Any) -> dict[str, Any] | None:
    """A config object as a plain dict: dict, dataclass, argparse Namespace, pydantic, OmegaConf."""
    if isinstance(obj, Mapping) and not _is_omegaconf(obj):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, argparse.Namespace):
        return dict(vars(obj))
    if _is_omegaconf(obj):
        from omegaconf import OmegaConf

        container = OmegaConf.to_container(obj, resolve=True)
        return container if isinstance(container, dict) else {"value": container}
    model_dump = getattr(obj, "model_dump", None)  # pydantic v2
    if callable(model_dump) and not isinstance(obj, type):
        return dict(model_dump())
    legacy_dict = getattr(obj, "dict", None)  # pydantic v1
    if callable(legacy_dict) and hasattr(obj, "__fields__") and not isinstance(obj, type):
        return dict(legacy_dict())
    return None


def _is_omegaconf(obj: Any) -> bool:
    return type(obj).__module__.startswith("omegaconf")


def to_plain(value: Any) -> Any:
    """Nested config objects become dicts; anything else unknown becomes its repr."""
    mapping = object_to_mapping(value)
    if mapping is not None:
        return {str(k): to_plain(v) for k, v in mapping.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_plain(v) for v in value), key=repr)
    if isinstance(value, SCALARS):
        return value
    return repr(value)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"optimizer": {"lr": 1}}`` -> ``{"optimizer.lr": 1}``; lists stay values."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def mask_secrets(value: Any, name: str = "", redactor: Redactor | None = None) -> Any:
    """Replace every value whose (dotted) name looks secret, and secrets inside strings (credentials,
    token shapes, secret environment values), at any depth."""
    redactor = redactor or Redactor.from_environment()
    if name and is_secret_value(name.rsplit(".", 1)[-1], value):
        return MASK
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, dict):
        return {k: mask_secrets(v, str(k), redactor) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_secrets(item, "", redactor) for item in value)
    return value


def config_redactor(config: Mapping[str, ConfigValue]) -> Redactor:
    """Masks the secret environment values and the strings the config holds under secret names."""
    return Redactor.from_environment(secret_values({name: entry.value for name, entry in config.items()}))


def capture_config(
    source: str,
    namespace: Mapping[str, Any],
    config_names: Iterable[str] = (),
    extra_params: Mapping[str, Any] | None = None,
) -> dict[str, ConfigValue]:
    """The whole configuration of a cell before it runs, keyed by top-level name."""
    tree = parse_python(source)
    config: dict[str, ConfigValue] = {}
    objects = list(config_names) + [n for n in CONVENTIONAL_CONFIG_NAMES if n not in config_names]
    for name in objects:
        if name in namespace:
            mapping = object_to_mapping(namespace[name])
            if mapping is not None:
                config[name] = ConfigValue(to_plain(mapping), "object")
    cell_literals = literal_assignments(tree)
    for name, value in namespace_reads(tree, namespace, skip=[*cell_literals, *config]).items():
        config[name] = ConfigValue(to_plain(value), "namespace")
    for name, value in cell_literals.items():
        config[name] = ConfigValue(to_plain(value), "cell")
    for name, value in (extra_params or {}).items():
        config[name] = ConfigValue(to_plain(value), "--param")
    return config


def config_objects_bound_by_cell(
    source: str, namespace: Mapping[str, Any], before: Mapping[str, ConfigValue], config_names: Iterable[str]
) -> dict[str, ConfigValue]:
    """Config objects (``cfg = Config(...)``) the cell itself created, read after it ran."""
    bound = names_bound(parse_python(source))
    found: dict[str, ConfigValue] = {}
    for name in [*config_names, *CONVENTIONAL_CONFIG_NAMES]:
        if name in bound and name in namespace and before.get(name, ConfigValue(None, "")).source != "cell":
            mapping = object_to_mapping(namespace[name])
            if mapping is not None:
                found[name] = ConfigValue(to_plain(mapping), "object")
    return found


def config_to_params(config: Mapping[str, ConfigValue]) -> dict[str, str]:
    """Flattened, masked, stringified params as MLflow stores them."""
    redactor = config_redactor(config)
    params: dict[str, str] = {}
    for name, entry in config.items():
        masked = mask_secrets({name: entry.value}, "", redactor)
        for key, value in flatten(masked).items():
            params[key] = str(value)
    return params


def cap_params(params: dict[str, str], limit: int, keep: Iterable[str] = ()) -> tuple[dict[str, str], str]:
    """At most ``limit`` params: ``keep`` (``seed``, ``--param`` ones) first, then the rest in capture order;
    what was cut, in one line (empty when nothing was)."""
    if len(params) <= limit:
        return params, ""
    kept = {k: params[k] for k in keep if k in params}
    for key, value in params.items():
        if len(kept) >= limit:
            break
        kept.setdefault(key, value)
    cut = [k for k in params if k not in kept]
    shown = ", ".join(cut[:5]) + (", ..." if len(cut) > 5 else "")
    note = (
        f"params: {len(params)} captured, {len(kept)} logged (JupyterExp.max_params = {limit}); "
        f"{len(cut)} cut ({shown}), every value is in config.json"
    )
    return kept, note


def config_document(config: Mapping[str, ConfigValue]) -> dict[str, Any]:
    """``config.json``: the whole masked config, unflattened, with each value's source."""
    redactor = config_redactor(config)
    return {
        name: {"value": mask_secrets({name: entry.value}, "", redactor)[name], "source": entry.source}
        for name, entry in config.items()
    }


_NAME = re.compile(r"[A-Za-z_][\w.]*")


def split_key_value(text: str, what: str) -> tuple[str, str]:
    """``key=value`` -> (key, value as written), split at the first ``=``; the key stripped, never empty
    (a tag filter's shape). ``ValueError`` saying ``what`` otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{what} must look like key=value, got {text!r}")
    return key.strip(), value


def parse_key_value(text: str, what: str) -> tuple[str, Any]:
    """``lr=3e-4`` -> ("lr", 0.0003): the key a name (letters, digits, ``_``, ``.``), the value as a Python
    literal when it is one, else a string."""
    key, raw = split_key_value(text, what)
    if not _NAME.fullmatch(text.partition("=")[0]):
        raise ValueError(f"{what} must look like key=value, got {text!r}")
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return key, raw


def key_values(texts: Iterable[str], what: str, literal: bool = False) -> dict[str, Any]:
    """Every ``key=value`` of ``texts`` (a repeated option, query argument or form field), the last one of a
    key winning: values as written, or with ``literal`` as ``parse_key_value`` reads them. ``ValueError``
    naming ``what`` on the first that is not one."""
    parse = parse_key_value if literal else split_key_value
    return dict(parse(text, what) for text in texts)
