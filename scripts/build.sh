#!/usr/bin/env bash
# Builds the SPA in release (Trunk, wasm-opt -Oz) into dist/ and the server binary.
# Usage: scripts/build.sh [--release]   (the server's profile; the SPA is always release)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
cd "$ROOT"
step "trunk build --release (SPA → dist/)"
trunk build --release --offline
step "cargo build payout-server $*"
cargo build -p payout-server "$@"
