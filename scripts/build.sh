#!/usr/bin/env bash
# Builds the SPA in release (Trunk, wasm-opt -Oz) into dist/, with a Brotli and a gzip copy beside
# each hashed file, and the server binary.
# Usage: scripts/build.sh [--release]   (the server's profile; the SPA is always release)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
cd "$ROOT"
step "trunk build --release (SPA → dist/)"
trunk build --release --offline
step "precompress the hashed files (dist/*.br, dist/*.gz)"
node "$ROOT/scripts/compress-dist.mjs" "$ROOT/dist"
step "cargo build payout-server $*"
cargo build -p payout-server "$@"
