// The console as people use it, against the real server with the demo data (SPEC §9).
// Each test signs in through the sign-in page in its own browser context (its own cookies).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;

/** A fresh context signed in as `user`, then at `path`. */
async function signedIn(user, path = '/', { lang } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  if (lang) {
    await page.goto(`${server.url}/sign-in`);
    await page.evaluate((l) => localStorage.setItem('payout.lang', l), lang);
  }
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  return page;
}

async function openDialog(page, order) {
  await page.goto(`${server.url}/payout?order=${order}`);
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-dialog').waitFor();
}

test('deep_link_survives_sign_in_and_r_p1_viewer_has_no_payout_entry', async () => {
  const page = await signedIn('lin.agent1', '/records?status=failed');
  assert.equal(new URL(page.url()).pathname, '/records');
  assert.equal(new URL(page.url()).searchParams.get('status'), 'failed');
  await page.context().close();

  const viewer = await signedIn('lin.viewer');
  await viewer.getByTestId('no-features').waitFor();
  assert.equal(await viewer.getByTestId('nav-payout').count(), 0);
  assert.equal(await viewer.getByTestId('nav-records').count(), 0);
  await viewer.goto(`${server.url}/payout?order=${ORDER(1)}`);
  await viewer.getByTestId('not-allowed').waitFor();
  assert.equal(await viewer.getByTestId('order-search').count(), 0);
  await viewer.context().close();
});

test('an_expired_session_returns_to_sign_in_and_then_to_the_page_asked_for', async () => {
  const page = await signedIn('lin.agent1', '/payout');
  // The session ends on the server (as when it expires) while the page stays open.
  await page.evaluate(async () => {
    const me = await (await fetch('/api/session')).json();
    await fetch('/api/session', { method: 'DELETE', headers: { 'X-CSRF-Token': me.csrf_token } });
  });
  // The already-loaded app looks an order up: its API call meets the 401.
  await page.getByTestId('order-search').fill(ORDER(2));
  await page.getByTestId('order-search-submit').click();
  await page.waitForURL((u) => u.pathname === '/sign-in');
  assert.equal(new URL(page.url()).searchParams.get('next'), `/payout?order=${ORDER(2)}`);
  await page.getByTestId('username').fill('lin.agent1');
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => u.pathname === '/payout' && u.searchParams.get('order') === ORDER(2));
  await page.getByTestId('open-payout').waitFor();
  await page.context().close();
});

