"""Checkpoints of tracked cells as MLflow LoggedModels, resuming from them, and a registry whose promotion
alias is gated by the reproduction verdict (docs/models.md)."""
