#!/usr/bin/env bash
# Builds the SPA in release (Trunk, wasm-opt -Oz) twice: the agents' bundle into dist/ and the full
# bundle (the `admin` feature: the main account's screens too) into dist/admin/, served under
# /admin/; then a Brotli and a gzip copy beside each hashed file, and the server binary.
# Usage: scripts/build.sh [--release]   (the server's profile; the SPA is always release)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/scripts/env.sh"
cd "$ROOT"
# The SPA is built with the pinned nightly: std rebuilt for size with the immediate-abort panic
# strategy, which drops the formatting and unwinding machinery (452 → 376 KB of gzipped wasm).
# A panic in the browser then stops the app at once, as `panic = "abort"` already did.
spa() {
  RUSTUP_TOOLCHAIN="$NIGHTLY_TOOLCHAIN" \
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort" \
    trunk build --release --offline "$@"
}
# An agent downloads only the first; the server sends the second's page for the main account's
# screens (crates/payout-server/src/spa.rs), whose links the first loads as whole pages (src/nav.rs).
# In this order: Trunk empties its --dist folder first.
step "trunk build --release (the agents' bundle → dist/, $NIGHTLY_TOOLCHAIN with build-std)"
spa
step "trunk build --release --features admin (the full bundle → dist/admin/, served under /admin/)"
spa --features admin --public-url /admin/ --dist dist/admin
step "name the full bundle's hashed files in dist/index.html (prefetched for the main account: src/nav.rs)"
# The agents' bundle turns this <meta> into <link rel="prefetch">s once the page is idle, and only
# for a session whose navigation shows one of the main account's tabs. Not a script: the CSP stays.
node --input-type=module - "$ROOT/dist" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
const dist = process.argv[2];
const admin = readFileSync(`${dist}/admin/index.html`, 'utf8');
const files = [...new Set(admin.match(/\/admin\/[\w.-]+-[0-9a-f]{16}(?:_bg)?\.(?:wasm|js|css)/g))];
for (const end of ['_bg.wasm', '.js']) {
  if (!files.some((f) => f.endsWith(end))) throw new Error(`no /admin/…${end} in dist/admin/index.html`);
}
const page = readFileSync(`${dist}/index.html`, 'utf8');
if (!page.includes('</head>')) throw new Error('dist/index.html has no </head>');
const meta = `<meta name="payout-full-bundle" content="${files.join(' ')}">`;
writeFileSync(`${dist}/index.html`, page.replace('</head>', `${meta}</head>`));
console.log(`dist/index.html: ${meta}`);
JS
step "a signed-out page's loader starts the app after the sign-in form has painted"
# The server drops the wasm's preload from a page asked for without a session (spa.rs); its loader
# then waits for the first paint of the plain sign-in form before fetching the wasm, so that on a
# slow network the form is on screen first and filled in while the app downloads (at most 1 s later
# in a tab in the background, which paints nothing). A page with a
# session (the skeleton) needs the app at once and starts it at once. The server allows the
# rewritten inline script by its hash, as it did Trunk's.
node --input-type=module - "$ROOT/dist/index.html" "$ROOT/dist/admin/index.html" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
const init = 'const wasm = await init(';
// "Painted" is the browser's own first-contentful-paint entry, which is recorded when the frame
// is on screen: a callback after requestAnimationFrame can run before that.
const wait = "if (document.documentElement.classList.contains('signed-out')) await new Promise((painted) => { "
  + 'setTimeout(painted, 1000); '
  + "new PerformanceObserver((list, observer) => { if (list.getEntriesByName('first-contentful-paint').length) { observer.disconnect(); painted(); } })"
  + ".observe({ type: 'paint', buffered: true }); });\n";
for (const file of process.argv.slice(2)) {
  const page = readFileSync(file, 'utf8');
  if (page.split(init).length !== 2) throw new Error(`${file}: not one '${init}' in Trunk's loader`);
  writeFileSync(file, page.replace(init, wait + init));
}
JS
step "precompress the hashed files (dist/*.br, dist/*.gz, the same in dist/admin/)"
node "$ROOT/scripts/compress-dist.mjs" "$ROOT/dist" "$ROOT/dist/admin"
step "cargo build payout-server $*"
cargo build -p payout-server "$@"
