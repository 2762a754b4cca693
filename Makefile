# Vigil's commands. `make run` and `make test` install whatever they need first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(HOME)/.cargo/bin:$(PATH)
# A fresh CI clone gains nothing from incremental artefacts; they only fill the disk.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif

CARGO_LEPTOS_VERSION := 0.3.8
BINARYEN_VERSION := 132
# The wasm-bindgen CLI must be exactly the library version the lock file pins.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
# cargo-leptos's own release profile (fat LTO, one codegen unit) is made for shipping
# it, not for compiling it once on a CI machine; at opt-level 1 without LTO it compiles
# in 13 minutes instead of 15 to 20, and its work here (calling cargo, wasm-bindgen and
# wasm-opt, bundling one stylesheet, compressing the site) still takes seconds.
TOOL_PROFILE := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SITE_ROOT := target/site
WASM := $(SITE_ROOT)/pkg/vigil.wasm
# What the release build reads, and the mark of its last success.
BUILD_INPUTS := Cargo.toml Cargo.lock app/Cargo.toml server/Cargo.toml server/build.rs migrations/Cargo.toml \
  $(shell find app/src server/src migrations/src style public -type f 2>/dev/null)
BUILD_STAMP := target/release/.vigil-build-stamp
# A stamp without the binary and the site it vouches for (a cleaned site) counts for
# nothing, nor one older than the binary: another cargo build replaced it (`cargo bench`
# builds the server's binary without the embedded site).
$(shell [ -f target/release/vigil ] && [ -f $(WASM) ] && [ ! target/release/vigil -nt $(BUILD_STAMP) ] || rm -f $(BUILD_STAMP))

.PHONY: help run demo build dev test size tools test-tools check-fmt lint unit-and-integration api-contract e2e postgres bench

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{ printf "  make %-8s %s\n", $$1, $$2 }'

run: build ## Build in release mode and serve on http://127.0.0.1:3000 (SQLite in ./data)
	@echo "Serving Vigil on http://127.0.0.1:3000 (database: ./data/vigil.db). Stop with Ctrl-C."
	@echo "First run: open the one-time setup link the server logs below to create the first admin,"
	@echo "or create one from the shell:"
	@echo "  VIGIL_ADMIN_PASSWORD='...' ./target/release/vigil user create --admin --email you@example.com --name 'Your Name'"
	./target/release/vigil serve

demo: build ## Load the demo data into ./data/vigil.db (a database without incidents), then serve it
	./target/release/vigil seed --demo
	$(MAKE) run

build: $(BUILD_STAMP) ## Release build of the server and the wasm front end (target/release/vigil, target/site)

# cargo-leptos re-runs wasm-bindgen and wasm-opt on every call (about 100 s) even when
# nothing changed, so the build runs only when a file it reads is newer than its last
# success: a second `make run` or `make demo` on an unchanged tree serves at once.
#
# --precompress writes brotli and gzip twins of every site file and builds the front end
# before the server, which embeds the site (server/build.rs, VIGIL_EMBED_SITE=1): the
# binary alone is the whole deployment.
$(BUILD_STAMP): $(BUILD_INPUTS) | tools
	VIGIL_EMBED_SITE=1 cargo leptos build --release --precompress
	@touch $@

dev: tools ## Rebuild and reload on every change (cargo leptos watch)
	cargo leptos watch

size: build test-tools ## Bundle sizes, and what a first visit to each page downloads, measured in Chromium
	@node bench/bundle-size.mjs $(WASM) $(SITE_ROOT)/pkg/vigil.js $(SITE_ROOT)/pkg/vigil.css
	@node bench/first-visit.mjs

test: tools test-tools check-fmt lint unit-and-integration build api-contract e2e ## Every check: format, clippy, unit, integration (SQLite + PostgreSQL), the API against its document, browser
	@echo "make test: all checks passed"

check-fmt:
	cargo fmt --all -- --check

lint:
	python3 style/check.py
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

unit-and-integration: postgres
	cargo test --workspace

# Schemathesis (installed into target/schemathesis when missing) against the release
# binary's OpenAPI document, on SQLite and PostgreSQL: every check, a bounded run.
api-contract: build postgres
	bash end2end/api-contract.sh

bench: build postgres ## Load, memory and cold start on 10k and 100k incidents (SQLite, PostgreSQL), as ratios to references
	@command -v wrk >/dev/null || { \
	  echo "Installing wrk"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; \
	}
	cargo build --release -p hello
	cargo bench -p server --bench load

e2e:
	cd end2end && node --test --test-concurrency=1 tests/

# Starts the local PostgreSQL when it is installed but stopped; the tests decide whether
# a missing server is a skip (locally) or a failure (CI=true).
postgres:
	@if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
	  if command -v pg_ctlcluster >/dev/null; then \
	    echo "Starting PostgreSQL"; \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -n1) main start || true; \
	  fi; \
	fi

tools: ## Install the build tools that are missing (wasm target, cargo-leptos, wasm-bindgen, wasm-opt)
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
	  echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 15 minutes on 2 cores, once)"; \
	  $(TOOL_PROFILE) cargo install --locked cargo-leptos --version $(CARGO_LEPTOS_VERSION) --features no_downloads; \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)"; then \
	  echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  $(TOOL_PROFILE) cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if ! wasm-opt --version 2>/dev/null | grep -q "version $(BINARYEN_VERSION)"; then \
	  echo "Installing wasm-opt (binaryen $(BINARYEN_VERSION))"; \
	  npm install -g binaryen@$(BINARYEN_VERSION); \
	fi

test-tools: ## Install what the tests need (Chromium, the end2end npm packages)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Chromium"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi
	@if [ ! -d end2end/node_modules/playwright-core ] || [ ! -d end2end/node_modules/axe-core ] || [ ! -d end2end/node_modules/oidc-provider ]; then \
	  cd end2end && npm ci --no-audit --no-fund; \
	fi
