"""The fault suite: each test injects a real fault (a killed kernel, a store that is away, a full disk,
hostile input) into real kernels and a real MLflow store, and reports one line of what survived
(tests/faults/report.py; printed at the end of the run by tests/support/plugin.py, also under pytest-xdist)."""
