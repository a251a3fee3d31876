// Screenshots of every screen at 1280 and 390 px in both languages, for a person to look at:
//   PAYOUT_SERVER_BIN=… node screenshots.mjs [out-dir]   (needs fonts-noto-cjk for Chinese)
import { mkdirSync } from 'node:fs';
import { startServer, launchBrowser } from './harness.mjs';

const out = process.argv[2] ?? '/tmp/shots';
mkdirSync(out, { recursive: true });
const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;
const server = await startServer();
const browser = await launchBrowser();
try {
  for (const width of [1280, 390]) {
    for (const lang of ['zh-CN', 'en']) {
      const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/sign-in`);
      await page.evaluate((l) => localStorage.setItem('payout.lang', l), lang);
      const shot = async (name, full = true) => page.screenshot({ path: `${out}/${width}-${lang}-${name}.png`, fullPage: full });
      const signIn = async (user, path) => {
        await page.goto(`${server.url}${path}`);
        await page.getByTestId('username').fill(user);
        await page.getByTestId('password').fill('demo-pass-2026');
        await page.getByTestId('signin-submit').click();
        await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
      };
      await signIn('lin.agent2', `/payout?order=${ORDER(2)}`);
      await page.getByTestId('order-view').waitFor();
      await shot('workbench-2');
      await page.getByTestId('open-payout').click();
      await page.getByTestId('payout-dialog').waitFor();
      await page.getByTestId('amount-input').fill('501');
      await page.waitForTimeout(200);
      await shot('dialog-501', false);
      await page.keyboard.press('Escape');
      await page.goto(`${server.url}/payout?order=${ORDER(8)}`);
      await page.getByTestId('order-view').waitFor();
      await shot('workbench-8');
      await page.goto(`${server.url}/payout?order=${ORDER(10)}`);
      await page.getByTestId('order-view').waitFor();
      await shot('workbench-10');
      await page.goto(`${server.url}/payout?order=6920241199999999999`);
      await page.getByTestId('error-view').waitFor();
      await shot('workbench-unknown', false);
      await page.goto(`${server.url}/records`);
      await page.getByTestId('records-table').waitFor();
      await shot('records');
      await page.goto(`${server.url}/orders/${ORDER(10)}`);
      await page.getByTestId('history').waitFor();
      await shot('order-10');
      await page.getByTestId('sign-out').click();
      await page.waitForURL((u) => u.pathname === '/sign-in');
      await signIn('lin.admin', '/quotas');
      await page.getByTestId('quota-table').waitFor();
      await shot('quotas');
      await page.getByTestId('sign-out').click();
      await page.waitForURL((u) => u.pathname === '/sign-in');
      await signIn('zhou.admin', '/settings');
      await page.getByTestId('accounts').waitFor();
      await shot('settings-zhou');
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots in ${out}`);
