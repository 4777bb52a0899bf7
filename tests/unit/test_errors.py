"""One error hierarchy, mapped to HTTP statuses by meaning, not by Python's built-in types."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST

from jupyter_exp.errors import BadRequest, Conflict, JupyterExpError, NotFound, StoreFailure, UpstreamFailure
from jupyter_exp.kernels.gateway import GatewayUnavailable
from jupyter_exp.query.listing import QueryError
from jupyter_exp.reproduce.errors import (
    CheckoutError,
    InvalidReproduction,
    KernelDied,
    KernelSpecMissing,
    LegacyRecord,
    OverrideError,
    RecordIncomplete,
    RecordNotFound,
    ReproduceError,
    ReproduceStoreFailure,
)
from jupyter_exp.reproduce.provenance import ForeignRecord
from jupyter_exp.server.handlers import _http_error
from jupyter_exp.server.jobs import JobConflict, JobNotFound, JobRequestError
from jupyter_exp.server.snapshot import SnapshotCorrupt
from jupyter_exp.track.prepared import TrackingError
from jupyter_exp.tracking.store import StoreError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TrackingError("x"), 400),
        (QueryError("x"), 400),
        (JobRequestError("x"), 400),
        (InvalidReproduction("x"), 400),
        (KernelSpecMissing("x"), 400),
        (RecordIncomplete("x"), 400),
        (LegacyRecord("x"), 400),
        (OverrideError("x"), 400),
        (CheckoutError("x"), 400),
        (RecordNotFound("x"), 404),
        (KernelDied("x"), 500),
        (GatewayUnavailable("x"), 502),
        (ReproduceStoreFailure("x"), 502),
        (JobNotFound("x"), 404),
        (JobConflict("x"), 409),
        (ForeignRecord("x"), 409),
        (StoreError("x"), 502),
        (MlflowException("bad filter", error_code=INVALID_PARAMETER_VALUE), 400),
        (MlflowException("gone", error_code=RESOURCE_DOES_NOT_EXIST), 404),
        (MlflowException("database is locked"), 502),
        (KeyError("a bug, not a missing resource"), 500),
        (ValueError("a bug, not bad input"), 500),
    ],
)
def test_errors_answer_with_their_own_status(error, status):
    assert _http_error(error).status_code == status
    if status != 500:
        assert isinstance(error, JupyterExpError | MlflowException)


def test_the_message_is_one_line_and_store_failures_say_so():
    answer = _http_error(StoreError("Cannot use the MLflow store x: disk I/O error\ntraceback..."))
    assert answer.log_message == "the tracking store failed: Cannot use the MLflow store x: disk I/O error"


@pytest.mark.parametrize(
    ("error", "meaning", "not_meaning"),
    [
        (RecordNotFound("x"), NotFound, BadRequest),
        (KernelDied("x"), JupyterExpError, BadRequest),
        (GatewayUnavailable("x"), UpstreamFailure, BadRequest),
        (ReproduceStoreFailure("x"), StoreFailure, BadRequest),
        (SnapshotCorrupt("x"), UpstreamFailure, StoreFailure),
        (ForeignRecord("x"), Conflict, BadRequest),
        (KernelSpecMissing("x"), BadRequest, UpstreamFailure),
        (InvalidReproduction("x"), BadRequest, NotFound),
    ],
)
def test_each_class_inherits_from_what_it_means(error, meaning, not_meaning):
    """``except BadRequest`` catches the caller's mistakes only, never a dead kernel or a gateway away;
    ``except ReproduceError`` still catches every reproduction error (the magics' one-line UsageError)."""
    assert isinstance(error, meaning)
    assert not isinstance(error, not_meaning)
    assert isinstance(error, ReproduceError) or not isinstance(error, BadRequest)
    assert _http_error(error).status_code == type(error).http_status


def test_a_gateway_away_is_not_called_a_store_failure():
    answer = _http_error(GatewayUnavailable("Enterprise Gateway at http://eg:8888: connection refused"))
    assert answer.status_code == 502
    assert answer.log_message == "Enterprise Gateway at http://eg:8888: connection refused"


def test_a_bare_reproduce_error_is_no_user_mistake():
    assert not isinstance(ReproduceError("x"), BadRequest)
    assert _http_error(ReproduceError("x")).status_code == 500
