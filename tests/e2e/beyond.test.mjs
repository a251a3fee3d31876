// SPEC §11 in the browser, against the real server with the demo data: reasons and the buyer
// message, approval above the threshold (approve, reject with a reason), the buyer notification,
// the statement and the overview, the reasons page, the settings, a stuck payout, and the phone
// width. The tests of this file share one server and run in order; each says what it relies on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;
const LONG = { timeout: 30_000 };

/** A fresh context signed in as `user`, then at `path`; page errors fail the test. */
async function signedIn(user, path = '/', { width = 1280, srv = server } = {}) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${srv.url}${path}`);
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  return page;
}

/** Fen of a shown amount such as `¥1,234.50` or `150.00`. */
const fen = (text) => Math.round(Number(text.replace(/[¥,\s]/g, '')) * 100);

/** Opens the dialog on `order`, chooses `reason`, types `amount` and submits; returns the new id. */
async function payWithReason(page, order, reason, amount) {
  await page.goto(`${server.url}/payout?order=${order}`);
  await page.getByTestId('open-payout').click(LONG);
  await page.getByTestId('payout-dialog').waitFor();
  await page.getByTestId('payout-reason').selectOption(reason);
  await page.getByTestId('amount-input').fill(amount);
  await page.getByTestId('submit-payout').click();
  const notice = page.getByTestId('payout-success');
  await notice.waitFor();
  return Number((await notice.textContent()).match(/#(\d+)/)[1]);
}

test('r_a_agent2_pays_150_with_a_reason_it_waits_the_admin_approves_once_and_the_buyer_is_notified', { timeout: 90_000 }, async () => {
  const agent = await signedIn('lin.agent2', `/payout?order=${ORDER(3)}`);
  await agent.getByTestId('open-payout').click();
  // The reason sets the type and puts its template in the buyer message; under it, a live preview
  // of what the buyer will read.
  await agent.getByTestId('payout-reason').selectOption({ label: '降价补差（差价补偿）' });
  assert.equal(await agent.getByTestId('payout-type').inputValue(), 'price_difference');
  const message = agent.getByTestId('buyer-message');
  assert.match(await message.inputValue(), /订单 \{order_no\} .*差价 ¥\{amount\}.*\{shop_name\}/);
  const preview = agent.getByTestId('buyer-message-preview-text');
  assert.match(await preview.textContent(), new RegExp(`订单 ${ORDER(3)} .*差价 ¥— .*林记家居旗舰店`));
  await agent.getByTestId('amount-input').fill('18.8');
  await preview.filter({ hasText: '差价 ¥18.80' }).waitFor();
  await agent.getByTestId('amount-input').fill('150');
  await preview.filter({ hasText: '差价 ¥150.00' }).waitFor();
  assert.doesNotMatch(await preview.textContent(), /18\.80|\{/);
  // At or above the threshold (100.00) the dialog says the main account decides.
  assert.equal(await agent.getByTestId('approval-notice').textContent(), '金额达到 ¥100.00 审核门槛，提交后需主账号审核');
  await agent.getByTestId('payout-note').fill('买家来电，核实降价');
  await agent.getByTestId('submit-payout').click();
  const notice = agent.getByTestId('payout-success');
  await notice.filter({ hasText: '已提交，等待主账号审核' }).waitFor();
  await notice.getByTestId('status-badge').filter({ hasText: '待审核' }).waitFor();
  const id = Number((await notice.textContent()).match(/#(\d+)/)[1]);

  const admin = await signedIn('lin.admin', '/approvals');
  const row = admin.locator(`[data-testid=approval-row][data-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /降价补差/);
  assert.match(await row.textContent(), /买家来电，核实降价/, 'the approver reads the internal note');
  assert.match(await row.textContent(), /2[34] 小时/, 'the time left before it expires');
  // A double click sends one decision.
  let approvals = 0;
  admin.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith(`/api/payouts/${id}/approve`)) approvals += 1; });
  await row.getByTestId('approve').dblclick();
  await admin.getByTestId('decision-ok').filter({ hasText: '已通过' }).waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal(approvals, 1, 'one approve request');

  // The agent's screen follows the payout until it settles.
  await notice.getByTestId('status-badge').filter({ hasText: '打款成功' }).waitFor(LONG);
  await notice.filter({ hasText: '发起打款成功' }).waitFor();

  // The order page shows the decision and, once delivered, when the buyer was notified.
  await admin.goto(`${server.url}/orders/${ORDER(3)}`);
  const item = admin.locator(`[data-testid=history-item][data-status=succeeded]`).filter({ hasText: '¥150.00' });
  await item.getByTestId('pinfo-notified').filter({ hasText: '买家已通知' }).waitFor(LONG);
  // By display name (the shop's accounts arrive a moment after the page).
  await item.getByTestId('pinfo-decision').filter({ hasText: /审核通过.*林记管理员/ }).waitFor();
  // The server filled the template's placeholders from the payout itself (R-F14).
  assert.match(await item.getByTestId('pinfo-buyer-message').textContent(), /差价 ¥150\.00/);
  assert.match(await item.getByTestId('pinfo-note').textContent(), /内部备注.*买家来电，核实降价/);
  await agent.context().close();
  await admin.context().close();
});

