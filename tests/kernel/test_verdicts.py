"""What the verdict compares, end to end: a record made in a real kernel, replayed in a fresh one."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_exp.ipython.widgets import ReproductionReport
from tests.support.git import init_repo
from tests.support.kernels import KernelSession, all_runs, artifact, artifact_json, store, write_notebook
from tests.support.reproduce import location, record_session, reproduce

pytestmark = pytest.mark.kernel


def recorded_cell(tmp_path: Path, *cells: str) -> tuple[Path, str]:
    """A project whose notebook runs ``cells`` after loading the extension; the last one is tracked."""
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    init_repo(root)
    sources = ["%load_ext jupyter_exp", *cells]
    recorded = record_session(root, sources, list(range(len(sources))))
    (run,) = [r for r in recorded["runs"].values() if "reproduced_from" not in r.data.tags]
    return root, run.info.run_id


def test_a_cell_with_nothing_to_compare_is_unverified(tmp_path: Path) -> None:
    root, run_id = recorded_cell(tmp_path, "%%track --name quiet\nimport math")
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "unverified", result.verdict.summary
    assert result.verdict.summary == "nothing to compare: no metrics, outputs, figures or bound values"
    client = store(root)
    assert client.get_run(result.run_id).data.tags["jupyter_exp.reproduction.verdict"] == "unverified"
    document: dict[str, Any] = artifact_json(client, result.run_id, "reproduction.json")
    assert document["verdict"] == "unverified" and document["compared"]["metrics"] == 0


FIGURE_CELLS = [
    "shift = float(open('shift.txt').read())",
    "%%track --name plot\nimport matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, shift, 2]);",
]


def test_a_figure_is_recorded_and_compared_by_its_pixels(tmp_path: Path) -> None:
    (tmp_path / "project" / "nb").mkdir(parents=True)
    (tmp_path / "project" / "nb" / "shift.txt").write_text("1.0")
    root, run_id = recorded_cell(tmp_path, *FIGURE_CELLS)
    client = store(root)
    assert artifact_json(client, run_id, "outputs.json")["figures"] == ["figures/figure-1.png"]
    assert artifact(client, run_id, "figures/figure-1.png").read_bytes().startswith(b"\x89PNG")

    same = reproduce(root, run_id)
    assert same.verdict.verdict == "exact", same.verdict.summary
    assert same.verdict.summary == "0 metrics, 1 output line and 1 figure identical"  # <Figure size ...>
    document = artifact_json(client, same.run_id, "reproduction.json")
    assert document["compared"]["figures"] == 1 and document["figures"][0]["differing"] == 0
    assert artifact(client, same.run_id, "figures/figure-1.png").exists()  # both images are kept

    (root / "nb" / "shift.txt").write_text("1.5")
    changed = reproduce(root, run_id)
    assert changed.verdict.verdict == "diverged", changed.verdict.summary
    (figure,) = changed.verdict.figures
    assert 0 < figure.differing < figure.pixels
    assert changed.verdict.summary == f"figure differs: {figure.describe()}"


BINDING_CELLS = [
    "import numpy as np\noffset = float(open('offset.txt').read())",
    "%%track --name bind\nw = np.random.randn(6) + offset\nb = float(w.sum())",
]


def test_a_cell_that_only_binds_values_is_verified_by_their_digests(tmp_path: Path) -> None:
    (tmp_path / "project" / "nb").mkdir(parents=True)
    (tmp_path / "project" / "nb" / "offset.txt").write_text("0.5")
    root, run_id = recorded_cell(tmp_path, *BINDING_CELLS)
    client = store(root)
    recorded = artifact_json(client, run_id, "state.json")
    assert sorted(recorded["values"]) == ["b", "w"] and recorded["values"]["w"]["summary"] == "float64 (6,)"

    same = reproduce(root, run_id)
    assert same.verdict.verdict == "exact", same.verdict.summary
    assert same.verdict.summary == "0 metrics and 2 bound values identical"

    (root / "nb" / "offset.txt").write_text("0.501")
    changed = reproduce(root, run_id)
    assert changed.verdict.verdict == "diverged", changed.verdict.summary
    by_name = {b.name: b for b in changed.verdict.bound}
    assert by_name["w"].describe() == "w: 6 of 6 elements differ, max abs 0.001"
    document = artifact_json(client, changed.run_id, "reproduction.json")
    assert document["compared"]["bound values"] == 2
    table = repr(ReproductionReport(changed, location(root)))
    assert "diverged: 6 of 6 elements differ, max abs 0.001" in table  # the row of w


# -- issue 25: precise verdicts -------------------------------------------------------------------------
RECORDED_TZ, OTHER_TZ = "Etc/GMT+12", "Etc/GMT-14"  # UTC-12 and UTC+14: always another day
PRECISE_CELLS = [
    "%load_ext jupyter_exp",
    '%%track --name stamp\nimport datetime\nprint(f"Last updated: {datetime.datetime.now()}")',
    '%%track --name weekday\nimport datetime, time\nprint("day", datetime.date.today().strftime("%A"), '
    '"offset", time.strftime("%z"))',
    "%%track --name config\nfrom sklearn.linear_model import Ridge\nformula = 'y ~ x'\n"
    "features = ['a', 'b']\nprint(f'Formula: {formula}')\nRidge(alpha=0.5)",
]


@pytest.fixture(scope="module")
def precise(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One session recorded under TZ=Etc/GMT+12: the run id of each tracked cell by its name."""
    root = tmp_path_factory.mktemp("precise") / "project"
    root.mkdir()
    init_repo(root)
    notebook = root / "nb" / "clock.ipynb"
    ids = write_notebook(notebook, PRECISE_CELLS)
    session = KernelSession(root, notebook, extra_env={"TZ": RECORDED_TZ})
    try:
        for source, cell_id in zip(PRECISE_CELLS, ids, strict=True):
            reply, _ = session.run(source, cell_id)
            assert reply["status"] == "ok", reply
    finally:
        session.close()
    return {"root": root, **{r.info.run_name: r.info.run_id for r in all_runs(store(root))}}


