"""The replay kernel as the user sees it: nothing of its own start-up on the terminal or in the notebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.kernels import make_project
from tests.support.reproduce import record_session, reproduce

pytestmark = pytest.mark.kernel


def test_a_local_replay_kernel_warns_of_no_unencrypted_transport(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path)
    recorded = record_session(root, ["%load_ext jupyter_exp", "%%track --name tiny\nprint(1 + 1)"], [0, 1])
    capfd.readouterr()  # what the recording kernel printed
    result = reproduce(root, recorded["runs"]["tiny"].info.run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    err = capfd.readouterr().err  # the replay kernel writes to the stderr it inherited from us
    assert "without encryption" not in err, err
