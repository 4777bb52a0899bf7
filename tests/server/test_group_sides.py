"""Seed groups over REST: comparing two ``--seeds`` parents is the group comparison ``%compare`` makes
(one core path, one verdict), and a parent's relations hold its children, their shared configuration
and each metric's mean ± sd (n)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_exp.query.comparison import compare_groups
from jupyter_exp.query.groups import resolve
from tests.support.kernels import store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def grouped(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A project with two ``--seeds 0,1,2`` groups recorded by a real kernel (once for the module)."""
    from tests.server.seeding import seed_groups

    root = tmp_path_factory.mktemp("groups") / "project"
    return root, seed_groups(root)


@pytest.fixture
def groups_api(jp_fetch, grouped, monkeypatch):
    monkeypatch.setenv("JUPYTER_EXP_ROOT", str(grouped[0]))

    async def get(*parts: str, **params: str):
        response = await jp_fetch("jupyter-exp", *parts, params=params)
        return json.loads(response.body)

    return get


async def test_two_parents_compare_as_groups_with_compares_verdict(groups_api, grouped):
    root, parents = grouped
    small, large = parents["small"], parents["large"]
    document = await groups_api("compare", run_ids=f"{small},{large}", max_points="50")
    groups = document["groups"]
    assert groups is not None, "two --seeds parents compared as two plain runs"
    assert document["sides"] == "groups"
    assert [len(g["run_ids"]) for g in groups["groups"]] == [3, 3]
    assert [g["label"] for g in groups["groups"]] == ["small", "large"]
    # %compare SMALL LARGE: the same sides (groups.resolve) and the same statistics (compare_groups)
    client = store(root)
    expected = compare_groups([resolve(client, small), resolve(client, large)])
    verdicts = {(row["metric"], row["verdict"], row["outcome"]) for row in groups["statistics"]}
    assert verdicts == {(row["metric"], row["verdict"], row["outcome"]) for row in expected.rows()}
    assert {row["metric"] for row in groups["statistics"]} == {"eval/accuracy", "train/loss"}
    # the sides' shared configuration, not the parents' (absent) params; bands, not child-index curves
    assert document["params"]["differing"] == ["lr"] and "hidden" in document["params"]["keys"]
    assert document["series"] == {} and len(groups["series"]["eval/accuracy"]) == 2
    assert "eval/accuracy/ci_high" not in document["metrics"]["keys"]
    assert all(cell["source"] and "--seeds" in cell["source"] for cell in document["cells"])
    # the baseline is the first id: swapped, the difference changes sign
    swapped = await groups_api("compare", run_ids=f"{large},{small}", max_points="50")
    before = {r["metric"]: r["difference"] for r in groups["statistics"]}
    after = {r["metric"]: r["difference"] for r in swapped["groups"]["statistics"]}
    assert after["eval/accuracy"] == pytest.approx(-before["eval/accuracy"])


async def test_a_parents_relations_and_its_childrens(groups_api, grouped):
    _, parents = grouped
    found = await groups_api("runs", parents["small"], "relations")
    assert [child["seed"] for child in found["children"]] == ["0", "1", "2"]
    assert found["shared_params"]["lr"] == "0.05" and found["shared_params"]["hidden"] == "8"
    assert "seed" in found["varying_params"] and "lr" not in found["varying_params"]
    accuracy = found["summaries"]["eval/accuracy"]
    assert accuracy["n"] == 3 and 0.74 < accuracy["mean"] < 0.76 and accuracy["std"] > 0
    assert next(iter(found["summaries"])) == "eval/accuracy"  # user metrics before system/ ones
    assert found["snapshot_run_id"] == found["children"][0]["run_id"]  # a parent has no snapshot of its own
    child = await groups_api("runs", found["children"][1]["run_id"], "relations")
    assert child["parent"]["run_id"] == parents["small"] and child["children"] == []
    listed = await groups_api("runs", notebook="nb/groups.ipynb", max_results="50")
    by_id = {run["run_id"]: run for run in listed["runs"]}
    assert by_id[found["children"][0]["run_id"]]["parent_run_id"] == parents["small"]
    assert by_id[parents["small"]]["parent_run_id"] is None


async def test_reproductions_are_linked_both_ways(groups_api, grouped):
    root, parents = grouped
    client = store(root)
    original = client.get_run(parents["large"])
    reproduction = client.create_run(
        original.info.experiment_id,
        run_name="large",
        tags={"jupyter_exp.reproduced_from": parents["large"], "jupyter_exp.reproduction.verdict": "exact"},
    ).info.run_id
    client.set_terminated(reproduction)
    found = await groups_api("runs", parents["large"], "relations")
    assert [(r["run_id"], r["verdict"]) for r in found["reproductions"]] == [(reproduction, "exact")]
    back = await groups_api("runs", reproduction, "relations")
    assert back["reproduced_from"]["run_id"] == parents["large"] and back["reproductions"] == []


async def test_relations_of_an_unknown_run_is_a_404(groups_api):
    with pytest.raises(Exception) as raised:
        await groups_api("runs", "0" * 32, "relations")
    assert getattr(raised.value, "code", None) == 404
