"""Secrets kept out of the record: by name (``db_password``) and by value (URL credentials, tokens)."""

from __future__ import annotations

import re

MASK = "***"
SECRET_NAME = re.compile(r"password|passwd|token|secret|api_?key|credential", re.IGNORECASE)
# scheme://user:password@  or  scheme://userinfo@  (a lone userinfo is often a token itself)
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/?#@:]*)(?P<pw>:[^\s/?#@]*)?@"
)
# well-known token shapes: GitHub, OpenAI/Anthropic-style, AWS access key ids, Slack
_TOKEN = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{20,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|xox[bpas]-[A-Za-z0-9-]{10,})"
)


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


def _mask_userinfo(match: re.Match[str]) -> str:
    if match.group("pw") is not None:
        return f"{match.group('scheme')}{match.group('user')}:{MASK}@"
    return f"{match.group('scheme')}{MASK}@"


def redact_text(text: str) -> str:
    """``postgresql://user:pw@host/db`` -> ``postgresql://user:***@host/db``; token-shaped words -> ``***``."""
    if "@" in text:
        text = _URL_USERINFO.sub(_mask_userinfo, text)
    return _TOKEN.sub(MASK, text)
