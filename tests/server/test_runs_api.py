"""The sidebar's REST API (docs/rest-api.md) in a real Jupyter server over a store of real tracked runs."""

from __future__ import annotations

import json

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_exp.tracking.identity import store_user
from tests.deploy.harness import deploy_mode, shared_deployment

from .seeding import NOTEBOOK, STEPS


async def error_of(call, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as raised:
        await call(*args, **kwargs)
    body = json.loads(raised.value.response.body)
    assert set(body) == {"message", "status"} and body["status"] == raised.value.code
    assert "Traceback" not in body["message"]
    return raised.value.code, body["message"]


async def test_lists_every_run_newest_first_with_its_record(api, seeded):
    answer = await api("runs")
    runs = answer["runs"]
    assert [r["run_name"] for r in runs] == ["plain", "broken", "beta", "alpha"]
    assert answer["next_page_token"] is None
    alpha = next(r for r in runs if r["run_name"] == "alpha")
    assert alpha["run_id"] == seeded.ids["alpha"]
    assert alpha["status"] == "FINISHED" and alpha["end_time"] >= alpha["start_time"]
    assert alpha["notebook"] == NOTEBOOK and alpha["experiment_name"] == NOTEBOOK
    assert alpha["seed"] == "1" and alpha["execution_count"] == 3 and alpha["cell_id"]
    assert len(alpha["git_commit"]) == 40 and alpha["git_dirty"] is True
    assert alpha["metrics"]["train/loss"] == pytest.approx(1 / (1 + (STEPS - 1) * 0.1))
    assert alpha["kernel_name"] == "python3" and alpha["verdict"] is None
    broken = next(r for r in runs if r["run_name"] == "broken")
    assert broken["status"] == "FAILED"
    plain = next(r for r in runs if r["run_name"] == "plain")
    assert plain["notebook"] is None and plain["git_commit"] is None and plain["git_dirty"] is None


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"notebook": NOTEBOOK}, ["broken", "beta", "alpha"]),
        ({"status": "failed"}, ["broken"]),
        ({"filter": "params.lr = '0.2'"}, ["beta"]),
        ({"filter": "metrics.`train/loss` < 0.5", "notebook": NOTEBOOK}, ["beta", "alpha"]),
        ({"filter": "lr=0.2"}, ["beta"]),  # the filter box's language (query/search_text.py)
        ({"filter": "metrics.train/loss < 0.5 and BET"}, ["beta"]),
        ({"tag": ["jupyter_exp.seed=1"]}, ["alpha"]),
        ({"experiment": NOTEBOOK, "order": "run_name ASC"}, ["alpha", "beta", "broken", "plain"]),
        ({"order": "metrics.train/loss ASC", "notebook": NOTEBOOK, "status": "FINISHED"}, ["beta", "alpha"]),
    ],
)
async def test_filters_and_orders(api, params, names):
    assert [r["run_name"] for r in (await api("runs", params))["runs"]] == names


async def test_pages_cover_every_run_once(api):
    seen, token = [], None
    for _ in range(10):
        params = {"max_results": 1, **({"page_token": token} if token else {})}
        answer = await api("runs", params)
        seen += [r["run_name"] for r in answer["runs"]]
        token = answer["next_page_token"]
        if token is None:
            break
    assert seen == ["plain", "broken", "beta", "alpha"]


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"filter": "lr > big"}, 400, "e.g. lr=0.2, metrics.`train/mse` < 0.3"),
        ({"order": "colour DESC"}, 400, "cannot order by 'colour'"),
        ({"status": "SLEEPING"}, 400, "unknown status 'SLEEPING'"),
        ({"max_results": 0}, 400, "max_results must be between 1 and 1000"),
        ({"max_results": "many"}, 400, "max_results must be an integer"),
        ({"page_token": "garbage"}, 400, "page token"),
        ({"tag": ["no-equals-sign"]}, 400, "tag must look like key=value"),
        ({"experiment": "no-such-experiment"}, 404, "no experiment named"),
    ],
)
async def test_bad_queries_are_one_line_4xx(api, params, code, words):
    status, message = await error_of(api, "runs", params)
    assert status == code and words in message and "\n" not in message


