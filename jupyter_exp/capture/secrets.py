"""Secrets kept out of the record: by name (``db_password``) and by value (URL credentials, token shapes,
the values of secret-named environment variables, and values captured under secret names)."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_exp.capture.namespace_keys import NewKeys

MASK = "***"
SECRET_NAME = re.compile(r"password|passwd|token|secret|api_?key|credential|private_?key", re.IGNORECASE)
# ``wandb_key``, ``OPENAI_KEY``, ``key``, ``hubKey``: secret when they hold a string
_KEY_NAME = re.compile(r"(?:^|[_.-])key$", re.IGNORECASE)
_CAMEL_KEY = re.compile(r"[a-z0-9](?:Key|Token)$")
_STRONG_NAME = re.compile(r"password|passwd|secret|credential", re.IGNORECASE)
_STRONG_END = re.compile(r"(?:^|[_.-]|api|access|auth|private)(?:token|key)$", re.IGNORECASE)
MIN_SECRET_LENGTH = 8  # shorter environment values (``1``, ``true``, ``us-east``) are not masked everywhere
# scheme://user:password@  or  scheme://userinfo@  (a lone userinfo is often a token itself)
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/?#@:]*)(?P<pw>:[^\s/?#@]*)?@"
)
# well-known token shapes: GitHub, OpenAI/Anthropic-style, AWS access key ids, Slack, Hugging Face,
# GitLab, Google API keys, npm, PyPI, Stripe, Databricks, JSON web tokens, PEM private keys
_TOKEN = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{20,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-[A-Za-z0-9-]{10,}|hf_[A-Za-z0-9]{30,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_-]{50,}"
    r"|[rs]k_(?:live|test)_[A-Za-z0-9]{20,}|dapi[0-9a-f]{32}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)


# name = "value", "name": "value", name="value" (the value a plain string literal, on one line)
_ASSIGNED = re.compile(
    r"(?P<name>[A-Za-z_][\w-]*)['\"]?\s*[:=]\s*[rRuU]?(?P<quote>['\"])"
    rf"(?P<value>[^'\"\n\\]{{{MIN_SECRET_LENGTH},}})(?P=quote)"
)


def is_secret_name(name: str) -> bool:
    """A name whose value is masked whatever it holds (``db_password``, ``api_token``)."""
    return bool(SECRET_NAME.search(name))


def is_secret_key_name(name: str) -> bool:
    """A ``*_key`` name (``wandb_key``, ``hubKey``): masked when it holds a string."""
    return bool(_KEY_NAME.search(name) or _CAMEL_KEY.search(name))


def is_secret_value(name: str, value: Any) -> bool:
    """Is ``value``, held under ``name`` (its last dotted part), a secret by its name?"""
    return is_secret_name(name) or (isinstance(value, str) and is_secret_key_name(name))


def holds_a_secret(name: str) -> bool:
    """A name whose string value is masked wherever it appears in the record (``HF_TOKEN``,
    ``AWS_SECRET_ACCESS_KEY``, ``wandb_key``, ``db_password``; not ``tokenizer`` or ``max_tokens``)."""
    return bool(_STRONG_NAME.search(name) or _STRONG_END.search(name) or _CAMEL_KEY.search(name))


def secret_environment_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of secret-named environment variables (``HF_TOKEN``, ``AWS_SECRET_ACCESS_KEY``)."""
    environ = os.environ if environ is None else environ
    return [
        value for name, value in environ.items() if len(value) >= MIN_SECRET_LENGTH and holds_a_secret(name)
    ]


def secret_values(value: Any, name: str = "") -> list[str]:
    """Strings held under secret names at any depth of a config value (to be masked wherever they appear)."""
    last = name.rsplit(".", 1)[-1]
    if isinstance(value, str):
        return [value] if name and holds_a_secret(last) and len(value) >= MIN_SECRET_LENGTH else []
    if isinstance(value, Mapping):
        found = secret_values(list(value.values()), "secret") if name and is_secret_name(last) else []
        for key, item in value.items():
            found += secret_values(item, str(key))
        return found
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in secret_values(item, name)]
    return []


def secret_values_in(namespace: Mapping[str, Any]) -> list[str]:
    """The strings bound to secret names in a namespace (``hf_token = os.environ[...]``)."""
    return [
        value
        for name, value in list(namespace.items())
        if isinstance(value, str)
        and isinstance(name, str)
        and len(value) >= MIN_SECRET_LENGTH
        and not name.startswith("_")
        and holds_a_secret(name)
    ]


class NamespaceSecrets:
    """``secret_values_in`` that looks only at the names bound since its last look (``NewKeys``): the
    namespace grows by every executed cell, and a tracked cell's cost must not. Whether a name holds a
    secret depends on the name only, so the values are read from the names found."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._since = NewKeys()

    def values(self, namespace: dict[str, Any]) -> list[str]:
        new = self._since.since_last_look(namespace)
        if new is None:  # deletions: every name again
            new, self._names = list(namespace), set()
        self._names.update(
            name
            for name in new
            if isinstance(name, str) and not name.startswith("_") and holds_a_secret(name)
        )
        found = ((name, namespace.get(name)) for name in sorted(self._names))
        return [value for _, value in found if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH]


def assigned_secrets(source: str) -> list[str]:
    """String literals a source assigns to secret names: ``api_key = "..."``, ``{"wandb_key": "..."}``,
    ``login(token="...")``."""
    return list(_assigned_in(source))


@functools.lru_cache(maxsize=16_384)
def _assigned_in(source: str) -> tuple[str, ...]:
    """Remembered per source: every tracked cell reads the whole history's sources again."""
    if "=" not in source and ":" not in source:
        return ()
    return tuple(m.group("value") for m in _ASSIGNED.finditer(source) if holds_a_secret(m.group("name")))


def _mask_userinfo(match: re.Match[str]) -> str:
    if match.group("pw") is not None:
        return f"{match.group('scheme')}{match.group('user')}:{MASK}@"
    return f"{match.group('scheme')}{MASK}@"


class Redactor:
    """Masks known secret values, token shapes and URL credentials in text and in JSON-like documents."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values = frozenset(v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)
        ordered = sorted(self.values, key=len, reverse=True)  # the longest first: no partial masks
        self._values = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @classmethod
    def from_environment(
        cls, extra: Iterable[str] = (), environ: Mapping[str, str] | None = None
    ) -> Redactor:
        """The secret-named environment variables' values as they are now, and ``extra`` values."""
        return cls([*secret_environment_values(environ), *extra])

    def with_values(self, values: Iterable[str]) -> Redactor:
        return Redactor([*self.values, *values])

    def text(self, text: str) -> str:
        """``postgresql://user:pw@host/db`` -> ``postgresql://user:***@host/db``; secrets -> ``***``."""
        if self._values is not None:
            text = self._values.sub(MASK, text)
        if "@" in text:
            text = _URL_USERINFO.sub(_mask_userinfo, text)
        return _TOKEN.sub(MASK, text)

    def document(self, value: Any) -> Any:
        """Every string (keys included) of a JSON-like document, masked; anything else that is not a
        number becomes its masked ``str`` (as ``json.dumps(default=str)`` would write it)."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, dict):
            return {self.text(str(k)): self.document(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.document(item) for item in value]
        return self.text(value if isinstance(value, str) else str(value))


def redact_text(text: str, redactor: Redactor | None = None) -> str:
    """``text`` masked by ``redactor``, else by the secrets of the environment as it is now."""
    return (redactor or Redactor.from_environment()).text(text)
