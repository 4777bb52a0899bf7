"""``%%track``: a thin shell that parses arguments and hands the cell to ``TrackedCell``."""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from jupyter_exp import record_schema as schema
from jupyter_exp.capture.cell import flatten, key_values, to_plain
from jupyter_exp.capture.notebook import ExecutionHistory
from jupyter_exp.capture.secrets import redact_text
from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.reproduce.conditions import known_zone
from jupyter_exp.reproduce.errors import ReproduceError
from jupyter_exp.track import active as _active
from jupyter_exp.track.prepared import PreparedCell, TrackingError, TrackOptions
from jupyter_exp.tracking import mlflow_rules as rules

if TYPE_CHECKING:
    from jupyter_exp.reproduce.replay import ReproduceOptions
    from jupyter_exp.track.tracked_cell import TrackedCell

# This module is registered at %load_ext: the machinery behind each magic is imported when the magic first
# runs (its modules bring ipywidgets, the replay driver and the comparison in).


def _pairs(values: list[str], what: str) -> dict[str, Any]:
    try:
        return key_values(values, what, literal=True)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _checked(pairs: dict[str, Any], what: str) -> dict[str, Any]:
    """``--param``/``--tag`` items MLflow would refuse or cut, refused up front: no run, the cell not run."""
    if what == "--param" and "seed" in pairs:
        seed = pairs["seed"]
        raise UsageError(
            f"--param seed={seed}: set the seed with --seed {seed} (applied before the cell, recorded)"
        )
    if not pairs:
        return pairs
    limit = rules.MAX_PARAM_VAL_LENGTH if what == "--param" else rules.MAX_TAG_VAL_LENGTH
    items = flatten(to_plain(pairs)) if what == "--param" else pairs  # as config_to_params logs them
    for key, value in items.items():
        shown = key if len(key) <= 40 else f"{key[:40]}... ({len(key)} characters)"
        if len(key) > rules.MAX_ENTITY_KEY_LENGTH:
            raise UsageError(
                f"{what} {shown}: MLflow takes keys of at most {rules.MAX_ENTITY_KEY_LENGTH} characters"
            )
        if not rules.valid_key(key) or rules.path_not_unique(key):
            raise UsageError(
                f"{what} {shown}: MLflow refuses this key (letters, digits, _ - . / : and spaces; not a path like a/../b)"
            )
        if len(str(value)) > limit:
            raise UsageError(
                f"{what} {shown}: its value has {len(str(value))} characters, MLflow takes at most {limit}"
            )
    return pairs