def test_a_date_under_another_time_zone_and_day_is_never_exact(precise: dict[str, Any]) -> None:
    root = precise["root"]
    recorded = artifact_json(store(root), precise["weekday"], "environment.json")["time_zone"]
    assert recorded["name"] == RECORDED_TZ and recorded["utc_offset"] == "-1200"
    same = reproduce(root, precise["weekday"])  # the recorded TZ is put back in the replay kernel
    assert same.verdict.verdict == "exact", same.verdict.summary
    later = reproduce(root, precise["weekday"], tz=OTHER_TZ)
    assert later.verdict.verdict == "diverged", later.verdict.summary
    assert "under another time zone (Etc/GMT+12 (-1200) → Etc/GMT-14 (+1400))" in later.verdict.summary
    assert "likely cause: the cell read the clock (" in later.verdict.summary
    assert "date.today()" in later.verdict.summary
    drift = {row.what: row for row in later.drift}
    assert drift["time zone"].row() == ("time zone", "Etc/GMT+12 (-1200)", "Etc/GMT-14 (+1400)")


def test_a_masked_date_alone_compares_nothing(precise: dict[str, Any]) -> None:
    """It was `exact`, "the outputs identical", replayed 3 days later in another time zone."""
    result = reproduce(precise["root"], precise["stamp"], tz=OTHER_TZ)
    assert result.verdict.verdict == "unverified", result.verdict.summary
    assert result.verdict.summary == (
        "nothing compared: the outputs held only masked date/time (1 line), under another time zone "
        "(Etc/GMT+12 (-1200) → Etc/GMT-14 (+1400)); the cell read the clock (datetime.now())"
    )


def test_a_configuration_repr_and_literals_compare_nothing(precise: dict[str, Any]) -> None:
    result = reproduce(precise["root"], precise["config"])
    assert result.verdict.verdict == "unverified", result.verdict.summary
    assert result.verdict.summary == (
        "nothing compared: the outputs held only a configuration repr (1 line), a literal of the cell "
        "(1 line); the cell bound only literals (inputs: features, formula)"
    )


