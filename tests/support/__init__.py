"""What the suites share, imported from here and never from another suite's conftest or test module.

- ``git``: real git repositories (the git CLI).
- ``kernels``: real kernels on a real store (``KernelSession``, ``run_notebook``, ``store``, ``all_runs``,
  the artifact readers, ``make_project``).
- ``reproduce``: record a notebook in a kernel, reproduce one of its runs.
- ``journal``: waiting on conditions, the journal folder, ``jupyter-exp sync``, a kernel killed after its cell.
- ``lab``: a real JupyterLab and the Chromium pages that drive it.
- ``plugin``: the fixtures every suite gets (``project``, ``kernel_session``, ``browser``), registered by
  ``pytest_plugins`` in tests/conftest.py.
"""
