"""The replay kernel's probe decides "no GPU" for a CPU-only torch without importing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_exp.reproduce.inkernel import torch_gpu_build, torch_version_file

CPU_BUILD = "__version__ = '2.13.0+cpu'\ncuda: Optional[str] = None\nhip: Optional[str] = None\n"


@pytest.mark.parametrize(
    ("text", "gpu"),
    [
        (CPU_BUILD, False),
        (CPU_BUILD.replace("cuda: Optional[str] = None", "cuda: Optional[str] = '12.4'"), True),
        (CPU_BUILD.replace("hip: Optional[str] = None", "hip = '6.2.41133'"), True),  # ROCm
        ("__version__ = '1.0'\n", True),  # not recognised: ask torch itself
    ],
)
def test_torch_gpu_build_from_its_version_file(tmp_path: Path, text: str, gpu: bool) -> None:
    version = tmp_path / "version.py"
    version.write_text(text)
    assert torch_gpu_build(version) is gpu


def test_installed_torch_agrees_with_its_own_answer() -> None:
    import torch

    expected = torch.version.cuda is not None or getattr(torch.version, "hip", None) is not None
    assert torch_gpu_build(torch_version_file()) is expected
    assert torch_gpu_build(None) is True
