// SPDX-License-Identifier: Apache-2.0
// certa's web console in headless Chromium (Debian's /usr/bin/chromium)
// driven by playwright-core.  Run by tests/e2e/test_console.py against a
// real `certa serve` and `certa gate`; the Python side prepares inputs and
// checks every downloaded file with openssl.  Env:
//   CONSOLE_URL        https://localhost:PORT (the API listener)
//   CONSOLE_TOKEN      an admin API token
//   CONSOLE_WORK       a directory for downloads (written here)
//   CONSOLE_ARTIFACTS  where screenshots go (tests/e2e/artifacts)
//   CONSOLE_CSR        a CSR made by openssl req (CN=console-client)
//   CONSOLE_TRUST_PEM  a CA certificate to import as "partner"
//   CONSOLE_REJECTED   the subject of a client the gate rejected (CN=bob)
//   CONSOLE_REQUEST    the id of a pending lifecycle request (approved)
//   CONSOLE_REQUEST2   another one (rejected with a comment)
//   CONSOLE_CSR2       a CSR with a new key (CN=console-signer, reissue)
//   CONSOLE_CHROMIUM   the browser (default /usr/bin/chromium)
//   CONSOLE_CLIENT_CERT, CONSOLE_CLIENT_KEY  a client certificate mapped
//                      to the auditor role (CN=robot): sign in with it
// Prints one JSON object: {"ok": bool, "steps": [...], "files": {...},
// "console_errors": [...], "error": "..."}; exit 0 only when ok.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = (k, d) => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
const URL_ = env('CONSOLE_URL');
const TOKEN = env('CONSOLE_TOKEN');
const WORK = env('CONSOLE_WORK');
const ART = env('CONSOLE_ARTIFACTS');
const CSR = env('CONSOLE_CSR');
const TRUST_PEM = env('CONSOLE_TRUST_PEM');
const REJECTED = env('CONSOLE_REJECTED');
const REQUEST = env('CONSOLE_REQUEST');
const REQUEST2 = env('CONSOLE_REQUEST2');
const CSR2 = env('CONSOLE_CSR2');
const BROWSER = env('CONSOLE_CHROMIUM', '/usr/bin/chromium');
const CLIENT_CERT = process.env.CONSOLE_CLIENT_CERT;	// optional: a
const CLIENT_KEY = process.env.CONSOLE_CLIENT_KEY;	// mapped client cert

const out = { ok: false, steps: [], files: {}, console_errors: [], error: null };
const consoleErrors = [];
let expected = [];	// "Failed to load resource" statuses a step provokes

fs.mkdirSync(ART, { recursive: true });
fs.mkdirSync(WORK, { recursive: true });

function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const t = m.text();
    const st = t.match(/status of (\d{3})/);
    if (st && expected.includes(Number(st[1]))) {
      expected.splice(expected.indexOf(Number(st[1])), 1);
      return;
    }
    consoleErrors.push(t);
  });
  page.on('pageerror', (e) => consoleErrors.push('uncaught: ' + e.message));
}

async function shot(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.screenshot({ path: path.join(ART, name + '.png'), fullPage: true });
}

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  out.steps.push({ name, ms: Date.now() - t0 });
}

// Go to a page and wait for it to be rendered anew (not the old view).
const rendered = (page) => page.evaluate(() => Number(document.getElementById('main').dataset.rendered || 0));
async function nav(page, hash, heading) {
  const target = URL_ + '/#/' + hash;
  let before = await rendered(page).catch(() => 0);
  if (page.url() === target) {
    await page.reload();	// a fresh document counts from 0
    before = 0;
  } else {
    await page.goto(target);
  }
  await page.waitForFunction((n) => Number(document.getElementById('main').dataset.rendered || 0) !== n, before);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.locator('main .paged p.muted[role="status"]').first().waitFor({ state: 'detached' }).catch(() => {});
}

async function saveDownload(page, click, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const p = path.join(WORK, name);
  await dl.saveAs(p);
  out.files[name] = { path: p, suggested: dl.suggestedFilename() };
  return p;
}

