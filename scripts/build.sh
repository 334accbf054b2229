#!/usr/bin/env bash
# One wasm build (wasm-pack --target web, wasm-opt from the npm binaryen package) into pkg/dist,
# then the CommonJS Node entry bundled beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
# binaryen's own bin first: wasm-pack runs the wasm-opt it finds on PATH (never Debian's, whose
# output does not load). Not node_modules/.bin: it also holds other Node versions' `node`.
export PATH="$PWD/node_modules/binaryen/bin:$HOME/.cargo/bin:$PATH"

# Keep this machine's paths out of the shipped .wasm (as the Makefile does for every wasm build).
: "${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:=--remap-path-prefix=$HOME/.cargo/registry/src=/cargo --remap-path-prefix=$HOME/.rustup=/rustup --remap-path-prefix=$PWD=/ttpay-wasm}"
# Size: the standard library is rebuilt for this one build with panics that abort on the spot, so
# no panic message, source location or formatting code reaches the .wasm (README, "Measured").
# Both are unstable options of the stable toolchain, hence RUSTC_BOOTSTRAP for this build alone;
# lint and tests use the toolchain as it is.
# `aes_compact`: the aes crate's smaller bitsliced cipher; as fast here, since all blocks of a
# message go through it at once (src/core/secret.rs), and 0.8 KB gzip smaller.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort --cfg aes_compact"
export RUSTC_BOOTSTRAP=1

wasm-pack --quiet build --release --target web --no-pack --no-typescript \
  --out-dir pkg/dist --out-name ttpay_wasm . -- -Zbuild-std=std,panic_abort
# wasm-pack writes a `*` .gitignore there, which npm pack would obey and ship no wasm.
rm -f pkg/dist/.gitignore
# The glue ships minified (names kept, so `TTPayClient.name` and stack traces still read).
node_modules/.bin/esbuild pkg/dist/ttpay_wasm.js --minify --keep-names --format=esm \
  --outfile=pkg/dist/ttpay_wasm.js --allow-overwrite --log-level=warning

node_modules/.bin/esbuild pkg/src/node.cjs --bundle --platform=node --format=cjs --target=node18 \
  --outfile=pkg/dist/node.cjs --log-level=warning --log-override:empty-import-meta=silent

# CommonJS consumers' types: the same declarations, as a .d.cts beside the CommonJS entry.
cp pkg/index.d.ts pkg/dist/index.d.cts
