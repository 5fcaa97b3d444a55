// End-to-end: the Tessera desktop app in a real WebKit window, driven through tauri-driver.
// Run it with tests/e2e/run.sh, which gives it a display, a private D-Bus session with its own
// keyring, and empty folders. Every step asserts something a person would notice; each pane is
// photographed into $TESSERA_E2E_SCREENSHOTS as it is reached.
//
// A test OpenID provider (tests/idp) is started first and configured in the data directory's
// providers.toml, so the app offers it on the sign-in screen and in the Account pane; the app's
// "system browser" is browser.mjs, which signs in there as "ada".
//
// Environment: TESSERA_E2E_APP (the app binary), TESSERA_E2E_SCREENSHOTS (a folder),
// TESSERA_DATA_DIR (the app's empty data directory).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIdp } from '../idp/lib/client.mjs';
import { axeViolations } from './axe.mjs';
import { gone, running, Session, sleep, startDriver } from './webdriver.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = process.env.TESSERA_E2E_APP;
const SHOTS = process.env.TESSERA_E2E_SCREENSHOTS ?? 'artifacts/screenshots';
const DATA = process.env.TESSERA_DATA_DIR;
const SERVER = process.env.TESSERA_E2E_SERVER;
if (!APP || !DATA || !SERVER) {
  throw new Error('set TESSERA_E2E_APP (the app), TESSERA_E2E_SERVER (the tessera binary) and TESSERA_DATA_DIR (an empty folder)');
}
mkdirSync(SHOTS, { recursive: true });
const BROWSER_LOG = join(DATA, '..', `browser-${process.pid}.log`);

const started = Date.now();
let passed = 0;
let shots = 0;

/** The test OpenID provider, offered to the app through providers.toml in its data directory. */
async function startProvider() {
  const idp = await startIdp();
  writeProviders(DATA, idp);
  return idp;
}

/** A providers.toml naming the test OpenID provider, in the data directory `dir`. */
function writeProviders(dir, idp) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'providers.toml'),
    `[[provider]]
id = "testid"
kind = "oidc"
name = "TestID"
issuer = "${idp.info.oidc.issuer}"
client_id = "${idp.info.oidc.client_id}"
scopes = ["openid", "profile", "email"]
ca_file = "${idp.info.ca_file}"
`,
  );
}

/**
 * A team server: `tessera serve` over a data directory of its own, with the same provider, that
 * the app reaches only by its URL. Resolves to { url, stop }.
 */
