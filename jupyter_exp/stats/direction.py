"""Which way is better for a metric: lower for losses, errors and costs, higher for the rest."""

from __future__ import annotations

import re
from collections.abc import Iterable

# the last part of the name decides (``eval/loss``, ``system/wall_time_s``, ``val_error_rate``)
DEFAULT_LOWER_IS_BETTER = (
    r"loss|error|err\b|mse|mae|rmse|nll|perplexity|ppl|regret|latency|wall_time|cpu_time|_mb\b|memory"
)


def lower_is_better_rule(pattern: str | Iterable[str] | None = None) -> re.Pattern[str]:
    """The rule as a regular expression: ``None`` is the default pattern, a string a regular expression
    searched in the metric name (case-insensitive), a list the exact names whose lower values are better."""
    if pattern is None:
        text = DEFAULT_LOWER_IS_BETTER
    elif isinstance(pattern, str):
        text = pattern
    else:
        text = "|".join(rf"^{re.escape(name)}$" for name in pattern) or r"(?!)"
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"lower-is-better pattern {text!r} is not a regular expression: {error}") from None


def lower_is_better(metric: str, rule: re.Pattern[str] | None = None) -> bool:
    return bool((rule or lower_is_better_rule()).search(metric))
