// Screenshots of the screens of SPEC §11 at 1280 and 390 px in both languages, for a person to look
// at: the dialog with a reason and the approval notice, approvals and the reject form, reasons,
// statements, overview, the order page, records, settings, and a stuck payout.
//   PAYOUT_SERVER_BIN=… node screenshots-beyond.mjs [out-dir]
import { mkdirSync } from 'node:fs';
import { startServer, launchBrowser } from './harness.mjs';

const out = process.argv[2] ?? '/tmp/shots12';
mkdirSync(out, { recursive: true });
const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;
const server = await startServer();
const browser = await launchBrowser();

/** Marks every processing payout in payout contexts and lists as stuck (none is, this early). */
async function fakeStuck(page) {
  const mark = (p) => (p.status === 'processing' || p.id === 5 ? { ...p, status: 'processing', stuck: true } : p);
  await page.route('**/api/orders/*/payout-context', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.payouts = body.payouts.map(mark);
    body.facts.usage.has_processing = true;
    await route.fulfill({ response: res, json: body });
  });
}

try {
  let paid = false;
  let combo = 0;
  for (const width of [1280, 390]) {
    for (const lang of ['zh-CN', 'en']) {
      const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('page error', String(e)));
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
      // Another order each time: a payout starts the order's 60 s cooldown.
      const order = ORDER([3, 2, 11, 3][combo++]);
      await signIn('lin.agent2', `/payout?order=${order}`);
      await page.getByTestId('order-view').waitFor();
      await page.getByTestId('open-payout').click({ timeout: 90_000 });
      await page.getByTestId('payout-dialog').waitFor();
      await page.getByTestId('payout-reason').selectOption('2');
      await page.getByTestId('amount-input').fill('100');
      await page.getByTestId('approval-notice').waitFor();
      await page.getByTestId('payout-note').fill('客户来电，已核实');
      await shot('dialog-reason', false);
      await page.getByTestId('payout-dialog').screenshot({ path: `${out}/${width}-${lang}-dialog-reason-full.png` });
      if (!paid) {
        await page.getByTestId('submit-payout').click();
        await page.getByTestId('payout-success').waitFor();
        paid = true;
      } else {
        await page.keyboard.press('Escape');
      }
      await shot('workbench');
      await page.getByTestId('sign-out').click();
      await page.waitForURL((u) => u.pathname === '/sign-in');

      await signIn('lin.admin', '/approvals');
      await page.getByTestId('approvals-table').waitFor();
      await shot('approvals');
      await page.getByTestId('reject').first().click();
      await page.getByTestId('reject-dialog').waitFor();
      await page.getByTestId('reject-reason').fill(' ');
      await shot('reject-dialog', false);
      await page.keyboard.press('Escape');
      await page.goto(`${server.url}/reasons`);
      await page.getByTestId('reason-table').waitFor();
      await shot('reasons');
      await page.getByTestId('reason-edit').first().click();
      await page.getByTestId('reason-dialog').waitFor();
      await page.getByTestId('reason-template').fill('您好 {buyer}');
      await shot('reason-dialog', false);
      await page.keyboard.press('Escape');
      await page.goto(`${server.url}/statements`);
      await page.getByTestId('statement-totals').waitFor();
      await shot('statements');
      await page.goto(`${server.url}/overview`);
      await page.getByTestId('day-chart').waitFor();
      await shot('overview');
      await page.goto(`${server.url}/orders/${ORDER(11)}`);
      await page.getByTestId('history').waitFor();
      await shot('order-11');
      await page.goto(`${server.url}/records`);
      await page.getByTestId('records-table').waitFor();
      await shot('records');
      await page.goto(`${server.url}/settings`);
      await page.getByTestId('accounts').waitFor();
      await shot('settings');
      await fakeStuck(page);
      await page.goto(`${server.url}/payout?order=${ORDER(8)}`);
      await page.getByTestId('order-view').waitFor();
      await shot('workbench-stuck');
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`screenshots in ${out}`);
