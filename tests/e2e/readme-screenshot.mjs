// The README's screenshot, docs/workbench.png: the payout workbench at 1280 px in Chinese with the
// payout dialog open, as lin.agent1 (¥50.00 per payout) on order …0002 with a reason chosen and
// ¥60 typed, so the dialog shows the rule it breaks (R-F3) before anything is sent.
//   PAYOUT_SERVER_BIN=… node readme-screenshot.mjs [out.png]   (after scripts/build.sh; needs
//   fonts-noto-cjk, which scripts/setup-test.sh installs)
import { resolve } from 'node:path';
import { startServer, launchBrowser } from './harness.mjs';

const out = process.argv[2] ?? resolve(import.meta.dirname, '../../docs/workbench.png');
const server = await startServer();
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/payout?order=6920241100000000002`);
  await page.getByTestId('username').fill('lin.agent1');
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => u.pathname === '/payout');
  await page.getByTestId('order-view').waitFor();
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-dialog').waitFor();
  await page.getByTestId('payout-reason').selectOption({ label: '退货运费补偿（运费补偿）' });
  await page.getByTestId('amount-input').fill('60');
  await page.getByTestId('amount-error').filter({ hasText: '50.00' }).waitFor();
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
