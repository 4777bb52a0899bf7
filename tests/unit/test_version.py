"""One version source: the Python package takes package.json's (hatch-nodejs-version writes _version.py)."""

import json
from pathlib import Path

import jupyter_exp

ROOT = Path(__file__).resolve().parents[2]


def test_python_version_is_package_json_version():
    assert jupyter_exp.__version__ == json.loads((ROOT / "package.json").read_text())["version"]


def test_jupyterlab_is_not_a_runtime_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [
        d.split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip() for d in project["dependencies"]
    ]
    assert "jupyter_server" in names and "jupyterlab" not in names
    assert project["optional-dependencies"]["lab"] == ["jupyterlab>=4.6,<5"]
