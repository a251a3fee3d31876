#!/usr/bin/env bash
# Installs every tool the build and the tests need, exactly as ../shared/TOOLCHAIN.md found works
# on these machines, skipping whatever is already there at the right version. Safe to re-run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "cargo install trunk $TRUNK_VERSION (about 8 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # No --locked: its lockfile pins a webpki-roots release the registry mirror lacks (TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  step "apt-get install chromium chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# PostgreSQL: the test command runs the API suite on it too (scripts/pg.sh starts a throwaway
# cluster); scripts/run-cluster.sh serves on it. Debian's package; its own service is not used.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  step "apt-get install postgresql"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

# wasm-opt (npm binaryen 132: Debian's 108 silently breaks the bundle), playwright-core, axe-core.
if ! (cd "$ROOT/tests/e2e" && npm ls --silent >/dev/null 2>&1); then
  step "npm ci (binaryen, playwright-core, axe-core)"
  (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI) fuzzes the API through its OpenAPI description (scripts/fuzz-api.sh).
if [ "$("$SCHEMATHESIS" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  step "pip install schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# The pinned nightly: cargo-fuzz (libFuzzer) and the SPA's build-std release build (rust-src and
# the wasm32 target; std's own dependencies fetched once so Trunk's --offline build finds them).
if ! rustup toolchain list | grep -q "^$NIGHTLY_TOOLCHAIN-"; then
  step "rustup toolchain install $NIGHTLY_TOOLCHAIN (cargo-fuzz, the SPA's build-std)"
  rustup toolchain install "$NIGHTLY_TOOLCHAIN" --profile minimal
fi
if ! rustup component list --toolchain "$NIGHTLY_TOOLCHAIN" --installed | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain "$NIGHTLY_TOOLCHAIN"
fi
if ! rustup target list --toolchain "$NIGHTLY_TOOLCHAIN" --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown --toolchain "$NIGHTLY_TOOLCHAIN"
fi
cargo "+$NIGHTLY_TOOLCHAIN" fetch --quiet \
  --manifest-path "$(rustc "+$NIGHTLY_TOOLCHAIN" --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
