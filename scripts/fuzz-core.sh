#!/usr/bin/env bash
# Fuzzes payout-core with cargo-fuzz (libFuzzer, nightly): the amount parser (`money_parse`), the
# rule engine (`check_payout`) and the order file's parser (`import`), FUZZ_SECONDS (default 30)
# each. Prints one line per target and exits non-zero when a target crashes (a panic or a broken
# invariant), naming the input that did it.
# A long run of one target: docs/testing.md, "Fuzzing the core".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
# Instrumented nightly builds get their own target dir, outside the clone, reused between runs.
# No sanitizer: payout-core forbids unsafe code, so what the fuzzer hunts is panics (overflow checks
# are on) and broken invariants, and without ASan it runs about twice as many inputs.
FLAGS=(--sanitizer none --debug-assertions --target-dir "$HOME/.cache/payout-target-fuzz")
cd "$ROOT/fuzz"

cargo "+$FUZZ_TOOLCHAIN" fuzz build "${FLAGS[@]}" >/dev/null

status=0
summary=()
for target in money_parse check_payout import; do
  corpus="$ROOT/fuzz/corpus/$target"
  mkdir -p "$corpus"
  # The corpus grows in fuzz/corpus (ignored by git); fuzz/seeds holds a few hand-written inputs.
  dirs=("$corpus")
  if [ -d "$ROOT/fuzz/seeds/$target" ]; then dirs+=("$ROOT/fuzz/seeds/$target"); fi
  log="$(mktemp)"
  if cargo "+$FUZZ_TOOLCHAIN" fuzz run "${FLAGS[@]}" "$target" "${dirs[@]}" -- \
    -max_total_time="$FUZZ_SECONDS" -timeout=10 >"$log" 2>&1; then
    runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
    summary+=("ok     $target: ${runs:-?} inputs in ${FUZZ_SECONDS}s, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l) files")
  else
    tail -n 30 "$log" >&2
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | head -1)"
    summary+=("CRASH  $target: ${artifact:-see the log above}; replay: (cd fuzz && cargo +$FUZZ_TOOLCHAIN fuzz run ${FLAGS[*]} $target ${artifact#"$ROOT/fuzz/"})")
    status=1
  fi
  rm -f "$log"
done
printf '%s\n' "${summary[@]}"
exit "$status"
