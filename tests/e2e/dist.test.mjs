// The build leaves a Brotli and a gzip copy beside each content-hashed file of dist/ and of the
// full bundle's dist/admin/ (scripts/build.sh → scripts/compress-dist.mjs), each decompressing to
// the very same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

const dist = process.env.PAYOUT_DIST ?? resolve(import.meta.dirname, '../../dist');
const HASHED = /-[0-9a-f]{16}(_bg)?\.(wasm|js|css)$/;

for (const [name, dir] of [['dist', dist], ['dist_admin', join(dist, 'admin')]]) {
  test(`every_hashed_file_in_${name}_has_br_and_gz_siblings_with_the_same_content`, () => {
    const names = readdirSync(dir);
    const hashed = names.filter((n) => HASHED.test(n));
    assert.ok(hashed.some((n) => n.endsWith('.wasm')), `no wasm in ${dir}: ${names}`);
    for (const file of hashed) {
      const original = readFileSync(join(dir, file));
      assert.ok(names.includes(`${file}.br`) && names.includes(`${file}.gz`), `${file} lacks .br/.gz`);
      assert.ok(brotliDecompressSync(readFileSync(join(dir, `${file}.br`))).equals(original), `${file}.br`);
      assert.ok(gunzipSync(readFileSync(join(dir, `${file}.gz`))).equals(original), `${file}.gz`);
    }
  });
}
