"""The replay kernel's side: the probe decides "no GPU" for a CPU-only torch without importing it and reads
the installed distributions as importlib does; generator states it is not to restore stay undecoded."""

from __future__ import annotations

import random
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy
import pytest

from jupyter_exp.capture import rng_codec
from jupyter_exp.capture.environment import installed_distributions, requirements_txt
from jupyter_exp.reproduce.inkernel import decode_states, torch_gpu_build, torch_version_file

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


def test_the_probe_reads_each_distribution_as_importlib_does() -> None:
    expected = {}
    for dist in metadata.distributions():  # parses each metadata file as an e-mail message, twice
        if dist.name:
            expected[dist.name.lower()] = (dist.name, dist.version)
    assert installed_distributions() == expected and len(expected) > 50
    assert requirements_txt().splitlines() == [
        f"{n}=={v}" for n, v in (expected[k] for k in sorted(expected))
    ]


def test_numpy_states_left_out_are_never_decoded(tmp_path: Path) -> None:
    """A seeded replayed cell seeds numpy as it is imported: its recorded states are dropped undecoded, so
    that the replay kernel does not import numpy for them; the rest keeps its shape check."""
    states = {"random": random.getstate(), "numpy": numpy.random.get_state(), "numpy@import": None}
    (tmp_path / "states.json").write_text(rng_codec.dumps(states))
    check = (
        "import sys; from pathlib import Path; from jupyter_exp.reproduce.inkernel import decode_states\n"
        "text = Path(sys.argv[1]).read_text()\n"
        "kept = decode_states(text, ('numpy', 'numpy@import'))\n"
        "print(sorted(kept), 'numpy' in sys.modules)\n"
        "print(sorted(decode_states(text)), 'numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check, str(tmp_path / "states.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "['random'] False",
        "['numpy', 'numpy@import', 'random'] True",
    ]
    with pytest.raises(rng_codec.StateFormatError):
        decode_states('{"dict": {"numpy": 1, "random": {"pickle": "x"}}}', ("numpy",))
