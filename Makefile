# Switchboard's build. Everything a fresh machine with Go needs is installed
# here, through the Go module proxy, into bin/ (kept between runs).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

BIN        := bin
GO         ?= go
STATICCHECK_VERSION := v0.8.2
GOLANGCI_LINT_VERSION := v2.15.0
TERRAFORM  ?= $(shell command -v terraform 2>/dev/null || echo /usr/local/bin/terraform)
RACE       ?= -race
FUZZTIME   ?= 20s

export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all build test test-short lint vet staticcheck unit demo fuzz bench bench-quick soak clean tools provider docs docs-check terraform-check policy-test
.PHONY: provider-mirror release-snapshot lint-workflows print-version print-ldflags

# ---- Versions (docs/releasing.md) ----
# VERSION holds the next release number, plain semver: Terraform selects a
# pre-release only when it is pinned exactly, so a mirror of "0.1.0-dev"
# would not satisfy a "~> 0.1" constraint. Builds of unreleased commits
# tell themselves apart by the commit (with -dirty for a changed tree) and
# its date, which the linker writes into internal/version for both binaries.
# The date is the commit's, not the clock's, so that rebuilding a commit
# gives the same binary (and the same hash in a Terraform lock file).
VERSION     := $(shell cat VERSION)
COMMIT      := $(shell c=$$(git rev-parse HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c="$$c-dirty"; }; echo "$$c")
BUILD_DATE  := $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
VERSION_PKG := github.com/switchboard-hq/switchboard/internal/version
LDFLAGS     := -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Commit=$(COMMIT) -X $(VERSION_PKG).Date=$(BUILD_DATE)
GOOS        := $(shell $(GO) env GOOS)
GOARCH      := $(shell $(GO) env GOARCH)
GORELEASER_VERSION := v2.15.1
ACTIONLINT_VERSION := v1.7.12

all: build

build: $(BIN)/switchboard $(BIN)/terraform-provider-switchboard

provider: $(BIN)/terraform-provider-switchboard

$(BIN)/switchboard: $(shell find . -name '*.go' -not -path './tools/*' -not -name '*_test.go') go.mod go.sum VERSION
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/switchboard

