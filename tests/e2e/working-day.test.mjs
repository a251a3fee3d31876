// An agent's working day in one page session (issue 10): order after order typed into the search
// box — eligible, blocked, paid, failed and paid again, unknown and mistyped — with back and forward
// and a language switch halfway, at desktop width and at phone width (390 px), in Chinese and in
// English. After every step the screen shows exactly the order in the address bar, and no page
// error (a wasm panic included) was raised. At 390 px every row's actions are on screen without
// scrolling sideways. Payout-context answers are slowed down, as on a slow network, so a stale
// order would be visible (and clickable) if the screen ever showed one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;
const UNKNOWN = '6920241199999999999';

/** A page whose errors (uncaught exceptions, wasm panics in the console) are collected. */
async function newPage(server, { width, lang }) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (/panicked|unreachable/.test(m.text())) errors.push(m.text()); });
  // A slow network: every order lookup takes a while to answer.
  await page.route('**/api/orders/*/payout-context', async (route) => {
    await new Promise((r) => setTimeout(r, 250));
    await route.continue();
  });
  await page.goto(`${server.url}/sign-in`);
  await page.evaluate((l) => localStorage.setItem('payout.lang', l), lang);
  return { page, errors };
}

async function signIn(page, server, user, path) {
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

/** Types `text` into the search box and presses 查询. Right after, the old order must be gone. */
async function search(page, text, previous) {
  await page.getByTestId('order-search').fill(text);
  await page.getByTestId('order-search-submit').click();
  if (previous && previous !== text) {
    await page.waitForURL((u) => u.searchParams.get('order') === text);
    const shown = await page.evaluate(() => document.querySelector('[data-testid=order-no]')?.textContent ?? null);
    assert.notEqual(shown, previous, `order ${previous} still on screen while ${text} loads`);
  }
}

/** The screen shows the order of the address bar (and only that one); no page error so far. */
async function showsAddressBarOrder(page, errors, step) {
  const wanted = new URL(page.url()).searchParams.get('order');
  await page.waitForFunction((o) => document.querySelector('[data-testid=order-no]')?.textContent === o, wanted);
  assert.equal(await page.getByTestId('order-view').count(), 1, step);
  assert.deepEqual(errors, [], `page errors after: ${step}`);
  return wanted;
}

/** At phone width nothing scrolls sideways and every action of every row is inside the screen. */
async function rowActionsVisible(page, rowSelector, step) {
  const report = await page.evaluate((sel) => {
    const width = document.documentElement.clientWidth;
    const rows = [...document.querySelectorAll(sel)];
    const off = [];
    for (const row of rows) {
      for (const el of row.querySelectorAll('a, button')) {
        const r = el.getBoundingClientRect();
        if (r.left < 0 || r.right > width + 0.5 || r.width === 0) off.push(`${el.textContent.trim()} ${Math.round(r.left)}–${Math.round(r.right)}`);
      }
      const r = row.getBoundingClientRect();
      if (r.right > width + 0.5) off.push(`row ends at ${Math.round(r.right)}`);
    }
    return { rows: rows.length, off, scroll: document.documentElement.scrollWidth - width };
  }, rowSelector);
  assert.ok(report.rows > 0, `${step}: no rows`);
  assert.deepEqual(report.off, [], `${step}: actions off screen (width ${await page.evaluate(() => innerWidth)})`);
  assert.ok(report.scroll <= 0, `${step}: the page scrolls sideways by ${report.scroll}px`);
}

async function pay(page, { type, amount }) {
  await page.getByTestId('open-payout').click();
  await page.getByTestId('payout-dialog').waitFor();
  if (type) await page.getByTestId('payout-type').selectOption(type);
  if (amount) await page.getByTestId('amount-input').fill(amount);
  await page.getByTestId('submit-payout').click();
  await page.getByTestId('payout-dialog').waitFor({ state: 'detached' });
  await page.getByTestId('payout-success').waitFor();
}

async function workingDay({ width, lang }) {
  const server = await startServer();
  try {
    const { page, errors } = await newPage(server, { width, lang });
    const phone = width < 500;
    await signIn(page, server, 'lin.agent2', '/payout');
    await page.getByTestId('order-search').waitFor();

    // 1. An eligible order: pay a price difference.
    await search(page, ORDER(2));
    let shown = await showsAddressBarOrder(page, errors, 'order 2');
    await page.getByTestId('eligible').waitFor();
    await pay(page, { type: 'price_difference', amount: '8.50' });
    await page.getByTestId('cooldown-notice').waitFor();
    assert.equal(await page.getByTestId('open-payout').isDisabled(), true, 'no paying during the cooldown');

    // 2.–6. Blocked orders, typed one after the other (the crash of issue 10 was 2 → 4).
    for (const n of [4, 5, 6, 7, 8]) {
      await search(page, ORDER(n), shown);
      shown = await showsAddressBarOrder(page, errors, `order ${n}`);
      await page.getByTestId('reasons').waitFor();
      assert.equal(await page.getByTestId('open-payout').isDisabled(), true, `order ${n} is blocked`);
      if (n !== 8) assert.equal(await page.getByTestId('meters').count(), 0, `no meters for ineligible order ${n}`);
      assert.equal(await page.locator('.reason__rule').count(), 0, 'no rule IDs in the merchant view');
    }

    // The language switches halfway through the day; the order stays.
    await page.getByTestId(lang === 'en' ? 'lang-zh-CN' : 'lang-en').click();
    shown = await showsAddressBarOrder(page, errors, 'language switch');
    await page.getByTestId(lang === 'en' ? 'lang-en' : 'lang-zh-CN').click();
    shown = await showsAddressBarOrder(page, errors, 'language switch back');

    // 7. A second shipping payout needs confirmation; cancelled.
    await search(page, ORDER(9), shown);
    shown = await showsAddressBarOrder(page, errors, 'order 9');
    await page.getByTestId('open-payout').click();
    await page.getByTestId('payout-type').selectOption('shipping');
    await page.getByTestId('duplicate-shipping').waitFor();
    await page.getByTestId('cancel-payout').click();
    await page.getByTestId('payout-dialog').waitFor({ state: 'detached' });

    // 8. A failed payout, paid again from the order's own list.
    await search(page, ORDER(10), shown);
    shown = await showsAddressBarOrder(page, errors, 'order 10');
    const failedRow = page.locator('[data-testid=order-payout-row][data-status=failed]');
    if (phone) await rowActionsVisible(page, '[data-testid=order-payout-row]', 'order 10 payouts');
    await failedRow.getByTestId('pay-again').click();
    await page.getByTestId('payout-dialog').waitFor();
    assert.equal(await page.getByTestId('amount-input').inputValue(), '12.00');
    await page.getByTestId('submit-payout').click();
    await page.getByTestId('payout-success').waitFor();

    // 9. A mistyped order number is checked here; the address bar and the screen stay.
    await search(page, 'abc');
    await page.getByTestId('order-search-error').filter({ hasText: /19/ }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('order'), ORDER(10));
    shown = await showsAddressBarOrder(page, errors, 'mistyped order');

    // 10. An unknown order: a plain message, no code, no useless retry, nothing payable.
    await search(page, UNKNOWN, shown);
    await page.getByTestId('error-view').waitFor();
    const text = await page.getByTestId('error-view').textContent();
    assert.ok(!/ORDER_NOT_FOUND/.test(text), text);
    assert.equal(await page.getByTestId('retry').count(), 0);
    assert.equal(await page.getByTestId('order-view').count(), 0);
    assert.deepEqual(errors, []);

    // 11. Another eligible order, paid.
    await search(page, ORDER(3));
    shown = await showsAddressBarOrder(page, errors, 'order 3');
    await pay(page, { type: 'other', amount: '20' });

    // 12. Back and forward through the day.
    await page.goBack();
    await page.getByTestId('error-view').waitFor();
    await page.goBack();
    shown = await showsAddressBarOrder(page, errors, 'back to order 10');
    assert.equal(shown, ORDER(10));
    await page.goForward();
    await page.getByTestId('error-view').waitFor();
    await page.goForward();
    shown = await showsAddressBarOrder(page, errors, 'forward to order 3');
    assert.equal(shown, ORDER(3));

    // 13. Order 1 by a deep link typed in the box again, and the records of the day.
    await search(page, ORDER(1), shown);
    shown = await showsAddressBarOrder(page, errors, 'order 1');
    await page.getByTestId('nav-records').click();
    await page.getByTestId('records-table').waitFor();
    if (phone) {
      await page.goto(`${server.url}/records?status=failed`);
      await page.getByTestId('records-table').waitFor();
      await rowActionsVisible(page, '[data-testid=record-row]', 'records');
    }
    // Navigation, the language switch and signing out still work at the end of the day.
    await page.getByTestId('nav-payout').click();
    await page.getByTestId('order-search').waitFor();
    await page.getByTestId('sign-out').click();
    await page.waitForURL((u) => u.pathname === '/sign-in');
    assert.deepEqual(errors, [], 'no page error all day');
    await page.context().close();
  } finally {
    await server.stop();
  }
}

for (const width of [1280, 390]) {
  for (const lang of ['zh-CN', 'en']) {
    test(`working_day_of_an_agent_at_${width}px_in_${lang}`, { timeout: 180_000 }, () => workingDay({ width, lang }));
  }
}

test('quota_page_at_390px_keeps_the_switch_and_edit_on_screen', { timeout: 60_000 }, async () => {
  const server = await startServer();
  try {
    const { page, errors } = await newPage(server, { width: 390, lang: 'zh-CN' });
    await signIn(page, server, 'lin.admin', '/quotas');
    await page.getByTestId('quota-table').waitFor();
    await rowActionsVisible(page, '[data-testid=quota-table] tbody tr', 'quotas');
    await page.getByTestId('quota-lin.agent1').getByTestId('quota-edit').click();
    await rowActionsVisible(page, '[data-testid=quota-table] tbody tr', 'quotas while editing');
    assert.deepEqual(errors, []);
    await page.context().close();
  } finally {
    await server.stop();
  }
});

test('before_the_app_has_loaded_a_signed_out_page_is_a_sign_in_form_the_app_takes_over_with_what_was_typed', { timeout: 60_000 }, async () => {
  const server = await startServer();
  try {
    for (const width of [390, 1280]) {
      const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
      const page = await context.newPage();
      let release;
      const held = new Promise((r) => { release = r; });
      await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
      // Signed out, a deep link paints the form at once; it can be filled while the wasm loads.
      await page.goto(`${server.url}/payout?order=6920241100000000002`, { waitUntil: 'domcontentloaded' });
      await page.locator('#boot-sign-in').waitFor();
      assert.equal(await page.locator('#boot-skeleton').isVisible(), false, 'no skeleton signed out');
      const card = await page.locator('#boot-sign-in .signin__card').boundingBox();
      await page.locator('#boot-username').fill('lin.agent1');
      await page.locator('#boot-password').fill('demo-pass-2026');
      await page.locator('#boot-password').press('Enter'); // nothing to send it with yet
      assert.equal(new URL(page.url()).search, '?order=6920241100000000002', 'the page form sent nothing');
      release();
      await page.getByTestId('username').waitFor();
      assert.equal(await page.locator('#boot-sign-in').count(), 0, 'the app took the form over');
      assert.equal(await page.getByTestId('username').inputValue(), 'lin.agent1');
      assert.equal(await page.getByTestId('password').inputValue(), 'demo-pass-2026');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'the focus stays');
      const after = await page.locator('.signin__card').boundingBox();
      for (const k of ['x', 'y', 'width', 'height']) {
        assert.ok(Math.abs(after[k] - card[k]) < 1, `${width} px: the card's ${k} ${card[k]} → ${after[k]}`);
      }
      // Enter in the app's form signs in and goes on to the page asked for.
      await page.getByTestId('password').press('Enter');
      await page.getByTestId('order-view').waitFor();

      // Signed in, the same link paints the workbench's skeleton instead.
      let releaseAgain;
      const heldAgain = new Promise((r) => { releaseAgain = r; });
      await page.unroute('**/*.wasm');
      await page.route('**/*.wasm', async (route) => { await heldAgain; await route.continue(); });
      await page.goto(`${server.url}/payout?order=6920241100000000002`, { waitUntil: 'domcontentloaded' });
      await page.locator('#boot-skeleton').waitFor();
      assert.equal(await page.locator('#boot-sign-in').isVisible(), false, 'no form signed in');
      releaseAgain();
      await page.getByTestId('order-view').waitFor();
      assert.equal(await page.locator('#boot-skeleton').count(), 0, 'the app removed the skeleton');
      await context.close();
    }
  } finally {
    await server.stop();
  }
});
