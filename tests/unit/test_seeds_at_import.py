"""numpy seeded as it is imported when it is not imported yet (capture/seeds.py, issue 24 section 4): the
same generator state as seeding it before the cell, without a cell that never uses numpy paying its import,
and fresh entropy a cell draws from numpy it imports itself still derived from the seed (capture/entropy.py)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
from jupyter_exp.capture import seeds
from jupyter_exp.capture.entropy import EntropyWatch
if sys.argv[1] == "eager":
    import numpy
seeds.apply_seed(1234)
seeds.apply_seed(42)  # a later seed before numpy's import replaces the first
imported_by_seeding = "numpy" in sys.modules
with EntropyWatch(42) as watch:  # as a tracked cell runs: the cell imports numpy itself
    import numpy as np
    state = np.random.get_state()
    draws = np.random.random(3).tolist()
    fresh = float(np.random.default_rng().random())  # unseeded: derived from the cell's seed
import numpy.random.bit_generator as bit_generator
print(json.dumps({
    "imported_by_seeding": imported_by_seeding,
    "draws": draws,
    "position": int(state[2]),
    "fresh": fresh,
    "unreplayable": dict(watch.unreplayable),
    "loader": type(np.__loader__).__name__,
    "spec_loader": type(np.__spec__.loader).__name__,
    "finder_left": seeds._numpy_at_import in sys.meta_path,
    "callbacks_left": len(seeds._numpy_import_hooks),
    "randbits_restored": bit_generator.randbits.__class__.__name__ != "function",
}))
"""


def run(mode: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_numpy_seeded_at_its_import_is_in_the_state_a_seed_before_gives():
    eager, lazy = run("eager"), run("lazy")
    assert lazy["imported_by_seeding"] is False  # the seed did not import numpy
    assert lazy["draws"] == eager["draws"] and lazy["position"] == eager["position"]
    assert lazy["fresh"] == eager["fresh"] and lazy["unreplayable"] == eager["unreplayable"] == {}
    assert lazy["loader"] == lazy["spec_loader"] == eager["loader"]  # numpy's own loader, ours gone
    assert lazy["finder_left"] is False and lazy["callbacks_left"] == 0
    assert lazy["randbits_restored"] is True
