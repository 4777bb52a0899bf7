"""One error hierarchy, mapped to HTTP statuses by meaning, not by Python's built-in types."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST

from jupyter_exp.errors import JupyterExpError
from jupyter_exp.query.listing import QueryError
from jupyter_exp.reproduce.errors import KernelSpecMissing, RecordNotFound, ReproduceError
from jupyter_exp.reproduce.provenance import ForeignRecord
from jupyter_exp.server.handlers import _http_error
from jupyter_exp.server.jobs import JobConflict, JobNotFound, JobRequestError
from jupyter_exp.track.prepared import TrackingError
from jupyter_exp.tracking.store import StoreError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TrackingError("x"), 400),
        (QueryError("x"), 400),
        (JobRequestError("x"), 400),
        (ReproduceError("x"), 400),
        (KernelSpecMissing("x"), 400),
        (RecordNotFound("x"), 404),
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
