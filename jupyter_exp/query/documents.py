"""The JSON documents of the REST API (docs/rest-api.md), as the server sends them: one TypedDict per
interface of labextension/src/types.ts, with the same field names. A field that types.ts marks optional
(``user?``, ``inputs?``, ``groups?``: absent from older servers) is always sent by this one."""

from __future__ import annotations

from typing import TypedDict


class RunSummary(TypedDict):
    """One run as listed by ``GET /jupyter-exp/runs`` (``IRunSummary``)."""

    run_id: str
    run_name: str
    experiment_id: str
    experiment_name: str | None
    status: str  # RUNNING / SCHEDULED / FINISHED / FAILED / KILLED
    user: str | None
    start_time: int | None  # milliseconds since the epoch
    end_time: int | None
    notebook: str | None
    cell_id: str | None
    execution_count: int | None
    seed: str | None
    git_commit: str | None
    git_dirty: bool | None
    kernel_name: str | None
    device: str | None
    note: str | None
    reproduced_from: str | None
    verdict: str | None  # a reproduction verdict (record_schema)
    parent_run_id: str | None  # a seed group's child: its parent (``mlflow.parentRunId``)
    sweep: str | None  # a sweep's parent run (role ``study``): the sweep's name
    metrics: dict[str, float | None]  # last value of each metric; None for NaN and infinities


class RunsPage(TypedDict):
    """One page of ``GET /jupyter-exp/runs`` (``IRunsPage``)."""

    runs: list[RunSummary]
    next_page_token: str | None


class Artifact(TypedDict):
    """An artifact of a run (``IArtifact``)."""

    path: str
    size: int | None


class InputFile(TypedDict):
    """A file a tracked cell read (``IInputFile``): path relative to the root, size, sha256."""

    path: str
    size: int | None
    sha256: str | None


class RunDetail(RunSummary):
    """``GET /jupyter-exp/runs/<run_id>`` (``IRunDetail``)."""

    params: dict[str, str]
    tags: dict[str, str]
    artifacts: list[Artifact]
    cell_source: str | None
    inputs: list[InputFile]
    ui_url: str | None
    lifecycle: str  # "active" or "deleted" (restorable)


class MetricSeries(TypedDict):
    """One (possibly downsampled) metric history (``IMetricSeries``)."""

    steps: list[int]
    values: list[float]
    total_points: int
    downsampled: bool


class RunMetrics(TypedDict):
    """``GET /jupyter-exp/runs/<run_id>/metrics`` (``IRunMetrics``)."""

    run_id: str
    series: dict[str, MetricSeries]


class CompareSeries(MetricSeries):
    """One run's curve of a metric in a comparison (``ICompareSeries``; the series' counts come along)."""

    run_id: str


class ComparedParams(TypedDict):
    keys: list[str]
    differing: list[str]
    values: dict[str, list[str | None]]


class ComparedMetrics(TypedDict):
    keys: list[str]
    final: dict[str, list[float | None]]


class CellDiff(TypedDict):
    """A run's tracked cell and its unified diff against the first run's."""

    run_id: str
    source: str | None
    diff: str | None


class SampleSummary(TypedDict):
    """A sample's summary (``ISampleSummary``); ``std``/``ci_*`` are None for one run."""

    mean: float
    std: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


class GroupStatistic(TypedDict):
    """One metric of a group against the first group of a comparison (``IGroupStatistic``)."""

    metric: str
    side: int
    baseline: str
    label: str
    lower_is_better: bool
    a: SampleSummary | None
    b: SampleSummary | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str | None
    paired: bool
    cohens_d: float | None
    test: str | None
    p_value: float | None
    p_adjusted: float | None
    outcome: str  # "better" / "worse" / "no evidence" / "no statistics"
    verdict: str
    notes: list[str]


class Band(TypedDict):
    """A group's curve of a metric: the mean over its runs and mean ∓ one sd at each step."""

    steps: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]
    runs: int
    downsampled: bool


class GroupBand(Band):
    """A group's band in a comparison (``IGroupBand``)."""

    group: int


class ComparedGroup(TypedDict):
    label: str
    run_ids: list[str]
    seeds: list[str | None]
    summaries: dict[str, SampleSummary | None]


class CompareGroups(TypedDict):
    """``groups`` of a comparison whose runs share configurations (``ICompareGroups``)."""

    groups: list[ComparedGroup]
    metrics: list[str]
    statistics: list[GroupStatistic]
    notes: list[str]
    series: dict[str, list[GroupBand]]


class Comparison(TypedDict):
    """``GET /jupyter-exp/compare?run_ids=…`` (``IComparison``): ``values[key][i]`` and ``final[key][i]``
    belong to ``runs[i]``."""

    runs: list[RunSummary]
    params: ComparedParams
    metrics: ComparedMetrics
    series: dict[str, list[CompareSeries]]
    cells: list[CellDiff]
    groups: CompareGroups | None
    sides: str  # "runs"; "groups" when the ids are --seeds parents, each standing for its children


class StoreInfo(TypedDict):
    """``GET /jupyter-exp/store`` (``IStoreInfo``): the store the server reads, credentials masked."""

    tracking_uri: str
    artifact_root: str | None
    root: str
    version: str
    ui_url: str | None  # the MLflow UI when the store is an MLflow server


class JobProgress(TypedDict):
    done: int
    total: int
    current: str | None


class JobDocument(TypedDict):
    """A reproduction job of the server, ``/jupyter-exp/reproductions`` (``IReproductionJob``)."""

    id: str
    run_id: str
    kernel: str | None
    overrides: dict[str, str]
    state: str  # running / finished / failed / cancelled
    progress: JobProgress
    reproduction_run_id: str | None
    verdict: str | None
    summary: str | None
    error: str | None
    created: int | None
    ended: int | None


class RunLink(TypedDict):
    """Another run a run's detail links to (``IRunLink``): its parent, a child, a reproduction."""

    run_id: str
    run_name: str
    status: str
    seed: str | None
    verdict: str | None


class RunRelations(TypedDict):
    """``GET /jupyter-exp/runs/<run_id>/relations`` (``IRunRelations``): the runs a run is linked to and,
    for a ``--seeds`` parent, what its children share and each metric's mean ± sd (n) over them."""

    run_id: str
    parent: RunLink | None  # a child's seed-group parent
    children: list[RunLink]  # a parent's children, oldest first
    shared_params: dict[str, str]  # params every child has, with one value
    varying_params: list[str]  # params whose value differs between the children (the seed among them)
    summaries: dict[str, SampleSummary | None]  # a parent's metrics over its children, user ones first
    reproduced_from: RunLink | None
    reproductions: list[RunLink]  # runs reproducing this one, newest first
    snapshot_run_id: str | None  # whose recorded notebook "Open snapshot" opens (a parent: a child's)
