"""The environment a kernel started by a Jupyter Enterprise Gateway gets from jupyter-exp.

A gateway passes on only ``KERNEL_``-prefixed variables (and the few its operator allows) from the request
that starts a kernel, so what a kernel needs from us travels as ``KERNEL_<NAME>`` and the kernelspec's
launch command (``python -m jupyter_exp.kernels.launch``) sets ``<NAME>`` back before the interpreter
starts, which ``PYTHONHASHSEED`` requires. Credentials never travel: the tracking URI is sent without its
``user:password@`` and ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``/``TOKEN`` are not sent at all; the kernel
takes them from its own side (the kernelspec's ``env``, the gateway's ``EG_INHERITED_ENVS``).

Paths of the sender's machine (the store root, the working directory) are applied only where they exist
on the kernel's machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from jupyter_exp.capture.git import strip_credentials
from jupyter_exp.capture.kernel import KERNEL_ID_ENV, KERNEL_NAME_ENV
from jupyter_exp.capture.notebook import SESSION_ENV
from jupyter_exp.capture.seeds import CUBLAS_ENV
from jupyter_exp.config import ROOT_ENV

PREFIX = "KERNEL_"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
HASHSEED_ENV = "PYTHONHASHSEED"
WORKING_DIR_ENV = "KERNEL_WORKING_DIR"  # the gateway's own name for the kernel's working directory
GATEWAY_KERNEL_ID_ENV = "KERNEL_ID"  # set by the gateway on every kernel it starts
# what a kernel is sent, by name (a fixed list: nothing else of the sender's environment travels)
FORWARDED = (TRACKING_URI_ENV, HASHSEED_ENV, CUBLAS_ENV, ROOT_ENV, KERNEL_NAME_ENV, SESSION_ENV)
PATHS = (ROOT_ENV,)  # applied only where the path exists on the kernel's machine
NEVER_SENT = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
LOCAL_SCHEMES = ("sqlite:", "file:", "/", ".")  # a store on the sender's disk means nothing elsewhere


def remote_store_uri(uri: str) -> bool:
    """Whether a kernel on another machine can reach the store at ``uri`` (a server, not a local file)."""
    return bool(uri) and not uri.startswith(LOCAL_SCHEMES) and "://" in uri


def to_kernel_env(env: Mapping[str, str]) -> dict[str, str]:
    """``KERNEL_<NAME>`` for each forwarded ``<NAME>`` of ``env``: the request body's part from us."""
    sent: dict[str, str] = {}
    for name in FORWARDED:
        value = env.get(name)
        if not value:
            continue
        if name == TRACKING_URI_ENV:
            if not remote_store_uri(value):
                continue
            value = strip_credentials(value)
        sent[PREFIX + name] = value
    return sent


def from_kernel_env(environ: Mapping[str, str]) -> dict[str, str]:
    """What the kernel's own environment becomes on the kernel's side (``os.environ`` there)."""
    env = dict(environ)
    for name in FORWARDED:
        value = environ.get(PREFIX + name)
        if not value:
            continue
        if name in PATHS and not os.path.isdir(value):
            continue
        own = environ.get(name, "")
        if name == TRACKING_URI_ENV and own and strip_credentials(own) == value:
            continue  # the same store, named with this side's credentials: keep them
        env[name] = value
    if environ.get(GATEWAY_KERNEL_ID_ENV) and not env.get(KERNEL_ID_ENV):
        env[KERNEL_ID_ENV] = environ[GATEWAY_KERNEL_ID_ENV]  # the identity its runs record
    return env


def working_dir(environ: Mapping[str, str]) -> str | None:
    """The directory the kernel should start in, when the requested one exists here."""
    path = environ.get(WORKING_DIR_ENV, "")
    return path if path and os.path.isdir(path) else None
