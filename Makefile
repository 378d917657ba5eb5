# reproml: `make setup` once, then `make run`, `make test`, `make lint`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: setup run serve images mirror-images reliability lint test test-quick bench bench-goals bench-scaling bench-serving bench-sdk bench-dvc lock clean help

help:
	@echo "make setup       create .venv (Python 3.12) with the pinned stack and dev tools"
	@echo "make run         the DAG offline on synthetic pets (SAMPLES=400): model, report, release"
	@echo "make serve       serve the released model with MLServer on 127.0.0.1:8080 (PORT=...)"
	@echo "make images      build and push the step and serving images (needs a Docker engine)"
	@echo "make mirror-images REGISTRY=...  copy every third-party image there (needs a Docker engine)"
	@echo "make lint        ruff, mypy on pachlite, import-linter layer contracts"
	@echo "make test        the whole test suite (what CI runs)"
	@echo "make test-quick  the suite without the slow end-to-end and crash tests"
	@echo "make bench       the benchmarks in bench/ at their default sizes"
	@echo "make bench-goals issue 15's performance goals, each measured once, as one table (~15 min)"
	@echo "make bench-scaling  the scaling curves, DVC beside (docs/performance-scaling.png; ~30 min)"
	@echo "make bench-serving  MLServer with 0, 1 and 2 inference workers, 1 and 8 clients (after make run)"
	@echo "make reliability crash (100 SIGKILL trials per scenario), concurrency and bad-input figures"
	@echo "make bench-sdk   the gRPC API through pachyderm-sdk: puts, a 1 GiB GetFile, inspect_commit (QUICK=1)"
	@echo "make bench-dvc   install DVC in bench/.dvc-venv so bench/ingest.py compares with it"

setup: $(VENV)/.installed $(VENV)/.kubectl

# kubectl renders gitops/ with kustomize in the tests (offline); it is a Debian package.
$(VENV)/.kubectl:
	@command -v kubectl >/dev/null || { \
	  echo "installing kubectl (apt-get install kubectl)"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q kubectl >/dev/null || { \
	    echo "error: kubectl is missing and apt-get could not install it; install kubectl" >&2; exit 1; }; }
	@mkdir -p $(VENV) && touch $@

$(VENV)/.installed: pyproject.toml constraints.txt
	@py=$$(scripts/find-python312) || exit 1; \
	  [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null || { rm -rf $(VENV); "$$py" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[ml,cpu,dev]'
	$(PY) -m pip check
	@touch $@

run: setup
	scripts/run-demo

# The model the gitops repository says is released (make run's demo remote by default).
serve: setup
	PACHLITE_ROOT="$${PACHLITE_ROOT:-$(CURDIR)/.pachlite}" \
	  $(PY) -m steps.serving --gitops "$${GITOPS_REPO:-$${RUN_DIR:-.run}/gitops.git}" \
	  --folder "$${RUN_DIR:-.run}/serving"

# The images in images/, tagged with the project version that every spec and manifest uses.
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
REGISTRY ?= reproml
# IMAGE_MIRROR=registry.example.com/mirror/ builds from the base image mirror-images copied there.
IMAGE_MIRROR ?=
images:
	@docker info >/dev/null 2>&1 || { echo "error: no Docker engine here; build the images where one runs" >&2; exit 1; }
	for image in steps-cpu steps-gpu serving; do \
	  docker build --build-arg IMAGE_MIRROR=$(IMAGE_MIRROR) --build-arg IMAGE=$(REGISTRY)/$$image:$(VERSION) \
	    -f images/$$image.Dockerfile \
	    -t $(REGISTRY)/$$image:$(VERSION) . && \
	  docker push $(REGISTRY)/$$image:$(VERSION) || exit 1; \
	done

# Every third-party image (images/third-party.txt) into REGISTRY, under its upstream name; the
# registry setting in gitops/apps/image-registry-configmap.yaml then points the manifests there.
mirror-images:
	@REGISTRY="$(if $(filter command line environment,$(origin REGISTRY)),$(REGISTRY))" \
	  scripts/mirror-images

PY_SCRIPTS := scripts/chart-source scripts/strict-crd-schema scripts/compare-runs scripts/architecture-figures
lint: setup
	$(BIN)/ruff check pachlite steps tests bench $(PY_SCRIPTS)
	$(BIN)/ruff format --check pachlite steps tests bench $(PY_SCRIPTS)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: setup
	$(BIN)/pytest -q

test-quick: setup
	$(BIN)/pytest -q -m "not slow" -x

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/provenance.py
	$(PY) bench/pipeline.py

# The performance goals' table (goal, figure, verdict), measured in one run; QUICK=1 for small
# sizes without make run.
bench-goals: setup
	$(PY) bench/goals.py $(if $(QUICK),--quick)

# The curves in docs/performance.md and docs/performance-scaling.png (run make bench-dvc first
# for the DVC side); QUICK=1 for small sizes.
bench-scaling: setup
	$(PY) bench/scaling.py $(if $(QUICK),--quick)

# The figures in docs/performance.md: make run's released model, served by MLServer.
bench-serving: setup
	$(PY) bench/serving.py --rounds 2 --json docs/serving.json --plot docs/serving.png

# The figures in docs/reliability.md (about 40 minutes on 2 cores); CI runs the quick variants.
reliability: setup
	$(PY) bench/reliability.py --trials $${TRIALS:-100}
	$(PY) bench/daemon_load.py

# docs/performance.md's "the gRPC API through pachyderm-sdk": one table, ratios from one run
# (about 3 minutes; needs 2 GiB free in /tmp); QUICK=1 for small sizes.
bench-sdk: setup
	$(PY) bench/sdk.py $(if $(QUICK),--quick,--json docs/sdk.json)

# DVC lives in its own venv: its dependencies must not shape the project's pins.
bench-dvc:
	@py=$$(scripts/find-python312) || exit 1; [ -x bench/.dvc-venv/bin/dvc ] || \
	  { "$$py" -m venv bench/.dvc-venv && bench/.dvc-venv/bin/pip install --quiet dvc; }

# Re-resolve the full pin set from the direct pins in pyproject.toml.
lock:
	@py=$$(scripts/find-python312) || exit 1; rm -rf /tmp/reproml-lock; "$$py" -m venv /tmp/reproml-lock
	/tmp/reproml-lock/bin/pip install --quiet '.[ml,cpu,dev]'
	{ echo '# Full pin set for `make setup` (pip install -c constraints.txt); regenerate with `make lock`.'; \
	  /tmp/reproml-lock/bin/pip freeze --exclude-editable | grep -v '^reproml'; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
