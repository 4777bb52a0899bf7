"""MLflow's limits and key rules for params and tags, as ``mlflow.utils.validation`` has them.

Here so that checking a ``%%track --param/--tag`` and clipping a start tag need no MLflow import on the
cell's path (importing MLflow is 1.5-2 s of a kernel's first tracked cell). ``tests/unit/test_direct_run.py``
checks them against MLflow's own on every run of the tests.
"""

from __future__ import annotations

import posixpath
import re

MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_ENTITY_KEY_LENGTH = 250
_VALID_KEY = re.compile(r"^[/\w.\- :]*$")  # MLflow's on every system but Windows (no colon there)


def valid_key(name: str) -> bool:
    """``validate_param_and_metric_name``: slashes, alphanumerics, ``_ . -``, colons and spaces."""
    return _VALID_KEY.match(name) is not None


def path_not_unique(name: str) -> bool:
    """``path_not_unique``: a key that resolves to another name when treated as a path."""
    norm = posixpath.normpath(name)
    return norm != str(name) or norm == "." or norm.startswith("..") or norm.startswith("/")
