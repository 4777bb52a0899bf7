"""A ``%%track`` cell run by a replay, in the replay kernel: what the driver asked of it (the directive
``inkernel.before_cell`` put in ``_active.replay_directive``)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from jupyter_exp.capture import seeds
from jupyter_exp.capture.entropy import EntropyWatch
from jupyter_exp.track import active as _active
from jupyter_exp.track.cell_code import compile_body, run_compiled

if TYPE_CHECKING:
    from jupyter_exp.track.prepared import TrackOptions


class _DiscardingWriter:
    def log(self, step: int | None = None, **metrics: float) -> None:
        pass


def run_unrecorded(shell: Any, body: str, execution_count: int, seed: int | None, deterministic: bool) -> Any:
    """An earlier ``%%track`` cell inside a replay: the same seed and code, but no run (only the
    reproduced cell records one); its ``jupyter_exp.log`` calls are discarded silently."""
    __tracebackhide__ = True
    compiled = compile_body(shell, body, execution_count)
    if seed is not None:
        seeds.apply_seed(seed, body)
    _active.writer = _DiscardingWriter()
    try:
        with seeds.deterministic_algorithms(deterministic), EntropyWatch(seed):
            return run_compiled(shell, compiled)
    finally:
        _active.writer = None


def apply_replay_directive(options: TrackOptions, directive: dict[str, Any]) -> TrackOptions:
    """The options a replay driver asked for: the recorded seed, its tags, the original's experiment."""
    seed = directive.get("seed")
    return replace(
        options,
        seed=seed,
        no_seed=seed is None,
        deterministic=bool(directive.get("deterministic", options.deterministic)),
        tags={**options.tags, **directive.get("tags", {})},
        experiment=directive.get("experiment") or options.experiment,
        name=directive.get("name") or options.name,
        quiet=True,
        journal_only=bool(directive.get("journal_only")),
    )
