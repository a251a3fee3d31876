// The console comes as two bundles (scripts/build.sh): the agents' in dist/ and the full one, with
// the main account's screens, in dist/admin/ (its files under /admin/). An agent never downloads
// the full one; the main account's tabs load it as a whole page, and inside it every screen
// routes client-side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const ORDER = (n) => `69202411000000000${String(n).padStart(2, '0')}`;
const path = (url) => new URL(url).pathname;
const fullBundleFile = (url) => path(url).startsWith('/admin/');
const wasm = (urls) => urls.filter((u) => path(u).endsWith('.wasm'));

/** A fresh context at `at`, recording every request and any script error or CSP violation. */
async function open(at) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const requested = [];
  const problems = [];
  context.on('request', (r) => requested.push(r.url()));
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (/Content Security Policy|panicked/i.test(m.text())) problems.push(m.text()); });
  await page.goto(`${server.url}${at}`);
  return { page, requested, problems };
}

async function signIn(page, user) {
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

const navTabs = (page) => page.getByTestId('nav').locator('a').evaluateAll(
  (links) => links.map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel'), testid: a.dataset.testid })),
);

test('an_agents_session_never_requests_a_file_of_the_full_bundle', { timeout: 60_000 }, async () => {
  const { page, requested, problems } = await open(`/payout?order=${ORDER(2)}`);
  await signIn(page, 'lin.agent1');
  await page.getByTestId('order-view').waitFor();
  await page.getByTestId('open-payout').click();
  await page.getByTestId('amount-input').fill('12.50');
  await page.keyboard.press('Escape');
  await page.getByTestId('nav-records').click();
  await page.getByTestId('records-table').waitFor();
  await page.getByTestId('records-table').locator(`a[href="/orders/${ORDER(10)}"]`).first().click();
  await page.getByTestId('history').waitFor();
  await page.goto(`${server.url}/orders/${ORDER(10)}`);
  await page.getByTestId('history').waitFor();

  assert.deepEqual((await navTabs(page)).map((t) => t.testid), ['nav-payout', 'nav-records'],
    'only what the agent may use');
  assert.deepEqual(requested.filter(fullBundleFile), []);
  assert.equal(wasm(requested).length, 2, `the agents' wasm, once per page load: ${wasm(requested)}`);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the_main_account_clicking_quotas_loads_the_full_bundle_and_the_workbench_works_after_it', { timeout: 60_000 }, async () => {
  const { page, requested, problems } = await open(`/payout?order=${ORDER(2)}`);
  await signIn(page, 'lin.admin');
  await page.getByTestId('order-view').waitFor();
  assert.ok(!fullBundleFile(wasm(requested)[0]), 'the workbench is in the agents\' bundle');
  const tabs = await navTabs(page);
  for (const tab of tabs) {
    const admin = !['/payout', '/records'].includes(tab.href);
    assert.equal(tab.rel, admin ? 'external' : null, `${tab.href} in the agents' bundle`);
  }

  await page.getByTestId('nav-quotas').click();
  await page.getByTestId('quota-lin.agent1').waitFor();
  assert.equal(path(page.url()), '/quotas');
  assert.equal(new Set(wasm(requested.filter(fullBundleFile))).size, 1, 'the full bundle\'s wasm');
  assert.deepEqual((await navTabs(page)).filter((t) => t.rel !== null), [], 'inside it every tab is client-side');

  // The page works: the main account lowers agent1's per-payout limit and it is saved.
  const row = page.getByTestId('quota-lin.agent1');
  await row.getByTestId('quota-edit').click();
  await page.getByTestId('per-lin.agent1').fill('40');
  await row.getByTestId('quota-save').click();
  await row.getByTestId('per-value').filter({ hasText: '¥40.00' }).waitFor();

  // Within the full bundle: another admin screen, then the workbench, without loading anything.
  const loaded = wasm(requested).length;
  await page.getByTestId('nav-reasons').click();
  await page.getByTestId('reason-row').first().waitFor();
  await page.getByTestId('nav-payout').click();
  await page.getByTestId('order-search').fill(ORDER(1));
  await page.getByTestId('order-search-submit').click();
  await page.waitForFunction(() => {
    const button = document.querySelector('[data-testid=open-payout]');
    return button && !button.disabled;
  });
  assert.equal(wasm(requested).length, loaded, 'client-side inside the full bundle');

  // The browser's back button across the two bundles.
  await page.goBack(); // /payout (client-side)
  await page.goBack(); // /reasons
  await page.goBack(); // /quotas
  await page.goBack(); // the agents' bundle's workbench on order 2
  await page.waitForURL((u) => u.pathname === '/payout' && u.searchParams.get('order') === ORDER(2));
  await page.getByTestId('order-view').waitFor();
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the_main_account_on_the_workbench_prefetches_the_full_bundle_which_its_first_click_reuses', { timeout: 60_000 }, async () => {
  const { page, requested, problems } = await open(`/payout?order=${ORDER(2)}`);
  const prefetched = [];
  page.on('request', (r) => { if (r.headers()['sec-purpose']?.startsWith('prefetch')) prefetched.push(r.url()); });
  await signIn(page, 'lin.admin');
  await page.getByTestId('order-view').waitFor();
  // No click: once the page is idle the agents' bundle prefetches the full bundle's files.
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => e.name.includes('/admin/') && e.name.endsWith('_bg.wasm')), null, { timeout: 20_000 });
  assert.equal(path(page.url()), '/payout');
  const full = requested.filter(fullBundleFile).map(path).sort();
  assert.equal(full.length, 3, `${full}`);
  assert.match(full.join(' '), /^\/admin\/main-[0-9a-f]{16}\.css \/admin\/payout-console-[0-9a-f]{16}\.js \/admin\/payout-console-[0-9a-f]{16}_bg\.wasm$/);
  assert.deepEqual(prefetched.map(path).sort(), full, 'as prefetches');

  // The click loads the full bundle's page; its script and wasm come from the HTTP cache.
  await page.getByTestId('nav-quotas').click();
  await page.getByTestId('quota-lin.agent1').waitFor();
  const fromNetwork = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/admin/') && e.transferSize > 0).map((e) => e.name));
  assert.deepEqual(fromNetwork, [], 'the full bundle\'s files from the cache');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('signing_in_at_sign_in_next_quotas_lands_on_the_full_bundles_quota_page', { timeout: 60_000 }, async () => {
  const { page, requested, problems } = await open('/sign-in?next=%2Fquotas');
  assert.deepEqual(requested.filter(fullBundleFile), [], 'the sign-in page is the agents\' bundle');
  await signIn(page, 'lin.admin');
  await page.getByTestId('quota-table').waitFor();
  assert.equal(path(page.url()), '/quotas');
  assert.equal(wasm(requested.filter(fullBundleFile)).length, 1);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a_quota_manager_without_payout_permission_starts_on_the_full_bundles_quota_page', { timeout: 60_000 }, async () => {
  // The main account revokes lin.agent2's payout permission; it still manages quotas (D6).
  const admin = await open('/sign-in');
  await signIn(admin.page, 'lin.admin');
  const status = await admin.page.evaluate(async () => {
    const me = await (await fetch('/api/session')).json();
    const quotas = await (await fetch('/api/quotas')).json();
    const agent2 = quotas.items.find((q) => q.username === 'lin.agent2');
    const res = await fetch(`/api/sub-accounts/${agent2.sub_account_id}/permissions`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
      body: JSON.stringify({ payout: false, manage_quotas: true }),
    });
    return res.status;
  });
  assert.equal(status, 200);
  await admin.page.context().close();

  const { page, requested, problems } = await open('/');
  await signIn(page, 'lin.agent2');
  await page.getByTestId('quota-table').waitFor();
  assert.equal(path(page.url()), '/quotas');
  assert.equal(wasm(requested.filter(fullBundleFile)).length, 1);
  assert.deepEqual((await navTabs(page)).map((t) => t.href), ['/quotas']);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('every_main_account_tab_gets_the_full_bundles_page_whose_wasm_is_brotli_and_immutable', async () => {
  // The tabs as the agents' bundle draws them for the main account.
  const { page } = await open('/sign-in');
  await signIn(page, 'lin.admin');
  const tabs = await navTabs(page);
  await page.context().close();
  const external = tabs.filter((t) => t.rel === 'external').map((t) => t.href);
  assert.equal(external.length, 9, `${JSON.stringify(tabs)}`);

  const loader = async (at) => {
    const html = await (await fetch(`${server.url}${at}`)).text();
    return html.match(/module_or_path: '([^']+)'/)[1];
  };
  const agents = await loader('/payout');
  assert.ok(!agents.startsWith('/admin/'), agents);
  for (const href of external) {
    assert.match(await loader(`${href}?x=1`), /^\/admin\/payout-console-[0-9a-f]{16}_bg\.wasm$/, href);
  }
  for (const href of tabs.filter((t) => t.rel === null).map((t) => t.href)) {
    assert.equal(await loader(href), agents, href);
  }

  const res = await fetch(`${server.url}${await loader('/quotas')}`, { headers: { 'Accept-Encoding': 'br, gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-encoding'), 'br');
  assert.equal(res.headers.get('content-type'), 'application/wasm');
  assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const bytes = new Uint8Array(await res.arrayBuffer()); // fetch undoes the Brotli
  assert.deepEqual([...bytes.slice(0, 4)], [0, 0x61, 0x73, 0x6d], 'a wasm module');

  // What an agent downloads is the smaller bundle (the point of the split).
  const sent = async (at) => Number((await fetch(`${server.url}${at}`, {
    method: 'HEAD', headers: { 'Accept-Encoding': 'br' },
  })).headers.get('content-length'));
  const [agentsBytes, fullBytes] = [await sent(agents), await sent(await loader('/quotas'))];
  assert.ok(agentsBytes < 0.9 * fullBytes, `agents' wasm ${agentsBytes} B, the full one ${fullBytes} B (Brotli)`);
});
