"""Typed errors of a reproduction, each with a one-line message (nbclient style)."""

from __future__ import annotations

from jupyter_exp.errors import BadRequest


class ReproduceError(BadRequest):
    """Base class: a reproduction could not be planned or run."""


class RecordNotFound(ReproduceError):
    """No run with that id in the store."""

    http_status = 404


class RecordIncomplete(ReproduceError):
    """The run exists but lacks what a replay needs (e.g. recorded by plain MLflow), or it is corrupt."""


class LegacyRecord(RecordIncomplete):
    """The run keeps generator states in the old pickle format, which is never loaded."""


class KernelSpecMissing(ReproduceError):
    """The requested kernelspec is not installed."""


class OverrideError(ReproduceError):
    """A ``--set`` names something the record cannot override."""


class CheckoutError(ReproduceError):
    """The recorded commit or diff cannot be checked out."""


class KernelDied(ReproduceError):
    """The replay kernel died while running a cell."""

    http_status = 500
