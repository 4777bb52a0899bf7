"""Statistics over groups of runs: sample summaries, and inference between groups."""
