# The two commands of the README: `make demo` and `make test`. Each installs what is missing
# (idempotently, see scripts/setup.sh) and builds first.
.PHONY: setup build test test-rust test-js lint demo size bench clean fuzz

# node_modules/.bin is not put on PATH: it holds other Node versions' `node` for the runtime tests.
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Keep this machine's paths out of the shipped .wasm (panic locations name source files). Set
# here and in scripts/build.sh alike, so clippy and the build share one cache.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS := --remap-path-prefix=$(HOME)/.cargo/registry/src=/cargo --remap-path-prefix=$(HOME)/.rustup=/rustup --remap-path-prefix=$(CURDIR)=/ttpay-wasm

setup:
	bash scripts/setup.sh

build: setup
	bash scripts/build.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown -- -D warnings

test-rust: setup
	cargo test

test-js: build
	node --test --test-concurrency=1 tests/js/

test: lint test-rust test-js

demo: build
	node scripts/demo.mjs

clean:
	rm -rf target pkg/dist node_modules

size: build
	node scripts/size.mjs

# Not in CI: the property tests of tests/fuzz.rs with a million cases each.
fuzz:
	PROPTEST_CASES=1000000 cargo test --release --test fuzz -- --test-threads=2

# Benchmarks: prints a table, writes bench/results.json (not in CI: timings are not tests).
bench: build
	bash scripts/build.sh --bench
	node bench/run.mjs