async function main() {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: BROWSER, args });
  try {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true,
      viewport: { width: 1280, height: 900 } });
    ctx.setDefaultTimeout(15000);
    const page = await ctx.newPage();
    watch(page);
    try {

    await step('security headers on /', async () => {
      const r = await page.goto(URL_ + '/');
      const hs = r.headers();
      if (!/default-src 'self'/.test(hs['content-security-policy'] || '')) throw new Error('no CSP');
      if (hs['x-content-type-options'] !== 'nosniff') throw new Error('no nosniff');
    });

    await step('sign in with a token', async () => {
      await page.getByRole('heading', { name: 'Sign in to certa' }).waitFor();
      // Keyboard: the token field has the focus; Enter signs in.
      const auto = await page.evaluate(() => document.activeElement.name);
      if (auto !== 'token') throw new Error('the token field has no focus');
      await shot(page, '01-signin');
      // A wrong token: the API's words next to the button.
      expected.push(401);
      await page.getByRole('textbox', { name: 'API token' }).fill('certa_0000000000000000_' + 'A'.repeat(43));
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'invalid or revoked token' }).waitFor();
      await page.getByRole('textbox', { name: 'API token' }).fill(TOKEN);
      await page.getByRole('textbox', { name: 'API token' }).press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      await page.getByText('admin (token)').waitFor();
      const stored = await page.evaluate(() => sessionStorage.getItem('certa.token'));
      if (stored !== TOKEN) throw new Error('token not in session storage');
      await shot(page, '02-dashboard');
      // Keyboard: a menu link and Enter; the new page's heading has focus.
      await page.getByRole('link', { name: 'Trust store' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Trust store' }).waitFor();
      await page.waitForFunction(() => document.activeElement && document.activeElement.tagName === 'H1');
      await page.keyboard.press('Tab');
      const tab = await page.evaluate(() => document.activeElement.getAttribute('role'));
      if (tab !== 'tab') throw new Error('Tab after the heading reached ' + tab);
    });

    await step('create an organisation and an application', async () => {
      await nav(page, 'organisations', 'Organisations and applications');
      await page.getByRole('textbox', { name: 'New organisation' }).fill('acme');
      await page.getByRole('button', { name: 'Create organisation' }).click();
      await page.getByText('Organisation acme created.').waitFor();
      // The same again: 409 in words next to the action.
      expected.push(409);
      await page.getByRole('textbox', { name: 'New organisation' }).fill('acme');
      await page.getByRole('button', { name: 'Create organisation' }).click();
      await page.getByRole('alert').filter({ hasText: "organisation 'acme' exists" }).waitFor();
      await page.getByRole('combobox', { name: 'Organisation' }).selectOption({ label: 'acme' });
      await page.getByRole('textbox', { name: 'New application' }).fill('payments');
      await page.getByRole('button', { name: 'Create application' }).click();
      await page.getByText('Application acme/payments created.').waitFor();
      await page.getByRole('link', { name: 'acme/payments' }).waitFor();
      await shot(page, '03-organisations');
      await page.getByRole('link', { name: 'acme/payments' }).click();
      await page.getByRole('heading', { level: 1, name: 'Application acme/payments' }).waitFor();
      await shot(page, '04-application');
    });

    let certUrl;
    await step('upload a CSR and download the certificate', async () => {
      await nav(page, 'new', 'New certificate');
      await page.getByRole('combobox', { name: 'Application' }).selectOption({ label: 'acme/payments' });
      await page.getByLabel('Upload a CSR file').check();
      await page.getByLabel('CSR file', { exact: true }).setInputFiles(CSR);
      await page.getByText('openssl req -new').waitFor();
      await shot(page, '05-new-certificate');
      await page.getByRole('button', { name: 'Request certificate' }).click();
      await page.getByText('Certificate issued.').waitFor();
      const link = page.getByRole('link', { name: /CN=console-client/ });
      certUrl = await link.getAttribute('href');
      out.files.cert_id = certUrl.split('/').pop();
      await saveDownload(page, () => page.getByRole('button', { name: 'Download', exact: true }).click(), 'issued.pem');
      await link.click();
      await page.getByRole('heading', { level: 1, name: 'Certificate CN=console-client' }).waitFor();
      await page.getByRole('combobox', { name: 'Format' }).selectOption('der');
      await saveDownload(page, () => page.getByRole('button', { name: 'Download', exact: true }).click(), 'issued.der');
      await page.getByRole('combobox', { name: 'Format' }).selectOption('p7b');
      await saveDownload(page, () => page.getByRole('button', { name: 'Download', exact: true }).click(), 'issued.p7b');
      await page.getByRole('combobox', { name: 'Format' }).selectOption('p12');
      await page.getByLabel('PKCS#12 password').fill('console secret');
      await saveDownload(page, () => page.getByRole('button', { name: 'Download', exact: true }).click(), 'issued.p12');
      await shot(page, '06-certificate');
      await nav(page, 'certificates?application=' + encodeURIComponent('acme/payments') + '&type=transport&status=valid', 'Certificates');
      await page.getByRole('link', { name: 'CN=console-client' }).waitFor();
      await shot(page, '07-certificates');
    });

    await step('generate a key on the server', async () => {
      await nav(page, 'new', 'New certificate');
      await page.getByRole('combobox', { name: 'Application' }).selectOption({ label: 'acme/payments' });
      await page.getByRole('combobox', { name: 'Type' }).selectOption('signing');
      await page.getByLabel('Generate the key on the server').check();
      await page.getByRole('textbox', { name: 'Subject' }).fill('CN=console-signer');
      await page.getByLabel('PKCS#12 password').fill('long console secret');
      await saveDownload(page, () => page.getByRole('button', { name: 'Request certificate' }).click(), 'generated.p12');
      await page.getByText('Certificate issued.').waitFor();
      await page.getByRole('link', { name: /CN=console-signer/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Certificate CN=console-signer' }).waitFor();
      out.files.signer_id = page.url().split('/').pop();
    });

    await step('renew refused in words, reissue with a new key', async () => {
      // A renewal long before the window: the policy's words.
      expected.push(422);
      await page.getByRole('button', { name: 'Renew…' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Renew' }).click();
      await page.getByRole('alert').filter({ hasText: /renew/i }).waitFor();
      out.renew_error = await page.getByRole('alert').filter({ hasText: /renew/i }).innerText();
      await page.getByRole('button', { name: 'Reissue…' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByRole('textbox', { name: 'New CSR (PEM)' }).fill(fs.readFileSync(CSR2, 'utf8'));
      await dlg.getByLabel('Revoke the old certificate now').check();
      await shot(page, '06b-reissue');
      await dlg.getByRole('button', { name: 'Reissue' }).click();
      const link = page.getByRole('link', { name: /^CN=console-signer \(/ });
      await link.click();
      await page.getByRole('heading', { level: 1, name: 'Certificate CN=console-signer' }).waitFor();
      await page.getByRole('link', { name: '#' + out.files.signer_id, exact: true }).waitFor();
      out.files.reissued_id = page.url().split('/').pop();
    });

    await step('trust store: import, view, export, delete', async () => {
      await nav(page, 'trust', 'Trust store');
      await page.getByLabel('Certificate file (PEM, DER or PKCS#7)').setInputFiles(TRUST_PEM);
      await page.getByRole('textbox', { name: 'Alias' }).fill('partner');
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      await page.getByText('Imported: partner (trusted)').waitFor();
      await page.getByRole('link', { name: 'partner', exact: true }).waitFor();
      await shot(page, '08-trust-trusted');
      await page.getByRole('link', { name: 'partner', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Trusted certificate partner' }).waitFor();
      await page.getByText('CN=Console Partner CA').first().waitFor();
      await shot(page, '09-trust-view');
      await saveDownload(page, () => page.getByRole('button', { name: 'Export PEM' }).click(), 'partner.pem');
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByText('leaves the trust store').waitFor();
      await shot(page, '10-trust-delete-confirm');
      await dlg.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('heading', { level: 1, name: 'Trust store' }).waitFor();
      await page.getByText('This list is empty.').waitFor();
      await page.getByRole('link', { name: 'partner', exact: true }).waitFor({ state: 'detached' });
    });

    await step('a rejected client is trusted', async () => {
      await nav(page, 'trust?list=rejected', 'Trust store');
      const row = page.getByRole('row').filter({ hasText: REJECTED });
      await row.waitFor();
      await shot(page, '11-trust-rejected');
      await row.getByRole('button', { name: /^Trust / }).click();
      await page.getByText(/is trusted\./).waitFor();
      await nav(page, 'trust?list=trusted', 'Trust store');
      await page.getByRole('row').filter({ hasText: REJECTED }).waitFor();
    });

    await step('approve a pending request', async () => {
      await nav(page, 'requests?state=pending', 'Requests');
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: '#' + REQUEST, exact: true }) });
      await row.waitFor();
      await shot(page, '12-requests');
      await row.getByRole('button', { name: 'Approve request ' + REQUEST }).click();
      await page.getByText(`Request #${REQUEST}: issued.`).waitFor();
      await nav(page, 'requests/' + REQUEST, `Request #${REQUEST} (issue)`);
      await page.getByText('issued', { exact: true }).first().waitFor();
      await shot(page, '13-request');
      await nav(page, 'requests?state=pending', 'Requests');
      const row2 = page.getByRole('row').filter({ has: page.getByRole('link', { name: '#' + REQUEST2, exact: true }) });
      await row2.getByRole('button', { name: 'Reject… request ' + REQUEST2 }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByRole('textbox', { name: 'Comment (required)' }).fill('wrong CN');
      await dlg.getByRole('button', { name: 'Reject' }).click();
      await page.getByText(`Request #${REQUEST2}: rejected.`).waitFor();
    });

    await step('revoke with a reason', async () => {
      await page.goto(URL_ + '/' + certUrl);
      await page.getByRole('heading', { level: 1, name: 'Certificate CN=console-client' }).waitFor();
      await page.getByRole('button', { name: 'Revoke…' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByRole('combobox', { name: 'Reason' }).selectOption('keyCompromise');
      await shot(page, '14-revoke-confirm');
      await dlg.getByRole('button', { name: 'Revoke' }).click();
      await page.getByText('Revoked.', { exact: true }).waitFor();
      await page.getByRole('heading', { level: 1, name: 'Certificate CN=console-client' }).waitFor();
      await page.locator('.badge.revoked').first().waitFor();
    });

    await step('audit log and export', async () => {
      await nav(page, 'audit', 'Audit log');
      await page.getByLabel('Actor, action or object contains').fill('revoke');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('cell', { name: /revoke/ }).first().waitFor();
      await shot(page, '15-audit');
      await page.getByLabel('Actor, action or object contains').fill('');
      // Tables page through the API's "next" (25 rows a page here).
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByText(/^Page 1 · 25 entries$/).waitFor();
      await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('10');
      await page.getByText(/^Page 1 · 10 entries$/).waitFor();
      const first = await page.locator('main tbody tr td').first().innerText();
      await page.getByRole('button', { name: 'Next →' }).click();
      await page.getByText(/^Page 2 · 10 entries$/).waitFor();
      const second = await page.locator('main tbody tr td').first().innerText();
      if (Number(second) !== Number(first) + 10) throw new Error(`page 2 starts at ${second}, page 1 at ${first}`);
      await page.getByRole('button', { name: '← Previous' }).click();
      await page.getByText(/^Page 1 · 10 entries$/).waitFor();
      await saveDownload(page, () => page.getByRole('button', { name: 'Export JSON lines' }).click(), 'audit.jsonl');
    });

    await step('settings and dashboard', async () => {
      await nav(page, 'settings', 'Settings');
      await page.getByText('api:token:admin').first().waitFor();
      // A token made in the console: shown once, accepted by the API.
      const tokens = page.locator('#tokens');
      await tokens.getByRole('textbox', { name: 'Token name' }).fill('console-ci');
      await tokens.getByRole('combobox', { name: 'Role' }).selectOption('auditor');
      await tokens.getByRole('button', { name: 'Create token' }).click();
      await tokens.getByText('Token console-ci created.').waitFor();
      const secret = (await page.locator('#new-token').innerText()).trim();
      if (!/^certa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/.test(secret)) throw new Error(`token shown: ${secret}`);
      const who = await page.request.get(URL_ + '/api/v1/whoami', { headers: { Authorization: 'Bearer ' + secret } });
      const me = await who.json();
      if (who.status() !== 200 || me.actor !== 'api:token:console-ci' || me.role !== 'auditor') {
        throw new Error(`the new token: ${who.status()} ${JSON.stringify(me)}`);
      }
      await tokens.getByRole('cell', { name: 'console-ci', exact: true }).waitFor();
      // The same name again: the API's words next to the button.
      expected.push(409);
      await tokens.getByRole('textbox', { name: 'Token name' }).fill('console-ci');
      await tokens.getByRole('button', { name: 'Create token' }).click();
      await tokens.getByRole('alert').filter({ hasText: /\S/ }).first().waitFor();
      await shot(page, '16-settings');
      // Revoked in the console: the API refuses it.
      await tokens.getByRole('button', { name: 'Revoke console-ci' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      await tokens.getByText('Token console-ci revoked.').waitFor();
      const gone = await page.request.get(URL_ + '/api/v1/whoami', { headers: { Authorization: 'Bearer ' + secret } });
      if (gone.status() !== 401) throw new Error(`revoked token answered ${gone.status()}`);
      // Trust settings for certa gate.
      const trust = page.locator('#trust-settings');
      await trust.getByRole('combobox', { name: 'Validation mode' }).selectOption('certa_ca');
      await trust.getByRole('checkbox', { name: 'Auto-reject unknown clients' }).check();
      await trust.getByRole('button', { name: 'Save trust settings' }).click();
      await trust.getByText('Trust settings saved.').waitFor();
      // A webhook channel; a bad threshold is refused next to its button.
      const ch = page.locator('#channels');
      await ch.getByRole('textbox', { name: 'Target (URL or mail address)' }).fill('https://hooks.example/console');
      await ch.getByLabel('Webhook secret').fill('console-webhook-secret-0123');
      await ch.getByRole('button', { name: 'Add channel' }).click();
      await ch.getByText(/^Channel \d+ added\.$/).waitFor();
      await ch.getByRole('cell', { name: 'https://hooks.example/console' }).waitFor();
      const th = page.locator('#thresholds');
      await th.getByRole('combobox', { name: 'Organisation' }).selectOption({ label: 'acme' });
      await th.getByRole('textbox', { name: 'Days before expiry' }).fill('60,0');
      expected.push(422);
      await th.getByRole('button', { name: 'Save notifications' }).click();
      await th.getByRole('alert').filter({ hasText: /thresholds/ }).waitFor();
      await th.getByRole('textbox', { name: 'Days before expiry' }).fill('3,60,14');
      await th.getByRole('button', { name: 'Save notifications' }).click();
      await th.getByText('Notifications saved.').waitFor();
      const v = await th.getByRole('textbox', { name: 'Days before expiry' }).inputValue();
      if (v !== '60,14,3') throw new Error(`thresholds shown: ${v}`);
      await shot(page, '16b-settings-saved');
      await nav(page, '', 'Dashboard');
      await page.getByText('pending requests', { exact: true }).waitFor();
      await shot(page, '17-dashboard-after');
    });

    await step('phone width', async () => {
      await page.setViewportSize({ width: 375, height: 800 });
      for (const [hash, h1, name] of [['', 'Dashboard', '18-phone-dashboard'],
        ['certificates', 'Certificates', '19-phone-certificates'],
        ['trust', 'Trust store', '20-phone-trust'],
        ['new', 'New certificate', '21-phone-new'],
        ['certificates/' + out.files.cert_id, 'Certificate CN=console-client', '22-phone-certificate']]) {
        await nav(page, hash, h1);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        if (wide > 380) throw new Error(`${name}: page is ${wide}px wide at 375px`);
        await shot(page, name);
      }
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    });

    await step('sign out', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await nav(page, '', 'Dashboard');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to certa' }).waitFor();
      const stored = await page.evaluate(() => sessionStorage.getItem('certa.token'));
      if (stored !== null) throw new Error('token kept after sign-out');
    });
    } catch (e) {
      await page.screenshot({ path: path.join(ART, 'failure.png'), fullPage: true }).catch(() => {});
      throw e;
    }
    if (CLIENT_CERT) {
      await step('sign in with a client certificate', async () => {
        const cctx = await browser.newContext({ ignoreHTTPSErrors: true,
          viewport: { width: 1280, height: 900 },
          clientCertificates: [{ origin: new URL(URL_).origin, certPath: CLIENT_CERT, keyPath: CLIENT_KEY }] });
        cctx.setDefaultTimeout(15000);
        const cp = await cctx.newPage();
        watch(cp);
        await cp.goto(URL_ + '/');
        await cp.getByRole('button', { name: 'Sign in with my client certificate' }).click();
        await cp.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
        await cp.getByText('api:cert:CN=robot · auditor (client certificate)').waitFor();
        const stored = await cp.evaluate(() => sessionStorage.getItem('certa.token'));
        if (stored !== null) throw new Error('a token was stored for a certificate sign-in');
        // An auditor may not create: the API's words next to the button.
        await cp.goto(URL_ + '/#/organisations');
        await cp.getByRole('heading', { level: 1, name: 'Organisations and applications' }).waitFor();
        expected.push(403);
        await cp.getByRole('textbox', { name: 'New organisation' }).fill('nope');
        await cp.getByRole('button', { name: 'Create organisation' }).click();
        await cp.getByRole('alert').filter({ hasText: 'role auditor may not POST this resource' }).waitFor();
        await shot(cp, '23-certificate-auditor');
        await cctx.close();
      });
    }
    out.console_errors = consoleErrors;
    out.ok = consoleErrors.length === 0;
    if (!out.ok) out.error = 'browser console errors';
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  out.error = String(e && e.stack ? e.stack : e);
  out.console_errors = consoleErrors;
  out.failed_step = out.steps.length;
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.ok ? 0 : 1);
