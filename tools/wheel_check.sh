#!/usr/bin/env bash
# What the JupyterLab extension template's CI does with a package, on this machine (`make test-wheel`):
# build the sdist and the wheel from it, install the wheel into a fresh venv with no node on PATH, check
# `jupyter labextension list` / `jupyter server extension list`, run `python -m jupyterlab.browser_check`
# (its browser step on Debian's Chromium), and one `%%track` + `%reproduce last` (tools/wheel_check.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORK=${WHEEL_CHECK_DIR:-build/wheel-check}
start=$(date +%s)
rm -rf "$WORK"
mkdir -p "$WORK/no-node" "$WORK/dist" "$WORK/run"
WORK=$(cd "$WORK" && pwd)

# node, npm and friends answer "not here": neither building the wheel from the sdist nor using it needs them
for tool in node nodejs npm npx yarn jlpm; do
  printf '#!/bin/sh\necho "%s: no node in the wheel check" >&2\nexit 127\n' "$tool" >"$WORK/no-node/$tool"
  chmod +x "$WORK/no-node/$tool"
done
# PATH without the dev venv (the Makefile puts it first)
plain_path=$(tr ':' '\n' <<<"$PATH" | grep -v -x -F "$PWD/.venv/bin" | paste -sd: -)
no_node_path="$WORK/no-node:$plain_path"

test -f jupyter_exp/labextension/package.json || { echo "build the labextension first (make install)" >&2; exit 1; }
rm -f jupyter_exp/labextension/install.json  # a stray copy (editable installs over the develop link) doubles the wheel's
# sdist from the checkout (the prebuilt labextension goes in as an artifact), then the wheel from the sdist
PATH="$no_node_path" "$PY" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
wheel=$(ls "$WORK"/dist/jupyter_exp-*.whl)
sdist=$(ls "$WORK"/dist/jupyter_exp-*.tar.gz)
echo "built $(basename "$sdist") and $(basename "$wheel") with no node ($(($(date +%s) - start)) s)"

base_python=$("$PY" -c 'import sys; print(sys._base_executable)')
"$base_python" -m venv "$WORK/venv"
# pinned by the lock; pip's cache (and any wheel locations configured on the machine) are reused
PATH="$no_node_path" "$WORK/venv/bin/python" -m pip install --quiet -c requirements/dev.lock \
  "${wheel}[lab]" playwright
"$WORK/venv/bin/python" -m pip check
echo "installed the wheel into a fresh venv ($(($(date +%s) - start)) s)"

cp tools/wheel_check.py "$WORK/run/"
cd "$WORK/run"
env -u MLFLOW_TRACKING_URI -u JUPYTER_EXP_ROOT -u JPY_SESSION_NAME -u JUPYTER_CONFIG_DIR -u JUPYTER_DATA_DIR \
  PATH="$WORK/venv/bin:$no_node_path" HOME="$WORK/home" JUPYTER_PLATFORM_DIRS=1 \
  MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
  "$WORK/venv/bin/python" wheel_check.py
echo "wheel check passed in $(($(date +%s) - start)) s"
