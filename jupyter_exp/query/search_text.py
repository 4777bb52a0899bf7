"""The filter box's language: what a person types, made into MLflow's filter syntax.

MLflow's own syntax still works (``metrics.`train/mse` < 0.3``, ``params.lr = '0.2'``); on top of it
``lr=0.2`` is a param (or a metric or tag of that name, whichever the runs have), a key with ``/`` gets its
backticks, a param or tag value its quotes, and words with no operator (``mlp-lr0.2``) match run names,
params and tags (MLflow has no OR, so they are matched here, over the runs MLflow returns). A filter that
cannot be read is one line saying how to write it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jupyter_exp.errors import BadRequest

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

EXAMPLE = (
    "e.g. lr=0.2, metrics.`train/mse` < 0.3, tags.note LIKE '%wide%', or words matching names, params, tags"
)
ENTITIES = {
    "metric": "metrics",
    "metrics": "metrics",
    "param": "params",
    "params": "params",
    "parameter": "params",
    "parameters": "params",
    "tag": "tags",
    "tags": "tags",
    "attribute": "attributes",
    "attributes": "attributes",
    "attr": "attributes",
    "run": "attributes",
    "dataset": "datasets",
    "datasets": "datasets",
}
ATTRIBUTES = {"artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id", "created"}
NUMERIC_ATTRIBUTES = {"start_time", "end_time", "created"}
ORDERING = {"<", "<=", ">", ">="}
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_CLAUSE = re.compile(
    r"^(?P<key>`[^`]+`|[^\s=!<>`'\"]+(?:\.`[^`]+`)?)\s*"
    r"(?P<op>!=|<=|>=|==|=|<|>|\s(?:not\s+in|in|ilike|like)(?=[\s('\"]))\s*(?P<value>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


class FilterError(BadRequest):
    """A filter that cannot be read; its message says how to write it."""


@dataclass
class Search:
    """The MLflow clauses of a filter and the words matched here over names, params and tags."""

    clauses: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def filter_string(self) -> str:
        return " and ".join(self.clauses)


def _split(text: str) -> list[str]:
    """Clauses joined by ``and``, outside quotes and backticks."""
    parts, start, quote = [], 0, ""
    for match in re.finditer(r"['\"`]|\s+and\s+", text, re.IGNORECASE):
        token = match.group()
        if token in "'\"`":
            quote = "" if quote == token else (quote or token)
        elif not quote:
            parts.append(text[start : match.start()])
            start = match.end()
    if quote:
        raise FilterError(f"filter: unclosed {quote} in {text!r}; {EXAMPLE}")
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _quoted_key(key: str) -> str:
    key = key.strip("`")
    return key if _PLAIN_KEY.match(key) else f"`{key}`"


def _quoted_value(value: str) -> str:
    if value[:1] in ("'", '"', "("):
        return value
    if "'" in value:
        raise FilterError(f"filter: quote the value {value!r} with double quotes; {EXAMPLE}")
    return f"'{value}'"


def _clause(entity: str, key: str, op: str, value: str) -> str:
    op = "=" if op == "==" else op.strip().upper() if op.strip().isalpha() or " " in op.strip() else op
    op = " ".join(op.split())
    if not value:
        raise FilterError(f"filter: {key} {op} what? {EXAMPLE}")
    if entity in ("params", "tags", "datasets") or (
        entity == "attributes" and key.strip("`") not in NUMERIC_ATTRIBUTES
    ):
        value = _quoted_value(value)
        if op in ORDERING:
            raise FilterError(
                f"filter: {entity}.{key.strip('`')} is text, {op} compares numbers (metrics, start_time); "
                f"{EXAMPLE}"
            )
    elif not _NUMBER.match(value) and not value.startswith("("):
        raise FilterError(f"filter: {entity}.{key.strip('`')} {op} needs a number, not {value!r}; {EXAMPLE}")
    return f"{entity}.{_quoted_key(key)} {op} {value}"


def translate(text: str, kind_of: Callable[[str, str], str]) -> Search:
    """``text`` as MLflow clauses and free words. ``kind_of(key, op)`` says whether a bare key names
    ``params``, ``metrics`` or ``tags`` of the runs searched."""
    search = Search()
    for part in _split(text.strip()):
        match = _CLAUSE.match(part)
        if match is None:
            if any(c in part for c in "=<>'\"`"):
                raise FilterError(f"filter: cannot read {part!r}; {EXAMPLE}")
            search.words.extend(word.lower() for word in part.split())
            continue
        key, op, value = match.group("key"), match.group("op"), match.group("value").strip()
        head, dot, rest = key.partition(".")
        if dot and head.lower() in ENTITIES and rest:
            entity, key = ENTITIES[head.lower()], rest
        elif key.strip("`") in ATTRIBUTES:
            entity = "attributes"
        else:
            entity = kind_of(key.strip("`"), op.strip())
        search.clauses.append(_clause(entity, key, op, value))
    return search


def key_kinds(
    exists: Callable[[str], bool],
) -> Callable[[str, str], str]:
    """``kind_of`` over a store: a bare key is a param when some run has that param (an ordering such as
    ``<`` is only for metrics), else a metric, else a tag; none: a param (which matches nothing)."""
    cache: dict[tuple[str, bool], str] = {}

    def kind_of(key: str, op: str) -> str:
        numeric = op in ORDERING
        if (key, numeric) not in cache:
            order = ("metrics",) if numeric else ("params", "metrics", "tags")
            cache[key, numeric] = next(
                (kind for kind in order if exists(_probe(kind, key))), "metrics" if numeric else "params"
            )
        return cache[key, numeric]

    return kind_of


def _probe(kind: str, key: str) -> str:
    """A filter any run with ``key`` of ``kind`` passes."""
    quoted = _quoted_key(key)
    return f"metrics.{quoted} >= -1e308" if kind == "metrics" else f"{kind}.{quoted} LIKE '%'"


def matches(name: str, params: Mapping[str, str], tags: Mapping[str, str], words: Iterable[str]) -> bool:
    """Whether every word is in the run name, a param (``key=value``) or a tag value, ignoring case."""
    haystack = "\n".join(
        [name, *(f"{k}={v}" for k, v in params.items()), *(f"{k}={v}" for k, v in tags.items())]
    ).lower()
    return all(word in haystack for word in words)


def refused(message: str) -> FilterError:
    """The store's refusal of a filter, with how to write one."""
    first = message.strip().splitlines()[0] if message.strip() else "not understood"
    return FilterError(f"filter: {first}; {EXAMPLE}")


