# Build, run, test and ship edge-registry. `make help` lists the targets.
#
# End-to-end tests are the integration tests named tests/e2e_*.rs: they drive the built Worker
# (tests/support/worker.rs), so they run after `build`; every other test runs on the host first.

WASM_BINDGEN_VERSION := 0.2.130
WORKER_BUILD_VERSION := 0.8.7
WASM_TARGET := wasm32-unknown-unknown
PORT ?= 8787

CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
WRANGLER := node_modules/.bin/wrangler

# Local runs: no request.cf lookups, no telemetry. Real clients (oras) come from .ci/run's venv.
export CLOUDFLARE_CF_FETCH_ENABLED := false
export WRANGLER_SEND_METRICS := false
export PATH := $(CURDIR)/.venv/bin:$(CARGO_BIN):$(PATH)

TEST_FILES := $(basename $(notdir $(wildcard tests/*.rs)))
E2E_TESTS := $(filter e2e_%,$(TEST_FILES))
HOST_TESTS := $(filter-out e2e_%,$(TEST_FILES))

.PHONY: help install build dev test bench deploy dry-run clean

help:
	@echo "make install   toolchain and npm packages (idempotent)"
	@echo "make build     the Worker into build/ (release wasm)"
	@echo "make dev       serve it on http://127.0.0.1:$(PORT) with local R2/KV in .wrangler/state;"
	@echo "               the first run writes an administrator's credentials to .dev.vars"
	@echo "make test      fmt, clippy (host and wasm32), host tests, build, end-to-end tests"
	@echo "make bench     the benchmarks in benches/"
	@echo "make dry-run   bundle the Worker as deploy would and print its size"
	@echo "make deploy    wrangler deploy"

install: node_modules/.package-lock.json
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if [ "$$(worker-build --version 2>/dev/null)" != "$(WORKER_BUILD_VERSION)" ]; then \
		cargo install worker-build --version $(WORKER_BUILD_VERSION); \
	fi

# npm writes node_modules/.package-lock.json on every install: reinstall only when the lock moved.
node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

build: install
	scripts/build.sh

# wrangler dev behind a pass-through that refuses TLS at once (see scripts/dev.mjs).
dev: install build
	PORT=$(PORT) node scripts/dev-vars.mjs
	PORT=$(PORT) node scripts/dev.mjs

test: install
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target $(WASM_TARGET) -- -D warnings
	cargo test --lib --bins $(foreach t,$(HOST_TESTS),--test $(t))
	cargo test --doc
	scripts/build.sh
	$(if $(E2E_TESTS),cargo test $(foreach t,$(E2E_TESTS),--test $(t)),@echo "no tests/e2e_*.rs")

# Every file in benches/ (not the library's unit tests, which `--benches` would list as ignored).
# benches/e2e.rs measures the built Worker under workerd, so it is built first.
bench: install
	scripts/build.sh
	cargo bench --bench '*'

dry-run: install
	$(WRANGLER) deploy --dry-run --outdir build/dry-run

deploy: install
	$(WRANGLER) deploy

clean:
	cargo clean
	rm -rf build .wrangler test-output
