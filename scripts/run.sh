#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and serves the app with demo data at
# http://127.0.0.1:8080 (SQLite file under data/). Extra arguments go to the server (see --help).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" --release
cd "$ROOT"
mkdir -p data
step "serving http://127.0.0.1:8080  (demo logins: lin.admin / lin.agent1 / … , password demo-pass-2026)"
exec "$CARGO_TARGET_DIR/release/payout-server" --db data/payout.sqlite --demo-data --dist dist "$@"
