"""``make demo``: execute an example notebook headlessly and print the runs it recorded."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from jupyter_exp import record_schema as schema
from jupyter_exp.config import ROOT_ENV, resolve_store
from jupyter_exp.reproduce.kernel_run import execute_notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--kernel", default=None, help="kernelspec (default: the notebook's)")
    args = parser.parse_args(argv)
    notebook = args.notebook.resolve()
    if not notebook.exists():
        print(f"demo: no notebook at {notebook}", file=sys.stderr)
        return 2
    os.environ[ROOT_ENV] = str(notebook.parent)  # the kernel inherits it: one store for both sides
    location = resolve_store()
    started = time.time()
    print(f"Executing {notebook.name} in a fresh kernel (store: {location.tracking_uri}) ...", flush=True)
    execute_notebook(notebook, kernel_name=args.kernel)
    print(f"Done in {time.time() - started:.1f} s.\n")

    from mlflow import MlflowClient

    client = MlflowClient(location.tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(
        experiments,
        filter_string=f"attributes.start_time >= {int(started * 1000)}",
        order_by=["attributes.start_time ASC"],
    )
    print(f"{len(runs)} runs recorded in {location.tracking_uri}:")
    header = f"{'run':<28} {'status':<9} {'seed':>11} {'git':<9} {'metrics'}"
    print(header)
    print("-" * len(header))
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        metric_text = _metric_text({k: v for k, v in metrics.items() if not k.startswith("system/")})
        seed = tags.get(schema.SEED) or (f"{tags[schema.GROUP_SEEDS]}" if schema.GROUP_SEEDS in tags else "-")
        commit = (tags.get(schema.GIT_COMMIT) or "-")[:7]
        if tags.get(schema.GIT_DIRTY) == "true":
            commit += "*"
        print(f"{run.info.run_name:<28} {run.info.status:<9} {seed:>11} {commit:<9} {metric_text}")
    print(f"\nOpen them with: mlflow ui --backend-store-uri {location.tracking_uri}")
    return 0 if runs else 1


def _metric_text(metrics: dict[str, float]) -> str:
    """``name=value`` each; a ``--seeds`` parent's statistics as ``name=mean±std (n=N)``."""
    parts = []
    for key, value in sorted(metrics.items()):
        name, _, statistic = key.rpartition("/")
        if statistic in schema.GROUP_STATISTICS and f"{name}/mean" in metrics:
            if statistic == "mean":
                std, n = metrics.get(f"{name}/std"), metrics.get(f"{name}/n")
                spread = f"±{std:.2g}" if std is not None else ""
                parts.append(
                    f"{name}={value:.4g}{spread} (n={n:.0f})" if n is not None else f"{name}={value:.4g}"
                )
            continue
        parts.append(f"{key}={value:.4g}")
    return "  ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