@magics_class
class TrackMagics(Magics):
    def __init__(self, shell: Any, settings: JupyterExp, history: ExecutionHistory) -> None:
        super().__init__(shell)
        self.settings = settings
        self.history = history

    @no_var_expand  # ``--name lr{lr}`` is our template, not IPython's variable expansion
    @magic_arguments()
    @argument("--name", help="run name; a template over captured params, e.g. mlp-lr{lr}-s{seed}")
    @argument("--experiment", help="MLflow experiment (default: the notebook's path)")
    @argument("--tag", action="append", default=[], metavar="K=V", help="extra tag (repeatable)")
    @argument("--note", help="what this run tests (mlflow.note.content)")
    @argument(
        "--param", action="append", default=[], metavar="K=V", help="extra param to record (repeatable)"
    )
    @argument("--seed", type=int, help="seed to apply (default: a fresh one, recorded)")
    @argument("--no-seed", action="store_true", help="do not seed the random generators")
    @argument(
        "--seeds", metavar="S,S,...", help="run the cell once per seed, as child runs of one parent run"
    )
    @argument("--repeat", type=int, metavar="N", help="as --seeds, with N seeds drawn (and recorded)")
    @argument("--deterministic", action="store_true", help="switch on deterministic algorithms (torch)")
    @argument("--config", action="append", default=[], metavar="VAR", help="object to record as params")
    @argument("--quiet", action="store_true", help="no inline run card")
    @argument(
        "--sweep", metavar="NAME", help="run the cell as the trials of an Optuna study (resumed by name)"
    )
    @argument("--trials", type=int, metavar="N", help="--sweep: how many trials this execution runs")
    @argument("--metric", metavar="KEY", help="--sweep: the objective (default: the cell's last expression)")
    @argument("--direction", metavar="maximize|minimize", help="--sweep: default maximize")
    @argument("--prune", metavar="median|hyperband|none", help="--sweep: the pruner (default median)")
    @argument("--workers", type=int, metavar="N", help="--sweep: run the trials in N worker kernels")
    @argument("--gpus", metavar="D,D,...", help="--sweep: one device a worker (its CUDA_VISIBLE_DEVICES)")
    @cell_magic
    def track(self, line: str, cell: str) -> Any:
        """Record this cell's execution as an MLflow run: config, seeds, git, notebook, metrics, outcome."""
        from jupyter_exp.reproduce.replayed_cell import apply_replay_directive, run_unrecorded
        from jupyter_exp.track.tracked_cell import TrackedCell
        from jupyter_exp.tracking.store import StoreRefused

        __tracebackhide__ = True
        assert self.shell is not None  # IPython sets it when it registers the magics
        try:
            argv = shlex.split(line)  # quotes group words: --note "a b c"
        except ValueError as error:
            raise UsageError(f"%%track: {error}") from None
        args = self.track.parser.parse_args(argv)
        if args.seed is not None and args.no_seed:
            raise UsageError("--seed and --no-seed cannot be used together")
        if args.seed is not None and not 0 <= args.seed < 2**32:
            raise UsageError(f"--seed must be between 0 and 2**32 - 1, got {args.seed}")
        seed_plan = _seed_plan(args)
        sweep = _sweep_options(args, seed_plan)
        options = TrackOptions(
            name=args.name,
            experiment=args.experiment,
            tags={k: redact_text(str(v)) for k, v in _checked(_pairs(args.tag, "--tag"), "--tag").items()},
            note=args.note and redact_text(args.note),
            params=_checked(_pairs(args.param, "--param"), "--param"),
            seed=args.seed,
            no_seed=args.no_seed,
            deterministic=args.deterministic,
            config_names=args.config,
            quiet=args.quiet,
        )
        current = self.history.current
        directive, _active.replay_directive = _active.replay_directive, None
        worker, _active.sweep_worker = _active.sweep_worker, None  # a sweep's worker kernel (sweep/worker.py)
        if directive is not None:  # this cell is being replayed by %reproduce
            options = apply_replay_directive(options, directive)
            if not directive.get("record", True) and sweep is not None:
                print(  # its trials' values are not in the history: the verdict says if that mattered
                    "[jupyter-exp] replay: an earlier %%track --sweep cell is not rerun", file=sys.stderr
                )
                return None
            if not directive.get("record", True):
                count = current.execution_count if current is not None else self.shell.execution_count - 1
                return run_unrecorded(self.shell, cell, count, options.seed, options.deterministic)
        raw_cell = current.source if current is not None else f"%%track {line}\n{cell}"

        def make_cell(options: TrackOptions) -> TrackedCell:
            return TrackedCell(
                self.shell, raw_cell, cell, options, self.settings, self.history, _card_factory
            )

        if sweep is not None and directive is not None:  # a replay reruns one trial, with its recorded params
            _bind_fixed_trial(self.shell, directive)
        elif sweep is not None:
            return _run_sweep(sweep, options, make_cell, self.settings, seed_plan, worker)
        if seed_plan is not None and directive is None:  # a replay reruns one child, the directive's seed
            return _run_group(seed_plan, options, make_cell, self.settings, self.history)
        tracked = make_cell(options)
        try:
            prepared = tracked.prepare()
        except TrackingError as error:
            raise UsageError(str(error)) from None
        started: list[str] = []
        try:
            return tracked.run(prepared, started=started.append)
        except StoreRefused as error:
            if started:  # not the run's start: the cell's own error
                raise
            raise UsageError(str(error)) from None  # no run, the cell not run


