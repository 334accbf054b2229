#!/usr/bin/env bash
# One wasm build (wasm-pack --target web, wasm-opt from the npm binaryen package) into pkg/dist,
# then the CommonJS Node entry bundled beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
# node_modules/.bin first: wasm-pack runs the wasm-opt it finds on PATH.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

wasm-pack --quiet build --release --target web --no-pack --no-typescript \
  --out-dir pkg/dist --out-name ttpay_wasm
# wasm-pack writes a `*` .gitignore there, which npm pack would obey and ship no wasm.
rm -f pkg/dist/.gitignore

esbuild pkg/src/node.cjs --bundle --platform=node --format=cjs --target=node18 \
  --outfile=pkg/dist/node.cjs --log-level=warning --log-override:empty-import-meta=silent
