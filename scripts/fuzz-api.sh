#!/usr/bin/env bash
# Fuzzes the real server through its own OpenAPI description with schemathesis: whatever a client
# sends, no answer may be a 5xx (SPEC §8). Runs on loopback against a fresh SQLite file with the
# demo data, signed in as lin.admin (the role that reaches every endpoint). Bounded: a fixed seed
# and a few dozen examples per operation.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"

bin="$CARGO_TARGET_DIR/debug/payout-server"
dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$bin" --addr "127.0.0.1:$port" --db "$dir/fuzz.sqlite" --demo-data --dist "$ROOT/crates/payout-server/tests/fixtures/dist" \
  --rail-latency-ms 50 >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "$url/api/health" >/dev/null && break; sleep 0.1; done

session="$(curl -sf -D - -o "$dir/me.json" -H 'content-type: application/json' \
  -d '{"username":"lin.admin","password":"demo-pass-2026"}' "$url/api/session" \
  | sed -n 's/^set-cookie: *\(payout_session=[^;]*\).*/\1/ip')"
csrf="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$dir/me.json")"

# DELETE /api/session is left out: it would sign the fuzzer out halfway. Run from the temporary
# folder so schemathesis' own files stay out of the clone.
cd "$dir"
"$SCHEMATHESIS" run "$url/api/openapi.json" \
  -H "Cookie: $session" -H "X-CSRF-Token: $csrf" -H "Idempotency-Key: fuzz" \
  --checks not_a_server_error --max-examples 40 --seed 20261124 --exclude-method DELETE \
  --no-color

if grep -q "panicked" "$dir/server.log"; then
  echo "the server panicked while fuzzed:" >&2
  grep -A5 panicked "$dir/server.log" >&2
  exit 1
fi
