// Lighthouse 12 (mobile: a Moto G Power on slow 4G, simulated) on the pages a signed-out phone opens
// first, for time-to-usable.mjs, so its scores sit beside our own figures in docs/benchmarks.md.
// Lighthouse is a benchmark tool, not a test dependency: the test command does not install it.
// Install it once with `npm i --no-save -E lighthouse@12.2.3` in tests/e2e (CHROME_PATH or
// /usr/bin/chromium is the browser).

export const LIGHTHOUSE_VERSION = '12.2.3';

/** Lighthouse's Node API and chrome-launcher, or null (with how to install) if not installed. */
async function load() {
  try {
    const { default: lighthouse } = await import('lighthouse');
    const launcher = await import('chrome-launcher');
    return { lighthouse, launcher };
  } catch {
    console.log(`Lighthouse is not installed: cd tests/e2e && npm i --no-save -E lighthouse@${LIGHTHOUSE_VERSION}`);
    return null;
  }
}

/**
 * Runs Lighthouse `runs` times on each of `urls` (a fresh browser profile each run, so signed out and
 * with an empty cache) and returns, per URL, every run's scores and the key metrics.
 */
export async function lighthouseRuns(urls, runs) {
  const lib = await load();
  if (!lib) return null;
  const results = {};
  for (const url of urls) {
    results[url] = [];
    for (let run = 0; run < runs; run += 1) {
      const chrome = await lib.launcher.launch({
        chromePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
        chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu'],
      });
      try {
        const { lhr } = await lib.lighthouse(url, {
          port: chrome.port,
          logLevel: 'error',
          output: 'json',
          onlyCategories: ['performance', 'accessibility', 'best-practices'],
        });
        const audit = (id) => lhr.audits[id]?.numericValue ?? NaN;
        results[url].push({
          version: lhr.lighthouseVersion,
          performance: Math.round(lhr.categories.performance.score * 100),
          accessibility: Math.round(lhr.categories.accessibility.score * 100),
          bestPractices: Math.round(lhr.categories['best-practices'].score * 100),
          fcp: audit('first-contentful-paint'),
          lcp: audit('largest-contentful-paint'),
          tbt: audit('total-blocking-time'),
          cls: audit('cumulative-layout-shift'),
          // What the best-practices audits held against the page, by title (empty when 100).
          failed: Object.values(lhr.audits)
            .filter((a) => a.score !== null && a.score < 1
              && lhr.categories['best-practices'].auditRefs.some((r) => r.id === a.id && r.weight > 0))
            .map((a) => a.title),
        });
      } finally {
        await chrome.kill();
      }
    }
  }
  return results;
}

/** One line per run: the scores and metrics Lighthouse reports. */
export function printLighthouse(results) {
  if (!results) return;
  for (const [url, rows] of Object.entries(results)) {
    console.log(`Lighthouse ${rows[0]?.version} mobile, ${new URL(url).pathname}${new URL(url).search}:`);
    for (const r of rows) {
      console.log(`  Performance ${r.performance}, Accessibility ${r.accessibility}, `
        + `Best Practices ${r.bestPractices}; FCP ${Math.round(r.fcp)} ms, LCP ${Math.round(r.lcp)} ms, `
        + `TBT ${Math.round(r.tbt)} ms, CLS ${r.cls.toFixed(3)}`
        + (r.failed.length ? `; held against it: ${r.failed.join('; ')}` : ''));
    }
  }
}
