// The first load and the way in (issue 18): a deep link loads with a clean console and without
// layout shifts, signed out or in, the sign-in form checks itself and says when a throttled sign-in may try
// again, and an unknown address keeps the shell.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const DEEP_LINK = '/payout?order=6920241100000000002';

/** A fresh context at `width` that records console errors, page errors and API requests, and
 * sums the page's layout shifts (CLS, as Chromium reports them) from the very first paint. */
async function watched(width, url = server.url) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
  const page = await context.newPage();
  const errors = [];
  const api = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) api.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  await page.addInitScript(() => {
    window.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  const cls = () => page.evaluate(() => window.__cls);
  return { context, page, errors, api, cls, url };
}

async function signIn(page, user) {
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

for (const width of [1280, 390]) {
  test(`a_signed_out_deep_link_at_${width}px_logs_no_error_asks_no_session_and_does_not_shift`, async () => {
    const { context, page, errors, api, cls } = await watched(width);
    await page.goto(`${server.url}${DEEP_LINK}`);
    await page.getByTestId('signin-submit').waitFor();
    await page.waitForTimeout(1000); // shifts are reported after the frame that made them
    assert.equal(new URL(page.url()).searchParams.get('next'), DEEP_LINK);
    assert.deepEqual(errors, [], 'the console stays clean (no 401 from GET /api/session)');
    assert.deepEqual(api, [], 'signed out, nothing is asked');
    assert.equal(await cls(), 0, 'cumulative layout shift');

    // Signed in, the same deep link loads without a jump either: from the page's skeleton to the
    // workbench, with no loading card between.
    await signIn(page, 'lin.agent1');
    assert.equal(new URL(page.url()).pathname, '/payout');
    await page.reload();
    await page.getByTestId('order-view').waitFor();
    await page.waitForTimeout(1000);
    assert.equal(await cls(), 0, 'cumulative layout shift, signed in');
    assert.deepEqual(errors, []);

    // Signed out again: the next signed-out load is just as quiet.
    await page.getByTestId('sign-out').click();
    await page.waitForURL((u) => u.pathname === '/sign-in');
    errors.length = 0;
    api.length = 0;
    await page.goto(`${server.url}${DEEP_LINK}`);
    await page.getByTestId('signin-submit').waitFor();
    await page.waitForTimeout(300);
    assert.deepEqual(errors, []);
    assert.deepEqual(api, []);
    await context.close();
  });
}

test('a_signed_out_page_paints_its_sign_in_form_before_the_wasm_is_asked_for', async () => {
  // The form a person fills first does not share a slow network with the app: the server leaves
  // out the wasm's preload and the loader asks for it after the first paint. Signed in, the
  // skeleton needs the app at once: the wasm is preloaded.
  const { context, page } = await watched(390);
  const wasmRequested = () => page.evaluate(() => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0]?.startTime;
    const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'))?.startTime;
    return { paint, wasm };
  });
  const html = await (await page.request.get(`${server.url}${DEEP_LINK}`)).text();
  assert.ok(html.includes('class="signed-out"') && !/rel="preload"[^>]*\.wasm/.test(html), 'no wasm preload signed out');
  await page.goto(`${server.url}${DEEP_LINK}`);
  await page.getByTestId('signin-submit').waitFor();
  const signedOut = await wasmRequested();
  assert.ok(signedOut.paint > 0 && signedOut.wasm > signedOut.paint, `form painted, then the wasm: ${JSON.stringify(signedOut)}`);
  await signIn(page, 'lin.agent1');
  const signedInHtml = await (await page.request.get(`${server.url}${DEEP_LINK}`)).text();
  assert.ok(/rel="preload"[^>]*\.wasm/.test(signedInHtml), 'a signed-in page preloads the wasm');
  await context.close();
});

test('a_session_that_ended_elsewhere_costs_one_401_then_the_marker_is_gone', async () => {
  const { context, page, api } = await watched(1280);
  await page.goto(`${server.url}/sign-in`);
  await signIn(page, 'lin.agent1');
  // The session ends on the server (as when it expires); the marker cookie is left behind.
  const marker = (await context.cookies()).find((c) => c.name === 'payout_signed_in');
  assert.ok(marker && !marker.httpOnly, 'a page-readable marker beside the HttpOnly session');
  await page.evaluate(async () => {
    const me = await (await fetch('/api/session')).json();
    await fetch('/api/session', { method: 'DELETE', headers: { 'X-CSRF-Token': me.csrf_token } });
  });
  await context.addCookies([{ ...marker }]);
  api.length = 0;
  await page.goto(`${server.url}/records`);
  await page.getByTestId('signin-submit').waitFor();
  assert.deepEqual(api, ['GET /api/session'], 'asked once');
  assert.equal((await context.cookies()).some((c) => c.name === 'payout_signed_in'), false, 'and dropped');
  api.length = 0;
  await page.goto(`${server.url}/records`);
  await page.getByTestId('signin-submit').waitFor();
  assert.deepEqual(api, [], 'not asked again');
  await context.close();
});

test('an_empty_sign_in_form_says_which_field_is_empty_and_sends_nothing', async () => {
  const { context, page, api } = await watched(1280);
  await page.goto(`${server.url}/sign-in`);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('username-error').filter({ hasText: '请输入账号' }).waitFor();
  assert.equal(await page.getByTestId('password-error').textContent(), '请输入密码');
  assert.equal(await page.getByTestId('signin-error').textContent(), '');
  await page.getByTestId('username').fill('lin.agent1');
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('password-error').filter({ hasText: '请输入密码' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'password');
  assert.deepEqual(api, [], 'no POST /api/session');
  await context.close();
});

test('a_throttled_sign_in_says_how_long_to_wait', async () => {
  // One sign-in per address, then one more a minute later: the second answers 429, Retry-After.
  const strict = await startServer(['--sign-in-burst', '1', '--sign-in-replenish-ms', '60000']);
  try {
    const { context, page } = await watched(1280, strict.url);
    await page.goto(`${strict.url}/sign-in`);
    await page.evaluate(() => localStorage.setItem('payout.lang', 'zh-CN'));
    await page.getByTestId('username').fill('lin.agent1');
    await page.getByTestId('password').fill('not-the-password');
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').filter({ hasText: '账号或密码错误' }).waitFor();
    await page.getByTestId('signin-submit').click();
    const text = await page.getByTestId('signin-error').filter({ hasText: '后再试' }).textContent();
    assert.match(text, /^请求过于频繁，请 (1 分钟|[1-5]?[0-9] 秒)后再试$/, text);
    await page.getByTestId('lang-en').click();
    assert.match(await page.getByTestId('signin-error').textContent(), /; try again in (1 minute|\d+ seconds?)$/);
    await context.close();
  } finally {
    await strict.stop();
  }
});

test('an_unknown_address_says_page_not_found_inside_the_shell', async () => {
  const { context, page, errors } = await watched(1280);
  await page.goto(`${server.url}/no-such-page?x=1`);
  await signIn(page, 'lin.agent2');
  assert.equal(new URL(page.url()).pathname, '/no-such-page');
  await page.getByTestId('not-found').filter({ hasText: '页面不存在' }).waitFor();
  assert.equal(await page.getByTestId('shop-name').textContent(), '林记家居旗舰店');
  assert.equal(await page.getByTestId('nav-payout').count(), 1, 'the navigation is the way on');
  await page.getByTestId('not-found-home').click();
  await page.getByTestId('order-search').waitFor();
  assert.equal(new URL(page.url()).pathname, '/payout');
  assert.deepEqual(errors, []);
  await context.close();
});
