"""Every key of the run record in one place, as MLflow keeps ``mlflow/utils/mlflow_tags.py``.

The contract is docs/run-record.md; a unit test fails when a constant here is missing from it.
"""

from __future__ import annotations

# -- MLflow's reserved tags the record fills ------------------------------------------------------
RUN_NAME = "mlflow.runName"
SOURCE_TYPE = "mlflow.source.type"
SOURCE_NAME = "mlflow.source.name"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
USER = "mlflow.user"
NOTE = "mlflow.note.content"
PARENT_RUN_ID = "mlflow.parentRunId"
EXPERIMENT_KIND = "mlflow.experimentKind"  # an experiment tag
# MLflow's UI opens an experiment without a kind in GenAI mode (traces first); ours hold training runs
EXPERIMENT_KIND_MODEL_DEVELOPMENT = "custom_model_development"
SOURCE_TYPE_NOTEBOOK = "NOTEBOOK"

# -- jupyter-exp's tags ----------------------------------------------------------------------------
VERSION = "jupyter_exp.version"
CELL_ID = "jupyter_exp.cell.id"
CELL_EXECUTION_COUNT = "jupyter_exp.cell.execution_count"
CELL_SHA256 = "jupyter_exp.cell.sha256"
KERNEL_ID = "jupyter_exp.kernel.id"
KERNEL_NAME = "jupyter_exp.kernel.name"
KERNEL_HOST = "jupyter_exp.kernel.host"
KERNEL_PID = "jupyter_exp.kernel.pid"
GIT_DIRTY = "jupyter_exp.git.dirty"
GIT_STATE = "jupyter_exp.git.state"
SEED = "jupyter_exp.seed"
DETERMINISTIC = "jupyter_exp.deterministic"
DEVICE = "jupyter_exp.device"
HIDDEN_STATE = "jupyter_exp.hidden_state"
HEARTBEAT = "jupyter_exp.heartbeat"
REPRODUCED_FROM = "jupyter_exp.reproduced_from"
REPRODUCTION_ID = "jupyter_exp.reproduction.id"
REPRODUCTION_VERDICT = "jupyter_exp.reproduction.verdict"
# a reproduction recorded outside the original's experiment (the reproducer may not write there)
REPRODUCED_FROM_EXPERIMENT = "jupyter_exp.reproduced_from.experiment"  # the original's experiment id
REPRODUCED_FROM_USER = "jupyter_exp.reproduced_from.user"  # who recorded the original
REPRODUCTIONS_OF = "jupyter_exp.reproductions_of"  # experiment tag: the experiment its runs reproduce
END_REASON = "jupyter_exp.end_reason"
RECORD_INCOMPLETE = "jupyter_exp.record.incomplete"
OFFLINE = "jupyter_exp.offline"
OFFLINE_ID = "jupyter_exp.offline.id"
HASHSEED = "jupyter_exp.hashseed"
DETERMINISM = "jupyter_exp.determinism"
ENTROPY_UNREPLAYABLE = "jupyter_exp.entropy.unreplayable"

# -- metrics the extension adds ----------------------------------------------------------------------
SYSTEM_PREFIX = "system/"
WALL_TIME = "system/wall_time_s"
CPU_TIME = "system/cpu_time_s"
PEAK_RSS = "system/peak_rss_mb"
GPU_PEAK_MEMORY = "system/gpu_peak_memory_mb"

# -- seed groups: %%track --seeds / --repeat (seed_group.py) -----------------------------------------
GROUP = "jupyter_exp.group"  # on the parent and its children: the parent's run id
GROUP_SEEDS = "jupyter_exp.group.seeds"  # on the parent: the seeds, in run order
GROUP_SEEDS_DRAWN = "jupyter_exp.group.seeds_drawn"  # on the parent: "true" when --repeat drew them
GROUP_FINISHED = "jupyter_exp.group.finished"  # on the parent: how many children finished
GROUP_STATISTICS = ("mean", "std", "n", "ci_low", "ci_high")  # the parent's metrics: {metric}/{statistic}
REPRODUCTION_NOISE = "jupyter_exp.reproduction.noise"  # %reproduce --noise: the difference against the band
REPRODUCTION_REPLAY = "jupyter_exp.reproduction.replay"  # what was replayed: "slice: 3 of 41 cells"

