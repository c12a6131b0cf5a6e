# oauth4os — one command per task. CI runs exactly these (see .ci/run).
#
#   make test      every test: lints (rustfmt, the import-circle and layer check, clippy), unit/property tests, Wycheproof, conformance vectors,
#                  real-provider integration tests, the real OpenSearch harness check, and the
#                  a bounded AFL++ run per fuzz target (.ci/fuzz.sh), the
#                  Python (pytest), Node (node:test), Java (JUnit 5, mvn verify) and Go (go test -race) SDK suites against the real peers
#                  (.ci/harness/peers.sh); ends with a table of the time each section took
#   make sdk-build the one build of every binding crate (bindings/*) that all SDK suites share:
#                  one cargo invocation, Cargo profile `sdk` (release code generation without
#                  LTO), host target; each suite's packager (maturin, napi-rs, build.mjs) then finds
#                  core and its dependencies compiled and only relinks its binding. A new binding
#                  joins by being a crate under bindings/ (see .ci/sdk-build.sh). What users
#                  install is still built with `--release` (pip install, npm install / npm pack).
#   make demo      real OpenSearch + real OpenID provider + the core's pipeline (see README)
#   make vectors   regenerate core/conformance/vectors.json
#   make surface   regenerate the FFI surface manifest core/facade/surface.json
#   make reasons   regenerate the README's table of error codes and reasons
#   make bench     the criterion benchmarks recorded in BENCHMARKS.md
#   make peers     install/fetch the real peers (oidc-provider from npm, OpenSearch from Maven Central)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
OIDC_DIR := .ci/harness/oidc
OPENSEARCH := bash .ci/harness/opensearch.sh

.PHONY: test lint rust-test fuzz harness-test peers sdk-deps sdk-build vectors surface reasons bench demo demo-stop fmt clean

# The sections of `make test`, run in this order (each as its own `make SECTION`); a table of how
# long each took is printed at the end, also when one fails (the failure still fails make test).
TEST_SECTIONS := lint peers rust-test fuzz sdk-deps sdk-build harness-test

test:
	@MAKE='$(MAKE)' bash .ci/timings.sh make $(TEST_SECTIONS)

lint:
	$(CARGO) fmt --all --check
	python3 .ci/cycles.py --self-test 2>/dev/null
	python3 .ci/cycles.py
	$(CARGO) clippy --workspace --all-targets --all-features --locked -- -D warnings

peers: $(OIDC_DIR)/node_modules/.package-lock.json
	$(OPENSEARCH) fetch >/dev/null

$(OIDC_DIR)/node_modules/.package-lock.json: $(OIDC_DIR)/package-lock.json
	npm ci --prefix $(OIDC_DIR) --no-audit --no-fund

rust-test: peers
	$(CARGO) test --workspace --locked

# Coverage-guided fuzzing (AFL++, see core/fuzz/README.md): each target for FUZZ_SECONDS (60 by
# default), two at a time; fails on any crash and prints how to replay it. Longer:
# `FUZZ_SECONDS=3600 bash .ci/fuzz.sh`.
fuzz:
	bash .ci/fuzz.sh

# The SDKs' own tools (a Python venv under ~/.cache/oauth4os, the Node package's dev
# dependencies, the Java package's Maven repository under ~/.cache/oauth4os/m2-java, the Go
# module's dependencies with staticcheck and cbindgen under ~/.cache/oauth4os); the scripts are
# idempotent and fast when everything is there.
sdk-deps:
	bash sdks/python/ci/install.sh >/dev/null
	bash sdks/node/ci/install.sh
	bash sdks/java/ci/install.sh >/dev/null
	bash sdks/go/ci/install.sh >/dev/null

# Every binding crate in one cargo invocation, in the profile and target the SDK suites use
# (.ci/sdk-build.sh: first checks that the bindings enable the same features on the crates they
# share, else core would be compiled once per binding).
sdk-build: sdk-deps
	bash .ci/sdk-build.sh

harness-test: peers sdk-deps sdk-build
	bash .ci/harness/smoke.sh

surface:
	$(CARGO) run -q -p oauth4os-core --example surface > core/facade/surface.json.tmp
	mv core/facade/surface.json.tmp core/facade/surface.json

reasons:
	OAUTH4OS_BLESS=1 $(CARGO) test -q -p oauth4os-core --test reasons

vectors:
	$(CARGO) run -q -p oauth4os-core --example conformance > core/conformance/vectors.json.tmp
	mv core/conformance/vectors.json.tmp core/conformance/vectors.json

bench:
	$(CARGO) bench -p oauth4os-core

demo: peers
	bash examples/demo.sh

demo-stop:
	bash examples/demo.sh stop

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