test('r_a1_a_second_150_payout_is_rejected_with_a_reason_which_the_agent_then_reads', { timeout: 90_000 }, async () => {
  const agent = await signedIn('lin.agent2');
  const id = await payWithReason(agent, ORDER(11), '3', '150');

  const admin = await signedIn('lin.admin', '/approvals');
  const row = admin.locator(`[data-testid=approval-row][data-id="${id}"]`);
  await row.getByTestId('reject').click();
  await admin.getByTestId('reject-dialog').waitFor();
  // R-A1: no reason, no rejection.
  await admin.getByTestId('confirm-reject').click();
  await admin.getByTestId('reject-reason-error').filter({ hasText: '请填写驳回原因' }).waitFor();
  assert.equal(await admin.getByTestId('confirm-reject').isDisabled(), true);
  await admin.getByTestId('reject-reason').fill('金额偏高，请按 80 元重新发起');
  await admin.getByTestId('confirm-reject').click();
  await admin.getByTestId('decision-ok').filter({ hasText: '已驳回' }).waitFor();
  await row.waitFor({ state: 'detached' });

  // Deciding again (another tab had it open) is refused with 409 and the queue is read again.
  const again = await admin.evaluate(async (pid) => {
    const me = await (await fetch('/api/session')).json();
    const res = await fetch(`/api/payouts/${pid}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-CSRF-Token': me.csrf_token }, body: '{}' });
    return { status: res.status, code: (await res.json()).error?.code };
  }, id);
  assert.deepEqual(again, { status: 409, code: 'NOT_AWAITING_APPROVAL' });

  // The agent's workbench turns the notice into the rejection with its reason.
  await agent.getByTestId('payout-rejected').getByTestId('notice-reject-reason').filter({ hasText: '金额偏高' }).waitFor(LONG);
  await agent.goto(`${server.url}/records?order_no=${ORDER(11)}`);
  const record = agent.locator(`[data-testid=record-row][data-id="${id}"]`);
  await record.waitFor();
  assert.equal(await record.getAttribute('data-status'), 'rejected');
  assert.match(await record.getByTestId('status-badge').textContent(), /已驳回/);
  assert.match(await record.getByTestId('pinfo-reject-reason').textContent(), /金额偏高，请按 80 元重新发起/);
  await record.getByTestId('pinfo-decision').filter({ hasText: /驳回.*林记管理员/ }).waitFor();
  await agent.goto(`${server.url}/orders/${ORDER(11)}`);
  const item = agent.locator('[data-testid=history-item][data-status=rejected]');
  await item.getByTestId('pinfo-reject-reason').filter({ hasText: '金额偏高' }).waitFor();
  await agent.context().close();
  await admin.context().close();
});

test('the_statement_of_today_totals_equal_the_sum_of_its_rows_and_downloads_as_csv', async () => {
  const admin = await signedIn('lin.admin', '/statements');
  const totals = admin.getByTestId('statement-totals');
  await totals.waitFor();
  // The day's payouts are on the records page, filtered to the day (issue 22): follow the link.
  const day = await admin.getByTestId('statement-date').inputValue();
  await admin.getByTestId('statement-records').click();
  await admin.waitForURL((u) => u.pathname === '/records' && u.searchParams.get('from') === day && u.searchParams.get('to') === day);
  await admin.getByTestId('records-table').waitFor();
  const rows = await admin.$$eval('[data-testid=record-row]', (r) => r.map((x) => ({ amount: x.dataset.amount, id: x.dataset.id, status: x.dataset.status })));
  await admin.goBack();
  await totals.waitFor();
  assert.ok(rows.length >= 3, `today's payouts: ${rows.length}`);
  const sum = rows.reduce((a, r) => a + fen(r.amount), 0);
  assert.equal(fen(await totals.getAttribute('data-amount')), sum);
  assert.equal(Number(await totals.getAttribute('data-count')), rows.length);
  // The headline: what went out and what is counted, rejected and failed apart (issue 18).
  const of = (keep) => rows.filter((r) => keep(r.status));
  const headline = async (id, keep) => {
    const picked = of(keep);
    assert.equal(fen(await admin.getByTestId(`${id}-amount`).textContent()), picked.reduce((a, r) => a + fen(r.amount), 0), id);
    assert.equal(Number(await admin.getByTestId(id).getAttribute('data-count')), picked.length, id);
  };
  await headline('total-succeeded', (s) => s === 'succeeded');
  await headline('total-counted', (s) => s !== 'failed' && s !== 'rejected');
  await headline('total-rejected', (s) => s === 'rejected');
  await headline('total-failed', (s) => s === 'failed');
  await headline('total-awaiting', (s) => s === 'awaiting_approval');
  // In English at 1280 px every grouping's table shows its last column whole (issue 18).
  await admin.getByTestId('lang-en').click();
  await admin.getByTestId('statement-totals').filter({ hasText: 'Paid out (succeeded)' }).waitFor();
  const cut = await admin.$$eval('.buckets .table-wrap', (ws) => ws.map((w) => w.scrollWidth - w.clientWidth));
  assert.deepEqual(cut, cut.map(() => 0), `px of each grouping's table hidden behind its scroll bar: ${cut}`);
  await admin.getByTestId('lang-zh-CN').click();
  // Every grouping adds up to the same total (its footer), and its lines to that footer.
  for (const key of ['status', 'type', 'reason', 'account', 'operator']) {
    const { lines, foot } = await admin.$eval(`[data-testid=bucket-${key}]`, (t) => ({
      lines: [...t.querySelectorAll('tbody tr')].map((tr) => tr.cells[2].textContent),
      foot: t.querySelector('tfoot tr').cells[2].textContent,
    }));
    assert.equal(fen(foot), sum, key);
    assert.equal(lines.reduce((a, l) => a + fen(l), 0), sum, key);
  }
  // A deep link to another day, and the CSV of today.
  const today = new URL(admin.url()).searchParams.get('date') ?? await admin.getByTestId('statement-date').inputValue();
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('statement-csv').click()]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  await admin.getByTestId('statement-prev').click();
  await admin.waitForURL((u) => u.searchParams.get('date') !== null && u.searchParams.get('date') < today);
  await admin.goto(`${server.url}/statements?date=2020-01-01`);
  await admin.getByTestId('empty').filter({ hasText: '这一天没有打款' }).waitFor();
  await admin.context().close();
});

test('reasons_page_adds_a_reason_checked_as_typed_which_then_appears_in_the_dialog', async () => {
  const admin = await signedIn('lin.admin', '/reasons');
  await admin.getByTestId('reason-table').waitFor();
  const before = await admin.getByTestId('reason-row').count();
  await admin.getByTestId('reason-add').click();
  await admin.getByTestId('reason-dialog').waitFor();
  await admin.getByTestId('reason-name-zh').fill('补发配件运费');
  await admin.getByTestId('reason-name-en').fill('Spare part shipping');
  await admin.getByTestId('reason-type').selectOption('shipping');
  await admin.getByTestId('reason-template').fill('订单 {order_no} 补发配件运费 ¥{amount}，{buyer}');
  await admin.getByTestId('reason-template-error').filter({ hasText: '{buyer} 无法识别' }).waitFor();
  await admin.getByTestId('reason-template').fill('订单 {order_no} 补发配件运费 ¥{amount}，{shop_name}');
  await admin.waitForFunction(() => !document.querySelector('[data-testid=reason-template-error] .field__msg'));
  await admin.getByTestId('reason-save').click();
  await admin.getByTestId('reason-dialog').waitFor({ state: 'detached' });
  const added = admin.getByTestId('reason-row').filter({ hasText: '补发配件运费' });
  await added.waitFor();
  assert.equal(await admin.getByTestId('reason-row').count(), before + 1);
  // Moved up one place: the rows come back in the new order.
  await added.getByTestId('reason-up').click();
  await admin.waitForFunction((n) => {
    const rows = [...document.querySelectorAll('[data-testid=reason-row]')];
    return rows[n - 2]?.textContent.includes('补发配件运费');
  }, before + 1);
  // "其他" switched off: no longer offered.
  const other = admin.getByTestId('reason-row').filter({ hasText: '其他' });
  await other.getByTestId('reason-active').click();
  await admin.locator('[data-testid=reason-row][data-active=false]').filter({ hasText: '其他' }).waitFor();
  await admin.context().close();

  const agent = await signedIn('lin.agent1', `/payout?order=${ORDER(2)}`);
  await agent.getByTestId('open-payout').click();
  const options = await agent.getByTestId('payout-reason').locator('option').allTextContents();
  assert.ok(options.includes('补发配件运费（运费补偿）'), options.join(' | '));
  assert.ok(!options.some((o) => o.startsWith('其他')), 'a switched-off reason is not offered');
  await agent.getByTestId('payout-reason').selectOption({ label: '补发配件运费（运费补偿）' });
  assert.equal(await agent.getByTestId('payout-type').inputValue(), 'shipping');
  // The field keeps the template (the server fills it in); under it, what the buyer will read.
  assert.equal(await agent.getByTestId('buyer-message').inputValue(), '订单 {order_no} 补发配件运费 ¥{amount}，{shop_name}');
  assert.equal(await agent.getByTestId('buyer-message-preview-text').textContent(), `订单 ${ORDER(2)} 补发配件运费 ¥—，林记家居旗舰店`);
  await agent.getByTestId('amount-input').fill('8');
  await agent.getByTestId('buyer-message-preview-text').filter({ hasText: `订单 ${ORDER(2)} 补发配件运费 ¥8.00，林记家居旗舰店` }).waitFor();
  // The internal note is labelled apart from what the buyer sees.
  assert.match(await agent.locator('label[for=payout-note]').textContent(), /内部备注.*仅本店可见/);
  assert.match(await agent.locator('label[for=buyer-message]').textContent(), /买家留言.*买家会看到/);
  await agent.context().close();
});

test('the_overview_renders_its_meters_its_chart_and_the_table_behind_it', async () => {
  const admin = await signedIn('lin.admin', '/overview');
  await admin.getByTestId('day-chart').waitFor();
  assert.ok(await admin.locator('[data-testid=chart-svg] rect').count() >= 1, 'today has bars');
  assert.equal(await admin.getByTestId('chart-svg').getAttribute('aria-hidden'), 'true');
  const table = admin.getByTestId('chart-table');
  assert.equal(await table.locator('tbody tr').count(), 30);
  const lastTotal = await table.locator('tbody tr').last().locator('td').last().textContent();
  assert.ok(fen(lastTotal) >= 15000, `today's counted sum: ${lastTotal}`);
  assert.equal(await admin.locator('.legend li').count(), 4);
  assert.ok(await admin.getByTestId('agent-meter').count() >= 2);
  // One payout still waits (the demo's on order 11): the count links to the queue.
  assert.equal(await admin.getByTestId('overview-awaiting').locator('.stat__value').textContent(), '1');
  await admin.getByTestId('overview-awaiting').click();
  await admin.waitForURL((u) => u.pathname === '/approvals');
  await admin.getByTestId('approvals-table').waitFor();
  await admin.context().close();
});

test('at_390px_the_approvals_page_the_reject_form_and_the_dialog_do_not_scroll_sideways', async () => {
  const noOverflow = async (page, what) => {
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: innerWidth }));
    assert.ok(scroll <= 390, `${what}: scrollWidth ${scroll} (viewport ${width})`);
  };
  const admin = await signedIn('lin.admin', '/approvals', { width: 390 });
  await admin.getByTestId('approvals-table').waitFor();
  await noOverflow(admin, 'approvals');
  await admin.getByTestId('reject').first().click();
  await admin.getByTestId('reject-dialog').waitFor();
  await noOverflow(admin, 'reject form');
  await admin.keyboard.press('Escape');
  for (const [path, ready] of [['/statements', 'statement-totals'], ['/overview', 'day-chart'], ['/reasons', 'reason-table']]) {
    await admin.goto(`${server.url}${path}`);
    await admin.getByTestId(ready).waitFor();
    await noOverflow(admin, path);
  }
  await admin.context().close();

  const agent = await signedIn('lin.agent2', `/payout?order=${ORDER(2)}`, { width: 390 });
  await agent.getByTestId('open-payout').click();
  await agent.getByTestId('payout-reason').selectOption('2');
  await agent.getByTestId('amount-input').fill('100');
  await agent.getByTestId('approval-notice').waitFor();
  await noOverflow(agent, 'payout dialog');
  await agent.context().close();
});

