// A shop's first day (issue 21), from nothing: an operator creates the shop on an empty store with
// `payout-server shop create`; its main account signs in with the one-time password and must change
// it, tops up the custody account, sets an approval threshold, creates an agent and gives it a
// quota, imports the platform's order file (as a spreadsheet program exports it: UTF-8 with a BOM)
// and registers a webhook to a receiver this test runs; the agent signs in with its own one-time
// password, changes it and pays two of the imported orders, one over the threshold, which the main
// account approves. The receiver must have got every event of both payouts exactly once, each
// signed with the endpoint's secret as the Standard Webhooks specification says. It is the
// product's proof that a real shop can start from an empty database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser, receiver;
/** Every request the receiver got: its headers and its body as sent. */
const received = [];
before(async () => {
  server = await startServer(['--allow-insecure-webhooks'], { demoData: false });
  browser = await launchBrowser();
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
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

/** Runs an operator's subcommand on the server's store; its JSON answer. */
function operator(...args) {
  const out = execFileSync(process.env.PAYOUT_SERVER_BIN, [...args, '--db', server.db, '--json'], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** Whether `r` is signed with `secret` as Standard Webhooks says: HMAC-SHA256 of `id.timestamp.body`. */
function signedWith(secret, r) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`)
    .digest();
  return (r.headers['webhook-signature'] ?? '').split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** A fresh browser context at `/sign-in`; page errors fail the test. */
async function fresh(width = 1280) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${server.url}/sign-in`);
  return page;
}

/** Signs in with a one-time password and replaces it, as the console insists. */
async function firstSignIn(page, username, oneTime, password) {
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(oneTime);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('password-change-required').waitFor();
  await page.getByTestId('current-password').fill(oneTime);
  await page.getByTestId('new-password').fill(password);
  await page.getByTestId('repeat-password').fill(password);
  await page.getByTestId('password-submit').click();
  await page.getByTestId('nav-payout').waitFor(LONG);
}

/** Yesterday as the order file writes times (China Standard Time). */
function yesterday() {
  return new Date(Date.now() - 16 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const SMALL = '6920261206000000001';
const BIG = '6920261206000000002';

test('a_shop_starts_from_an_empty_store_pays_its_first_orders_and_its_systems_hear_each_event_once_signed', { timeout: 300_000 }, async () => {
  // The operator: a shop on the empty store, and its main account's one-time password.
  assert.deepEqual(operator('shop', 'list'), [], 'the store starts empty');
  const shop = operator('shop', 'create', '--name', '晨光家纺旗舰店', '--qualification', 'enterprise',
    '--main-username', 'chen.owner');
  assert.ok(shop.one_time_password.length >= 16);

  // The main account: its own password first, nothing else before.
  const admin = await fresh();
  await firstSignIn(admin, 'chen.owner', shop.one_time_password, 'lantern orchard velvet 2026');
  assert.match(await admin.getByTestId('nav').textContent(), /子账号管理/);

  // Money to pay from, and an approval threshold of ¥100.00.
  await admin.goto(`${server.url}/settings`);
  await admin.getByTestId('topup-amount-input').fill('1000');
  await admin.getByTestId('topup-reference').fill('BANK-20261206-0001');
  await admin.getByTestId('topup-submit').click();
  await admin.getByTestId('account-custody').filter({ hasText: '¥1,000.00' }).waitFor(LONG);
  await admin.getByTestId('threshold-input').fill('100');
  await admin.getByTestId('settings-save').click();
  await admin.getByTestId('settings-result').filter({ hasText: '已保存' }).waitFor();

  // An agent, with permission and a quota.
  await admin.goto(`${server.url}/sub-accounts`);
  await admin.getByTestId('sub-account-create').click();
  await admin.getByTestId('new-username').fill('chen.agent');
  await admin.getByTestId('new-display-name').fill('小陈');
  await admin.getByTestId('sub-account-create-submit').click();
  const agentOneTime = (await admin.getByTestId('one-time-password').textContent()).trim();
  await admin.getByTestId('one-time-done').click();
  await admin.getByTestId('nav-quotas').click();
  const quota = admin.getByTestId('quota-chen.agent');
  await quota.waitFor();
  await quota.getByTestId('perm-payout').click();
  await quota.locator('[data-testid=perm-payout][aria-checked=true]').waitFor();
  await quota.getByTestId('quota-edit').click();
  await admin.getByTestId('per-chen.agent').fill('200');
  await admin.getByTestId('daily-chen.agent').fill('1000');
  await quota.getByTestId('quota-save').click();
  await quota.getByTestId('per-value').filter({ hasText: '¥200.00' }).waitFor();
  if (await quota.getByTestId('quota-enabled').getAttribute('aria-checked') !== 'true') {
    await quota.getByTestId('quota-enabled').click();
    await quota.locator('[data-testid=quota-enabled][aria-checked=true]').waitFor();
  }

  // The platform's order file, as a spreadsheet program saves it: UTF-8 with a BOM, CRLF.
  const at = yesterday();
  const file = '\uFEFF' + [
    '主订单编号,子订单编号,商品名称,商品金额,订单实付金额,下单时间,支付方式,下单渠道,跨境,买家',
    `${SMALL},s-1,纯棉枕套,39.00,39.00,${at},在线支付,抖音,否,dy_buyer_7781`,
    `${BIG},b-1,蚕丝被,599.00,699.00,${at},在线支付,抖音,否,dy_buyer_9902`,
    `${BIG},b-2,乳胶枕,100.00,699.00,${at},在线支付,抖音,否,dy_buyer_9902`,
  ].join('\r\n') + '\r\n';
  await admin.goto(`${server.url}/order-import`);
  await admin.getByTestId('import-file').setInputFiles({ name: '订单导出.csv', mimeType: 'text/csv', buffer: Buffer.from(file, 'utf8') });
  await admin.getByTestId('import-submit').click();
  await admin.getByTestId('import-report').waitFor(LONG);
  assert.equal(await admin.getByTestId('import-created').textContent(), '新建订单2');

  // The merchant's systems: a webhook for every payout event, its secret shown once.
  await admin.goto(`${server.url}/api-settings`);
  await admin.getByTestId('webhook-add').click();
  await admin.getByTestId('webhook-url-input').fill(`http://127.0.0.1:${receiver.address().port}/payouts`);
  const kinds = ['created', 'awaiting_approval', 'approved', 'rejected', 'succeeded', 'failed', 'stuck'];
  for (const e of kinds) await admin.getByTestId(`webhook-event-payout.${e}`).check();
  await admin.getByTestId('webhook-save').click();
  const secret = await admin.getByTestId('webhook-secret').inputValue();
  assert.match(secret, /^whsec_/);
  await admin.getByTestId('secret-done').click();
  await admin.getByTestId('webhook').waitFor();

  // The agent's first sign-in, then two payouts: ¥8 goes out, ¥150 waits for the main account.
  const agent = await fresh(390);
  await firstSignIn(agent, 'chen.agent', agentOneTime, 'harbour pepper signal 77');
  const pay = async (order, type, amount) => {
    await agent.goto(`${server.url}/payout?order=${order}`);
    await agent.getByTestId('open-payout').click(LONG);
    await agent.getByTestId('payout-dialog').waitFor();
    await agent.getByTestId('payout-type').selectOption(type);
    await agent.getByTestId('amount-input').fill(amount);
    await agent.getByTestId('submit-payout').click();
    const notice = agent.getByTestId('payout-success');
    await notice.waitFor(LONG);
    return { notice, id: Number((await notice.textContent()).match(/#(\d+)/)[1]) };
  };
  const small = await pay(SMALL, 'shipping', '8');
  await small.notice.getByTestId('status-badge').filter({ hasText: '打款成功' }).waitFor(LONG);
  const big = await pay(BIG, 'price_difference', '150');
  await big.notice.filter({ hasText: '等待主账号审核' }).waitFor();

  // The main account approves it; it goes out.
  await admin.goto(`${server.url}/approvals`);
  const row = admin.locator(`[data-testid=approval-row][data-id="${big.id}"]`);
  await row.getByTestId('approve').click(LONG);
  await admin.getByTestId('decision-ok').waitFor();
  await big.notice.getByTestId('status-badge').filter({ hasText: '打款成功' }).waitFor(LONG);

  // Every event of both payouts reached the merchant's system exactly once, signed.
  const expected = [
    [small.id, 'payout.created'], [small.id, 'payout.succeeded'],
    [big.id, 'payout.created'], [big.id, 'payout.awaiting_approval'],
    [big.id, 'payout.approved'], [big.id, 'payout.succeeded'],
  ];
  const deadline = Date.now() + 30_000;
  while (received.length < expected.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 1000)); // time for a duplicate to show itself
  const events = received.map((r) => ({ r, body: JSON.parse(r.body) }));
  for (const [id, type] of expected) {
    const got = events.filter(({ body }) => body.type === type && body.data.payout.id === id);
    assert.equal(got.length, 1, `${type} of payout ${id}: delivered ${got.length} times`);
    assert.ok(signedWith(secret, got[0].r), `${type} of payout ${id} is signed with the endpoint's secret`);
    assert.equal(got[0].body.id, got[0].r.headers['webhook-id'], 'the body names its webhook-id');
  }
  assert.equal(events.length, expected.length, `nothing else: ${events.map(({ body }) => body.type)}`);
  assert.ok(!signedWith('whsec_' + Buffer.alloc(32).toString('base64'), events[0].r), 'the check can fail');
  assert.equal(new Set(received.map((r) => r.headers['webhook-id'])).size, received.length, 'one id per event');

  // The shop stands alone: the operator sees it, and nothing else is there.
  assert.deepEqual(operator('shop', 'list').map((s) => s.name), ['晨光家纺旗舰店']);
  await admin.context().close();
  await agent.context().close();
});
