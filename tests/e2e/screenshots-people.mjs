// Screenshots of the people screens of SPEC §12.2 at 1280 and 390 px in both languages, for a person
// to look at: the sub-accounts list, its create form and one-time password, the deactivation, the
// forced password change (with a refusal), two-step verification's QR and recovery codes, the
// settings' switch and the sign-in's code field.
//   PAYOUT_SERVER_BIN=… node screenshots-people.mjs [out-dir]
import { mkdirSync } from 'node:fs';
import { startServer, launchBrowser } from './harness.mjs';

const out = process.argv[2] ?? '/tmp/shots-people';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launchBrowser();

async function signIn(page, user, password, path = '/sign-in') {
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('username').fill(user);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('signin-submit').click();
}

try {
  let n = 0;
  for (const width of [1280, 390]) {
    for (const lang of ['zh-CN', 'en']) {
      n += 1;
      const user = `lin.shot${n}`;
      const newContext = async () => {
        const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 } });
        const page = await context.newPage();
        page.on('pageerror', (e) => console.error('page error', String(e)));
        await page.goto(`${server.url}/sign-in`);
        await page.evaluate((l) => localStorage.setItem('payout.lang', l), lang);
        return page;
      };
      const shot = (page, name, full = true) => page.screenshot({ path: `${out}/${width}-${lang}-${name}.png`, fullPage: full });

      const admin = await newContext();
      await signIn(admin, 'lin.admin', 'demo-pass-2026', '/sign-in?next=%2Fsub-accounts');
      await admin.getByTestId('sub-account-table').waitFor();
      await admin.getByTestId('sub-account-create').click();
      await admin.getByTestId('new-username').fill('Bad Name');
      await admin.getByTestId('new-display-name').fill('截图客服');
      await admin.getByTestId('sub-account-create-submit').click();
      await shot(admin, 'sub-account-create', false);
      await admin.getByTestId('new-username').fill(user);
      await admin.getByTestId('sub-account-create-submit').click();
      const otp = (await admin.getByTestId('one-time-password').textContent()).trim();
      await shot(admin, 'sub-account-otp', false);
      await admin.getByTestId('one-time-done').click();
      await admin.getByTestId(`sub-account-${user}`).waitFor();
      await shot(admin, 'sub-accounts');
      await admin.getByTestId('sub-account-lin.viewer').getByTestId('sub-account-deactivate').click();
      await shot(admin, 'sub-account-deactivate', false);
      await admin.keyboard.press('Escape');
      await admin.getByTestId('nav-settings').click();
      await admin.getByTestId('require-two-factor').waitFor();
      await admin.getByTestId('require-two-factor').scrollIntoViewIfNeeded();
      await shot(admin, 'settings', false);

      const agent = await newContext();
      await signIn(agent, user, otp);
      await agent.getByTestId('password-form').waitFor();
      await agent.getByTestId('current-password').fill(otp);
      await agent.getByTestId('new-password').fill('password1234');
      await agent.getByTestId('repeat-password').fill('password1234');
      await agent.getByTestId('password-submit').click();
      await agent.getByTestId('new-password-error').locator('.field__msg').waitFor();
      await shot(agent, 'password-forced');
      await agent.getByTestId('new-password').fill('tangerine kettle under marble');
      await agent.getByTestId('repeat-password').fill('tangerine kettle under marble');
      await agent.getByTestId('password-submit').click();
      await agent.getByTestId('account-link').click();
      await agent.getByTestId('two-factor-begin').click();
      await agent.getByTestId('two-factor-qr').waitFor();
      await agent.getByTestId('two-factor').scrollIntoViewIfNeeded();
      await shot(agent, 'account-two-factor');

      const signin = await newContext();
      await signIn(signin, 'lin.agent1', 'demo-pass-2026');
      await signin.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
      await signin.getByTestId('account-link').click();
      await signin.getByTestId('password-form').waitFor();
      await shot(signin, 'account');

      for (const p of [admin, agent, signin]) await p.context().close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
