"""A run's artifacts are read where they belong: a link planted among them, or a path leading out of the
run's folder, reads as absent, never as the file it points at (on a real SQLite store with local artifacts)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from mlflow import MlflowClient

from jupyter_exp.tracking.artifacts import read_artifact

SECRET = "the server's own file, outside every run"


def test_links_and_paths_out_of_a_run_are_not_followed(tmp_path: Path) -> None:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("shared", artifact_location=(tmp_path / "mlartifacts").as_uri())
    run = client.create_run(experiment)
    source = tmp_path / "cell.py"
    source.write_text("x = 1\n")
    client.log_artifact(run.info.run_id, str(source), "jupyter_exp")
    uri = client.get_run(run.info.run_id).info.artifact_uri
    outside = tmp_path / "private.txt"
    outside.write_text(SECRET)
    folder = Path(url2pathname(urlsplit(uri).path)) / "jupyter_exp"

    assert read_artifact(client, run.info.run_id, "jupyter_exp/cell.py", uri) == "x = 1\n"  # the honest read
    (folder / "cell.py").unlink()
    (folder / "cell.py").symlink_to(outside)
    assert read_artifact(client, run.info.run_id, "jupyter_exp/cell.py", uri) is None
    assert read_artifact(client, run.info.run_id, "../../../private.txt", uri) is None