async function startTeamServer(idp) {
  const dir = join(DATA, '..', `team-${process.pid}`);
  writeProviders(dir, idp);
  const child = spawn(SERVER, ['serve', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, TESSERA_DATA_DIR: dir, TESSERA_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`the team server exited with ${code}`)));
  });
  return {
    url,
    stop: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** tauri-driver, passing the app a "system browser" (browser.mjs) that signs in as ada. */
function startAppDriver(idp) {
  return startDriver({
    ...process.env,
    BROWSER: `${process.execPath} ${join(HERE, 'browser.mjs')}`,
    TESSERA_E2E_IDP_CA: idp.info.ca_file,
    TESSERA_E2E_LOGIN: 'ada',
    TESSERA_E2E_BROWSER_LOG: BROWSER_LOG,
  });
}

/** A step a person would notice; its name is printed when it passes. */
async function step(name, run) {
  await run();
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

async function shot(s, name) {
  // Let the frame that shows the last change be drawn before capturing it.
  await s.execute('return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));');
  shots += 1;
  writeFileSync(join(SHOTS, `${String(shots).padStart(2, '0')}-${name}.png`), await s.screenshot());
}

/** Calls the shell the way the UI does (for the few facts a test reads from it). */
function invoke(s, command, args = {}) {
  return s.execute(
    `return window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
       .then((value) => ({ ok: true, value }), (error) => ({ ok: false, error: JSON.stringify(error) }));`,
    [command, args],
  );
}

async function api(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function openPane(s, id) {
  await s.click(`[data-testid='nav-${id}']`);
  await s.waitFor(`[data-testid='pane-${id}']`);
}

/** The default window and the smallest the app allows (tauri.conf.json's minWidth × minHeight). */
const SIZES = [
  { name: 'default', width: 1120, height: 760 },
  { name: 'min', width: 760, height: 520 },
];

/**
 * Runs axe and the layout checks over what the window shows, in each theme at each size, adding
 * what they find to `found`; photographs the combinations the panes' own steps do not.
 */
async function checkView(s, view, found) {
  for (const size of SIZES) {
    await setSize(s, size);
    for (const theme of ['light', 'dark']) {
      await setTheme(s, theme);
      const name = `${view}-${theme}-${size.name}`;
      for (const v of await axeViolations(s)) found.push({ where: name, ...v });
      for (const problem of await layoutProblems(s, size.name === 'default')) found.push({ where: name, rule: 'layout', impact: '-', ...problem });
      if (size.name === 'min' || theme === 'dark') await shot(s, name);
    }
  }
  await setSize(s, SIZES[0]);
  await setTheme(s, null);
}

/** Fails listing every problem `found` holds, one line each: where, rule, element, what is wrong. */
function assertNoProblems(found) {
  const byRule = {};
  for (const v of found) byRule[v.rule] = (byRule[v.rule] ?? 0) + 1;
  assert.equal(
    found.length,
    0,
    `axe and layout: ${found.length} problems (${JSON.stringify(byRule)}):\n` +
      found.map((v) => `  ${v.where}: ${v.rule} (${v.impact}) ${v.selector}: ${v.summary}`).join('\n'),
  );
}

/** Resizes the window and waits until the page has the new viewport. */
async function setSize(s, { width, height }) {
  await s.call('POST', '/window/rect', { width, height });
  await s.waitUntil(
    () => s.execute('return window.innerWidth <= arguments[0] + 2 && window.innerWidth >= arguments[0] - 40;', [width]),
    `a ${width}×${height} window`,
  );
  await sleep(150);
}

/**
 * What a person would see wrong in the layout now, in the shape of an axe violation: a table box
 * wider than the window (columns cut off), a table that scrolls but takes no focus, a sidebar
 * item on two lines (its bold name pushing the sidebar down when selected), a dialog whose
 * first field sits right under its title, a placeholder cut off by its field; and in the default
 * window (`defaultSize`), a table that does not fit.
 */
function layoutProblems(s, defaultSize) {
  return s.execute(`
    const problems = [];
    const say = (selector, summary) => problems.push({ selector, summary });
    for (const wrap of document.querySelectorAll('.table-wrap')) {
      const box = wrap.getBoundingClientRect();
      const name = wrap.getAttribute('aria-label');
      if (box.right > window.innerWidth + 1) say(name, 'the table box ends ' + Math.round(box.right - window.innerWidth) + ' px past the window');
      if (wrap.scrollWidth > wrap.clientWidth + 1 && wrap.tabIndex !== 0) say(name, 'the table scrolls sideways but cannot be focused');
    }
    if (arguments[0]) {
      for (const wrap of document.querySelectorAll('.table-wrap')) {
        if (wrap.scrollWidth > wrap.clientWidth + 1) say(wrap.getAttribute('aria-label'), 'the table scrolls sideways in the default window');
      }
    }
    const measure = document.createElement('canvas').getContext('2d');
    for (const field of document.querySelectorAll('input[placeholder]')) {
      if (!field.getClientRects().length || field.closest('[inert]')) continue;
      const style = getComputedStyle(field);
      measure.font = style.fontStyle + ' ' + style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
      const room = field.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const need = measure.measureText(field.placeholder).width;
      if (need > room + 1) say(field.dataset.testid ?? field.placeholder, 'the placeholder needs ' + Math.round(need) + ' px, the field has ' + Math.round(room));
    }
    const lines = [...document.querySelectorAll('.nav-item')].map((e) => [e.dataset.testid, e.getBoundingClientRect().height]);
    const one = Math.min(...lines.map(([, h]) => h));
    for (const [id, h] of lines) if (h > one + 2) say(id, 'the sidebar item is ' + Math.round(h) + ' px high, not ' + Math.round(one) + ' (it wraps)');
    const panel = document.querySelector('[role=dialog], [role=alertdialog]');
    const title = panel?.querySelector('h2');
    if (title) {
      const above = panel.querySelector('#' + CSS.escape(title.id.replace(/-title$/, '-description'))) ?? title;
      const bottom = above.getBoundingClientRect().bottom;
      const next = [...panel.querySelectorAll('label, input, textarea, select, fieldset, p, button')]
        .find((e) => e !== above && e.getBoundingClientRect().top >= bottom - 1);
      const gap = next ? next.getBoundingClientRect().top - bottom : 99;
      if (gap < 12) say(panel.dataset.testid, 'the first field is ' + Math.round(gap) + ' px under the title');
    }
    return problems;`, [defaultSize]);
}

/** Sets the theme as the app does for a preference (data-theme on the root); null follows the system. */
async function setTheme(s, theme) {
  await s.execute(
    `if (arguments[0]) document.documentElement.dataset.theme = arguments[0];
     else delete document.documentElement.dataset.theme;
     return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));`,
    [theme],
  );
  // Let colour transitions finish before colours are measured.
  await sleep(250);
}

/** Creates a token in the list `list` and returns the value the reveal dialog shows. */
async function createToken(s, list, label, scopes) {
  const empty = await s.find(`[data-testid='${list}'] [data-testid='token-create-empty']`);
  await s.click(`[data-testid='${list}'] [data-testid='${empty ? 'token-create-empty' : 'token-create'}']`);
  await s.type("[data-testid='token-label']", label);
  for (const scope of scopes) await s.click(`[data-testid='scope-${scope}']`);
  await s.click("[data-testid='token-create-submit']");
  const field = await s.waitFor("[data-testid='reveal-value']");
  return s.property(field, 'value');
}

/**
 * Done on the reveal dialog; a value that was never copied is not thrown away silently: the
 * dialog asks first ("will not be shown again"), and `copied` says which of the two to expect.
 */
async function closeReveal(s, { copied = false } = {}) {
  await s.click("[data-testid='reveal-done']");
  if (!copied) {
    const prompt = await s.text("[data-testid='reveal-discard-prompt']");
    assert.match(prompt, /will not be shown again/);
    assert.ok(await s.find("[data-testid='reveal-dialog']"), 'the dialog stays open while it asks');
    await s.click("[data-testid='reveal-discard']");
  }
  await s.waitGone("[data-testid='reveal-dialog']");
}

/** The value is in no markup, no field and no text of the page. */
async function assertNowhere(s, value) {
  const source = await s.source();
  assert.ok(!source.includes(value), 'the value is not in the page source');
  const inFields = await s.execute(
    `return [...document.querySelectorAll('input, textarea')].some((e) => e.value.includes(arguments[0]))
      || document.body.innerText.includes(arguments[0]);`,
    [value],
  );
  assert.equal(inFields, false, 'the value is in no field and no text');
}

async function main() {
  const idp = await startProvider();
  const { driver, base } = await startAppDriver(idp);
  let s;
  try {
    s = await Session.start(base, APP);
    await run(s);
    s = await relaunch(s, base);
    const team = await startTeamServer(idp);
    try {
      await runTeam(s, team.url);
    } finally {
      team.stop();
    }
  } catch (e) {
    if (s) {
      writeFileSync(join(SHOTS, 'failure.png'), await s.screenshot().catch(() => Buffer.alloc(0)));
      writeFileSync(join(SHOTS, 'failure.html'), await s.source().catch(() => ''));
    }
    throw e;
  } finally {
    await s?.end();
    // Ending the session ends the app; the driver must outlive that.
    if (s) await gone(APP);
    driver.kill();
    await idp.stop();
  }
  await signalled();
  console.log(`e2e: ${passed} passed, 0 failed (${((Date.now() - started) / 1000).toFixed(1)} s, ${shots} screenshots in ${SHOTS})`);
}

async function run(s) {
  let apiBase;
  let pat;

  await step('the sign-in screen offers "Use locally" and the configured provider', async () => {
    await s.waitFor("[data-testid='sign-in-local']", { timeout: 30_000 });
    await s.waitFor("[data-testid='sign-in-provider-testid']");
    const info = await invoke(s, 'server_info');
    assert.equal(info.ok, true, info.error);
    assert.equal(info.value.mode, 'local');
    assert.match(info.value.base_url, /^http:\/\/127\.0\.0\.1:\d+$/);
    apiBase = info.value.base_url;
    await shot(s, 'sign-in');
  });

  await step('a second launch hands over to the running app and exits', async () => {
    const second = spawn(APP, [], { stdio: 'ignore', env: process.env });
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 15_000);
      second.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code === 'still running') second.kill();
    assert.equal(code, 0, 'the second copy quit, leaving the first');
    await s.waitFor("[data-testid='sign-in-local']");
  });

  await step('the webview cannot use a plugin its capability does not grant', async () => {
    const read = await invoke(s, 'plugin:clipboard-manager|read_text');
    assert.equal(read.ok, false, 'the page has no way to read the clipboard');
    const store = await invoke(s, 'plugin:store|load', { path: 'preferences.json' });
    assert.equal(store.ok, false, "opening the shell's stores from the page is refused");
    assert.match(store.error, /not allowed/);
    const opener = await invoke(s, 'plugin:opener|open_url', { url: 'https://example.com' });
    assert.equal(opener.ok, false, 'opening a URL from the page is refused');
  });

  await step('"Use locally" signs in and shows the personal access tokens', async () => {
    await s.click("[data-testid='sign-in-local']");
    await s.waitFor("[data-testid='tokens-personal'] [data-testid='empty-state']");
    // run.sh sets USER=e2e: the local account is named after the operating system's user.
    const who = await s.execute("return document.querySelector('nav .who-name')?.textContent;");
    assert.equal(who?.trim(), 'e2e');
    const me = await invoke(s, 'current_session');
    assert.equal((await api(apiBase, 'GET', '/api/v1/me', me.value.token)).body.role, 'admin', 'first local account');
  });

  await step('Preferences: a 5-second clipboard delay is saved by the shell', async () => {
    await openPane(s, 'preferences');
    await s.type("[data-testid='clear-seconds']", '5');
    await s.click("[data-testid='preferences-save']");
    await s.waitUntil(async () => (await s.source()).includes('Preferences saved.'), 'the saved notice');
    const prefs = await invoke(s, 'get_preferences');
    assert.equal(prefs.value.clipboard_clear_seconds, 5);
    assert.deepEqual(prefs.value.server, { kind: 'local' });
    await shot(s, 'preferences');
  });

  await step('a personal access token with two scopes is revealed once', async () => {
    await openPane(s, 'personal-tokens');
    await shot(s, 'personal-tokens-empty');
    pat = await createToken(s, 'tokens-personal', 'Deploy from CI', ['read', 'trigger']);
    assert.match(pat, /^tsr_pat_[0-9A-Za-z]{36}$/);
    const warning = await s.text("[data-testid='reveal-warning']");
    assert.match(warning, /not be shown again|only time/i);
    await shot(s, 'reveal');
  });

  await step('Copy puts the value on the clipboard', async () => {
    await s.click("[data-testid='reveal-copy']");
    await s.waitUntil(async () => (await s.text("[data-testid='reveal-status']")).length > 0, 'the copied status');
    const held = await invoke(s, 'clear_clipboard_if_unchanged', { text: pat });
    assert.deepEqual(held, { ok: true, value: true }, 'the clipboard held exactly the value');
    const again = await invoke(s, 'clear_clipboard_if_unchanged', { text: pat });
    assert.deepEqual(again, { ok: true, value: false }, 'and was emptied');
    // Copy again for the delayed wipe below.
    await s.click("[data-testid='reveal-copy']");
  });
  const copiedAt = Date.now();

  await step('after Done the value is nowhere in the page; the list shows its hint', async () => {
    await closeReveal(s, { copied: true });
    await assertNowhere(s, pat);
    const row = await s.text("[data-testid='token-row']");
    assert.ok(row.includes('Deploy from CI') && row.includes(pat.slice(-4)), row);
    assert.ok(row.includes('read') && row.includes('trigger'), row);
    await shot(s, 'personal-tokens');
  });

  await step('the value works against the local API, within its scopes only', async () => {
    assert.equal((await api(apiBase, 'GET', '/api/v1/projects', pat)).status, 200, 'read: list projects');
    const tokens = await api(apiBase, 'GET', '/api/v1/user/tokens', pat);
    assert.equal(tokens.status, 403, 'no token:admin');
    assert.equal(tokens.body.error.code, 'forbidden');
    assert.equal((await api(apiBase, 'POST', '/api/v1/orgs', pat, { name: 'nope' })).status, 403, 'no org:admin');
  });

  await step('Attention: a token expiring within a week is listed once and opens its pane', async () => {
    const session = await invoke(s, 'current_session');
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const made = await api(apiBase, 'POST', '/api/v1/user/tokens', session.value.token, {
      label: 'expiring-soon',
      scopes: ['read'],
      expires_at: soon,
    });
    assert.equal(made.status, 201);
    // Attention is read again whenever the pane changes.
    await openPane(s, 'agent-tokens');
    await s.waitFor("[data-testid='attention']");
    await s.click("[data-testid='attention-toggle']");
    const text = await s.execute("return document.querySelector(\"[data-testid='attention-item']\")?.textContent;");
    assert.match(text, /Personal access token “expiring-soon” expires in (3|2) days/);
    await shot(s, 'attention');
    await s.click("[data-testid='attention-item'] button");
    await s.waitFor("[data-testid='pane-personal-tokens']");
    // The shell announced it (a desktop notification) and keeps only its key, to announce it once.
    const announced = join(process.env.TESSERA_DATA_DIR, 'attention-announced.json');
    await s.waitUntil(async () => {
      try {
        return readFileSync(announced, 'utf8').includes(`token_expiring:${made.body.id}`);
      } catch {
        return false;
      }
    }, 'the announced item to be kept');
    assert.ok(!readFileSync(announced, 'utf8').includes('expiring-soon'), 'no label or value on disk');
    assert.equal((await api(apiBase, 'DELETE', `/api/v1/user/tokens/${made.body.id}`, session.value.token)).status, 204);
    // Dealt with: gone from the list and from the attention once the panes are read again.
    await openPane(s, 'agent-tokens');
    await openPane(s, 'personal-tokens');
    await s.waitGone("[data-testid='attention']");
  });

  await step('the clipboard is wiped after the configured delay', async () => {
    await sleep(Math.max(0, copiedAt + 6_500 - Date.now()));
    // Nothing else wrote to the clipboard, so "not the value any more" means wiped.
    const held = await invoke(s, 'clear_clipboard_if_unchanged', { text: pat });
    assert.deepEqual(held, { ok: true, value: false });
  });

  await step('rotate shows a new value once and the old one stops working', async () => {
    await s.click("[data-testid='token-rotate']");
    await s.click("[data-testid='confirm-ok']");
    const rotated = await s.property(await s.waitFor("[data-testid='reveal-value']"), 'value');
    assert.match(rotated, /^tsr_pat_[0-9A-Za-z]{36}$/);
    assert.notEqual(rotated, pat);
    await closeReveal(s);
    await assertNowhere(s, rotated);
    assert.equal((await api(apiBase, 'GET', '/api/v1/projects', pat)).status, 401, 'old value dead');
    assert.equal((await api(apiBase, 'GET', '/api/v1/projects', rotated)).status, 200, 'new value works');
    pat = rotated;
  });

  await step('a dialog keeps Tab and Shift+Tab inside, and Escape gives focus back to its opener', async () => {
    await s.click("[data-testid='token-delete']");
    await s.waitFor("[data-testid='confirm-dialog']");
    for (const [keys, what] of [['\uE004', 'Tab'], ['\uE008\uE004', 'Shift+Tab']]) {
      for (let i = 0; i < 4; i++) {
        await s.press(keys);
        const f = await s.focused("[data-testid='confirm-dialog']");
        assert.ok(f.inside, `${what} #${i + 1} left the dialog for ${f.testid}`);
      }
    }
    await s.press('\uE00C');
    await s.waitGone("[data-testid='confirm-dialog']");
    await s.waitUntil(async () => (await s.focused('body')).testid === 'token-delete', 'focus back on Delete');
  });

  await step('delete asks first, then the token and its value are gone', async () => {
    await s.click("[data-testid='token-delete']");
    await s.waitFor("[data-testid='confirm-dialog']");
    await s.click("[data-testid='confirm-ok']");
    await s.waitGone("[data-testid='token-row']");
    await s.waitFor("[data-testid='tokens-personal'] [data-testid='empty-state']");
    assert.equal((await api(apiBase, 'GET', '/api/v1/projects', pat)).status, 401);
  });

  await step('an organization with an organization token', async () => {
    await openPane(s, 'organizations');
    await s.click("[data-testid='org-create']");
    await s.type("[data-testid='org-name']", 'acme');
    await s.click("[data-testid='org-save']");
    await s.waitFor("[data-testid='members-table']");
    const value = await createToken(s, 'tokens-org', 'Release bot', ['read']);
    assert.match(value, /^tsr_org_[0-9A-Za-z]{36}$/);
    await closeReveal(s);
    await assertNowhere(s, value);
    assert.equal((await api(apiBase, 'GET', '/api/v1/projects', value)).status, 200, 'org token reads');
    const members = await api(apiBase, 'GET', '/api/v1/user/tokens', value);
    assert.equal(members.status, 403, 'an org token is not a personal token');
    await shot(s, 'organization');
  });

  await step('a project, a trigger token, and a run triggered with it', async () => {
    await openPane(s, 'projects');
    await s.click("[data-testid='project-create']");
    await s.type("[data-testid='project-name']", 'website');
    await s.click("[data-testid='project-save']");
    await s.waitFor("[data-testid='tokens-trigger']");
    const value = await createToken(s, 'tokens-trigger', 'Push webhook', []);
    assert.match(value, /^tsr_trg_[0-9A-Za-z]{36}$/);
    await closeReveal(s);
    await assertNowhere(s, value);

    await s.click("[data-testid='project-back']");
    const open = await s.waitFor("[data-testid='project-open']");
    const project = await s.attribute(open, 'data-project-id');
    const run = await api(apiBase, 'POST', `/api/v1/projects/${project}/runs`, value);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    assert.equal(run.body.status, 'queued');
    assert.equal((await api(apiBase, 'GET', `/api/v1/projects/${project}`, value)).status, 403, 'it only triggers');

    await s.click("[data-testid='project-open']");
    await s.waitUntil(async () => (await s.source()).includes(run.body.id), 'the run in the project');
    await shot(s, 'project');
  });

  await step('Account: linking an OpenID account goes through the browser and lists it', async () => {
    await openPane(s, 'account');
    await s.click("[data-testid='identity-link-testid']");
    const row = await s.waitFor("[data-testid='identity-row']", { timeout: 30_000 });
    const text = await s.call('GET', `/element/${row}/text`);
    assert.match(text, /ada/i, text);
    assert.match(readFileSync(BROWSER_LOG, 'utf8'), /opened https:\/\/127\.0\.0\.1:\d+\/auth -> 200/);
    assert.equal(await s.find("[data-testid='error']"), null, 'no error shown');
    await shot(s, 'account');
  });

  await step('every other pane opens', async () => {
    for (const pane of ['agent-tokens', 'providers', 'users', 'audit']) {
      await openPane(s, pane);
      if (pane === 'audit') await s.waitFor("[data-testid='audit-row']");
      if (pane === 'users') await s.waitFor("[data-testid='user-row']");
      await sleep(200);
      assert.equal(await s.find("[data-testid='error']"), null, `${pane}: no error shown`);
      await shot(s, pane);
    }
  });

  await step('axe finds no WCAG 2.2 AA violation and the layout holds in every pane, detail view and dialog, in both themes and sizes', async () => {
    const found = [];
    const check = (view) => checkView(s, view, found);
    for (const pane of ['personal-tokens', 'agent-tokens', 'projects', 'organizations', 'providers', 'users', 'audit', 'account', 'preferences']) {
      await openPane(s, pane);
      await sleep(200);
      await check(pane);
    }
    await openPane(s, 'projects');
    await s.click("[data-testid='project-open']");
    await s.waitFor("[data-testid='tokens-trigger']");
    await check('project');
    await openPane(s, 'organizations');
    await s.click("[data-testid='org-open']");
    await s.waitFor("[data-testid='members-table']");
    await check('organization');

    await openPane(s, 'personal-tokens');
    await s.click("[data-testid='tokens-personal'] [data-testid='token-create-empty']");
    await s.waitFor("[data-testid='token-create-dialog']");
    await check('token-create');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='token-create-dialog']");
    await createToken(s, 'tokens-personal', 'Checked by axe', ['read']);
    await check('reveal');
    await s.click("[data-testid='reveal-done']");
    await s.waitFor("[data-testid='reveal-discard-prompt']");
    await check('reveal-discard');
    await s.click("[data-testid='reveal-discard']");
    await s.waitGone("[data-testid='reveal-dialog']");
    await s.click("[data-testid='token-edit']");
    await s.waitFor("[data-testid='token-edit-dialog']");
    await check('token-edit');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='token-edit-dialog']");
    await s.click("[data-testid='token-rotate']");
    await s.waitFor("[data-testid='confirm-dialog']");
    await check('rotate-confirm');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='confirm-dialog']");
    await s.click("[data-testid='token-delete']");
    await s.waitFor("[data-testid='confirm-dialog']");
    await check('delete-confirm');
    await s.click("[data-testid='confirm-ok']");
    await s.waitFor("[data-testid='tokens-personal'] [data-testid='empty-state']");
    // The shortcuts, as real key presses: Ctrl+N opens the pane's New dialog, ? the sheet
    // that lists the shortcuts (checked like every other dialog).
    await s.press('\uE009n');
    await s.waitFor("[data-testid='token-create-dialog']");
    await s.press('\uE00C');
    await s.waitGone("[data-testid='token-create-dialog']");
    await s.press('?');
    await s.waitFor("[data-testid='shortcuts-dialog']");
    await check('shortcuts');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='shortcuts-dialog']");
    await openPane(s, 'projects');
    await s.click("[data-testid='project-create']");
    await s.waitFor("[data-testid='project-dialog']");
    await check('project-create');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='project-dialog']");
    await openPane(s, 'organizations');
    await s.click("[data-testid='org-create']");
    await s.waitFor("[data-testid='org-dialog']");
    await check('org-create');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='org-dialog']");
    // Providers: the add dialog (for an OpenID provider, then a code host with its role
    // mapping), a provider's checks, and the edit dialog of one added here.
    await openPane(s, 'providers');
    await s.waitFor("[data-testid='provider-health'] .badge", { timeout: 30_000 });
    await s.click("[data-testid='provider-health']");
    await s.waitFor("[data-testid='provider-check']");
    await check('provider-health');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='provider-health-dialog']");
    await s.click("[data-testid='provider-add']");
    await s.waitFor("[data-testid='provider-dialog']");
    await check('provider-add');
    await s.click("label:has([data-testid='provider-kind-gitlab'])");
    await s.type("[data-testid='provider-admin-group']", 'acme/admins');
    await s.waitFor("[data-testid='provider-access-level']");
    await check('provider-add-gitlab');
    await s.type("[data-testid='provider-id']", 'axe');
    await s.type("[data-testid='provider-base']", 'http://127.0.0.1:9');
    await s.type("[data-testid='provider-client-id']", 'axe-client');
    await s.click("[data-testid='provider-save']");
    await s.waitGone("[data-testid='provider-dialog']");
    await s.click("[data-testid='provider-edit']");
    await s.waitFor("[data-testid='provider-dialog']");
    await check('provider-edit');
    await s.press('\uE00C');
    await s.waitGone("[data-testid='provider-dialog']");
    await s.click("[data-testid='provider-delete']");
    await s.waitFor("[data-testid='confirm-dialog']");
    await s.click("[data-testid='confirm-ok']");
    await s.waitGone("[data-testid='provider-edit']");
    assertNoProblems(found);
  });

  await step('sign out ends the session on the server and returns to the sign-in screen', async () => {
    const session = await invoke(s, 'current_session');
    assert.equal(session.ok, true);
    const token = session.value.token;
    assert.equal((await api(apiBase, 'GET', '/api/v1/me', token)).status, 200);
    await s.click("[data-testid='nav-sign-out']");
    await s.waitFor("[data-testid='sign-in-local']");
    const found = [];
    await checkView(s, 'sign-in', found);
    assertNoProblems(found);
    await s.waitUntil(async () => (await api(apiBase, 'GET', '/api/v1/me', token)).status === 401, 'the session to end');
    assert.deepEqual(await invoke(s, 'current_session'), { ok: true, value: null });
    await assertNowhere(s, token);
  });

  await step('signing in with the OpenID provider opens the linked account', async () => {
    await s.click("[data-testid='sign-in-provider-testid']");
    await s.waitFor("[data-testid='tokens-personal']", { timeout: 30_000 });
    const who = await s.execute("return document.querySelector('nav .who-name')?.textContent;");
    assert.equal(who?.trim(), 'e2e', 'the identity linked earlier signs in to the same account');
    const session = await invoke(s, 'current_session');
    const me = await api(apiBase, 'GET', '/api/v1/user/identities', session.value.token);
    assert.equal(me.status, 200);
    assert.ok(me.body.some((i) => i.last_login_at), 'the identity records the sign-in');
  });
}

