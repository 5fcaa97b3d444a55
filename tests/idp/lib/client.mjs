// Test-side helpers: start start.mjs, plain HTTP(S) requests that trust the test CA and never
// follow redirects, a small cookie jar, PKCE, Basic client credentials, the browser-less OIDC
// login and the code hosts' one-step authorize (README.md).
import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Spawns start.mjs in a fresh temp dir and resolves with its JSON line and a stop(). */
export function startIdp({ args = [], env = {}, timeoutMs = 30000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-idp-'));
  const child = spawn(process.execPath, [join(HERE, '..', 'start.mjs'), '--dir', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (process.env.IDP_VERBOSE) process.stderr.write(d);
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`start.mjs did not print its JSON line in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout });
    const extra = [];
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const info = JSON.parse(line);
        lines.on('line', (l) => extra.push(l));
        resolve({
          info, dir, child, stop, ca: readFileSync(info.ca_file), stderr: () => stderr, extraStdout: extra,
        });
      } catch (err) {
        child.kill('SIGKILL');
        reject(new Error(`bad JSON line from start.mjs: ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`start.mjs exited with ${code}\n${stderr}`));
    });
  });
}

/** A cookie jar keyed by host: stores Set-Cookie values and sends those whose path matches. */
export class CookieJar {
  constructor() {
    this.cookies = new Map(); // `${host}|${name}|${path}` -> {name, value, path, host, secure, expires}
  }

  store(url, setCookie) {
    const u = new URL(url);
    for (const header of [].concat(setCookie || [])) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = u.pathname.replace(/\/[^/]*$/, '') || '/';
      let expires = Infinity;
      let secure = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v || '/';
        else if (key === 'max-age') expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && expires === Infinity) expires = Date.parse(v);
        else if (key === 'secure') secure = true;
      }
      const id = `${u.host}|${name}|${path}`;
      if (expires <= Date.now()) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path, host: u.host, secure, expires });
    }
  }

  header(url) {
    const u = new URL(url);
    const out = [];
    for (const c of this.cookies.values()) {
      if (c.host !== u.host || c.expires <= Date.now()) continue;
      if (c.secure && u.protocol !== 'https:') continue;
      if (!(u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))) continue;
      out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }
}

/**
 * One request, no redirect following. body: object (sent as a form unless json: true) or string.
 * Resolves {status, headers, text, json(), location}.
 */
export function request(url, {
  method = 'GET', headers = {}, body, json = false, ca, jar,
} = {}) {
  const u = new URL(url);
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string') payload = body;
    else if (json) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    } else {
      payload = new URLSearchParams(body).toString();
      h['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    h['content-length'] = Buffer.byteLength(payload);
  }
  if (jar) {
    const cookie = jar.header(url);
    if (cookie) h.cookie = cookie;
  }
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method, headers: h, ca, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (jar) jar.store(url, res.headers['set-cookie']);
        const text = Buffer.concat(chunks).toString('utf8');
        const location = res.headers.location ? new URL(res.headers.location, url).toString() : undefined;
        resolve({
          status: res.statusCode,
          headers: res.headers,
          text,
          location,
          json() {
            return JSON.parse(text);
          },
        });
      });
    });
    req.on('error', reject);
    req.setTimeout(15000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function randomState() {
  return randomBytes(16).toString('base64url');
}

/**
 * Drives an OIDC authorization-code login through oidc-provider's devInteractions with a cookie
 * jar, the way README.md describes. Resolves {code, state, iss, callback, steps}.
 */
export async function driveOidcLogin({ authorizeUrl, redirectUri, login, ca, jar = new CookieJar() }) {
  let url = authorizeUrl;
  const steps = [];
  for (let hop = 0; hop < 12; hop += 1) {
    if (url.startsWith(redirectUri)) {
      const cb = new URL(url);
      return {
        code: cb.searchParams.get('code'),
        state: cb.searchParams.get('state'),
        iss: cb.searchParams.get('iss'),
        error: cb.searchParams.get('error'),
        callback: url,
        steps,
      };
    }
    const res = await request(url, { ca, jar });
    steps.push(`GET ${new URL(url).pathname} -> ${res.status}`);
    if (res.status === 303 || res.status === 302) {
      url = res.location;
      continue;
    }
    // Under an issuer with a path (Entra's `/{tenant}/v2.0`) the interaction pages are beneath it.
    const m = /\/interaction\/([^/?#]+)$/.exec(new URL(url).pathname);
    if (res.status !== 200 || !m) {
      throw new Error(`unexpected ${res.status} at ${url}: ${res.text.slice(0, 400)}`);
    }
    const prompt = /name="prompt" value="([a-z]+)"/.exec(res.text)?.[1];
    const form = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt: 'consent' };
    const post = await request(url, { method: 'POST', body: form, ca, jar });
    steps.push(`POST ${new URL(url).pathname} prompt=${prompt} -> ${post.status}`);
    if (post.status !== 303) throw new Error(`interaction ${prompt} answered ${post.status}: ${post.text.slice(0, 400)}`);
    url = post.location;
  }
  throw new Error(`too many redirects; steps: ${steps.join(', ')}`);
}

/** `Basic base64(id:secret)` for client credentials (ids and secrets here need no form-encoding). */
export function basicAuth(id, secret) {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/**
 * The authorize step on a local GitHub, GitLab or Bitbucket (HTTPS, so pass the test CA): there is
 * no UI, the URL's `login` parameter says who signs in, and the answer is a 302 straight to the
 * redirect URI. Resolves {status, location, params} with the callback's query parameters (`code`
 * and `state`, or `error`).
 */
export async function codeHostAuthorize(authorizeUrl, { ca } = {}) {
  const res = await request(authorizeUrl, { ca });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}: ${res.text.slice(0, 400)}`);
  return { status: res.status, location: res.location, params: new URL(res.location).searchParams };
}

export function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}
