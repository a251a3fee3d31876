// The build leaves a Brotli and a gzip copy beside each content-hashed file of dist/
// (scripts/build.sh → scripts/compress-dist.mjs), each decompressing to the very same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

const dist = process.env.PAYOUT_DIST ?? resolve(import.meta.dirname, '../../dist');
const HASHED = /-[0-9a-f]{16}(_bg)?\.(wasm|js|css)$/;

test('every_hashed_file_in_dist_has_br_and_gz_siblings_with_the_same_content', () => {
  const names = readdirSync(dist);
  const hashed = names.filter((n) => HASHED.test(n));
  assert.ok(hashed.some((n) => n.endsWith('.wasm')), `no wasm in ${dist}: ${names}`);
  for (const name of hashed) {
    const original = readFileSync(join(dist, name));
    assert.ok(names.includes(`${name}.br`) && names.includes(`${name}.gz`), `${name} lacks .br/.gz`);
    assert.ok(brotliDecompressSync(readFileSync(join(dist, `${name}.br`))).equals(original), `${name}.br`);
    assert.ok(gunzipSync(readFileSync(join(dist, `${name}.gz`))).equals(original), `${name}.gz`);
  }
});
