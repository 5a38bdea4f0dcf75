# LocalMart's two commands: `make up` starts everything, `make test` runs every test.
# Both install what they need first (deploy/native/deps.sh, idempotent).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# Build output and installed tools live outside the checkout, so a fresh clone reuses them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/localmart/target
export LOCALMART_TOOLS ?= $(HOME)/.cache/localmart/tools
export PATH := $(LOCALMART_TOOLS)/bin:$(PATH)

STAGE := deploy/native/stage.sh

.PHONY: help up down compose-up compose-down status logs deps test bench bench-logs bench-telemetry load fmt codegen contracts storefront

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

up: ## Install what is missing, build, start LocalMart natively, print the URLs
	@deploy/native/up.sh

down: ## Stop everything `make up` started (data stays in .localmart/)
	@deploy/native/down.sh

compose-up: deps ## The whole shop in containers (Docker compose, or podman with locally built images), on the same ports
	@deploy/compose/up.sh

compose-down: ## Stop the compose stack (its data stays in named volumes)
	@deploy/compose/down.sh

status: ## Show the processes of the native stack
	@deploy/native/supervisorctl.sh status || true

logs: ## Follow the services' logs
	@tail -F .localmart/logs/catalog.log .localmart/logs/cart.log .localmart/logs/reviews.log .localmart/logs/edge.log

deps: ## Install the system packages and tools LocalMart needs (idempotent)
	@$(STAGE) deps deploy/native/deps.sh

test: deps ## Formatting, codegen freshness, buf lint, clippy, cargo deny, the storefront bundle, contract gates, all tests (browser ones too), make up and down on private ports, the compose stack under podman
	@$(STAGE) fmt cargo fmt --all --check
	@$(STAGE) codegen cargo xtask codegen --check
	@$(STAGE) buf-lint buf lint specs/proto
	@$(STAGE) clippy cargo clippy --workspace --all-targets --locked -- -D warnings
	@# cargo deny reads the metadata of every platform's dependencies, which builds here never download.
	@$(STAGE) deny bash -c 'cargo fetch --locked --quiet && cargo deny --offline check licenses bans sources'
	@$(STAGE) clippy-wasm32 cargo clippy --locked -p storefront --target wasm32-unknown-unknown -- -D warnings
	@$(STAGE) storefront cargo xtask storefront
	@$(STAGE) contracts cargo xtask contracts
	@$(STAGE) tests cargo test --workspace --locked --exclude pact-tests --exclude contract-tests
	@$(STAGE) native deploy/native/test.sh
	@$(STAGE) compose deploy/compose/test.sh

bench: deps ## Load benchmarks: Catalog beside bare axum and tonic, Cart and Reviews
	@$(STAGE) bench-deps deploy/native/deps.sh --bench
	cargo bench -p catalog --bench load
	cargo bench -p cart --bench load
	cargo bench -p reviews --bench load

bench-logs: ## What the JSON log lines cost: a second Catalog beside `make up`'s, lines on and off, under wrk
	@deploy/native/cost.sh logs

bench-telemetry: ## What exporting traces, metrics and logs costs: the same, OTLP export on and off
	@deploy/native/cost.sh telemetry

load: ## Shoppers' journeys through the edge of `make up` (RATE=journeys/s DURATION=1m ARGS=...), and the stack's memory
	@RATE='$(RATE)' DURATION='$(DURATION)' ARGS='$(ARGS)' deploy/native/load.sh

fmt: ## Format the code
	cargo fmt --all

codegen: ## Regenerate generated/ from specs/
	cargo xtask codegen

storefront: ## Build the storefront's bundle (the edge serves it; `make up` does this too)
	cargo xtask storefront

contracts: ## Every contract gate: breaking changes, Pact, the services against their specs
	cargo xtask contracts