def _seed_plan(args: Any) -> Any:
    """``--seeds``/``--repeat`` as a SeedPlan (None without them); a bad value is a UsageError."""
    if args.seeds is None and args.repeat is None:
        return None
    from jupyter_exp.track.seed_group import plan_seeds

    if args.seed is not None or args.no_seed:
        raise UsageError("--seeds/--repeat choose the seeds: drop --seed and --no-seed")
    try:
        return plan_seeds(args.seeds, args.repeat)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _sweep_options(args: Any, seed_plan: Any) -> Any:
    """``--sweep`` and its options as SweepOptions (None without --sweep); a bad value is a UsageError."""
    sweep_only = ("trials", "metric", "direction", "prune", "workers", "gpus")
    if args.sweep is None:
        given = [f"--{name}" for name in sweep_only if getattr(args, name) is not None]
        if given:
            raise UsageError(f"{', '.join(given)}: only with --sweep NAME")
        return None
    from jupyter_exp.sweep.options import sweep_options

    if seed_plan is not None and args.metric is None:
        raise UsageError(
            "--sweep with --seeds/--repeat needs --metric KEY (its mean over the seeds is the objective)"
        )
    if seed_plan is not None and args.prune not in (None, "none"):
        raise UsageError("--sweep with --seeds/--repeat does not prune: drop --prune")
    if args.no_seed:
        raise UsageError("--sweep: --no-seed is not supported (trial k's cell is seeded with --seed + k)")
    try:
        prune = "none" if seed_plan is not None else args.prune
        return sweep_options(
            args.sweep, args.trials, args.metric, args.direction, prune, args.seed, args.workers, args.gpus
        )
    except ValueError as error:
        raise UsageError(str(error)) from None


def _run_sweep(
    sweep: Any, options: TrackOptions, make_cell: Any, settings: JupyterExp, seeds: Any, worker: Any
) -> Any:
    """One sweep: in this kernel, driving ``--workers`` kernels, or as a driver's worker (``worker``)."""
    __tracebackhide__ = True
    from dataclasses import replace

    from jupyter_exp.ipython.sweep_card import SweepCard
    from jupyter_exp.sweep.runner import Sweep
    from jupyter_exp.sweep.worker import SweepWorker
    from jupyter_exp.sweep.workers import ParallelSweep
    from jupyter_exp.tracking.store import StoreRefused

    arguments = (sweep, replace(options, seed=None), make_cell, settings)
    runner: Sweep
    if worker is not None:
        runner = SweepWorker(*arguments, None, seeds, directive=worker)
    elif sweep.workers:
        runner = ParallelSweep(*arguments, SweepCard, seeds)
    else:
        runner = Sweep(*arguments, SweepCard, seeds)
    try:
        runner.prepare()
    except TrackingError as error:
        raise UsageError(str(error)) from None
    try:
        return runner.run()
    except (StoreRefused, TrackingError) as error:  # the study's storage, its direction
        if runner.run_id:
            raise
        raise UsageError(str(error)) from None


def _bind_fixed_trial(shell: Any, directive: dict[str, Any]) -> None:
    """A sweep's trial replayed by %reproduce: ``trial`` is Optuna's FixedTrial of the recorded params."""
    import json

    import optuna

    recorded = directive.get("sweep_trial_params")
    if not recorded:  # an earlier sweep cell of the history, or a record without the trial's values
        raise UsageError(
            "%%track --sweep: this replay has no recorded trial values for this sweep cell "
            "(only the reproduced trial's own cell can be replayed)"
        )
    params = json.loads(recorded)
    if not isinstance(params, dict):
        raise UsageError("%%track --sweep: the recorded trial params are not a mapping")
    shell.user_ns["trial"] = optuna.trial.FixedTrial(params)


def _run_group(plan: Any, options: TrackOptions, make_cell: Any, settings: JupyterExp, history: Any) -> Any:
    __tracebackhide__ = True
    from jupyter_exp.ipython.group_card import GroupCard
    from jupyter_exp.track.seed_group import SeedGroup
    from jupyter_exp.tracking.store import StoreRefused

    try:
        group = SeedGroup(plan, options, make_cell, settings, history, GroupCard)
        group.prepare()
    except TrackingError as error:
        raise UsageError(str(error)) from None
    try:
        return group.run()
    except StoreRefused as error:
        if group.recorder is not None:  # the parent exists: a child's or the cell's own error
            raise
        raise UsageError(str(error)) from None


