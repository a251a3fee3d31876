#!/usr/bin/env bash
# Fuzzes the real server through its own OpenAPI description with schemathesis: whatever a client
# sends, no answer may be a 5xx (SPEC §8). Runs on loopback against a fresh SQLite file with the
# demo data, signed in as lin.admin (the role that reaches every endpoint) with the session's CSRF
# token; the OpenAPI examples carry real demo order numbers, every POST gets a fresh
# Idempotency-Key (scripts/fuzz_hooks.py) and the policy has no cooldown, so generated drafts reach
# the money path. Prints how many creations got 201 and 422. Bounded: a fixed seed and a few dozen
# examples per operation.
#
# With FUZZ_DATABASE_URL (postgres://…/DB of a server), the same run goes against a fresh database
# on that PostgreSQL instead (the test command runs both).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"

bin="$CARGO_TARGET_DIR/debug/payout-server"
dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
echo '{"cooldown_seconds":0,"max_payouts_per_order":1000,"shop_daily_cap":"1000000.00"}' >"$dir/policy.json"
store=(--db "$dir/fuzz.sqlite")
if [ -n "${FUZZ_DATABASE_URL:-}" ]; then
  name="fuzz_$(date +%s%N)"
  psql -q "$FUZZ_DATABASE_URL" -c "CREATE DATABASE $name"
  store=(--database-url "${FUZZ_DATABASE_URL%/*}/$name")
fi
"$bin" --addr "127.0.0.1:$port" "${store[@]}" --demo-data --dist "$ROOT/crates/payout-server/tests/fixtures/dist" \
  --rail-latency-ms 50 --policy "$dir/policy.json" --sign-in-burst 1000 >"$dir/server.log" 2>&1 &
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
FUZZ_ANSWERS="$dir/answers.txt" SCHEMATHESIS_HOOKS="$ROOT/scripts/fuzz_hooks.py" "$SCHEMATHESIS" run "$url/api/openapi.json" \
  -H "Cookie: $session" -H "X-CSRF-Token: $csrf" \
  --checks not_a_server_error --max-examples 40 --seed 20261124 --exclude-method DELETE \
  --no-color
created="$(grep -c '^POST /api/payouts 201$' "$dir/answers.txt" || true)"
rejected="$(grep -c '^POST /api/payouts 422$' "$dir/answers.txt" || true)"
echo "fuzzed requests ($([ -n "${FUZZ_DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite)): $(wc -l <"$dir/answers.txt"); POST /api/payouts: $created × 201 (created), $rejected × 422 (rules refused)"
if [ "$created" -eq 0 ]; then
  echo "the fuzzer never created a payout: the money path was not reached" >&2
  exit 1
fi
if grep -q "panicked" "$dir/server.log"; then
  echo "the server panicked while fuzzed:" >&2
  grep -A5 panicked "$dir/server.log" >&2
  exit 1
fi
