"""One error hierarchy: everything jupyter-exp raises on purpose is a ``JupyterExpError``.

Each class says which HTTP status the REST API answers with (``http_status``), so the server maps errors
by what they mean instead of by Python's built-in types: a stray ``KeyError`` is a bug (500), not a 404.
A class answers what it means, and inherits from the class that means it: a missing run is a ``NotFound``,
a dead kernel is no ``BadRequest`` (500, like nbclient's ``DeadKernelError(RuntimeError)``), an unreachable
gateway or store an ``UpstreamFailure`` (502). A feature's own base class (``ReproduceError``) sits beside
these, so ``except ReproduceError`` still catches every reproduction error and ``except BadRequest`` only
the caller's mistakes. The magics turn the same errors into one-line ``UsageError`` messages.
"""

from __future__ import annotations


def one_line(error: BaseException) -> str:
    """An error's first line, at most 200 characters (its type's name when it says nothing)."""
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


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


class UpstreamFailure(JupyterExpError):
    """A service this one depends on (the tracking store, its artifact store, a kernel gateway) failed or
    could not be reached: not the caller's fault."""

    http_status = 502


class StoreFailure(UpstreamFailure):
    """The tracking store (or its artifact store) failed or cannot be used: not the caller's fault."""
