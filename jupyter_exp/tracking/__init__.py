"""The run lifecycle over MLflow's client: store, recorder, metric writer."""
