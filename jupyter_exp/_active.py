"""The metric writer of the tracked cell running now (None between tracked cells). No imports."""

from typing import Any

writer: Any = None