def _card_factory(cell: PreparedCell, run_id: str, experiment_id: str | None) -> Any:
    from jupyter_exp.ipython.widgets import RunCard

    card = RunCard(cell.run_name, run_id, cell.location, experiment_id or "")
    card.show()
    return card


@magics_class
class ReproduceMagics(Magics):
    def __init__(self, shell: Any, settings: JupyterExp) -> None:
        super().__init__(shell)
        self.settings = settings

    @magic_arguments()
    @argument(
        "run_id",
        help="the run to reproduce (its id, or a unique prefix of 6+ characters), or 'last' for the last run tracked in this kernel",
    )
    @argument("--kernel", help="kernelspec to replay in (default: the recorded one)")
    @argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override a captured parameter"
    )
    @argument("--rtol", type=float, default=1e-5, help="relative tolerance for 'close' (default 1e-5)")
    @argument("--atol", type=float, default=1e-8, help="absolute tolerance for 'close' (default 1e-8)")
    @argument(
        "--checkout", action="store_true", help="replay in a temporary worktree at the recorded commit + diff"
    )
    @argument("--dry-run", action="store_true", help="print the drift and the replay plan; run nothing")
    @argument(
        "--slice",
        action="store_true",
        help="replay only the cells the tracked cell depends on (the default; the full history if it does not match)",
    )
    @argument("--full", action="store_true", help="replay the whole recorded history, not only the slice")
    @argument("--deterministic", action="store_true", help="switch on deterministic algorithms (torch)")
    @argument("--timeout", type=float, help="seconds a replayed cell may run (default: no limit)")
    @argument(
        "--tz",
        metavar="ZONE",
        help="the replay kernel's time zone, e.g. Europe/Paris, or current: this kernel's (default: the recorded one)",
    )
    @argument("--yes", action="store_true", help="run it even though another user recorded it")
    @argument(
        "--noise", type=int, metavar="N", help="also replay with N other seeds: is a difference seed noise?"
    )
    @argument(
        "--gateway",
        metavar="URL",
        help="replay on this Jupyter Enterprise Gateway's kernels (default: JUPYTER_GATEWAY_URL, else locally)",
    )
    @line_magic
    def reproduce(self, line: str) -> Any:
        """Rerun a tracked cell from its record in a fresh kernel and verify that the result matched."""
        from jupyter_exp.ipython.widgets import ReplayProgress, ReproductionReport
        from jupyter_exp.kernels.gateway import GatewayKernelLauncher, gateway_url
        from jupyter_exp.reproduce.replay import ReproduceOptions, reproduce_blocking
        from jupyter_exp.tracking.finisher import wait_for_runs

        try:
            argv = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"%reproduce: {error}") from None
        args = self.reproduce.parser.parse_args(argv)
        for name in ("rtol", "atol", "timeout"):
            value = getattr(args, name)
            if value is not None and not value >= 0:
                raise UsageError(f"--{name} must be a number >= 0, got {value}")
        if args.slice and args.full:
            raise UsageError("%reproduce: --slice and --full cannot be combined")
        _check_zone(args.tz)
        options = ReproduceOptions(
            slice=True if args.slice else False if args.full else None,
            kernel_name=args.kernel,
            sets=_pairs(args.set, "--set"),
            rtol=args.rtol,
            atol=args.atol,
            checkout=args.checkout,
            dry_run=args.dry_run,
            deterministic=args.deterministic,
            cell_timeout=args.timeout,
            confirmed=args.yes,
            tz=args.tz,
            bisect_budget_s=self.settings.bisect_budget_s,
        )
        run_id = args.run_id
        if run_id == "last":
            if _active.last_run_id is None:
                raise UsageError("%reproduce last: no %%track cell has recorded a run in this kernel yet")
            run_id = _active.last_run_id
        url = gateway_url(args.gateway)
        if url is not None and not url.startswith(("http://", "https://")):
            raise UsageError(f"--gateway must be an http:// or https:// URL, got {url!r}")
        launcher = GatewayKernelLauncher(url) if url is not None else None
        location = resolve_store(self.settings)
        wait_for_runs()  # the run to reproduce may still be completing in the background
        run_id = _full_run_id(run_id, location)
        run_id = _sweep_best(run_id, location)

        def replay(run_id: str, options: ReproduceOptions) -> Any:
            return reproduce_blocking(run_id, location, options, ReplayProgress(), launcher)

        try:
            special = _group_or_noise(run_id, args.noise, location, options, replay)
            reproduction = replay(run_id, options) if special is None else None
        except ReproduceError as error:
            raise UsageError(str(error)) from None
        except KeyboardInterrupt:
            print("[jupyter-exp] reproduction interrupted: the replay kernel was shut down", file=sys.stderr)
            raise
        return special if special is not None else ReproductionReport(reproduction, location)