async def test_run_detail(api, seeded):
    run_id = seeded.ids["beta"]
    detail = await api(f"runs/{run_id}")
    assert detail["run_id"] == run_id and detail["run_name"] == "beta"
    assert detail["params"]["lr"] == "0.2" and detail["params"]["seed"] == "2"
    assert detail["tags"]["jupyter_exp.cell.id"] == detail["cell_id"]
    paths = {a["path"] for a in detail["artifacts"]}
    assert {"jupyter_exp/cell.py", "jupyter_exp/history.json", "jupyter_exp/notebook.ipynb"} <= paths
    assert all(a["size"] > 0 for a in detail["artifacts"])
    assert detail["cell_source"].startswith("%%track --name beta --seed 2\nlr = 0.2  # a faster rate")
    if deploy_mode():  # the team server's own UI, MLflow 3's machine-learning view
        experiment_id = seeded.client.get_run(run_id).info.experiment_id
        expected = f"{shared_deployment().tracking_uri}/#/experiments/{experiment_id}/runs/{run_id}"
        assert detail["ui_url"] == expected + "?workflowType=machine_learning"
    else:
        assert detail["ui_url"] is None  # a SQLite store has no MLflow UI to link to


async def test_unknown_run_is_404_everywhere(api):
    for path in ("runs/0123abcd", "runs/0123abcd/metrics", "runs/0123abcd/snapshot"):
        status, message = await error_of(api, path)
        assert status == 404 and "no run with id '0123abcd'" in message


async def test_metric_series_are_downsampled_keeping_the_ends(api, seeded):
    run_id = seeded.ids["alpha"]
    whole = (await api(f"runs/{run_id}/metrics", {"keys": "train/loss"}))["series"]
    assert list(whole) == ["train/loss"]
    full = whole["train/loss"]
    assert full["steps"] == list(range(STEPS)) and full["downsampled"] is False
    assert full["values"][0] == 1.0
    small = (await api(f"runs/{run_id}/metrics", {"max_points": 10}))["series"]
    assert set(small) >= {"train/loss", "train/acc", "system/wall_time_s"}
    loss = small["train/loss"]
    assert len(loss["steps"]) == 10 and loss["downsampled"] is True and loss["total_points"] == STEPS
    assert loss["steps"][0] == 0 and loss["steps"][-1] == STEPS - 1
    assert loss["steps"] == sorted(loss["steps"])
    assert all(full["values"][s] == v for s, v in zip(loss["steps"], loss["values"], strict=True))


@pytest.mark.parametrize(
    ("params", "words"),
    [({"keys": "eval/nothing"}, "has no metric 'eval/nothing'"), ({"max_points": 1}, "max_points must be")],
)
async def test_bad_metric_requests(api, seeded, params, words):
    status, message = await error_of(api, f"runs/{seeded.ids['alpha']}/metrics", params)
    assert status == 400 and words in message


async def test_snapshot_is_the_recorded_notebook(api, seeded):
    document = await api(f"runs/{seeded.ids['alpha']}/snapshot")
    notebook = nbformat.reads(json.dumps(document), as_version=4)
    nbformat.validate(notebook)
    assert any("--name alpha" in cell.source for cell in notebook.cells)
    status, message = await error_of(api, f"runs/{seeded.ids['plain']}/snapshot")
    assert status == 404 and "no notebook snapshot" in message


async def test_compare_two_runs(api, seeded):
    ids = [seeded.ids["alpha"], seeded.ids["beta"]]
    answer = await api("compare", {"run_ids": ",".join(ids), "max_points": 20})
    assert [r["run_name"] for r in answer["runs"]] == ["alpha", "beta"]
    params = answer["params"]
    assert set(params["differing"]) == {"lr", "seed"}
    assert params["values"]["lr"] == ["0.1", "0.2"]
    metrics = answer["metrics"]
    assert metrics["keys"][:2] == ["train/acc", "train/loss"] and metrics["keys"][-1].startswith("system/")
    assert metrics["final"]["train/loss"] == pytest.approx([1 / (1 + 49 * 0.1), 1 / (1 + 49 * 0.2)])
    curves = answer["series"]["train/loss"]
    assert [c["run_id"] for c in curves] == ids and all(len(c["steps"]) == 20 for c in curves)
    assert not any(key.startswith("system/") for key in answer["series"])
    first, second = answer["cells"]
    assert first["diff"] is None and "--name alpha" in first["source"]
    assert "-lr = 0.1\n" in second["diff"] and "+lr = 0.2  # a faster rate\n" in second["diff"]


