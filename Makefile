# jupyter-exp: `make lab` (JupyterLab on examples/ with the embedded store) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
LAB_STAMP := jupyter_exp/labextension/package.json
TS_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f 2>/dev/null) package.json package-lock.json tsconfig.json
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=
# pytest-xdist workers for the slow tiers of test-python (CI has 2 cores; files stay whole on one worker, so
# module-scoped fixtures hold); PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
CHROMIUM ?= /usr/bin/chromium
# extra pip arguments for the locked install, e.g. PyTorch's CPU wheels on Linux:
#   make install PIP_INDEX_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_INDEX_ARGS ?=
# venv tools first: npm scripts call `jupyter-builder` by name
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install gateway peers browser lab docs screenshots test test-fast test-python test-deploy test-js test-wheel lock-check lock-resolve mlflow-ui lint format demo bench bench-smoke clean

install: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENV)/.deps: requirements/dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(PIP_INDEX_ARGS) -r requirements/dev.lock
	@touch $@

$(LAB_STAMP): $(VENV)/.deps node_modules/.installed $(TS_SOURCES)
	npm run build:prod

$(STAMP): $(VENV)/.deps $(LAB_STAMP) pyproject.toml
	@# pip writes the wheel's shared data through the develop symlink into jupyter_exp/labextension otherwise
	rm -rf $(VENV)/share/jupyter/labextensions/jupyter-exp
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/jupyter-builder develop --overwrite . >/dev/null
	$(BIN)/jupyter server extension enable --sys-prefix jupyter_exp >/dev/null
	@touch $@

# Jupyter Enterprise Gateway for tests/gateway, in an environment of its own (EG 3.3 needs jupyter_server 1
# and jupyter_client 6; jupyter-exp needs 2 and 8): .venv-gateway from requirements/gateway.lock.
GATEWAY_VENV := .venv-gateway
GATEWAY_PYTHON ?= python3.11
gateway: $(GATEWAY_VENV)/.installed

$(GATEWAY_VENV)/.installed: requirements/gateway.lock
	test -x $(GATEWAY_VENV)/bin/python || $(GATEWAY_PYTHON) -m venv $(GATEWAY_VENV)
	$(GATEWAY_VENV)/bin/python -m pip install --quiet -r requirements/gateway.lock
	@touch $@

# The peer trackers `make bench` times side by side with ours (trackio, wandb offline), in an environment of
# their own so that their dependencies never meet the project's: .venv-peers from requirements/peers.lock.
PEERS_VENV := .venv-peers
peers: $(PEERS_VENV)/.installed

$(PEERS_VENV)/.installed: requirements/peers.lock
	test -x $(PEERS_VENV)/bin/python || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install --quiet -r requirements/peers.lock
	@touch $@

# The browser tests drive Debian's Chromium; installed here when missing (needs root and apt).
browser:
	@command -v $(CHROMIUM) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: install Debian's chromium package (the browser tests need it)" >&2; exit 1; fi; }

# LAB_PORT picks the port (default 8888, or the next free one); the address with its token is printed.
LAB_PORT ?=
lab: install
	cd examples && ../$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. $(if $(LAB_PORT),--ServerApp.port=$(LAB_PORT))

# The stock MLflow UI on the embedded store of `make lab` (examples/mlflow.db); MLFLOW_UI_PORT to move it.
MLFLOW_UI_PORT ?= 5000
mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/examples/mlflow.db --default-artifact-root $(CURDIR)/examples/mlartifacts --host 127.0.0.1 --port $(MLFLOW_UI_PORT)

demo: install
	$(PY) tools/demo.py examples/quickstart.ipynb

lint: install
	$(BIN)/ruff check jupyter_exp tests
	$(BIN)/ruff format --check jupyter_exp tests
	$(BIN)/mypy
	$(PY) -m pytest -q -p no:cacheprovider tests/unit/test_import_direction.py
	$(BIN)/codespell jupyter_exp tests docs README.md labextension/src
	npm run lint

format: install
	$(BIN)/ruff check --fix jupyter_exp tests
	$(BIN)/ruff format jupyter_exp tests
	npm run lint:fix

# docs/settings.md from the settings themselves (the traitlets and the JupyterLab schema); a unit test
# (tests/unit/test_settings_doc.py) fails while it is out of date.
docs: install
	$(PY) tools/autogen_config.py

