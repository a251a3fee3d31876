// Benchmark, not a test: how soon an agent on a slow phone can pay. Loads the console cold (empty
// cache) in headless Chromium at 390 px with Lighthouse's "slow 4G" (150 ms RTT, 1.6 Mbit/s down,
// 750 kbit/s up) and the CPU 4× slower, opens /payout?order=…0002, signs in, and prints:
//   - first paint (the skeleton in index.html) and when the sign-in form is usable,
//   - from pressing 登录 to the order card with 发起打款 enabled,
//   - the time per keystroke in the payout dialog (key down to the next painted frame).
// Usage (after scripts/build.sh): PAYOUT_SERVER_BIN=… node time-to-usable.mjs [runs]
import { startServer, launchBrowser } from './harness.mjs';

const runs = Number(process.argv[2] ?? 3);
const ORDER = '6920241100000000002';
const server = await startServer();
const browser = await launchBrowser();
const rows = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });

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
  }
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
