"""Process-wide state of the tracked cell running now. No imports.

``writer``: the metric writer of the tracked cell running now (None between tracked cells).
``replay_directive``: what a replay driver asks of the next ``%%track`` cell (set silently before it
by ``jupyter_exp.reproduce.inkernel``; consumed once).
"""

from typing import Any

writer: Any = None
replay_directive: dict[str, Any] | None = None
