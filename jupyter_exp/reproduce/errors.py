"""Typed errors of a reproduction, each with a one-line message (nbclient style).

``ReproduceError`` is the feature's base: ``except ReproduceError`` catches any of them (the magics show
each as a one-line ``UsageError``, a job ends "failed" with its message). Each subclass also inherits from
the root class that says what it means (jupyter_exp.errors), and answers that class's HTTP status.
"""

from __future__ import annotations

from jupyter_exp.errors import BadRequest, JupyterExpError, NotFound, StoreFailure


class ReproduceError(JupyterExpError):
    """Base class: a reproduction could not be planned or run (500 unless a subclass says what it means)."""


class InvalidReproduction(ReproduceError, BadRequest):
    """The reproduction cannot be carried out as asked: its options, or the kernel it was given."""


class RecordNotFound(ReproduceError, NotFound):
    """No run with that id in the store."""


class RecordIncomplete(ReproduceError, BadRequest):
    """The run exists but lacks what a replay needs (e.g. recorded by plain MLflow), or it is corrupt."""


class LegacyRecord(RecordIncomplete):
    """The run keeps generator states in the old pickle format, which is never loaded."""


class KernelSpecMissing(ReproduceError, BadRequest):
    """The requested kernelspec is not installed."""


class OverrideError(ReproduceError, BadRequest):
    """A ``--set`` names something the record cannot override."""


class CheckoutError(ReproduceError, BadRequest):
    """The recorded commit or diff cannot be checked out."""


class ReproduceStoreFailure(ReproduceError, StoreFailure):
    """The store the record lives in (or its artifact store) could not be used."""


class KernelDied(ReproduceError):
    """The replay kernel died while running a cell (or did not start): no fault of the request, 500."""
