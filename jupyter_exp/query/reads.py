"""Reads of a tracking server side by side.

A comparison's runs, metric histories and cells are independent requests; an ``mlflow server`` answers
several at once (its workers, its database's connections), so on an ``http(s)://`` store they are sent
together, at most ``MAX_IN_FLIGHT`` at a time. A local store (SQLite, a folder) is read in turn: its
reads are this process's own CPU, which threads would only contend for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from jupyter_exp.tracking.probe import is_remote

if TYPE_CHECKING:
    from mlflow import MlflowClient

MAX_IN_FLIGHT = 8

T = TypeVar("T")
R = TypeVar("R")


def read_all(client: MlflowClient, read: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[read(item) for item in items]``, in that order; side by side on a tracking server. The first
    error raised is raised here."""
    if len(items) < 2 or not is_remote(str(client.tracking_uri)):
        return [read(item) for item in items]
    with ThreadPoolExecutor(min(MAX_IN_FLIGHT, len(items)), thread_name_prefix="jupyter-exp-read") as pool:
        return list(pool.map(read, items))