# -- sweeps: %%track --sweep NAME (jupyter_exp/sweep/) ------------------------------------------------
SWEEP = "jupyter_exp.sweep"  # on the study's parent run and each trial's run: the sweep's name
SWEEP_ROLE = "jupyter_exp.sweep.role"  # "study" (the parent) or "trial"
SWEEP_STUDY = "jupyter_exp.sweep.study"  # the Optuna study's name
SWEEP_STORAGE = "jupyter_exp.sweep.storage"  # the study's storage URL, never with a password
SWEEP_METRIC = "jupyter_exp.sweep.metric"  # the objective's metric key (empty: the cell's last expression)
SWEEP_DIRECTION = "jupyter_exp.sweep.direction"
SWEEP_SAMPLER = "jupyter_exp.sweep.sampler"  # e.g. "TPESampler seed=7"
SWEEP_PRUNER = "jupyter_exp.sweep.pruner"  # e.g. "MedianPruner"
SWEEP_SPACE = "jupyter_exp.sweep.space"  # JSON: each param's Optuna distribution, as trials suggested them
SWEEP_COUNTS = "jupyter_exp.sweep.counts"  # "complete=4 pruned=2 failed=0"
SWEEP_BEST_TRIAL = "jupyter_exp.sweep.best_trial"  # the best trial's number
SWEEP_BEST_RUN = "jupyter_exp.sweep.best_run"  # the best trial's run id
SWEEP_BEST_VALUE = "jupyter_exp.sweep.best_value"  # also the parent's metric sweep/best_value
SWEEP_TRIAL = "jupyter_exp.sweep.trial"  # on a trial's run: Optuna's trial number
SWEEP_TRIAL_STATE = "jupyter_exp.sweep.trial_state"  # COMPLETE, PRUNED or FAIL
SWEEP_TRIAL_PARAMS = "jupyter_exp.sweep.trial_params"  # JSON of the suggested values: %reproduce's FixedTrial
SWEEP_VALUE = "jupyter_exp.sweep.value"  # on a complete trial's run: its objective (repr of the float)
SWEEP_PRUNED_AT = "jupyter_exp.sweep.pruned_at"  # on a pruned trial's run (end_reason "pruned"): the step
SWEEP_WORKER = "jupyter_exp.sweep.worker"  # on a trial run by a worker kernel (--workers): its index
SWEEP_DEVICE = "jupyter_exp.sweep.device"  # its worker's CUDA_VISIBLE_DEVICES (--gpus), else "none"
SWEEP_NO_DEVICE = "none"
SWEEP_DEVICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9:_.-]{0,99}$"  # a device index, a GPU-/MIG- UUID
GPU_ENV = "CUDA_VISIBLE_DEVICES"  # a --gpus worker's device, and its trials' replay kernel's
SWEEP_BEST_METRIC = "sweep/best_value"

# -- artifacts, under ARTIFACT_DIR ------------------------------------------------------------------
ARTIFACT_DIR = "jupyter_exp"
CELL = "cell.py"
HISTORY = "history.json"
NOTEBOOK = "notebook.ipynb"
CONFIG = "config.json"
RNG_STATE = "rng_state.json"  # capture/rng_codec.py's JSON, never a pickle
RNG_HISTORY = "rng_history.json"
LEGACY_RNG_HISTORY = "rng_history.pkl"  # earlier records: never loaded (unpickling can run code)
ENVIRONMENT = "environment.json"
REQUIREMENTS = "requirements.txt"
GIT_DIFF = "git.diff"
OUTPUTS = "outputs.json"
TRACEBACK = "traceback.txt"
INPUTS = "inputs.json"
STATE = "state.json"
FIGURES = "figures/"
REPRODUCTION = "reproduction.json"
SLICE = "slice.json"  # the tracked cell's dependency slice (capture/slicing.py): what %reproduce --slice runs

# -- checkpoints (LoggedModel tags) and registered model versions (docs/models.md) -------------------
CHECKPOINT_STEP = "jupyter_exp.checkpoint.step"
CHECKPOINT_SHA256 = "jupyter_exp.checkpoint.sha256"  # of the state file
CHECKPOINT_FORMAT = "jupyter_exp.checkpoint.format"  # torch-state-dict | skops
CHECKPOINT_OBJECTIVE = "jupyter_exp.checkpoint.objective"  # the metric the run ranks its checkpoints by
CHECKPOINT_OBJECTIVE_VALUE = "jupyter_exp.checkpoint.objective_value"
CHECKPOINT_METADATA = "checkpoint.json"  # the LoggedModel's metadata document (never a pickle)
RESUMED_FROM = "jupyter_exp.resumed_from"  # on a run: the checkpoint (model id) it resumed from
VERSION_RUN = "jupyter_exp.run"  # on a model version: the run it came from, and what follows
VERSION_STEP = "jupyter_exp.step"
VERSION_VERDICT = "jupyter_exp.verdict"  # the best verdict of the run's reproductions, else "none"
VERSION_REPRODUCTION = "jupyter_exp.reproduction"  # the reproduction's run id behind the verdict
VERSION_GROUP_INTERVAL = "jupyter_exp.group.interval"
VERSION_GIT_COMMIT = "jupyter_exp.git.commit"
VERSION_SNAPSHOT_SHA256 = "jupyter_exp.snapshot.sha256"
VERSION_INPUTS = "jupyter_exp.inputs"  # JSON: {path: sha256}

# -- verdicts -----------------------------------------------------------------------------------------
EXACT, CLOSE, DIVERGED, FAILED, VARIED, UNVERIFIED = (
    "exact",
    "close",
    "diverged",
    "failed",
    "varied",
    "unverified",
)
VERDICTS = (EXACT, CLOSE, DIVERGED, FAILED, VARIED, UNVERIFIED)

# -- run statuses as the record uses them ----------------------------------------------------------
FINISHED, FAILED_STATUS, KILLED, RUNNING = "FINISHED", "FAILED", "KILLED", "RUNNING"
