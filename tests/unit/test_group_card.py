"""The seed group's card: the statistics table and the progress line, in text (plain IPython) and HTML."""

from __future__ import annotations

from pathlib import Path

from jupyter_exp.config import JupyterExp, resolve_store
from jupyter_exp.ipython.group_card import GroupCard, summary_rows, system_rows
from jupyter_exp.track.prepared import TrackOptions
from jupyter_exp.track.seed_group import ChildResult, SeedGroup, plan_seeds, summarize_children


def a_group(tmp_path: Path) -> SeedGroup:
    plan = plan_seeds("0,1,2", None)
    assert plan is not None
    group = SeedGroup(plan, TrackOptions(), lambda options: None, JupyterExp(root=str(tmp_path)), None)
    group.name, group.run_id, group.experiment_id = "fit", "parent123", "1"
    group.location = resolve_store(JupyterExp(root=str(tmp_path)))
    return group


def test_card_shows_progress_and_statistics_as_children_finish(tmp_path: Path) -> None:
    card = GroupCard(a_group(tmp_path))
    card.child_started(0, 0)
    assert "0/3 seeds finished · running seed 0 (1/3)" in card.text()
    finished = [{"acc": 0.8}, {"acc": 0.9}]
    card.child_recorded(ChildResult(0, "c0", "FINISHED", finished[0]), summarize_children(finished[:1]))
    assert summary_rows(card.summaries) == [("acc", "0.8", "", "no spread", "1")]  # one seed: says so
    card.child_recorded(ChildResult(1, "c1", "FINISHED", finished[1]), summarize_children(finished))
    card.child_recorded(ChildResult(2, "c2", "KILLED", {}), summarize_children(finished))
    card.ended("KILLED", ["a warning"])
    text = card.text()
    assert text.startswith("[jupyter-exp] group fit (parent123) KILLED: 2/3 seeds finished (seed 2 KILLED)")
    # acc over 0.8 and 0.9: mean 0.85, sd 0.07071, t(0.975, 1) * sd / sqrt(2) = 0.6353
    assert "acc     0.85  0.07071  0.2147 to 1.485  2" in text and text.endswith("⚠ a warning")
    page = card.html()
    assert "data-status='KILLED'" in page and "<td class='jp-exp-card-value'>0.85</td>" in page
    assert "seeds 0,1,2" in page and "a warning" in page


def test_system_metrics_are_kept_apart_from_the_results_with_no_interval(tmp_path: Path) -> None:
    card = GroupCard(a_group(tmp_path))
    seeds = [{"acc": 0.8, "system/wall_time_s": 0.5}, {"acc": 0.9, "system/wall_time_s": 5.7}]
    for index, metrics in enumerate(seeds):
        summaries = summarize_children(seeds[: index + 1])
        card.child_recorded(ChildResult(index, f"c{index}", "FINISHED", metrics), summaries)
    card.ended("FINISHED", [])

    assert [row[0] for row in summary_rows(card.summaries)] == ["acc"]  # no CI on a wall time (it went < 0)
    assert system_rows(card.children) == [("system/wall_time_s", "3.1", "0.5", "5.7")]
    text = card.text()
    results, system = text.split("system (per seed):")
    assert "system/" not in results and system.split()[-4:] == ["system/wall_time_s", "3.1", "0.5", "5.7"], (
        text
    )
    page = card.html()
    results_html, system_html = page.split("<details class='jp-exp-card-system'>")
    assert "system/" not in results_html and "<td class='jp-exp-card-value'>3.1</td>" in system_html
    assert "<details class='jp-exp-card-system' open" not in page  # collapsed
