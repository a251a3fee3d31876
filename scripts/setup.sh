#!/usr/bin/env bash
# Installs what building and running the app needs, and nothing else (the test command's tools are
# in scripts/setup-test.sh), exactly as ../shared/TOOLCHAIN.md found works on these machines,
# skipping whatever is already there at the right version. Safe to re-run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"

# The pinned nightly builds the SPA (scripts/build.sh: build-std with the immediate-abort panic
# strategy), so it needs rust-src and the wasm32 target; std's own dependencies are fetched once so
# Trunk's --offline build finds them.
if ! rustup toolchain list | grep -q "^$NIGHTLY_TOOLCHAIN-"; then
  step "rustup toolchain install $NIGHTLY_TOOLCHAIN (builds the SPA; about 1 minute)"
  rustup toolchain install "$NIGHTLY_TOOLCHAIN" --profile minimal
fi
if ! rustup component list --toolchain "$NIGHTLY_TOOLCHAIN" --installed | grep -q '^rust-src'; then
  step "rustup component add rust-src (nightly)"
  rustup component add rust-src --toolchain "$NIGHTLY_TOOLCHAIN"
fi
if ! rustup target list --toolchain "$NIGHTLY_TOOLCHAIN" --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown (nightly)"
  rustup target add wasm32-unknown-unknown --toolchain "$NIGHTLY_TOOLCHAIN"
fi
cargo "+$NIGHTLY_TOOLCHAIN" fetch --quiet \
  --manifest-path "$(rustc "+$NIGHTLY_TOOLCHAIN" --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "cargo install trunk $TRUNK_VERSION (compiles from source: about 8 minutes on 2 cores, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (compiles from source: about 3 minutes, once)"
  # No --locked: its lockfile pins a webpki-roots release the registry mirror lacks (TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt: npm's binaryen 132 (Debian's 108 silently breaks the bundle).
if ! (cd "$ROOT/scripts/tools" && npm ls --silent >/dev/null 2>&1); then
  step "npm ci in scripts/tools (binaryen 132 for wasm-opt)"
  (cd "$ROOT/scripts/tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
