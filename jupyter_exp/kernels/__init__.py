"""Kernels started elsewhere (a Jupyter Enterprise Gateway): what they are sent and how they take it."""
