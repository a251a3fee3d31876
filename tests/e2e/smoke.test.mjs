// The page served by the real server runs payout-core's parser as the person types (R-F1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('r_f1_typing_0_001_shows_the_amount_message_and_full_width_12_5_does_not', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/payout?order=6920241100000000002`);
  await page.getByTestId('username').fill('lin.agent1');
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('open-payout').click();
  const input = page.getByTestId('amount-input');
  const error = page.getByTestId('amount-error');

  await input.fill('0.001');
  await assert.doesNotReject(error.filter({ hasText: '金额最多保留 2 位小数' }).waitFor());
  assert.equal(await input.getAttribute('aria-invalid'), 'true');

  await input.fill('１２．５');
  await page.waitForFunction(() => document.querySelector('[data-testid=amount-error]').textContent === '');
  assert.equal(await input.getAttribute('aria-invalid'), 'false');
  await page.close();
});

test('the_console_runs_under_its_content_security_policy_with_no_violation', async () => {
  const page = await browser.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(String(e)));
  const response = await page.goto(`${server.url}/sign-in`);
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.match(csp, /frame-ancestors 'none'/);
  await page.getByTestId('username').waitFor();
  assert.deepEqual(violations, [], 'the app itself ran without a violation');
  // An injected inline script is refused.
  await assert.rejects(page.addScriptTag({ content: 'window.injected = 1' }));
  assert.equal(await page.evaluate(() => window.injected), undefined);
  await page.close();
});