test('r_f12_the_main_account_requires_a_reason_and_removes_the_threshold', async () => {
  const admin = await signedIn('lin.admin', '/settings');
  await admin.getByTestId('threshold-input').waitFor();
  assert.equal(await admin.getByTestId('threshold-input').inputValue(), '100.00');
  await admin.getByTestId('threshold-input').fill('0.001');
  await admin.getByTestId('threshold-error').filter({ hasText: '2 位小数' }).waitFor();
  assert.equal(await admin.getByTestId('settings-save').isDisabled(), true);
  await admin.getByTestId('threshold-input').fill('');
  await admin.getByTestId('require-reason').click();
  await admin.getByTestId('settings-save').click();
  await admin.getByTestId('settings-result').filter({ hasText: '已保存' }).waitFor();
  await admin.reload();
  await admin.getByTestId('threshold-input').waitFor();
  assert.equal(await admin.getByTestId('threshold-input').inputValue(), '');
  assert.equal(await admin.getByTestId('require-reason').getAttribute('aria-checked'), 'true');

  const agent = await signedIn('lin.agent2', `/payout?order=${ORDER(2)}`);
  await agent.getByTestId('open-payout').click();
  await agent.getByTestId('payout-type').selectOption('price_difference');
  await agent.getByTestId('amount-input').fill('100');
  assert.equal(await agent.getByTestId('approval-notice').count(), 0, 'no threshold, no approval');
  assert.equal(await agent.getByTestId('submit-why').textContent(), '请先选择打款原因');
  await agent.getByTestId('payout-reason-error').filter({ hasText: '请选择打款原因' }).waitFor();
  assert.equal(await agent.getByTestId('submit-payout').isDisabled(), true);
  await agent.getByTestId('payout-reason').selectOption('2');
  assert.equal(await agent.getByTestId('submit-payout').isDisabled(), false);

  // Back as the demo had it, for whatever runs next.
  await admin.getByTestId('threshold-input').fill('100');
  await admin.getByTestId('require-reason').click();
  await admin.getByTestId('settings-save').click();
  await admin.getByTestId('settings-result').filter({ hasText: '已保存' }).waitFor();
  await agent.context().close();
  await admin.context().close();
});

