// Screenshots of the screens of SPEC §12.3–§12.6 at 1280 and 390 px in both languages, for a person
// to look at: the order import's report of a file with bad lines, the API settings (a key just
// created, the webhook with its delivery log), the settings' balance movements, and the order page
// with the buyer masked and a buyer notification given up (D12, faked: it takes 24 hours).
//   PAYOUT_SERVER_BIN=… node screenshots-data.mjs [out-dir]
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { startServer, launchBrowser } from './harness.mjs';

const out = process.argv[2] ?? '/tmp/shots-data';
mkdirSync(out, { recursive: true });
const server = await startServer(['--allow-insecure-webhooks']);
const browser = await launchBrowser();
const receiver = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('ok')); });
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));

/** The main account's session, for setting things up through the API. */
async function adminApi() {
  const res = await fetch(`${server.url}/api/session`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lin.admin', password: 'demo-pass-2026' }),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const { csrf_token: csrf } = await res.json();
  return (method, path, body) => fetch(`${server.url}${path}`, {
    method, headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  }).then((r) => r.json());
}

const at = new Date(Date.now() - 24 * 3600 * 1000 + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
const BAD = ['主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家',
  `6920261200000000301,c-1,抱枕,12.00,12.00,${at},在线支付,抖音,否,buyer-000301`,
  `6920261200000000302,d-1,北欧风格纯棉加厚防滑客厅卧室地毯,1.001,30.00,${at},在线支付,抖音,否,buyer-4`,
  `6920261200000000303,e-1,杯子,5.00,5.00,不是时间,在线支付,抖音,否,buyer-5`,
  `12345,f-1,盘子,5.00,5.00,${at},刷卡,抖音,否,buyer-6`].join('\n') + '\n';

try {
  const api = await adminApi();
  const { key } = await api('POST', '/api/api-keys', { name: '平台资金同步', scopes: ['accounts:write', 'orders:write'] });
  const bearer = (path, body) => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then((r) => r.json());
  await bearer('/api/source-accounts/custody/movements', { reference: 'ST-20261205-001', kind: 'credit', amount: '500.00', note: '12 月 5 日结算' });
  await bearer('/api/source-accounts/aggregate/movements', { reference: 'FZ-20261205-007', kind: 'freeze', amount: '30.00', note: '售后争议冻结' });
  const hook = await api('POST', '/api/webhooks', { url: `http://127.0.0.1:${receiver.address().port}/hook`, events: ['payout.succeeded', 'payout.failed'] });
  await api('POST', `/api/webhooks/${hook.id}/test`, {});

  for (const width of [1280, 390]) {
    for (const lang of ['zh-CN', 'en']) {
      const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error('page error', String(e)));
      await page.goto(`${server.url}/sign-in`);
      await page.evaluate((l) => localStorage.setItem('payout.lang', l), lang);
      const shot = async (name, full = true) => page.screenshot({ path: `${out}/${width}-${lang}-${name}.png`, fullPage: full });
      await page.goto(`${server.url}/order-import`);
      await page.getByTestId('username').fill('lin.admin');
      await page.getByTestId('password').fill('demo-pass-2026');
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('import-dropzone').waitFor();
      await shot('import-empty', false);
      await page.getByTestId('import-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD) });
      await page.getByTestId('import-submit').click();
      await page.getByTestId('import-report').waitFor();
      await shot('import-report');

      await page.goto(`${server.url}/api-settings`);
      await page.getByTestId('webhook').waitFor();
      await page.getByTestId('webhook-log-toggle').click();
      await page.getByTestId('delivery-row').first().waitFor();
      await page.waitForTimeout(300);
      await shot('api-settings');
      await page.getByTestId('key-add').click();
      await page.getByTestId('key-name').fill('ERP');
      await page.getByTestId('key-create').click();
      await shot('key-dialog-errors', false);
      await page.getByTestId('key-scope-payouts:read').check();
      await page.getByTestId('key-create').click();
      await page.getByTestId('key-secret').waitFor();
      await shot('key-created', false);
      await page.getByTestId('secret-done').click();
      await page.getByTestId('webhook-add').click();
      await page.getByTestId('webhook-url-input').fill('ftp://example.com/x');
      await page.getByTestId('webhook-save').click();
      await shot('webhook-dialog-error', false);
      await page.keyboard.press('Escape');

      await page.goto(`${server.url}/settings`);
      await page.getByTestId('movements-custody').waitFor();
      await shot('settings-movements');

      // The order page of order 9 (one succeeded payout), with a buyer and a notification given up.
      await page.route('**/api/orders/*/payout-context', async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        body.order.buyer = 'buy*******23';
        await route.fulfill({ response: res, json: body });
      });
      await page.route(/\/api\/payouts\/\d+$/, async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        if (body.status === 'succeeded') {
          body.buyer_notified_at = null;
          body.buyer_notification_failed_at = body.updated_at;
        }
        await route.fulfill({ response: res, json: body });
      });
      await page.goto(`${server.url}/orders/6920241100000000009`);
      await page.getByTestId('history').waitFor().catch(() => {});
      await page.waitForTimeout(500);
      await shot('order-buyer-notify-failed');
      await context.close();
    }
  }
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await server.stop();
  receiver.close();
}
