"""``jupyter_exp.log`` is the tracked cell's own writer's ``log`` while the cell runs (one call at the caller),
the forwarding function otherwise: in a sweep's trial (its steps also go to Optuna) and between cells."""

from __future__ import annotations

import warnings

import pytest

import jupyter_exp
from jupyter_exp.track import active as _active
from jupyter_exp.tracking.metrics import MetricWriter


@pytest.fixture
def writer():
    made = MetricWriter(None, flush_interval_s=3600)  # nothing taken meanwhile: the buffer shows each point
    yield made
    _active.use_writer(None)
    _active.on_log = None
    made.close()


def test_a_tracked_cell_logs_through_its_writer_in_one_call(writer):
    forwarding = jupyter_exp.log
    _active.use_writer(writer)
    assert jupyter_exp.log is writer.log
    jupyter_exp.log(step=3, loss=0.5)
    jupyter_exp.log(loss=0.25)  # the automatic step
    assert len(writer._columns.packed) == 2 * 32
    _active.use_writer(None)
    assert jupyter_exp.log is forwarding
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        jupyter_exp.log(loss=1.0)  # outside a tracked cell: nothing recorded, nothing raised
    assert len(writer._columns.packed) == 2 * 32


def test_a_sweep_trial_keeps_the_forwarding_log_and_its_hook(writer):
    reported = []
    _active.on_log = lambda step, metrics: reported.append((step, dict(metrics)))
    _active.use_writer(writer)
    assert jupyter_exp.log is not writer.log
    jupyter_exp.log(step=1, score=0.5)
    assert reported == [(1, {"score": 0.5})]
    assert len(writer._columns.packed) == 32
