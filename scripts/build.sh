#!/usr/bin/env bash
# Builds the SPA in release (Trunk, wasm-opt -Oz) into dist/, with a Brotli and a gzip copy beside
# each hashed file, and the server binary.
# Usage: scripts/build.sh [--release]   (the server's profile; the SPA is always release)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
cd "$ROOT"
# The SPA is built with the pinned nightly: std rebuilt for size with the immediate-abort panic
# strategy, which drops the formatting and unwinding machinery (452 → 376 KB of gzipped wasm).
# A panic in the browser then stops the app at once, as `panic = "abort"` already did.
step "trunk build --release (SPA → dist/, $NIGHTLY_TOOLCHAIN with build-std)"
RUSTUP_TOOLCHAIN="$NIGHTLY_TOOLCHAIN" \
CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort" \
  trunk build --release --offline
step "precompress the hashed files (dist/*.br, dist/*.gz)"
node "$ROOT/scripts/compress-dist.mjs" "$ROOT/dist"
step "cargo build payout-server $*"
cargo build -p payout-server "$@"
