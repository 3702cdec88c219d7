# Switchboard's build. Everything a fresh machine with Go needs is installed
# here, through the Go module proxy, into bin/ (kept between runs).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

BIN        := bin
GO         ?= go
STATICCHECK_VERSION := v0.8.2
TERRAFORM  ?= $(shell command -v terraform 2>/dev/null || echo /usr/local/bin/terraform)
RACE       ?= -race
FUZZTIME   ?= 20s

export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all build test vet staticcheck unit demo fuzz bench clean tools

all: build

build: $(BIN)/switchboard

$(BIN)/switchboard: $(shell find . -name '*.go' -not -path './tools/*' -not -name '*_test.go') go.mod go.sum
	$(GO) build -o $@ ./cmd/switchboard

# The Vault server is built from github.com/hashicorp/vault in its own module
# (tools/vault-dev) so that the main go.mod never depends on it. It takes a few
# minutes the first time and is then reused from bin/.
$(BIN)/vault-dev: tools/vault-dev/go.mod tools/vault-dev/go.sum $(wildcard tools/vault-dev/*.go)
	cd tools/vault-dev && $(GO) build -o $(CURDIR)/$@ .

$(BIN)/staticcheck:
	GOBIN=$(CURDIR)/$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

tools: $(BIN)/staticcheck $(BIN)/vault-dev

vet:
	$(GO) vet ./...
	cd tools/vault-dev && $(GO) vet ./...

staticcheck: $(BIN)/staticcheck
	$(BIN)/staticcheck ./...

# Tests find the Vault binary and Terraform through these variables.
unit: $(BIN)/vault-dev $(BIN)/switchboard
	SWITCHBOARD_VAULT_DEV=$(CURDIR)/$(BIN)/vault-dev SWITCHBOARD_BIN=$(CURDIR)/$(BIN)/switchboard \
	  $(GO) test $(RACE) -count=1 -timeout 20m ./...

test: vet staticcheck unit

# Each fuzz target runs for FUZZTIME; go test allows one target per run.
FUZZ_TARGETS := ./config:FuzzLoad ./planner/planfile:FuzzRead ./planner/state:FuzzKeyName

fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# Speed and memory goals are measured here, never in timed tests: one run,
# a table on stdout and in bench/results.md with the machine it ran on.
bench: $(BIN)/switchboard $(BIN)/vault-dev
	$(GO) run ./bench -switchboard $(BIN)/switchboard -vault-dev $(BIN)/vault-dev -go $(GO) -out bench/results.md

demo: build $(BIN)/vault-dev
	./scripts/demo.sh

clean:
	rm -rf $(BIN) .demo