# The screenshots of the README and docs/sidebar.md (docs/images), taken by the browser test (it fails on a temporary path on the page).
SCREENSHOTS := sidebar-runs run-detail compare reproduced sidebar-dark compare-dark run-charts runs-table-parallel runs-table-parallel-dark sweep-view sweep-view-dark
screenshots: install browser
	$(PY) -m pytest tests/ui/test_sidebar.py tests/ui/test_run_management.py tests/ui/test_sweep_view.py -q -p no:cacheprovider
	for name in $(SCREENSHOTS); do cp build/ui-screenshots/$$name.png docs/images/; done

test-js: install
	npm test

# The unit tier alone, the import direction included: no kernel, server or browser; under 2 minutes.
test-fast: install
	$(PY) -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)

# The unit tier, then the slow ones (kernel, server, ui, faults, security, gateway) on $(PYTEST_WORKERS) workers.
test-python: install browser gateway
	$(BIN)/jupyter labextension list 2>&1 | grep -q "jupyter-exp.*enabled.*OK"
	$(BIN)/jupyter server extension list 2>&1 | grep -q "jupyter_exp.*enabled"
	$(PY) -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)
	$(PY) -m pytest tests --ignore=tests/unit --ignore=tests/bench --ignore=tests/deploy -p no:cacheprovider $(XDIST) $(PYTEST_ARGS)

# A team's deployment (tests/deploy/harness.py): PostgreSQL (apt-get install postgresql when missing) and
# mlflow server with basic auth on loopback, throwaway data; tests/deploy, then the kernel record, reproduce
# and sidebar REST suites and the REST and load benchmarks (smoke size: the load run is 2 kernels for 10 s)
# against it. It fails, saying why, when a part cannot start.
DEPLOY_TESTS := tests/deploy tests/kernel/test_record.py tests/server/test_runs_api.py \
  tests/kernel/test_reproduce.py::test_out_of_order_unseeded_notebook_reproduces_exactly \
  tests/kernel/test_reproduce.py::test_reproduce_magic_in_a_kernel_shows_the_verdict_table \
  tests/bench/test_server_logging_bench.py tests/bench/test_load_bench.py
test-deploy: install
	JUPYTER_EXP_TEST_STORE=deploy JUPYTER_EXP_BENCH=smoke $(PY) -m pytest $(DEPLOY_TESTS) -p no:cacheprovider $(PYTEST_ARGS)

test: lint test-js test-python test-deploy bench-smoke lock-check test-wheel

# Every pin of the lock has a wheel on PyPI alone (no configured wheel locations) for Python 3.11-3.12 on
# Linux x86_64/aarch64 and macOS arm64 (reads the index, downloads nothing).
lock-check: install
	$(PY) tools/check_lock.py requirements/dev.lock
	$(PY) tools/check_lock.py --python 3.11.5 requirements/gateway.lock
	$(PY) tools/check_lock.py requirements/peers.lock

# pip's resolver on the lock with PyPI alone, ignoring every pip configuration (downloads the wheels: ~1 GB)
lock-resolve: install
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
	  $(PY) -m pip install --isolated --dry-run --ignore-installed \
	  -r requirements/dev.lock

# The extension template's CI on this machine: sdist and wheel, the wheel in a fresh venv with no node on
# PATH, extension lists, jupyterlab.browser_check (on Debian's Chromium), one %%track + %reproduce last.
test-wheel: install browser
	PY=$(PY) tools/wheel_check.sh

# Benchmarks: ours, the MLflow way and the peers (trackio, wandb offline) side by side; prints the table,
# writes bench-results.json.
bench: install peers
	JUPYTER_EXP_PEERS_PYTHON=$(CURDIR)/$(PEERS_VENV)/bin/python $(PY) -m pytest tests/bench -s -p no:cacheprovider

# The benchmarks at tiny sizes, asserting only that their results are right (part of `make test`).
bench-smoke: install
	JUPYTER_EXP_BENCH=smoke $(PY) -m pytest tests/bench -q -p no:cacheprovider -m "not deploy"  # those: test-deploy

clean:
	rm -rf $(VENV) $(PEERS_VENV) node_modules labextension/lib jupyter_exp/labextension tsconfig.tsbuildinfo
