// A small W3C WebDriver client over fetch, enough to drive the desktop app through tauri-driver
// (which starts WebKitWebDriver, which starts the app). No browser is downloaded: the window is
// the app's own WebKitGTK webview.

import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {
  constructor(what, status, value) {
    super(`${what}: ${status} ${value?.error ?? ''} ${value?.message ?? ''}`.trim());
    this.error = value?.error;
  }
}

export class Session {
  /** @param {string} base the driver's URL, @param {string} id the session id */
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /** Starts the app at `application` with `args` and returns a session driving its window. */
  static async start(base, application, args = []) {
    const value = await command(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application, args } } },
    });
    return new Session(base, value.sessionId);
  }

  call(method, path, body) {
    return command(this.base, method, `/session/${this.id}${path}`, body);
  }

  async end() {
    await this.call('DELETE', '').catch(() => undefined);
  }

  /** The first element matching `css`, or null. */
  async find(css) {
    try {
      const v = await this.call('POST', '/element', { using: 'css selector', value: css });
      return v[ELEMENT];
    } catch (e) {
      // A node replaced while it was being looked up is, for a waiting caller, not there yet.
      if (e instanceof WebDriverError && ['no such element', 'stale element reference'].includes(e.error)) {
        return null;
      }
      throw e;
    }
  }

  async findAll(css) {
    const v = await this.call('POST', '/elements', { using: 'css selector', value: css });
    return v.map((e) => e[ELEMENT]);
  }

  /** Waits until `css` matches a displayed element, and returns it. */
  async waitFor(css, { timeout = 10_000, what = css } = {}) {
    const until = Date.now() + timeout;
    for (;;) {
      const el = await this.find(css);
      if (el && (await this.call('GET', `/element/${el}/displayed`).catch(() => false))) return el;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  /** Waits until nothing matches `css`. */
  async waitGone(css, { timeout = 10_000 } = {}) {
    const until = Date.now() + timeout;
    while (await this.find(css)) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${css} to go away`);
      await sleep(50);
    }
  }

  /** Waits until `check()` returns something truthy, and returns it. */
  async waitUntil(check, what, timeout = 10_000) {
    const until = Date.now() + timeout;
    for (;;) {
      const v = await check();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  async click(css) {
    const el = await this.waitFor(css);
    await this.call('POST', `/element/${el}/click`, {});
    return el;
  }

  async type(css, text) {
    const el = await this.waitFor(css);
    await this.call('POST', `/element/${el}/clear`, {});
    await this.call('POST', `/element/${el}/value`, { text });
    return el;
  }

  /**
   * Presses `keys` (WebDriver key codes: '\uE004' is Tab, '\uE008' Shift, '\uE00C' Escape) in
   * the focused element, as a person at the keyboard would; Shift stays down to the end.
   */
  async press(keys) {
    const active = await this.call('GET', '/element/active');
    await this.call('POST', `/element/${active[ELEMENT]}/value`, { text: keys });
  }

  /** The data-testid of the focused element and whether it is inside `css`. */
  focused(css) {
    return this.execute(
      `const a = document.activeElement;
       return { testid: a?.getAttribute('data-testid') ?? a?.tagName ?? null, inside: !!a?.closest(arguments[0]) };`,
      [css],
    );
  }

  async text(css) {
    const el = await this.waitFor(css);
    return this.call('GET', `/element/${el}/text`);
  }

  property(el, name) {
    return this.call('GET', `/element/${el}/property/${name}`);
  }

  attribute(el, name) {
    return this.call('GET', `/element/${el}/attribute/${name}`);
  }

  /** Runs `script` (a function body) in the page; a returned promise is awaited. */
  execute(script, args = []) {
    return this.call('POST', '/execute/sync', { script, args });
  }

  source() {
    return this.call('GET', '/source');
  }

  /**
   * A PNG of the window's page, as bytes.
   *
   * WebKitGTK answers a screenshot only after the view has presented its next frame. Without
   * accelerated compositing (the app's default on Linux) a page that does not change presents no
   * frame, and the request would wait forever. So while it waits, the page repaints something
   * nobody can see: the body's outline toggles between transparent and its own value every 50 ms.
   * The outline is given back as it was before this returns.
   */
  async screenshot() {
    await this.execute(
      `const body = document.body;
       const kept = body.style.outline;
       let on = false;
       const timer = setInterval(() => {
         on = !on;
         body.style.outline = on ? '1px solid transparent' : kept;
       }, 50);
       window.__e2eStopRepaint = () => {
         clearInterval(timer);
         body.style.outline = kept;
       };
       return null;`,
    );
    try {
      return Buffer.from(await this.call('GET', '/screenshot'), 'base64');
    } finally {
      await this.execute('window.__e2eStopRepaint?.(); delete window.__e2eStopRepaint; return null;').catch(
        () => undefined,
      );
    }
  }
}

async function command(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new WebDriverError(`${method} ${path}`, res.status, json.value);
  return json.value;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until no process of the program at `exe` is running, at most `timeout` ms; whether none
 * is. Ending a WebDriver session ends the app, after the session's answer: keep the driver
 * running until this says so.
 */
export async function gone(exe, timeout = 30_000) {
  const until = Date.now() + timeout;
  while (running(exe)) {
    if (Date.now() > until) return false;
    await sleep(100);
  }
  return true;
}

/** Whether a process of the program at `exe` (an absolute path) is running. */
export function running(exe) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === exe) return true;
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return false;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts tauri-driver on free ports, with `env` for the app it will start, and waits (at most
 * 10 s) until it answers. Returns the process and its base URL.
 */
export async function startDriver(env = process.env) {
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (driver.exitCode !== null) throw new Error(`tauri-driver exited with ${driver.exitCode}`);
    if (await fetch(`${base}/status`).then((r) => r.ok, () => false)) return { driver, base };
    await sleep(100);
  }
  driver.kill();
  throw new Error('tauri-driver did not start within 10 s');
}