test('axe_finds_no_serious_or_critical_violation_on_the_new_screens', async () => {
  const axe = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  const check = async (page, name) => {
    await page.evaluate(axe);
    const result = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], name);
  };
  const admin = await signedIn('lin.admin');
  const screens = [
    ['/approvals', 'approvals-table'],
    ['/reasons', 'reason-table'],
    ['/statements', 'statement-totals'],
    ['/overview', 'day-chart'],
    ['/settings', 'threshold-input'],
    [`/orders/${ORDER(11)}`, 'history'],
    [`/records?order_no=${ORDER(11)}`, 'records-table'],
  ];
  for (const [path, ready] of screens) {
    await admin.goto(`${server.url}${path}`);
    await admin.getByTestId(ready).first().waitFor();
    await check(admin, path);
  }
  await admin.goto(`${server.url}/approvals`);
  await admin.getByTestId('reject').first().click();
  await admin.getByTestId('confirm-reject').click();
  await admin.getByTestId('reject-reason-error').filter({ hasText: /\S/ }).waitFor();
  await check(admin, 'reject form');
  await admin.keyboard.press('Escape');
  await admin.goto(`${server.url}/reasons`);
  await admin.getByTestId('reason-add').click();
  await admin.getByTestId('reason-dialog').waitFor();
  await check(admin, 'reason form');
  await admin.keyboard.press('Escape');
  await admin.goto(`${server.url}/payout?order=${ORDER(2)}`);
  await admin.getByTestId('open-payout').click(LONG);
  await admin.getByTestId('payout-reason').selectOption('2');
  await admin.getByTestId('amount-input').fill('10');
  await check(admin, 'payout dialog with a reason');
  await admin.context().close();
});

