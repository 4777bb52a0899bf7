"""jupyter_exp.capture.secrets: credentials masked by value, in params, config.json and the run card."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp.capture.cell import ConfigValue, capture_config, config_document, config_to_params
from jupyter_exp.capture.secrets import MASK, redact_text
from jupyter_exp.config import StoreLocation
from jupyter_exp.ipython.widgets import RunCard

GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2  # built here: no token-shaped literal in the repository
FINE_GRAINED = "github_pat_" + "11ABCDEFG0" * 4
OPENAI = "sk-proj-" + "Zx9" * 12
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
SLACK = "xoxb-" + "1234567890-abcdefABCDEF"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://user:pass@host/db", "postgresql://user:***@host/db"),
        (
            "mysql+pymysql://svc:p%40ss@db.internal:3306/mlflow",
            "mysql+pymysql://svc:***@db.internal:3306/mlflow",
        ),
        ("https://u:pw@[::1]:8443/x?q=1", "https://u:***@[::1]:8443/x?q=1"),
        (f"https://{GITHUB}@github.com/org/repo.git", "https://***@github.com/org/repo.git"),
        ("connect to redis://:hunter2@cache:6379/0 then go", "connect to redis://:***@cache:6379/0 then go"),
        ("two: s3://a:b@x and ftp://c:d@y", "two: s3://a:***@x and ftp://c:***@y"),
        (f"token {GITHUB} here", f"token {MASK} here"),
        (FINE_GRAINED, MASK),
        (f"OPENAI_API_KEY={OPENAI}", f"OPENAI_API_KEY={MASK}"),
        (AWS, MASK),
        (f"slack {SLACK}", f"slack {MASK}"),
    ],
)
def test_credentials_masked_by_value(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sqlite:////tmp/x/mlflow.db",
        "http://127.0.0.1:5000",
        "user@example.com wrote this",
        "git@github.com:org/repo.git",
        "sk-learn is not a key",
        "desk-lamp-1234567890123456789012",
        "AKIA is a prefix only",
        "resnet50 lr=3e-4 task-sketchy-2024",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact_text(text) == text


def test_params_and_config_json_never_hold_a_password():
    cell = f'db_url = "postgresql://user:s3cr3tpw@host/db"\nremotes = ["https://a:s3cr3tpw@h/r"]\ngh = "{GITHUB}"\n'
    config = capture_config(cell, {}, extra_params={"cache": "redis://:s3cr3tpw@c:6379"})
    config["opts"] = ConfigValue({"dsn": "mysql://root:s3cr3tpw@db/x", "n": 3}, "object")
    params = config_to_params(config)
    document = config_document(config)
    assert params["db_url"] == "postgresql://user:***@host/db"
    assert params["opts.dsn"] == "mysql://root:***@db/x" and params["opts.n"] == "3"
    assert params["gh"] == MASK
    for text in (repr(params), repr(document)):
        assert "s3cr3tpw" not in text and GITHUB not in text
    assert document["remotes"] == {"value": ["https://a:***@h/r"], "source": "cell"}


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://user:s3cr3tpw@db.internal/mlflow", "postgresql://user:***@db.internal/mlflow"),
        ("https://user:s3cr3tpw@mlflow.example.org", "https://mlflow.example.org/#/experiments/1/runs/r1"),
    ],
)
def test_run_card_shows_no_credentials(uri, shown):
    card = RunCard("mlp-1", "r1", StoreLocation(uri, None, Path("/tmp")), "1")
    html = card.html()
    assert "s3cr3tpw" not in html and "s3cr3tpw" not in card.text()
    assert shown in html