test('sign_in_with_a_wrong_password_gives_one_generic_message', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/payout`);
  await page.getByTestId('username').fill('lin.agent1');
  await page.getByTestId('password').fill('wrong');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signin-error').filter({ hasText: /\S/ }).waitFor();
  assert.ok(page.url().includes('/sign-in'));
  await context.close();
});

test('r_f3_typing_60_as_agent1_shows_the_per_payout_limit_before_any_submit', async () => {
  const page = await signedIn('lin.agent1');
  await openDialog(page, ORDER(2));
  await page.getByTestId('payout-type').selectOption('price_difference');
  await page.getByTestId('amount-input').fill('60');
  await page.getByTestId('amount-error').filter({ hasText: '超出您的单笔打款限额 ¥50.00' }).waitFor();
  assert.equal(await page.getByTestId('submit-payout').isDisabled(), true);
  await page.getByTestId('amount-input').fill('50');
  await page.waitForFunction(() => document.querySelector('[data-testid=amount-error]').textContent === '');
  assert.equal(await page.getByTestId('submit-payout').isDisabled(), false);
  // Esc closes the dialog and gives focus back to the button that opened it.
  await page.keyboard.press('Escape');
  await page.getByTestId('payout-dialog').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'open-payout');
  await page.context().close();
});

test('agent1_pays_12_50_on_order_1_and_sees_the_record_become_final', async () => {
  const page = await signedIn('lin.agent1', `/payout?order=${ORDER(1)}`);
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-type').selectOption('price_difference');
  await page.getByTestId('amount-input').fill('12.50');
  await page.getByTestId('submit-payout').click();
  const success = page.getByTestId('payout-success');
  await success.filter({ hasText: '发起打款成功' }).waitFor();
  assert.match(await success.textContent(), /¥12\.50/);
  // The record settles by itself (the harness's rail never fails): 打款成功.
  await success.getByTestId('status-badge').filter({ hasText: '打款成功' }).waitFor({ timeout: 15_000 });
  // Meters refreshed: 20 − 12.50 left on the order, 300 − 12.50 left for the agent today.
  await page.getByTestId('meter-order-value').filter({ hasText: '¥7.50' }).waitFor();
  await page.getByTestId('meter-operator-value').filter({ hasText: '¥287.50' }).waitFor();
  // R-L3: the cooldown now counts down and the dialog says why it cannot pay.
  await page.getByTestId('cooldown').filter({ hasText: /还需 \d+ 秒/ }).waitFor();
  await page.context().close();
});

test('r_f10_order_9_asks_to_confirm_a_second_shipping_payout', async () => {
  const page = await signedIn('lin.agent1');
  await openDialog(page, ORDER(9));
  await page.getByTestId('payout-type').selectOption('shipping');
  await page.getByTestId('amount-input').fill('5');
  const confirm = page.getByTestId('duplicate-shipping');
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /¥8\.00/, 'the earlier shipping payout is shown');
  assert.equal(await page.getByTestId('submit-payout').isDisabled(), true);
  await page.getByTestId('confirm-duplicate-shipping').check();
  assert.equal(await page.getByTestId('submit-payout').isDisabled(), false);
  await page.context().close();
});

test('r_e2_to_r_e5_orders_4_to_7_show_their_ineligibility_reasons_and_r_l1_order_8_its_count_limit', async () => {
  const page = await signedIn('lin.agent1');
  const cases = [
    [ORDER(4), 'ORDER_SOURCE_NOT_ELIGIBLE', '今日头条'],
    [ORDER(5), 'ORDER_NOT_ONLINE_PAID', '在线支付'],
    [ORDER(6), 'ORDER_TOO_OLD', '12 个月'],
    [ORDER(7), 'ORDER_CROSS_BORDER', '跨境'],
    [ORDER(8), 'ORDER_COUNT_LIMIT', '最多打款 5 次'],
  ];
  for (const [order, code, text] of cases) {
    await page.goto(`${server.url}/payout?order=${order}`);
    const reason = page.locator(`[data-testid=reasons] [data-code=${code}]`);
    await reason.waitFor();
    assert.ok((await reason.textContent()).includes(text), `${order}: ${await reason.textContent()}`);
    assert.equal(await page.getByTestId('open-payout').isDisabled(), true, order);
  }
  await page.context().close();
});

test('r_f3_admin_lowers_agent1_per_payout_limit_and_the_agents_dialog_enforces_it', async () => {
  const admin = await signedIn('lin.admin', '/quotas');
  const row = admin.getByTestId('quota-lin.agent1');
  await row.getByTestId('quota-edit').click();
  await admin.getByTestId('per-lin.agent1').fill('0.001');
  await admin.getByTestId('per-lin.agent1-error').filter({ hasText: '金额最多保留 2 位小数' }).waitFor();
  assert.equal(await row.getByTestId('quota-save').isDisabled(), true);
  await admin.getByTestId('per-lin.agent1').fill('20');
  await row.getByTestId('quota-save').click();
  await row.getByTestId('per-value').filter({ hasText: '¥20.00' }).waitFor();
  await admin.context().close();

  const agent = await signedIn('lin.agent1');
  await openDialog(agent, ORDER(3));
  await agent.getByTestId('payout-type').selectOption('other');
  await agent.getByTestId('amount-input').fill('30');
  await agent.getByTestId('amount-error').filter({ hasText: '超出您的单笔打款限额 ¥20.00' }).waitFor();
  await agent.context().close();
});

test('r_f6_zhou_admin_cannot_choose_the_aggregate_account', async () => {
  const page = await signedIn('zhou.admin', '/settings');
  const aggregate = page.getByTestId('settings-source-aggregate');
  await aggregate.waitFor();
  assert.equal(await aggregate.isDisabled(), true);
  assert.equal(await page.getByTestId('settings-source-custody').isChecked(), true);
  await openDialog(page, '6920241100000000101');
  assert.equal(await page.getByTestId('source-aggregate').isDisabled(), true);
  assert.equal(await page.getByTestId('source-custody').isChecked(), true);
  await page.context().close();
});

test('records_filters_live_in_the_url_and_csv_export_downloads_the_filtered_rows', async () => {
  const page = await signedIn('lin.admin', '/records');
  await page.getByTestId('records-table').waitFor();
  await page.getByTestId('filter-order').fill(ORDER(8));
  await page.getByTestId('filter-status').selectOption('succeeded');
  await page.getByTestId('filter-apply').click();
  await page.waitForURL((u) => u.searchParams.get('status') === 'succeeded' && u.searchParams.get('order_no') === ORDER(8));
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid=record-row]')];
    return rows.length === 5 && rows.every((r) => r.dataset.status === 'succeeded');
  });
  // Reload: the filters come back from the URL.
  await page.reload();
  assert.equal(await page.getByTestId('filter-status').inputValue(), 'succeeded');
  await page.getByTestId('records-table').waitFor();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert.equal(lines.length, 1 + 5, csv);
  assert.ok(lines.slice(1).every((l) => l.includes(ORDER(8))), csv);

  // A failed payout offers "pay again", which opens the dialog pre-filled.
  await page.goto(`${server.url}/records?status=failed&order_no=${ORDER(10)}`);
  await page.getByTestId('pay-again').first().click();
  await page.getByTestId('payout-dialog').waitFor();
  assert.equal(await page.getByTestId('amount-input').inputValue(), '12.00');
  await page.context().close();
});

test('the_english_switch_translates_the_workbench_and_is_remembered', async () => {
  const page = await signedIn('lin.agent1', `/payout?order=${ORDER(2)}`);
  await page.getByRole('heading', { name: '小额打款' }).waitFor();
  await page.getByTestId('lang-en').click();
  await page.getByRole('heading', { name: 'Small-amount payout' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByText('Order remaining').waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Small-amount payout' }).waitFor();
  await page.getByTestId('lang-zh-CN').click();
  await page.getByRole('heading', { name: '小额打款' }).waitFor();
  await page.context().close();
});

test('axe_finds_no_serious_or_critical_violation_on_any_screen', async () => {
  const axe = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  const check = async (page, name) => {
    // Evaluated through the DevTools protocol: the console's CSP rightly refuses an injected <script>.
    await page.evaluate(axe);
    const result = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], name);
  };
  const context = await browser.newContext();
  const anon = await context.newPage();
  await anon.goto(`${server.url}/sign-in`);
  await anon.getByTestId('username').waitFor();
  await check(anon, 'sign-in');
  await context.close();

  const page = await signedIn('lin.admin');
  const screens = [
    ['/payout', 'order-search'],
    [`/payout?order=${ORDER(9)}`, 'order-view'],
    [`/payout?order=${ORDER(4)}`, 'reasons'],
    ['/records', 'records-table'],
    [`/orders/${ORDER(8)}`, 'history'],
    ['/quotas', 'quota-table'],
    ['/settings', 'accounts'],
  ];
  for (const [path, ready] of screens) {
    await page.goto(`${server.url}${path}`);
    await page.getByTestId(ready).first().waitFor();
    await check(page, path);
  }
  await page.goto(`${server.url}/payout?order=${ORDER(9)}`);
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-type').selectOption('shipping');
  await page.getByTestId('duplicate-shipping').waitFor();
  await check(page, 'payout dialog');
  await page.context().close();
});

test('d6_d7_the_main_account_grants_and_revokes_and_a_quota_manager_sees_the_grants_read_only', async () => {
  const admin = await signedIn('lin.admin', '/quotas');
  const viewer = admin.getByTestId('quota-lin.viewer');
  const grant = viewer.getByTestId('perm-payout');
  await grant.waitFor();
  assert.equal(await grant.getAttribute('aria-checked'), 'false');
  await grant.click();
  await viewer.locator('[data-testid=perm-payout][aria-checked=true]').waitFor();
  await grant.click();
  await viewer.locator('[data-testid=perm-payout][aria-checked=false]').waitFor();
  const manager = admin.getByTestId('quota-lin.agent1').getByTestId('perm-quotas');
  await manager.click();
  await admin.getByTestId('quota-lin.agent1').locator('[data-testid=perm-quotas][aria-checked=true]').waitFor();
  await manager.click();
  await admin.getByTestId('quota-lin.agent1').locator('[data-testid=perm-quotas][aria-checked=false]').waitFor();
  await admin.context().close();

  const agent2 = await signedIn('lin.agent2', '/quotas');
  await agent2.getByTestId('quota-table').waitFor();
  for (const id of ['perm-payout', 'perm-quotas']) {
    const switches = agent2.getByTestId(id);
    const n = await switches.count();
    assert.ok(n >= 3, id);
    for (let i = 0; i < n; i += 1) assert.equal(await switches.nth(i).isDisabled(), true, `${id} is read-only`);
  }
  const own = agent2.getByTestId('quota-lin.agent2');
  assert.equal(await own.getByTestId('quota-edit').isDisabled(), true, 'not its own quota');
  assert.match(await own.getByTestId('quota-locked').textContent(), /不能修改自己的配额/);
  const noPermission = agent2.getByTestId('quota-lin.viewer');
  assert.equal(await noPermission.getByTestId('quota-edit').isDisabled(), true);
  // Without payout permission there is no quota to switch (issue 18: it read 已开启).
  assert.equal(await noPermission.getByTestId('quota-enabled').count(), 0);
  assert.match(await noPermission.getByTestId('quota-enabled-na').textContent(), /不适用/);
  assert.match(await noPermission.getByTestId('quota-locked').textContent(), /打款岗位/);
  assert.equal(await agent2.getByTestId('quota-lin.agent1').getByTestId('quota-edit').isDisabled(), false);
  await agent2.context().close();
});

test('an_unknown_or_mistyped_order_page_offers_no_payout_and_shows_no_internals', async () => {
  const page = await signedIn('lin.agent1', '/orders/6920241199999999999');
  const error = page.getByTestId('error-view');
  await error.waitFor();
  assert.ok(!/ORDER_NOT_FOUND/.test(await error.textContent()));
  assert.equal(await page.getByRole('link', { name: '去打款' }).count(), 0);
  assert.equal(await page.getByTestId('retry').count(), 0, 'retrying cannot help');
  assert.equal(await page.getByRole('heading', { name: '订单详情' }).count(), 1);

  let asked = false;
  page.on('request', (r) => { if (r.url().includes('/api/orders/abc')) asked = true; });
  await page.goto(`${server.url}/orders/abc`);
  await page.getByTestId('error-view').filter({ hasText: '19 位数字' }).waitFor();
  assert.equal(asked, false, 'a mistyped number is not sent to the server');
  await page.context().close();
});

test('a_lost_answer_keeps_the_idempotency_key_across_pages_and_the_retry_pays_once', async () => {
  const page = await signedIn('lin.agent1', `/payout?order=${ORDER(2)}`);
  // The first submission reaches the server and creates the payout, but its answer is lost on
  // the way back (a gateway's 504). Every submission's key is recorded.
  const keys = [];
  let lose = true;
  await page.route('**/api/payouts', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(route.request().headers()['idempotency-key']);
    const response = await route.fetch();
    if (lose) {
      lose = false;
      return route.fulfill({ status: 504, body: '' });
    }
    return route.fulfill({ response });
  });
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-type').selectOption('price_difference');
  await page.getByTestId('amount-input').fill('6.00');
  await page.getByTestId('submit-payout').click();
  await page.getByTestId('unresolved-notice').waitFor();
  assert.equal(await page.getByTestId('amount-input').isDisabled(), true, 'locked to what was sent');

  // The agent reloads the page (the phone's browser restored the tab), then closes the dialog,
  // goes to the records and comes back to the order.
  await page.reload();
  await page.getByTestId('unresolved-order').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('nav-records').click();
  await page.getByTestId('records-table').waitFor();
  await page.getByTestId('nav-payout').click();
  await page.getByTestId('order-search').fill(ORDER(2));
  await page.getByTestId('order-search-submit').click();
  // The payout exists, so the cooldown runs, yet the unanswered submission can be confirmed.
  await page.getByTestId('unresolved-order').waitFor();
  await page.getByTestId('open-payout').click();
  assert.equal(await page.getByTestId('amount-input').inputValue(), '6.00');
  await page.getByTestId('submit-payout').click();
  await page.getByTestId('payout-success').waitFor();

  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], 'the retry reused the idempotency key');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=order-payout-row]').length === 1);
  await page.context().close();
});