/**
 * Started from a terminal and ended by a signal (Ctrl+C, `kill`), the app goes out through its
 * exit path as when its window closes: exit status 0, and the embedded server stopped after its
 * last write. Without WebDriver, which ends the app itself.
 */
async function signalled() {
  await step('Ctrl+C or kill closes the app as closing its window does', async () => {
    assert.equal(running(APP), false, 'no other instance to hand over to');
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-signal-'));
      try {
        const ready = join(dir, 'ready');
        const env = { ...process.env, TESSERA_DATA_DIR: join(dir, 'data'), TESSERA_READY_FILE: ready, RUST_LOG: 'info', NO_COLOR: '1' };
        const app = spawn(APP, ['--local'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let log = '';
        app.stderr.on('data', (d) => (log += d));
        const exited = new Promise((resolve) => app.on('exit', (code, killedBy) => resolve({ code, killedBy })));
        for (let i = 0; !readFileSync(ready, { flag: 'a+' }).toString().includes('token-list'); i++) {
          assert.ok(i < 600 && app.exitCode === null, `${signal}: the app drew its token list within 60 s\n${log}`);
          await sleep(100);
        }
        app.kill(signal);
        const ended = await Promise.race([exited, sleep(30_000).then(() => null)]);
        if (ended === null) app.kill('SIGKILL');
        assert.notEqual(ended, null, `${signal}: the app exited within 30 s`);
        assert.deepEqual(ended, { code: 0, killedBy: null }, `${signal}: the app exited by itself, with status 0\n${log}`);
        assert.match(log, /local API server stopped/, `${signal}: the embedded server stopped cleanly\n${log}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
}

/** Closes the app and starts it again: it opens signed in, with the login kept in the keyring. */
async function relaunch(s, base) {
  let next;
  await step('closing the app keeps the login: the next launch opens signed in', async () => {
    const before = await invoke(s, 'current_session');
    assert.equal(before.ok, true);
    await s.end();
    assert.ok(await gone(APP), 'the app exits within 30 s of its window closing');
    next = await Session.start(base, APP);
    await next.waitFor("[data-testid='tokens-personal']", { timeout: 30_000 });
    assert.equal(await next.execute("return document.querySelector(\"[data-testid='sign-in-local']\") === null;"), true);
    const after = await invoke(next, 'current_session');
    assert.equal(after.ok, true, after.error);
    assert.notEqual(after.value.token, before.value.token, 'a renewed session, not the old one');
    await openPane(next, 'account');
    await next.waitFor("[data-testid='device-row']");
    const rows = await next.execute(
      "return [...document.querySelectorAll(\"[data-testid='device-row']\")].map((r) => r.textContent);",
    );
    assert.equal(rows.filter((r) => r.includes('This device')).length, 1, rows.join(' | '));
    await shot(next, 'account-devices');
  });
  return next;
}

/** The same app against a team server: chosen in Preferences, signed in through its provider. */
async function runTeam(s, teamUrl) {
  await step('Preferences: a team server URL switches the app to it, and sign-in is through its provider', async () => {
    await openPane(s, 'preferences');
    await s.click("[data-testid='server-team']");
    await s.type("[data-testid='team-url']", teamUrl);
    await s.click("[data-testid='preferences-save']");
    await s.waitFor("[data-testid='sign-in-provider-testid']", { timeout: 20_000 });
    const info = await invoke(s, 'server_info');
    assert.deepEqual(info.value, { base_url: teamUrl, mode: 'team' });
    await s.click("[data-testid='sign-in-provider-testid']");
    await s.waitFor("[data-testid='tokens-personal']", { timeout: 30_000 });
    await shot(s, 'team-signed-in');
  });

  await step('on the team server the panes work as in local mode, and its tokens are its own', async () => {
    const value = await createToken(s, 'tokens-personal', 'team laptop', ['read']);
    assert.match(value, /^tsr_pat_[0-9A-Za-z]{36}$/);
    await closeReveal(s);
    await assertNowhere(s, value);
    const me = await api(teamUrl, 'GET', '/api/v1/me', value);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.identities[0]?.provider, 'testid', 'the account was made by the team server\'s provider');
    assert.equal((await api(teamUrl, 'POST', '/api/v1/orgs', value, { name: 'nope' })).status, 403);
    for (const pane of ['projects', 'organizations', 'agent-tokens', 'account']) {
      await openPane(s, pane);
      await sleep(200);
      assert.equal(await s.find("[data-testid='error']"), null, `${pane}: no error shown`);
    }
    await shot(s, 'team-account');
  });
}

main().catch((e) => {
  console.log(`not ok ${passed + 1} - ${e.message}`);
  console.error(e);
  console.log(`e2e: ${passed} passed, 1 failed`);
  process.exit(1);
});