@pytest.mark.parametrize(
    ("run_ids", "code", "words"),
    [("", 400, "2 to 20 distinct run ids, got 0"), ("abc,abc", 400, "got 1"), ("abc,def", 404, "no run")],
)
async def test_bad_comparisons(api, run_ids, code, words):
    status, message = await error_of(api, "compare", {"run_ids": run_ids})
    assert status == code and words in message


ROUTES = [
    ("GET", "store"),
    ("GET", "runs"),
    ("GET", "runs/RUN"),
    ("GET", "runs/RUN/metrics"),
    ("GET", "runs/RUN/snapshot"),
    ("GET", "compare"),
    ("GET", "reproductions"),
    ("POST", "reproductions"),
    ("GET", "reproductions/0abc"),
    ("POST", "reproductions/0abc/cancel"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("authorization", ["", "token not-the-token"])
async def test_every_route_refuses_unauthenticated_requests(
    jp_fetch, seeded, monkeypatch, method, route, authorization
):
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(seeded.root))
    run_id = seeded.ids["alpha"]
    parts = route.replace("RUN", run_id).split("/")
    body = json.dumps({"run_id": run_id}) if method == "POST" else None
    params = {"run_ids": f"{run_id},{seeded.ids['beta']}"} if route == "compare" else None
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(
            "jupyter-exp",
            *parts,
            method=method,
            body=body,
            params=params,
            headers={"Authorization": authorization},
        )
    assert error.value.code in (401, 403)
    text = error.value.response.body.decode() if error.value.response is not None else ""
    assert seeded.ids["alpha"] not in text and "lr" not in text and str(seeded.root) not in text


async def test_state_changes_are_post_only(api, seeded):
    status, _ = await error_of(api, "reproductions/0abc/cancel")
    assert status == 405
    # The runs and compare routes change nothing and take no POST.
    status, _ = await error_of(api, "runs", method="POST", body={})
    assert status == 405


async def test_runs_of_one_user_and_mine_by_default_on_a_shared_store(api, seeded):
    experiment_id = seeded.client.get_experiment_by_name(NOTEBOOK).experiment_id
    other = seeded.client.create_run(experiment_id, run_name="bobs", tags={"mlflow.user": "bob"})
    try:
        everyone = {r["run_name"] for r in (await api("runs", {"user": "all"}))["runs"]}
        assert everyone == {"plain", "broken", "beta", "alpha", "bobs"}
        bobs = (await api("runs", {"user": "bob"}))["runs"]
        assert [(r["run_name"], r["user"]) for r in bobs] == [("bobs", "bob")]
        mine = {r["run_name"] for r in (await api("runs", {"user": "mine"}))["runs"]}
        assert mine == everyone - {"bobs"} and store_user()  # the tracked runs say who ran them
        default = {r["run_name"] for r in (await api("runs"))["runs"]}
        assert default == (mine if deploy_mode() else everyone)  # "mine" is the default of shared stores
        status, message = await error_of(api, "runs", {"user": "o'n\"eil"})
        assert status == 400 and "quote" in message
    finally:
        seeded.client.delete_run(other.info.run_id)


@pytest.mark.skipif(
    deploy_mode(), reason="the team server's artifacts live on the server, not in a local file"
)
async def test_an_artifact_store_that_cannot_be_read_is_a_502_not_a_run_without_a_record(
    api, seeded, tmp_path
):
    """A run without ``cell.py`` has ``cell_source: null``; one whose artifact store fails (its location a
    file, not a folder) is a 502 saying so, in the detail and in a comparison, never "not recorded"."""
    (tmp_path / "a-file").write_text("not a folder")
    experiment = seeded.client.create_experiment(
        "unreadable", artifact_location=(tmp_path / "a-file").as_uri()
    )
    run = seeded.client.create_run(experiment, run_name="unreadable")
    try:
        assert (await api(f"runs/{seeded.ids['plain']}"))["cell_source"] is None
        run_id = run.info.run_id
        status, message = await error_of(api, f"runs/{run_id}")
        assert status == 502
        assert message.startswith(f"the tracking store failed: the artifacts of run {run_id} cannot be read")
        status, message = await error_of(api, "compare", {"run_ids": f"{seeded.ids['alpha']},{run_id}"})
        assert status == 502 and f"the artifacts of run {run_id} cannot be read" in message
    finally:
        seeded.client.delete_run(run.info.run_id)
