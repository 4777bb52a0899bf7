"""The launch command of a kernelspec served by a Jupyter Enterprise Gateway:

    "argv": ["/path/to/python", "-m", "jupyter_exp.kernels.launch", "-f", "{connection_file}"]

It turns the ``KERNEL_*`` variables jupyter-exp sent (``forwarding.to_kernel_env``) back into the names
the kernel reads (the tracking URI, ``PYTHONHASHSEED``, the replay's context), moves to the requested
working directory where it exists, and replaces itself with ``python -m ipykernel_launcher`` so that the
hash seed applies from the interpreter's start. Arguments after the module are passed to ipykernel.
"""

from __future__ import annotations

import os
import sys

from jupyter_exp.kernels.forwarding import from_kernel_env, working_dir


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    env = from_kernel_env(os.environ)
    where = working_dir(os.environ)
    if where is not None:
        os.chdir(where)
    os.execve(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args], env)


if __name__ == "__main__":
    main()