# The Vault server is built from github.com/hashicorp/vault in its own module
# (tools/vault-dev) so that the main go.mod never depends on it. It takes a few
# minutes the first time and is then reused from bin/.
$(BIN)/vault-dev: tools/vault-dev/go.mod tools/vault-dev/go.sum $(wildcard tools/vault-dev/*.go)
	cd tools/vault-dev && $(GO) build -o $(CURDIR)/$@ .

$(BIN)/terraform-provider-switchboard: $(shell find . -name '*.go' -not -path './tools/*' -not -name '*_test.go') go.mod go.sum VERSION
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/terraform-provider-switchboard

$(BIN)/tfplugindocs:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0

$(BIN)/staticcheck:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# golangci-lint takes a few minutes to build the first time.
$(BIN)/golangci-lint:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

# OPA, for `bin/opa test examples/policies` and for writing policies for
# `plan --policy` (docs/policy.md): the version the main go.mod embeds.
OPA_VERSION := v1.22.3

$(BIN)/opa:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/open-policy-agent/opa@$(OPA_VERSION)

# The shipped policies' Rego unit tests, and their formatting.
policy-test: $(BIN)/opa
	$(BIN)/opa test examples/policies
	@out=$$($(BIN)/opa fmt --list examples/policies); if [ -n "$$out" ]; then echo "not formatted (run bin/opa fmt -w examples/policies):"; echo "$$out"; exit 1; fi

tools: $(BIN)/staticcheck $(BIN)/vault-dev $(BIN)/opa

vet:
	$(GO) vet ./...
	cd tools/vault-dev && $(GO) vet ./...

staticcheck: $(BIN)/staticcheck
	$(BIN)/staticcheck ./...

# The conventions of .golangci.yml (formatting, doc comments on exported
# identifiers, checked errors, function length and complexity) over the
# main module; tools/ are modules of their own. The layering test
# (internal/layering) runs with the other tests.
lint: $(BIN)/golangci-lint
	$(BIN)/golangci-lint run ./...

# The provider's acceptance tests run the real Terraform; it is never
# downloaded at test time, so its absence is an error, not a skip.
terraform-check:
	@if ! [ -x "$(TERRAFORM)" ]; then \
	  echo "terraform not found at $(TERRAFORM): install Terraform 1.11 or newer"; \
	  echo "(https://developer.hashicorp.com/terraform/install, or your package manager),"; \
	  echo "or set TERRAFORM=/path/to/terraform"; exit 1; fi

# Tests find the Vault binary and Terraform through these variables.
unit: $(BIN)/vault-dev $(BIN)/switchboard terraform-check
	SWITCHBOARD_VAULT_DEV=$(CURDIR)/$(BIN)/vault-dev SWITCHBOARD_BIN=$(CURDIR)/$(BIN)/switchboard \
	  TF_ACC=1 TF_ACC_TERRAFORM_PATH=$(TERRAFORM) CHECKPOINT_DISABLE=1 \
	  $(GO) test $(RACE) -count=1 -timeout 20m ./...

# The Terraform provider's reference pages are generated from its schema
# and examples/; docs-check fails when they are stale.
docs: $(BIN)/tfplugindocs terraform-check
	TERRAFORM=$(TERRAFORM) terraform-provider/gendocs.sh docs/terraform-provider

docs-check: $(BIN)/tfplugindocs terraform-check
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	TERRAFORM=$(TERRAFORM) terraform-provider/gendocs.sh "$$tmp/docs" >/dev/null; \
	diff -r docs/terraform-provider "$$tmp/docs" || { echo "docs/terraform-provider is stale: run make docs"; exit 1; }

test: vet staticcheck lint docs-check lint-workflows policy-test unit

# The quick loop (CONTRIBUTING.md): no Vault server, no Terraform, no race
# detector. Tests that need Vault or Terraform skip under -short, saying so.
# It includes the layering test.
test-short:
	$(GO) test -short -count=1 ./...

# Each fuzz target runs for FUZZTIME; go test allows one target per run.
# Minimizing each new input is capped: by default go test spends up to a
# minute on it, with a coverage snapshot of the whole instrumented binary
# per try, so a target whose seeds are a few KB did nothing but minimize
# (FuzzRead: 9 executions in 45 s).
FUZZ_TARGETS := ./config:FuzzLoad ./config:FuzzParseInChunks ./planner/planfile:FuzzRead ./secretref:FuzzKeyName ./secretref:FuzzParseOwnedKeyName \
                ./api/glow:FuzzGlowDecode ./api/gateflow:FuzzGateflowDecode

fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x || exit 1; \
	done

# Speed and memory goals are measured here, never in timed tests: one run,
# a table on stdout and in bench/results.md with the machine it ran on.
# Every row of issue 18's targets, Vault and the APIs both at 20 ms, 3
# interleaved runs per cell (plus an untimed counting run); writes
# bench/results.md and the README's Performance section. The 100,000 rows
# are in it; BENCH_FLAGS="-sizes 100,1000,10000 -foreach-sizes 10000" leaves
# them out; BENCH_FLAGS="-baseline REV" also measures the CLI built at git
# revision REV beside this one, interleaved, and compares them in a table.
# bench-quick checks the harness end to end in a few minutes (numbers
# meaningless, written to $(BIN)/bench-quick.md).
BENCH_FLAGS ?=
bench: $(BIN)/switchboard $(BIN)/vault-dev
	$(GO) run ./bench -switchboard $(BIN)/switchboard -vault-dev $(BIN)/vault-dev -go $(GO) -out bench/results.md -readme README.md $(BENCH_FLAGS)

bench-quick: $(BIN)/switchboard $(BIN)/vault-dev
	$(GO) run ./bench -quick -switchboard $(BIN)/switchboard -vault-dev $(BIN)/vault-dev -go $(GO) -out $(BIN)/bench-quick.md $(BENCH_FLAGS)

# Correctness under faults: the real CLI against the emulator (503/429/drops,
# SIGKILL restarts, two appliers at once) and Vault; ≤ 10 minutes, loopback
# only; exits non-zero on any invariant violation.
soak: $(BIN)/switchboard $(BIN)/vault-dev
	$(GO) run ./soak -switchboard $(BIN)/switchboard -vault-dev $(BIN)/vault-dev -out bench/soak.md

demo: build $(BIN)/vault-dev
	./scripts/demo.sh

# Staging and prod (examples/environments) over two emulators and Vault.
.PHONY: demo-environments
demo-environments: build $(BIN)/vault-dev
	./scripts/demo-environments.sh

clean:
	rm -rf $(BIN) .demo .demo-environments

# ---- Provider installation and releases (docs/terraform.md, docs/releasing.md) ----

# A filesystem_mirror (unpacked layout) of the provider built from this tree
# for this machine, and a CLI configuration that takes
# switchboard-hq/switchboard from it and every other provider from the
# registry: unlike dev_overrides, terraform init works, offline for this
# provider, with modules and a lock file.
#   export TF_CLI_CONFIG_FILE=$(MIRROR_DIR).tfrc
MIRROR_DIR      ?= $(BIN)/terraform-mirror
PROVIDER_SOURCE := registry.terraform.io/switchboard-hq/switchboard
EXE             := $(if $(filter windows,$(GOOS)),.exe,)

provider-mirror:
	@dir="$(MIRROR_DIR)/$(PROVIDER_SOURCE)"; rm -rf "$$dir"; \
	$(GO) build -ldflags "$(LDFLAGS)" \
	  -o "$$dir/$(VERSION)/$(GOOS)_$(GOARCH)/terraform-provider-switchboard_v$(VERSION)$(EXE)" ./cmd/terraform-provider-switchboard; \
	mirror=$$(cd "$(MIRROR_DIR)" && pwd); \
	{ echo '# Terraform CLI configuration written by make provider-mirror:'; \
	  echo '# switchboard-hq/switchboard from the local mirror, every other provider'; \
	  echo '# from its registry. Use it with: export TF_CLI_CONFIG_FILE='"$$mirror.tfrc"; \
	  echo 'provider_installation {'; \
	  echo '  filesystem_mirror {'; \
	  echo '    path    = "'"$$mirror"'"'; \
	  echo '    include = ["$(PROVIDER_SOURCE)"]'; \
	  echo '  }'; \
	  echo '  direct {'; \
	  echo '    exclude = ["$(PROVIDER_SOURCE)"]'; \
	  echo '  }'; \
	  echo '}'; } > "$$mirror.tfrc"; \
	echo "terraform-provider-switchboard $(VERSION) ($(GOOS)_$(GOARCH)) is in $$mirror"; \
	echo "export TF_CLI_CONFIG_FILE=$$mirror.tfrc, then terraform init"

print-version:
	@echo "$(VERSION)"

# What the linker is told; internal/version's tests build with it.
print-ldflags:
	@echo '$(LDFLAGS)'

$(BIN)/goreleaser:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

# Every archive of a release, for every platform, into dist/, without
# publishing anything or needing a tag (minutes: not part of make test).
release-snapshot: $(BIN)/goreleaser
	SWITCHBOARD_SNAPSHOT_VERSION=$(VERSION)-snapshot+$$(git rev-parse --short HEAD) \
	SWITCHBOARD_COMMIT=$(COMMIT) SWITCHBOARD_BUILD_DATE=$(BUILD_DATE) \
	SWITCHBOARD_COMMIT_TIMESTAMP=$$(git log -1 --format=%ct) \
	  $(BIN)/goreleaser release --snapshot --clean --skip=sign

# ---- The shipped GitHub workflow (docs/ci.md) ----
$(BIN)/actionlint:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# actionlint runs shellcheck over every run: step; without shellcheck on
# PATH it would skip that silently, so its absence is an error here.
lint-workflows: $(BIN)/actionlint
	@command -v shellcheck >/dev/null || { echo "shellcheck not found: install it (Debian/Ubuntu: apt-get install shellcheck; macOS: brew install shellcheck)"; exit 1; }
	$(BIN)/actionlint -shellcheck "$$(command -v shellcheck)" examples/github-actions/*.yml
