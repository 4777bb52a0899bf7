"""One error hierarchy: everything jupyter-exp raises on purpose is a ``JupyterExpError``.

Each class says which HTTP status the REST API answers with (``http_status``), so the server maps errors
by what they mean instead of by Python's built-in types: a stray ``KeyError`` is a bug (500), not a 404.
The magics turn the same errors into one-line ``UsageError`` messages.
"""

from __future__ import annotations


class JupyterExpError(Exception):
    """Base class; ``http_status`` is the REST API's answer to it."""

    http_status = 500


class BadRequest(JupyterExpError):
    """The caller asked for something malformed (a user mistake)."""

    http_status = 400


class NotFound(JupyterExpError):
    """What was asked for does not exist."""

    http_status = 404


class Conflict(JupyterExpError):
    """The request is valid but the state does not allow it (now, or without a confirmation)."""

    http_status = 409


class StoreFailure(JupyterExpError):
    """The tracking store failed or cannot be used: not the caller's fault."""

    http_status = 502