MODEL_CELLS = [
    "import numpy as np\nshift = float(open('shift.txt').read())",
    """%%track --name models
import torch
from sklearn.ensemble import RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
x = np.random.default_rng(0).normal(size=(30, 3))
y = x.sum(axis=1) + shift
forest = RandomForestRegressor(n_estimators=4, random_state=0).fit(x, y)
search = GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2).fit(x, y)
process = GaussianProcessRegressor(random_state=0).fit(x, y)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)
    def forward(self, batch):
        return self.layer(batch)
net = Net()
error = net(torch.tensor(x, dtype=torch.float32)).squeeze(1) - torch.tensor(y, dtype=torch.float32)
(error ** 2).mean().backward()
torch.optim.SGD(net.parameters(), lr=0.1).step()""",
]
MODELS = {"forest", "search", "process", "net"}


def test_models_are_compared_by_what_they_learned(tmp_path: Path) -> None:
    (tmp_path / "project" / "nb").mkdir(parents=True)
    (tmp_path / "project" / "nb" / "shift.txt").write_text("0.0")
    root, run_id = recorded_cell(tmp_path, *MODEL_CELLS)
    values = artifact_json(store(root), run_id, "state.json")["values"]
    assert set(values) >= MODELS, values.keys()  # "not compared" before issue 25
    same = reproduce(root, run_id)
    assert same.verdict.verdict == "exact", same.verdict.summary
    (root / "nb" / "shift.txt").write_text("0.5")
    changed = reproduce(root, run_id)
    assert changed.verdict.verdict == "diverged", changed.verdict.summary
    assert {b.name for b in changed.verdict.bound if b.status == "diverged"} >= MODELS


LOADER_CELL = """%%track --name loader
import torch
import jupyter_exp
from torch.utils.data import DataLoader, TensorDataset
data = TensorDataset(torch.arange(64.0).unsqueeze(1), torch.arange(64.0))
model = torch.nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for step, (xb, yb) in enumerate(DataLoader(data, batch_size=8, shuffle=True, num_workers=2)):
    loss = ((model(xb).squeeze(1) - yb) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    jupyter_exp.log(step=step, loss=float(loss))"""


def test_a_shuffled_dataloader_with_workers_is_exact(tmp_path: Path) -> None:
    """It was `unverified`: multiprocessing drew os.urandom for its process auth keys."""
    root, run_id = recorded_cell(tmp_path, LOADER_CELL)
    assert "jupyter_exp.entropy.unreplayable" not in store(root).get_run(run_id).data.tags
    result = reproduce(root, run_id)
    assert result.verdict.verdict == "exact", result.verdict.summary
    assert result.verdict.summary.startswith(
        "1 metric and 5 bound values identical (note: entropy read by infrastructure, not a result: "
        "os.urandom by multiprocessing ("
    )


def test_a_kernel_the_server_starts_is_told_its_kernelspec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel cannot see its spec's name: two specs of this interpreter are a doubt ('unknown') unless the
    server that starts it says which."""
    from jupyter_client.multikernelmanager import AsyncMultiKernelManager

    from jupyter_exp.server.hashseed import draw_hash_seeds

    for name in ("one", "two"):
        folder = tmp_path / "kernels" / name
        folder.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (folder / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.delenv("JUPYTER_EXP_KERNEL_NAME", raising=False)

    async def named() -> str:
        manager = AsyncMultiKernelManager()
        draw_hash_seeds(manager)
        kernel_id = await manager.start_kernel(kernel_name="two")
        client = manager.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            seen: list[str] = []
            code = "from jupyter_exp.capture.kernel import kernelspec_name\nprint(kernelspec_name())"
            reply = await client.execute_interactive(
                code, timeout=60, output_hook=lambda m: seen.append(m["content"].get("text", ""))
            )
            assert reply["content"]["status"] == "ok", reply
            return "".join(seen).strip()
        finally:
            client.stop_channels()
            await manager.shutdown_all(now=True)

    assert asyncio.run(named()) == "two"  # 'unknown' before: the guess cannot tell one from two
