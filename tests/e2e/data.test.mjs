// SPEC §12.3–§12.6 in the browser, against the real server with the demo data: the main account
// imports an order file saved in GB18030 (as spreadsheet programs on Chinese Windows do) with a
// real upload progress bar, and an agent pays one of its orders; the report of a file with bad
// lines is readable at 390 px; the main account creates an API key (shown once) and registers a
// webhook that a local receiver gets the test event of. The server runs with
// --allow-insecure-webhooks so the webhook may point at that receiver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser, receiver;
const received = [];
before(async () => {
  server = await startServer(['--allow-insecure-webhooks']);
  browser = await launchBrowser();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
});
after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

const LONG = { timeout: 30_000 };

/** A fresh context signed in as `user`, then at `path`; page errors fail the test. */
async function signedIn(user, path = '/', { width = 1280 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  return page;
}

/** `text` encoded as GB18030, by Python's codec (not by the code under test). */
function gb18030(text) {
  return execFileSync('python3', ['-c',
    'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode("utf-8").encode("gb18030"))'], { input: text, maxBuffer: 64 * 1024 * 1024 });
}

/** Yesterday, as the file writes times (China Standard Time). */
function yesterday() {
  const d = new Date(Date.now() - 24 * 3600 * 1000 + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

const HEADER = '主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家,备注';
const NEW_ORDER = '6920261200000000101';

test('the_main_account_imports_a_gb18030_file_with_real_progress_and_an_agent_pays_one_of_its_orders', { timeout: 120_000 }, async () => {
  const at = yesterday();
  // An unknown column (备注) pads the file to ~3 MB so the upload takes a while on a slowed link.
  const pad = 'x'.repeat(1_000_000);
  const text = [HEADER,
    `${NEW_ORDER},a-1,羊毛靠垫,28.00,128.00,${at},在线支付,抖音,否,buyer-000123,${pad}`,
    `${NEW_ORDER},a-2,地毯,100.00,128.00,${at},在线支付,抖音,否,buyer-000123,${pad}`,
    `6920261200000000102,b-1,台灯,45,45,${at},货到付款,今日头条,是,buyer-2,${pad}`].join('\r\n') + '\r\n';
  const bytes = gb18030(text);
  assert.ok(!bytes.equals(Buffer.from(text, 'utf8')), 'the file is not UTF-8');

  const admin = await signedIn('lin.admin', '/order-import');
  await admin.getByTestId('import-dropzone').waitFor();
  await admin.getByTestId('import-file').setInputFiles({ name: '订单导出.csv', mimeType: 'text/csv', buffer: bytes });
  await admin.getByTestId('import-chosen').filter({ hasText: '订单导出.csv' }).waitFor();
  // ~3 MB at 1 MB/s: the bar has time to show part of the file sent.
  const cdp = await admin.context().newCDPSession(admin);
  await cdp.send('Network.emulateNetworkConditions',
    { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1024 * 1024 });
  await admin.getByTestId('import-submit').click();
  const progress = admin.getByTestId('import-progress');
  await admin.waitForFunction(() => {
    const p = Number(document.querySelector('[data-testid=import-progress]')?.dataset.percent);
    return p > 0 && p < 100;
  }, null, LONG);
  assert.match(await progress.textContent(), /已上传 \d+%/);
  assert.equal(await admin.getByTestId('import-submit').isDisabled(), true, 'no second upload meanwhile');
  await admin.getByTestId('import-report').waitFor(LONG);
  await cdp.send('Network.emulateNetworkConditions',
    { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.equal(await admin.getByTestId('import-lines').textContent(), '读取行数3');
  assert.equal(await admin.getByTestId('import-created').textContent(), '新建订单2');
  assert.equal(await admin.getByTestId('import-rejected-count').textContent(), '未导入订单0');
  await admin.getByTestId('import-all-ok').waitFor();
  await admin.context().close();

  // An agent finds the new order: its items came through GB18030 intact, the buyer masked.
  const agent = await signedIn('lin.agent2', `/payout?order=${NEW_ORDER}`);
  await agent.getByTestId('order-view').waitFor(LONG);
  assert.equal(await agent.getByTestId('order-paid').textContent(), '¥128.00');
  assert.equal(await agent.getByTestId('order-buyer').textContent(), 'buy*******23');
  assert.match(await agent.getByTestId('order-items').textContent(), /羊毛靠垫.*地毯/);
  await agent.getByTestId('open-payout').click(LONG);
  await agent.getByTestId('payout-dialog').waitFor();
  await agent.getByTestId('payout-type').selectOption('shipping');
  await agent.getByTestId('amount-input').fill('8');
  await agent.getByTestId('submit-payout').click();
  await agent.getByTestId('payout-success').waitFor();
  await agent.getByTestId('payout-success').getByTestId('status-badge').filter({ hasText: '打款成功' }).waitFor(LONG);
  await agent.context().close();
});

test('the_report_of_a_file_with_bad_lines_is_readable_at_390px_and_downloads_as_csv', { timeout: 90_000 }, async () => {
  const at = yesterday();
  const text = [HEADER,
    `6920261200000000201,c-1,抱枕,12.00,12.00,${at},在线支付,抖音,否,buyer-3,`,
    `6920261200000000202,d-1,一个名字很长很长的商品：北欧风格纯棉加厚防滑客厅卧室地毯,1.001,30.00,${at},在线支付,抖音,否,buyer-4,`,
    `6920261200000000203,e-1,杯子,5.00,5.00,不是时间,在线支付,抖音,否,buyer-5,`,
    `12345,f-1,盘子,5.00,5.00,${at},刷卡,抖音,否,buyer-6,`].join('\n') + '\n';
  const page = await signedIn('lin.admin', '/order-import', { width: 390 });
  await page.getByTestId('import-file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.getByTestId('import-submit').click();
  await page.getByTestId('import-report').waitFor(LONG);
  assert.equal(await page.getByTestId('import-created').textContent(), '新建订单1');
  const rows = page.getByTestId('import-rejected-row');
  assert.ok(await rows.count() >= 3, 'every bad line is listed');
  const amountRow = page.locator('[data-testid=import-rejected-row][data-line="3"]');
  assert.match(await amountRow.textContent(), /6920261200000000202.*商品金额/);
  // Nothing runs off the side of the phone's screen.
  const overflow = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    body: document.body.scrollWidth - document.body.clientWidth,
  }));
  assert.deepEqual(overflow, { doc: 0, body: 0 }, 'no horizontal scrolling at 390 px');
  // Each reason is in words, inside the screen.
  const reasons = await page.getByTestId('import-reason').evaluateAll((cells) =>
    cells.map((c) => ({ text: c.textContent, right: c.getBoundingClientRect().right })));
  for (const r of reasons) {
    assert.ok(r.text.length > 4, r.text);
    assert.ok(r.right <= 390, `${r.text} ends at ${r.right}`);
  }
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-download').click()]);
  const csv = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
  assert.match(csv, /^\uFEFF行号,主订单编号,列,错误代码,原因\r\n/);
  assert.match(csv, /\r\n3,6920261200000000202,商品金额,[A-Z_]+,/);
  await page.context().close();
});

test('the_main_account_creates_a_key_shown_once_and_a_webhook_whose_test_event_arrives_and_is_logged', { timeout: 90_000 }, async () => {
  const page = await signedIn('lin.admin', '/api-settings');
  await page.getByTestId('key-add').click();
  await page.getByTestId('key-name').fill('ERP 订单同步');
  await page.getByTestId('key-scope-orders:write').check();
  await page.getByTestId('key-scope-payouts:read').check();
  await page.getByTestId('key-create').click();
  const shown = page.getByTestId('key-secret');
  await shown.waitFor();
  const key = await shown.inputValue();
  assert.ok(key.length >= 43, `a key of 32 random bytes: ${key}`);
  assert.match(await page.getByTestId('shown-once').textContent(), /无法再次查看/);
  await page.getByTestId('secret-done').click();
  await shown.waitFor({ state: 'detached' });
  const row = page.locator(`[data-testid=key-row][data-prefix="${key.slice(0, 8)}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /ERP 订单同步.*写入订单、读取打款记录.*从未使用/);
  assert.equal(await page.content().then((html) => html.includes(key)), false, 'the key is gone from the page');
  // The key works, for its scopes.
  const res = await fetch(`${server.url}/api/payouts`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);

  // A webhook: the server's word on a URL it will not take is said under the URL.
  await page.getByTestId('webhook-add').click();
  await page.getByTestId('webhook-url-input').fill('ftp://example.com/hook');
  await page.getByTestId('webhook-save').click();
  await page.getByTestId('webhook-url-input-error').filter({ hasText: 'ftp://' }).waitFor();
  await page.getByTestId('webhook-url-input').fill(`http://127.0.0.1:${receiver.address().port}/hook`);
  await page.getByTestId('webhook-save').click();
  const secret = page.getByTestId('webhook-secret');
  await secret.waitFor();
  assert.match(await secret.inputValue(), /^whsec_/);
  await page.getByTestId('secret-done').click();
  const hook = page.getByTestId('webhook');
  await hook.waitFor();
  await hook.getByTestId('webhook-test').click();
  await hook.getByTestId('webhook-result').filter({ hasText: '已发送测试事件' }).waitFor();
  const delivered = hook.locator('[data-testid=delivery-row][data-status=delivered]');
  await delivered.waitFor(LONG);
  assert.equal(await delivered.getByTestId('delivery-attempts').textContent(), '1');
  assert.match(await delivered.getByTestId('delivery-answer').textContent(), /HTTP 200/);
  assert.match(await delivered.textContent(), /测试事件/);
  const got = received.find((r) => r.body.includes('webhook.test'));
  assert.ok(got, 'the receiver got the test event');
  assert.match(got.headers['webhook-signature'], /^v1,/);
  await page.context().close();
});
