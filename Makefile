# gitea-provider-monitoring: the front door. `make help` lists the targets.
# `make build` and `make test` bootstrap everything they need (virtualenv, promtool) on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools/bin
OUT    ?= build
CONFIG ?=
CONFIG_FLAG := $(if $(CONFIG),--config $(CONFIG),)

.DEFAULT_GOAL := help
.PHONY: help build check test lint tools push e2e e2e-sim e2e-real bench clean fmt docs site real-stack-tools

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: CONFIG=file.yaml (overrides), OUT=dir (default build), GRAFANA_URL/GRAFANA_TOKEN for push"

$(BIN)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

TOOLS_STAMP := .tools/.fetched-v3

$(TOOLS_STAMP): scripts/fetch-tools scripts/go-build-tool
	scripts/fetch-tools

$(TOOLS)/blackbox_exporter:
	scripts/fetch-tools --with-blackbox

$(TOOLS)/jsonnet: scripts/fetch-jsonnet
	scripts/fetch-jsonnet

# Go-built tools (kustomize v5, actionlint, helm v3), pinned in scripts/go-tools and cached in .tools/bin.
GO_TOOLS_STAMP := .tools/.go-tools

$(GO_TOOLS_STAMP): scripts/go-tools
	scripts/go-tools
	@if [ -x $(TOOLS)/kustomize ] && [ -x $(TOOLS)/actionlint ] && [ -x $(TOOLS)/helm ]; then touch $@; fi

tools: $(GO_TOOLS_STAMP) real-stack-tools

# The real stack (docs/real-stack.md): Gitea, the provider, etcd, kube-apiserver, kube-state-metrics, built with Go
# (pinned in scripts/build-real-stack, cached in ~/.cache). Part of `make tools`, never a prerequisite of `make test`
# (a cold build takes ~30 min); without Go or ../shared it says so in one line and skips.
real-stack-tools: ## Build the real stack (Gitea, provider, etcd, kube-apiserver, kube-state-metrics) into .tools/
	scripts/build-real-stack

tools: ## Fetch promtool & co (Debian's); with Go also Prometheus 3.x, Alertmanager, helm v3/v4, and the real stack (20-60 min cold)
	scripts/fetch-tools $(if $(WITH_BLACKBOX),--with-blackbox,)

build: $(BIN)/.installed ## Compile dashboards, rules, manifests and tests into build/
	$(BIN)/gitea-monitoring build $(CONFIG_FLAG) --out $(OUT)

docs: $(BIN)/.installed ## Regenerate docs/runbooks.md and the alert and dashboard tables of docs/alerts-and-dashboards.md
	$(BIN)/gitea-monitoring docs

lint: build ## Lint build/ (rules, dashboards, manifests); `gitea-monitoring lint PATH...` for your own files
	$(BIN)/gitea-monitoring lint $(OUT)

# make check: the inner loop. The unit tests of the model, definitions, renderers and lint, without the
# suites marked slow (promtool over every config, random builds) and without servers (exporter, proxy,
# push, kustomize, e2e): those are make test's. docs/development.md says which target proves what.
CHECK_TESTS := tests/test_config.py tests/test_configs.py tests/test_overrides.py tests/test_templates.py \
	tests/test_dashboard_model.py tests/test_dashboards.py tests/test_build.py tests/test_kubernetes.py \
	tests/test_alertmanager.py tests/test_lint.py tests/lint tests/test_extension.py tests/test_docs.py \
	tests/test_layers.py tests/test_imports.py tests/test_versioning.py tests/test_durations.py \
	tests/test_provider_facts.py

check: $(BIN)/.installed $(TOOLS_STAMP) ## Inner loop, under 2 min: ruff, mypy, unit tests of model, definitions, renderers, lint (no servers)
	$(BIN)/ruff check .
	$(BIN)/mypy -p gitea_provider_monitoring
	PATH="$(CURDIR)/$(TOOLS):$$PATH" $(BIN)/python -m pytest -q -m "not e2e and not slow" $(CHECK_TESTS)

test: $(BIN)/.installed $(TOOLS_STAMP) $(TOOLS)/jsonnet $(GO_TOOLS_STAMP) ## ruff, mypy, build, lint, pytest (every config through promtool), docs site; CONFIG=f.yaml tests yours too
	$(BIN)/ruff check .
	$(BIN)/mypy -p gitea_provider_monitoring
	$(BIN)/gitea-monitoring build --out $(OUT)
	$(BIN)/gitea-monitoring lint $(OUT)
	$(if $(CONFIG),PATH="$(CURDIR)/$(TOOLS):$$PATH" $(BIN)/gitea-monitoring test --config $(CONFIG),)
	PATH="$(CURDIR)/$(TOOLS):$$PATH" $(BIN)/python -m pytest -q -m "not e2e"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(CURDIR)/site

site: $(BIN)/.installed ## Build the documentation site (docs/, mkdocs.yml) into site/; --strict: broken links fail
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir $(CURDIR)/site

push: build ## Push the dashboards in build/ to Grafana (GRAFANA_URL, GRAFANA_TOKEN)
	$(BIN)/gitea-monitoring push --dir $(OUT)/grafana/dashboards $(CONFIG_FLAG) $(PUSH_FLAGS)

e2e: e2e-sim e2e-real ## Both end-to-end runs: the simulated one (~8 min), then the real stack's (~65 min; skips without it)

e2e-sim: $(BIN)/.installed $(TOOLS_STAMP) ## End-to-end on a real Prometheus and Alertmanager with the simulators (PROMETHEUS_VERSION=3)
	PATH="$(CURDIR)/$(TOOLS):$$PATH" $(BIN)/python -m tests.e2e.run $(if $(PROMETHEUS_VERSION),--prometheus-version $(PROMETHEUS_VERSION),)

# The real provider, API server, Gitea and kube-state-metrics (docs/real-stack.md): built by `make real-stack-tools`,
# run as root (each scenario in a network namespace of its own). Without them it says why in one line and passes.
e2e-real: $(BIN)/.installed $(TOOLS_STAMP) ## End-to-end on the real stack: the default build's alerts per scenario (REALSTACK_ONLY=text)
	PATH="$(CURDIR)/$(TOOLS):$$PATH" $(BIN)/python -m tests.realstack.e2e $(if $(REALSTACK_ONLY),--only "$(REALSTACK_ONLY)",)

bench: $(BIN)/.installed $(TOOLS)/blackbox_exporter ## Run the benchmarks under bench/ (prints numbers)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

fmt: $(BIN)/.installed ## Format and autofix with ruff
	$(BIN)/ruff check --fix .

clean: ## Remove build/, site/, the virtualenv and fetched tools
	rm -rf $(OUT) site $(VENV) .tools .pytest_cache .mypy_cache