MAX_SCAN = 10_000  # runs read for one page of free-word matches; the next page goes on from there
SCAN_PAGE = 500  # runs read a request while matching free words


def typed_search(client: MlflowClient, ids: list[str], text: str) -> Search:
    """The filter box's text as MLflow clauses and free words, bare keys looked up in the runs of ``ids``."""
    from mlflow.exceptions import MlflowException

    def exists(probe: str) -> bool:
        if not ids:
            return False
        try:
            return bool(client.search_runs(ids, probe, max_results=1))
        except MlflowException:
            return False

    return translate(text, key_kinds(exists)) if text.strip() else Search()


def search_page(
    client: MlflowClient,
    ids: list[str],
    base: str,
    text: str,
    view: int,
    max_results: int,
    order_by: list[str],
    page_token: str | None,
) -> tuple[list[Run], str | None]:
    """One page of the runs of ``ids`` passing ``base`` (MLflow syntax) and the typed ``text``, and the
    next page's token. Free words are matched here over pages of ``SCAN_PAGE`` runs read in order (at most
    ``MAX_SCAN`` a call); the token then resumes right after the last run looked at (MLflow's page tokens
    are offsets into the ordered result)."""
    from mlflow.utils.search_utils import SearchUtils

    search = typed_search(client, ids, text)
    filter_text = " and ".join(c for c in (base, search.filter_string) if c)
    if not search.words:
        page = client.search_runs(
            ids, filter_text, view, max_results=max_results, order_by=order_by, page_token=page_token
        )
        token = page.token.decode() if isinstance(page.token, bytes) else page.token
        return list(page), token or None
    start = SearchUtils.parse_start_offset_from_page_token(page_token)
    found: list[Run] = []
    scanned = 0
    while scanned < MAX_SCAN:
        page = client.search_runs(
            ids,
            filter_text,
            view,
            max_results=SCAN_PAGE,
            order_by=order_by,
            page_token=SearchUtils.create_page_token(start + scanned).decode() if start + scanned else None,
        )
        for index, run in enumerate(page):
            if run_matches(run, search.words):
                found.append(run)
                if len(found) == max_results:
                    last = index + 1 == len(page) and not page.token
                    resume = start + scanned + index + 1
                    return found, None if last else SearchUtils.create_page_token(resume).decode()
        scanned += len(page)
        if not page.token:
            return found, None
    return found, SearchUtils.create_page_token(start + scanned).decode()


def run_matches(run: Run, words: list[str]) -> bool:
    data = run.data
    return matches(run.info.run_name or "", data.params, data.tags, words) if words else True
