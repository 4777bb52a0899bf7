"""``%register RUN[@STEP] --name NAME [--alias ALIAS]``: a checkpoint as a registered model version; the
promotion alias only on a run that reproduced (core: jupyter_exp/models/registry.py)."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.errors import JupyterExpError
from jupyter_exp.track import active as _active

# Registered at %load_ext (an entry point, as magics.py): the registry is imported when the magic first runs
# (at the top it cost %load_ext 29 ms here).


@magics_class
class ModelMagics(Magics):
    def __init__(self, shell: Any, settings: JupyterExp) -> None:
        super().__init__(shell)
        self.settings = settings

    @magic_arguments()
    @argument("ref", help="RUN, RUN@STEP, RUN@best, last, or a checkpoint's model id (m-...)")
    @argument("--name", required=True, help="the registered model's name")
    @argument(
        "--alias", default=None, help="set this alias on the version (the promotion alias needs a verdict)"
    )
    @line_magic
    def register(self, line: str) -> None:
        """Register a checkpoint as a model version tagged with its run, verdict and provenance."""
        from jupyter_exp.models.registry import register
        from jupyter_exp.tracking.finisher import wait_for_runs
        from jupyter_exp.tracking.store import client_for

        try:
            argv = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"%register: {error}") from None
        args = self.register.parser.parse_args(argv)
        wait_for_runs()
        try:
            client = client_for(resolve_store(self.settings))
            done = register(client, self.settings, args.ref, args.name, args.alias, _active.last_run_id)
        except JupyterExpError as error:
            raise UsageError(f"%register: {error}") from None
        except Exception as error:  # MLflow refusing (permissions, a bad name): one line
            lines = str(error).strip().splitlines()
            raise UsageError(f"%register: {lines[0] if lines else type(error).__name__}") from None
        print(done.describe())
