// Benchmark, not a test: how soon an agent on a slow phone can pay. Loads the console cold (empty
// cache) in headless Chromium at 390 px with Lighthouse's "slow 4G" (150 ms RTT, 1.6 Mbit/s down,
// 750 kbit/s up) and the CPU 4× slower, opens /payout?order=…0002, signs in, and prints:
//   - first paint (the skeleton in index.html) and when the sign-in form is usable,
//   - from pressing 登录 to the order card with 发起打款 enabled,
//   - the time per keystroke in the payout dialog (key down to the next painted frame).
// Then the main account, which gets the full bundle (dist/admin/) for its own screens, the same way:
//   - opening /quotas cold: the sign-in form usable, and from 登录 to the quota table,
//   - signed in on the workbench (the agents' bundle), from clicking 客服打款配额 to the quota table:
//     clicked at once, and clicked once the workbench's prefetch of the full bundle has finished
//     (src/nav.rs; these two with the HTTP cache on, in a new, so empty, context, so that the
//     prefetched files can be reused), with how long that prefetch took and what it downloaded.
// Then Lighthouse 12 mobile on the signed-out /sign-in and /payout?order=…0002, `runs` times each
// (lighthouse.mjs; skipped, saying how to install it, when Lighthouse is not installed).
// Usage (after scripts/build.sh): PAYOUT_SERVER_BIN=… node time-to-usable.mjs [runs]
import { startServer, launchBrowser } from './harness.mjs';
import { lighthouseRuns, printLighthouse } from './lighthouse.mjs';

const runs = Number(process.argv[2] ?? 3);
const ORDER = '6920241100000000002';
const server = await startServer();
const browser = await launchBrowser();
const rows = [];
const adminRows = [];
let lighthouse = null;

/** A new context at 390 px on slow 4G with the CPU 4× slower, cache off (unless `cache`). */
async function slowPhone({ cache = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: !cache });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  return { context, page };
}

async function signIn(page, user) {
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill('demo-pass-2026');
  await page.getByTestId('signin-submit').click();
}

try {
  for (let run = 0; run < runs; run += 1) {
    const { context, page } = await slowPhone();
    const start = Date.now();
    await page.goto(`${server.url}/payout?order=${ORDER}`, { waitUntil: 'commit' });
    await page.getByTestId('username').waitFor();
    const signInUsable = Date.now() - start;
    const firstPaint = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    );
    await page.getByTestId('username').fill('lin.agent1');
    await page.getByTestId('password').fill('demo-pass-2026');
    const submitted = Date.now();
    await page.getByTestId('signin-submit').click();
    await page.waitForFunction(() => {
      const button = document.querySelector('[data-testid=open-payout]');
      return button && !button.disabled;
    }, null, { timeout: 60_000 });
    const orderUsable = Date.now() - submitted;

    await page.getByTestId('open-payout').click();
    const input = page.getByTestId('amount-input');
    await input.waitFor();
    await input.focus();
    const perKey = [];
    for (const ch of '128.00') {
      const t = await page.evaluate(async (key) => {
        const el = document.activeElement;
        const t0 = performance.now();
        el.value += key;
        el.dispatchEvent(new InputEvent('input', { bubbles: true, data: key, inputType: 'insertText' }));
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, ch);
      perKey.push(t);
    }
    const keystroke = perKey.reduce((a, b) => a + b, 0) / perKey.length;
    rows.push({ firstPaint, signInUsable, orderUsable, keystroke });
    await context.close();

    // The main account opens its quota page cold: the server sends the full bundle at once.
    const admin = await slowPhone();
    const adminStart = Date.now();
    await admin.page.goto(`${server.url}/quotas`, { waitUntil: 'commit' });
    await admin.page.getByTestId('username').waitFor({ timeout: 60_000 });
    const quotasSignInUsable = Date.now() - adminStart;
    const adminSubmitted = Date.now();
    await signIn(admin.page, 'lin.admin');
    await admin.page.getByTestId('quota-table').waitFor({ timeout: 60_000 });
    const quotasUsable = Date.now() - adminSubmitted;
    await admin.context.close();

    // Signed in on the workbench (the agents' bundle), it clicks 客服打款配额: the full bundle loads,
    // or comes from the cache if the workbench has prefetched it. At once, then after the prefetch.
    const clickQuotas = async (waitForPrefetch) => {
      const tab = await slowPhone({ cache: true });
      await tab.page.goto(`${server.url}/payout`);
      await signIn(tab.page, 'lin.admin');
      await tab.page.getByTestId('order-search').waitFor({ timeout: 60_000 });
      const usable = Date.now();
      let prefetch = { ms: NaN, bytes: 0 };
      if (waitForPrefetch) {
        const done = await tab.page.waitForFunction(() => performance.getEntriesByType('resource')
          .some((e) => e.name.includes('/admin/') && e.name.endsWith('.wasm')), null, { timeout: 10_000 })
          .then(() => true, () => false);
        const bytes = await tab.page.evaluate(() => performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/admin/')).reduce((sum, e) => sum + e.transferSize, 0));
        prefetch = { ms: done ? Date.now() - usable : NaN, bytes };
      }
      const clicked = Date.now();
      await tab.page.getByTestId('nav-quotas').click();
      await tab.page.getByTestId('quota-table').waitFor({ timeout: 60_000 });
      const ms = Date.now() - clicked;
      await tab.context.close();
      return { ms, prefetch };
    };
    const tabToQuotas = (await clickQuotas(false)).ms;
    const { ms: tabToQuotasPrefetched, prefetch } = await clickQuotas(true);
    adminRows.push({ quotasSignInUsable, quotasUsable, tabToQuotas, tabToQuotasPrefetched, prefetch });
  }
  lighthouse = await lighthouseRuns([`${server.url}/sign-in`, `${server.url}/payout?order=${ORDER}`], runs);
} finally {
  await browser.close();
  await server.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;
console.log(`slow 4G + 4× CPU, 390 px, cold, median of ${rows.length} runs:`);
console.log(`  first paint (index.html skeleton)       ${ms(median(rows.map((r) => r.firstPaint)))}`);
console.log(`  sign-in form usable                     ${ms(median(rows.map((r) => r.signInUsable)))}`);
console.log(`  sign-in pressed → order card payable    ${ms(median(rows.map((r) => r.orderUsable)))}`);
console.log(`  dialog: per keystroke (to next frame)   ${ms(median(rows.map((r) => r.keystroke)))}`);
console.log('the main account (the full bundle):');
console.log(`  /quotas cold: sign-in form usable       ${ms(median(adminRows.map((r) => r.quotasSignInUsable)))}`);
console.log(`  /quotas: sign-in pressed → quota table  ${ms(median(adminRows.map((r) => r.quotasUsable)))}`);
console.log(`  workbench → 客服打款配额 → quota table     ${ms(median(adminRows.map((r) => r.tabToQuotas)))}`);
console.log(`  workbench, prefetch done (after ${ms(median(adminRows.map((r) => r.prefetch.ms)))}, `
  + `${median(adminRows.map((r) => r.prefetch.bytes))} B) → 客服打款配额 → quota table  `
  + `${ms(median(adminRows.map((r) => r.tabToQuotasPrefetched)))}`);
printLighthouse(lighthouse);
