#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs every check and test.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup-test.sh"
cd "$ROOT"

step "rustfmt"
cargo fmt --all -- --check

step "clippy (host crates, then the SPA for wasm32: the agents' bundle and the full one)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p payout-console --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p payout-console --target wasm32-unknown-unknown --all-targets --features admin -- -D warnings

step "core unit + property tests, server API tests over HTTP (SQLite)"
cargo test --workspace

step "a throwaway PostgreSQL (stopped when this script ends)"
PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/payout-test-pg.XXXXXX")"
trap '"$ROOT/scripts/pg.sh" stop "$PG_DIR"; rm -rf "$PG_DIR"' EXIT
PG_URL="$("$ROOT/scripts/pg.sh" start "$PG_DIR")"

step "the same server API tests on PostgreSQL (a fresh database per test)"
PAYOUT_TEST_STORE=postgres PAYOUT_TEST_DATABASE_URL="$PG_URL" cargo test -p payout-server

step "core fuzzing (cargo-fuzz: amount parser, rule engine, order file; ${FUZZ_SECONDS:-30} s each)"
"$ROOT/scripts/fuzz-core.sh"

step "SPA component tests in headless Chromium (wasm-bindgen-test), as the agents' bundle and as the full one"
cargo test -p payout-console --target wasm32-unknown-unknown
cargo test -p payout-console --target wasm32-unknown-unknown --features admin

"$ROOT/scripts/build.sh"

step "API fuzzing (schemathesis through /api/openapi.json: no 5xx for any input), on SQLite, then PostgreSQL"
"$ROOT/scripts/fuzz-api.sh"
FUZZ_DATABASE_URL="$PG_URL" "$ROOT/scripts/fuzz-api.sh"

step "browser end-to-end tests (Playwright + Chromium against the real server)"
cd "$ROOT/tests/e2e"
PAYOUT_SERVER_BIN="$CARGO_TARGET_DIR/debug/payout-server" PAYOUT_DIST="$ROOT/dist" npm test --silent