def _full_run_id(run_id: str, location: Any) -> str:
    """A unique prefix of 6+ characters (as ``%runs`` prints ids) is that run's full id; a full id opens
    no store here."""
    from jupyter_exp.errors import JupyterExpError
    from jupyter_exp.tracking.run_ids import is_prefix, resolve_run_id
    from jupyter_exp.tracking.store import client_for

    if not is_prefix(run_id.strip()):
        return run_id
    try:
        return resolve_run_id(client_for(location), run_id)
    except JupyterExpError as error:
        raise UsageError(f"%reproduce: {error}") from None


def _sweep_best(run_id: str, location: Any) -> str:
    """A sweep's parent run stands for its best trial (the one to verify before trusting the winner)."""
    from mlflow.exceptions import MlflowException

    from jupyter_exp.sweep.records import best_trial_run
    from jupyter_exp.tracking.store import client_for

    try:
        tags = client_for(location).get_run(run_id).data.tags
    except MlflowException:
        return run_id  # no such run: the reproduction says so
    try:
        best = best_trial_run(tags)
    except ValueError as error:
        raise UsageError(f"%reproduce: {error}") from None
    if best is None:
        return run_id
    number, best_run = best
    print(f"[jupyter-exp] sweep {tags.get(schema.SWEEP)}: reproducing its best trial {number} ({best_run})")
    return best_run


def _group_or_noise(run_id: str, noise: int | None, location: Any, options: Any, replay: Any) -> Any:
    """A seed group's parent is reproduced child by child; ``--noise N`` adds N replays with other seeds.
    None when neither applies (one plain reproduction)."""
    from mlflow.exceptions import MlflowException

    from jupyter_exp.ipython.widgets import ReproductionReport
    from jupyter_exp.reproduce.group import reproduce_group
    from jupyter_exp.reproduce.noise import check_noise, record_line
    from jupyter_exp.tracking.store import client_for

    def replay_shown(run_id: str, options: Any) -> Any:
        reproduction = replay(run_id, options)
        display(ReproductionReport(reproduction, location))
        return reproduction

    if noise is None:
        return reproduce_group(run_id, location, lambda child: replay_shown(child, options))
    try:
        tags = client_for(location).get_run(run_id).data.tags
    except MlflowException:
        return None  # no such run: the plain reproduction says so
    if schema.GROUP_SEEDS in tags:
        raise UsageError(
            "--noise: reproduce one child of this seed group with --noise (its seeds are the noise)"
        )
    seed = tags.get(schema.SEED)
    recorded = int(seed) if seed and seed.isdigit() else None
    first = True

    def replay_first_shown(run_id: str, options: Any) -> Any:
        nonlocal first
        shown, first = first, False
        return replay_shown(run_id, options) if shown else replay(run_id, options)

    check = check_noise(run_id, recorded, noise, options, replay_first_shown)
    record_line(check, location)
    return check


def _check_zone(zone: str | None) -> None:
    """``--tz`` names a time zone this machine knows (an IANA name: ``Europe/Paris``, ``Etc/GMT-14``) or
    ``current``."""
    if zone is not None and not known_zone(zone):
        raise UsageError(f"--tz: unknown time zone {zone!r} (an IANA name, e.g. Europe/Paris, or current)")
