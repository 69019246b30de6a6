# The two commands a newcomer needs: `make up` (the platform, locally) and
# `make test` (every test tier this machine supports). Both set up the pinned
# toolchain first; a cached setup takes about a second.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
TIER ?=

.PHONY: setup chart-deps chart-docs chart-schemas api-docs lint format test test-unit test-charts images ci-local bench up model down status clean

setup:
	@./toolchain/setup.sh

# Package the common library into each subchart, for installing a subchart on its own
# (the umbrella needs no build: its subcharts are folders in charts/platform/charts/).
chart-deps: setup
	@$(PY) -m devstack.chart_deps

# Regenerate the values table in every chart's README.md from values.yaml comments (helm-docs).
chart-docs: setup
	@./toolchain/chart_docs.sh

# Regenerate every chart's values.schema.json from its values.schema.src.json and the
# shared definitions in charts/platform/charts/common/values.schema.definitions.json.
chart-schemas: setup
	@$(PY) toolchain/chart_schema.py

# Regenerate docs/api/ (the model API's OpenAPI document and its reference) from the
# document the service serves.
api-docs: setup
	@$(PY) toolchain/api_reference.py

lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/yamllint --strict .
	@echo "lint: clean"

format: setup
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

# Every tier; `make test TIER=chart` runs one (unit, chart, component, browser, cluster,
# containers, pipelines, load).
test: lint
	@$(PYTEST) $(if $(TIER),-m "$(TIER)",)

test-unit:
	@$(MAKE) --no-print-directory test TIER=unit

test-charts:
	@$(MAKE) --no-print-directory test TIER=chart

# The serving, training and web app images for linux/amd64 and linux/arm64 with docker
# buildx, what the pipelines' image jobs run: REGISTRY=host/namespace, VERSIONS="tag ...",
# PUSH=true to push (else only built). Needs a multi-platform buildx builder.
REGISTRY ?=
VERSIONS ?=
PUSH ?= false
images: setup
	@$(PY) -m devstack.pipelines.images --registry "$(REGISTRY)" --versions "$(VERSIONS)" --push "$(PUSH)"

# The users' pipelines (ci/) run here, every job this machine can run: act and
# gitlab-ci-local, pushes to a registry on 127.0.0.1, the images for linux/amd64 and
# linux/arm64 (arm64 emulated), the arm64 model image answering (docs/pipelines.md).
ci-local: setup
	@./toolchain/setup.sh ci_tools
	@$(PY) -m devstack.pipelines

# Not a test: the served model against its in-process limit and its peers, side by side
# (about 12 minutes; see docs/benchmarks.md). BENCH_ARGS passes options, e.g.
# BENCH_ARGS="--out docs/benchmarks" to refresh the published results.
BENCH_ARGS ?=
bench: setup
	@$(PY) -m benchmarks $(BENCH_ARGS)

# The main job: the platform on this machine (see devstack/cli.py).
up: setup
	@$(PY) -m devstack up

# The champion trained, gated and packaged as a Bento (path in .run/bento-path), for CI's image.
model: setup
	@$(PY) -m devstack model

down: setup
	@$(PY) -m devstack down

status: setup
	@$(PY) -m devstack status

clean:
	rm -rf .tools .venv charts/platform/charts/*/charts .pytest_cache .ruff_cache
