"""docs/settings.md is what tools/autogen_config.py writes from the settings as they are now (``make docs``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from jupyter_exp.config import JupyterExp
from jupyter_exp.server import JupyterExpApp

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "settings.md"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("autogen_config", ROOT / "tools" / "autogen_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_page_is_what_the_generator_writes():
    expected = _generator().render()
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "docs/settings.md is out of date with the traitlets or the JupyterLab schema: run `make docs`"
    )


def test_every_setting_is_on_the_page():
    text = PAGE.read_text(encoding="utf-8")
    for cls in (JupyterExp, JupyterExpApp):
        for name in cls.class_own_traits(config=True):
            assert f"`{cls.__name__}.{name}`" in text, (
                f"{cls.__name__}.{name} is missing from docs/settings.md"
            )


def test_check_mode_says_when_the_page_is_stale(tmp_path, capsys):
    generator = _generator()
    stale = tmp_path / "settings.md"
    stale.write_text("# Settings\n", encoding="utf-8")
    assert generator.main(["--check", "--output", str(stale)]) == 1
    assert "make docs" in capsys.readouterr().err
    assert generator.main(["--output", str(stale)]) == 0
    assert generator.main(["--check", "--output", str(stale)]) == 0
