# Sourced by the other scripts: one place for paths and versions.
# Cargo's target dir lives outside the clone so repeated runs (and CI on the same machine) reuse builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/payout-target}"
export PATH="$HOME/.cargo/bin:$ROOT/scripts/tools/node_modules/.bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
TRUNK_VERSION=0.21.14
SCHEMATHESIS_VERSION=4.32.5
# One pinned nightly (by date, so builds are repeatable) for what needs one: cargo-fuzz
# (scripts/fuzz-core.sh) and the SPA's release build (scripts/build.sh: build-std with the
# immediate-abort panic strategy). The server and every test build stay on stable.
NIGHTLY_TOOLCHAIN=nightly-2026-10-29
FUZZ_TOOLCHAIN=$NIGHTLY_TOOLCHAIN
CARGO_FUZZ_VERSION=0.13.2
# pip puts the command beside the python3 that installed it (no reliance on pyenv shims or PATH).
SCHEMATHESIS="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/schemathesis"
# The wasm-bindgen CLI must equal the crate version pinned with `=` in Cargo.toml.
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$ROOT/Cargo.toml")
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
