"""Pure capture functions: what a tracked cell ran with. No MLflow here."""
