"""What ``jupyter_exp.checkpoint()`` costs a tracked training cell (issue 27): a small torch model with its
optimizer, against ``torch.save`` of the same state dicts to local disk, in a real kernel."""

from __future__ import annotations

import json

from .harness import Result, meets, size

CELL = """\
%%track --quiet --name bench
import time, tempfile, os, statistics, json, torch, jupyter_exp
model = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
opt = torch.optim.Adam(model.parameters())
model(torch.randn(4, 256)).sum().backward(); opt.step()
folder = tempfile.mkdtemp()
saves, checkpoints = [], []
for step in range({repeat}):
    start = time.perf_counter()
    torch.save({{"model": model.state_dict(), "optimizer": opt.state_dict()}}, os.path.join(folder, f"{{step}}.pt"))
    saves.append(time.perf_counter() - start)
    start = time.perf_counter()
    jupyter_exp.checkpoint(model, step=step, optimizer=opt, loss=1.0 / (step + 1))
    checkpoints.append(time.perf_counter() - start)
print(json.dumps({{"save": statistics.median(saves), "checkpoint": statistics.median(checkpoints)}}))
"""


def test_a_checkpoint_costs_at_most_twice_torch_save(bench, project, kernel_session) -> None:
    session = kernel_session(project)
    session.run("%load_ext jupyter_exp")
    session.run(
        "%%track --quiet\nimport torch, jupyter_exp\njupyter_exp.checkpoint(torch.nn.Linear(2, 2), step=0)"
    )
    reply, outputs = session.run(CELL.format(repeat=size(20, 3)))
    assert reply["status"] == "ok", outputs
    text = "".join(str(o.get("text", "")) for o in outputs if o["type"] == "stream")
    times = json.loads(text.strip().splitlines()[-1])
    result = bench.record(
        "checkpoint of a 70k-parameter torch model + Adam",
        Result(times["checkpoint"] * 1e3, times["save"] * 1e3, "ms", note="vs torch.save of its state dicts"),
    )
    meets(result, 0.5, "at most 2x torch.save to local disk")