test('a_stuck_payout_says_do_not_pay_again_and_the_main_account_asks_the_rail_again', { timeout: 180_000 }, async () => {
  // Stuck after one minute; the rail takes far longer than that to answer.
  const dir = mkdtempSync(join(tmpdir(), 'payout-policy-'));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ stuck_after_minutes: 1 }));
  const slow = await startServer(['--policy', policy, '--rail-latency-ms', '600000']);
  try {
    const admin = await signedIn('lin.admin', `/payout?order=${ORDER(2)}`, { srv: slow });
    await admin.getByTestId('open-payout').click();
    await admin.getByTestId('payout-type').selectOption('other');
    await admin.getByTestId('amount-input').fill('5');
    await admin.getByTestId('submit-payout').click();
    await admin.getByTestId('payout-success').waitFor();
    await admin.getByTestId('processing-warning').waitFor(LONG);
    // After the policy's minute the workbench (which keeps following it) marks it stuck.
    await admin.getByTestId('stuck-warning').waitFor({ timeout: 100_000 });
    assert.match(await admin.getByTestId('open-payout').textContent(), /仍要发起打款|\d+ 秒后可打款/);
    const row = admin.locator('[data-testid=order-payout-row][data-status=processing]');
    assert.match(await row.getByTestId('status-badge').textContent(), /打款状态确认中/);
    assert.match(await row.getByTestId('stuck-advice').textContent(), /请勿重复打款，款项仍在确认中/);
    await row.getByTestId('status-query').click();
    await admin.getByTestId('status-query-result').filter({ hasText: '已再次查询' }).waitFor(LONG);

    // The agent sees the advice too, without the button.
    const agent = await signedIn('lin.agent2', `/records?order_no=${ORDER(2)}`, { srv: slow });
    const record = agent.locator('[data-testid=record-row][data-status=processing]');
    await record.getByTestId('stuck-advice').waitFor();
    assert.equal(await record.getByTestId('status-query').count(), 0);
    await agent.context().close();
    await admin.context().close();
  } finally {
    await slow.stop();
  }
});
