// Shared by the browser tests: start the real server (built binary, fresh SQLite file, demo data)
// on a free loopback port, and launch Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Starts payout-server (with the demo data unless `demoData` is false); returns { url, db, stop }. */
export async function startServer(extraArgs = [], { demoData = true } = {}) {
  const bin = process.env.PAYOUT_SERVER_BIN;
  if (!bin) throw new Error('PAYOUT_SERVER_BIN is not set (scripts/test.sh sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'payout-e2e-'));
  const port = await freePort();
  // The defaults below, unless `extraArgs` gives the same option (the server refuses one twice).
  const defaults = [['--rail-latency-ms', '300'], ['--rail-failure-percent', '0']]
    .filter(([flag]) => !extraArgs.includes(flag)).flat();
  const db = join(dir, 'payout.sqlite');
  const args = ['--addr', `127.0.0.1:${port}`, '--db', db, ...(demoData ? ['--demo-data'] : []),
    '--dist', process.env.PAYOUT_DIST ?? join(root, 'dist'), ...defaults, ...extraArgs];
  const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  // Long enough for a loaded CI machine: a first start builds the store and hashes the demo passwords.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('server did not become healthy'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    db,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium from Debian (Playwright cannot download its own browser here). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
