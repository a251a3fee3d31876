#!/usr/bin/env bash
# Installs what the test command needs beyond running the app (scripts/setup.sh, called first):
# the stable wasm32 target, Chromium and ChromeDriver, PostgreSQL, Playwright and axe-core,
# schemathesis and cargo-fuzz. Skips whatever is already there at the right version. Safe to re-run.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The component tests and clippy build the SPA for wasm32 on stable.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Chromium for the component and browser tests; PostgreSQL for the API suite's second run
# (scripts/pg.sh starts a throwaway cluster; Debian's own service is not used); CJK fonts so
# screenshots show Chinese text.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
{ ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null; } || missing+=(postgresql)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! (cd "$ROOT/tests/e2e" && npm ls --silent >/dev/null 2>&1); then
  step "npm ci in tests/e2e (playwright-core, axe-core)"
  (cd "$ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

# schemathesis (PyPI) fuzzes the API through its OpenAPI description (scripts/fuzz-api.sh).
if [ "$("$SCHEMATHESIS" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  step "pip install schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# cargo-fuzz runs on the pinned nightly that scripts/setup.sh installed.
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
