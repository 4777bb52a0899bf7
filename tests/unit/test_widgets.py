"""The inline run card follows the theme: classes over JupyterLab's variables, no hex colour of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jupyter_exp import record_schema as schema
from jupyter_exp.config import StoreLocation
from jupyter_exp.ipython.widgets import CARD_CSS, STATUS_COLOURS, VERDICT_COLOURS, RunCard, store_label


def _card(uri: str, root: Path, status: str = "FINISHED") -> RunCard:
    card = RunCard("lr-0.1", "0123abcd", StoreLocation(uri, None, root), "1")
    card.status = status
    card.metrics = {"loss": 0.25}
    card.warnings = ["a warning"]
    return card


def test_css_colours_are_theme_variables_with_fallbacks():
    # A hex colour only as the last fallback of a var(), after its comma.
    fallbacks_removed = re.sub(r",\s*#[0-9a-fA-F]{3,8}\)", ")", CARD_CSS)
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", fallbacks_removed) == []
    assert "var(--jp-ui-font-color1" in CARD_CSS and "var(--jp-success-color1" in CARD_CSS
    for status in STATUS_COLOURS:
        assert f".jp-exp-card[data-status='{status}']" in CARD_CSS
    assert set(VERDICT_COLOURS) == set(schema.VERDICTS)
    for verdict in schema.VERDICTS:
        assert f".jp-exp-card[data-verdict='{verdict}']" in CARD_CSS


@pytest.mark.parametrize("status", ["RUNNING", "FINISHED", "FAILED", "KILLED"])
def test_card_uses_classes_not_inline_styles(tmp_path, status):
    text = _card(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path, status).html()
    assert "style=" not in text
    assert f"data-status='{status}'" in text and f"<style>{CARD_CSS}</style>" in text
    assert "class='jp-exp-card-warning'" in text and "class='jp-exp-card-value'" in text


def test_sqlite_store_under_the_root_is_shown_relative(tmp_path):
    uri = f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"
    assert store_label(StoreLocation(uri, None, tmp_path)) == ("runs/mlflow.db (SQLite)", uri)
    text = _card(uri, tmp_path).html()
    shown = re.sub(r'title="[^"]*"', "", text)  # what the page shows, the hover text left out
    assert "runs/mlflow.db (SQLite)" in shown and str(tmp_path) not in shown
    assert f'title="{uri}"' in text


def test_other_stores_are_shown_by_their_uri(tmp_path):
    outside = "sqlite:////elsewhere/mlflow.db"
    assert store_label(StoreLocation(outside, None, tmp_path)) == (outside, outside)
    server = "postgresql://user:pw@db.internal/mlflow"
    assert store_label(StoreLocation(server, None, tmp_path))[0] == "postgresql://user:***@db.internal/mlflow"
