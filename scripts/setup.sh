#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there at the right
# version, so a second run takes seconds. Only the package registries are reachable: nothing
# here downloads a prebuilt binary from anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_PACK_VERSION=0.15.1

# The pinned stable toolchain of rust-toolchain.toml, with the wasm target. Named explicitly: not
# every rustup installs a toolchain file's channel by itself.
channel=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
if ! rustup run "$channel" rustc --version >/dev/null 2>&1 \
  || ! rustup +"$channel" target list --installed | grep -qx wasm32-unknown-unknown \
  || ! rustup +"$channel" component list --installed | grep -q '^clippy'; then
  rustup toolchain install "$channel" --profile minimal \
    --component clippy,rustfmt --target wasm32-unknown-unknown
fi

# The CLI must equal the wasm-bindgen crate in Cargo.lock exactly, or wasm-pack tries a download.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  # Without --locked: the CLI's own lock file names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}' || true)" != "$WASM_PACK_VERSION" ]; then
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION" --force
fi

# Debian's packages the tests run for real: Chromium for the demo page and the browser bundles (a
# browser a test tool downloads itself cannot be had), redis-server for the shared rate limiter.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # The package's own service is not wanted: each test starts redis-server on a free port.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  else
    echo "setup: missing Debian packages: ${missing[*]} (install them as root)" >&2
    exit 1
  fi
fi

# npm: reinstall only when the lock file changed since the last install.
stamp=node_modules/.ttpay-setup-stamp
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi
