// Writes `NAME.br` (Brotli, quality 11) and `NAME.gz` (gzip -9) next to each content-hashed file
// Trunk put in dist/ (`name-<16 hex>.css`, `…_bg.wasm`, `….js`), so the server can send them
// precompressed instead of compressing on every request. Node's own zlib: no extra tool needed.
// Usage: node scripts/compress-dist.mjs dist [dist/admin …]   (each folder itself, not below it)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export const HASHED = /-[0-9a-f]{16}(_bg)?\.(wasm|js|css)$/;

function compress(dir) {
  let count = 0;
  for (const name of readdirSync(dir)) {
    if (!HASHED.test(name)) continue;
    const path = join(dir, name);
    const data = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }));
    writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
    count += 1;
  }
  if (count === 0) {
    console.error(`compress-dist: no hashed files in ${dir}`);
    process.exit(1);
  }
  console.log(`compress-dist: ${dir}: ${count} files, each with .br and .gz`);
}

for (const dir of process.argv.length > 2 ? process.argv.slice(2) : ['dist']) compress(dir);
