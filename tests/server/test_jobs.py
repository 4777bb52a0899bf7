"""Reproduction jobs through the REST API: started, polled, cancelled, refused, on a real server's kernels."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from tests.support.kernels import all_runs
from tests.support.server import JupyterExpAPI, wait_for

REPO = Path(__file__).resolve().parents[2]


async def wait_until_ended(api: JupyterExpAPI, job_id: str, timeout: float = 240) -> dict:
    async def ended() -> dict | None:
        job = await api(f"reproductions/{job_id}")
        return job if job["state"] != "running" else None

    return await wait_for(ended, timeout, f"job {job_id} to end")


async def test_a_job_reproduces_a_run_and_reports_progress(api, seeded, jp_serverapp):
    kernels_before = set(jp_serverapp.kernel_manager.list_kernel_ids())
    code, job = await api.post("reproductions", {"run_id": seeded.ids["alpha"]})
    assert code == 202
    assert job["state"] == "running" and job["run_id"] == seeded.ids["alpha"] and job["verdict"] is None

    ended = await wait_until_ended(api, job["id"])
    assert ended["state"] == "finished", ended
    assert ended["verdict"] == "exact", ended["summary"]
    assert ended["kernel"] == "python3" and ended["error"] is None and ended["ended"] >= ended["created"]
    total = ended["progress"]["total"]
    assert total >= 2 and ended["progress"]["done"] == total  # load_ext, imports, then the tracked cell
    reproduced = seeded.client.get_run(ended["reproduction_run_id"])
    assert reproduced.data.tags["jupyter_exp.reproduced_from"] == seeded.ids["alpha"]
    assert reproduced.data.tags["jupyter_exp.reproduction.verdict"] == "exact"
    assert reproduced.info.status == "FINISHED"
    assert [j["id"] for j in (await api("reproductions"))["jobs"]] == [job["id"]]
    assert set(jp_serverapp.kernel_manager.list_kernel_ids()) == kernels_before


async def test_overrides_make_a_varied_reproduction(api, seeded):
    body = {"run_id": seeded.ids["beta"], "kernel": "python3", "overrides": {"lr": "0.4"}}
    code, job = await api.post("reproductions", body)
    assert code == 202 and job["overrides"] == {"lr": "0.4"}
    ended = await wait_until_ended(api, job["id"])
    assert ended["state"] == "finished" and ended["verdict"] == "varied", ended
    assert "lr: 0.2 → 0.4" in ended["summary"]
    assert seeded.client.get_run(ended["reproduction_run_id"]).data.params["lr"] == "0.4"


def _kernel_that_never_answers(kernel_dir: str) -> str:
    """A kernelspec whose process never becomes a kernel: a replay on it is cancelled while it waits, however
    fast replays get (a fixed sleep before the cancel raced a replay that had already finished)."""
    folder = Path(kernel_dir) / "never-ready"
    folder.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-c", "import time; time.sleep(600)", "{connection_file}"]
    spec = {"argv": argv, "display_name": "never ready", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))
    return "never-ready"


async def test_cancel_shuts_the_replay_down(api, seeded, jp_serverapp, jp_kernel_dir):
    kernels_before = set(jp_serverapp.kernel_manager.list_kernel_ids())
    kernel = _kernel_that_never_answers(jp_kernel_dir)
    _, job = await api.post("reproductions", {"run_id": seeded.ids["alpha"], "kernel": kernel})
    await wait_for(
        lambda: set(jp_serverapp.kernel_manager.list_kernel_ids()) - kernels_before,
        120,
        "the replay kernel to be started",
    )
    assert (await api(f"reproductions/{job['id']}"))["state"] == "running"
    code, cancelled = await api.post(f"reproductions/{job['id']}/cancel")
    assert code == 200 and cancelled["state"] == "cancelled" and cancelled["ended"] is not None
    assert set(jp_serverapp.kernel_manager.list_kernel_ids()) == kernels_before
    running = seeded.client.search_runs(
        [e.experiment_id for e in seeded.client.search_experiments()], "attributes.status = 'RUNNING'"
    )
    assert running == []
    with pytest.raises(HTTPClientError) as again:
        await api.post(f"reproductions/{job['id']}/cancel")
    assert (
        again.value.code == 409
        and "already ended (cancelled)" in json.loads(again.value.response.body)["message"]
    )


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({}, 400, "run_id is required"),
        ({"run_id": "0123abcd"}, 404, "no run with id '0123abcd'"),
        ({"run_id": "PLAIN"}, 400, "was not recorded by %%track"),
        ({"run_id": "ALPHA", "kernel": "no-such-kernel"}, 400, "no-such-kernel"),
        ({"run_id": "ALPHA", "overrides": {"nothing_like_this": "1"}}, 400, "nothing_like_this"),
        ({"run_id": "ALPHA", "overrides": ["lr=1"]}, 400, "overrides must be an object"),
        ({"run_id": "ALPHA", "rtol": -1}, 400, "rtol must be a number >= 0"),
        ({"run_id": "ALPHA", "slice": "yes"}, 400, "slice must be true"),
        ({"run_id": "ALPHA", "tz": "Mars/Olympus_Mons"}, 400, "tz must be a time zone name"),
    ],
)
async def test_bad_requests_start_nothing(api, seeded, jp_serverapp, body, code, words):
    body = {
        k: seeded.ids["plain" if v == "PLAIN" else "alpha"] if v in ("PLAIN", "ALPHA") else v
        for k, v in body.items()
    }
    with pytest.raises(HTTPClientError) as error:
        await api.post("reproductions", body)
    message = json.loads(error.value.response.body)["message"]
    assert error.value.code == code and words in message, message
    assert jp_serverapp.kernel_manager.list_kernel_ids() == []
    assert (await api("reproductions"))["jobs"] == []


async def test_unknown_jobs_are_404(api):
    for call in (api("reproductions/0abc"), api.post("reproductions/0abc/cancel")):
        with pytest.raises(HTTPClientError) as error:
            await call
        assert error.value.code == 404 and "no reproduction job 0abc" in error.value.response.body.decode()


async def test_another_users_run_needs_an_explicit_confirmation(api, seeded, jp_serverapp):
    client = seeded.client
    run_id = seeded.ids["alpha"]
    recorder = client.get_run(run_id).data.tags.get("mlflow.user")
    client.set_tag(run_id, "mlflow.user", "someone-else")
    try:
        kernels_before = set(jp_serverapp.kernel_manager.list_kernel_ids())
        with pytest.raises(HTTPClientError) as refused:
            await api.post("reproductions", {"run_id": run_id})
        assert refused.value.code == 409
        message = json.loads(refused.value.response.body)["message"]
        assert "recorded by someone-else" in message and "confirm_foreign" in message
        assert set(jp_serverapp.kernel_manager.list_kernel_ids()) == kernels_before  # nothing started
        code, job = await api.post("reproductions", {"run_id": run_id, "confirm_foreign": True})
        assert code == 202
        ended = await wait_until_ended(api, job["id"])
        assert ended["state"] == "finished", ended
    finally:
        client.set_tag(run_id, "mlflow.user", recorder or "")


async def test_a_seed_groups_parent_replays_every_child(api, seeded):
    """The sidebar's Reproduce on a ``--seeds`` parent: each child replayed in seed order in one job, one
    progress bar over all of them, the group's verdict (was: refused, the parent has no cell record)."""
    sources = [
        "%load_ext jupyter_exp",
        "import random\nimport jupyter_exp",
        "%%track --seeds 5,6 --name grp --quiet\nfor step in range(5):\n    jupyter_exp.log(step=step, x=random.random())",
        "jupyter_exp.wait_for_runs(120)",
    ]
    notebook = seeded.root / "nb" / "group.ipynb"
    record = (  # nbclient in a process of its own: its blocking client wants the event loop this test runs on
        "import json, sys; from pathlib import Path; from tests.support.kernels import run_notebook; "
        "run_notebook(Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3]))"
    )
    recording = await asyncio.create_subprocess_exec(
        sys.executable, "-c", record, str(notebook), json.dumps(sources), str(seeded.root), cwd=REPO
    )
    assert await recording.wait() == 0
    runs = all_runs(seeded.client)
    parent = next(r for r in runs if r.info.run_name == "grp")
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 2

    code, job = await api.post("reproductions", {"run_id": parent.info.run_id})
    assert code == 202 and job["run_id"] == parent.info.run_id
    ended = await wait_until_ended(api, job["id"])
    assert ended["state"] == "finished" and ended["verdict"] == "exact", ended
    assert ended["summary"] == "2 children replayed: 2 exact"
    assert ended["progress"]["done"] == ended["progress"]["total"] > 2  # both replays' cells, one bar
    reproduced = [
        r
        for r in all_runs(seeded.client)
        if r.data.tags.get("jupyter_exp.reproduced_from") in {c.info.run_id for c in children}
    ]
    assert sorted(r.data.tags["jupyter_exp.reproduced_from"] for r in reproduced) == sorted(
        c.info.run_id for c in children
    )
    assert {r.data.tags["jupyter_exp.reproduction.verdict"] for r in reproduced} == {"exact"}
