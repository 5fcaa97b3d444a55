// Small HTTP helpers shared by the local code hosts and the control API.
import { randomBytes, createHash } from 'node:crypto';

const MAX_BODY = 1 << 20;

export function log(...args) {
  console.error('[idp]', ...args);
}

/** Reads the request body and parses it as JSON or as a form, by Content-Type. */
export async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw httpError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  const type = (req.headers['content-type'] || '').toLowerCase();
  if (type.includes('application/json') || (!type && /^\s*[{[]/.test(text))) {
    try {
      const value = JSON.parse(text);
      return value && typeof value === 'object' ? value : {};
    } catch {
      throw httpError(400, 'body is not valid JSON');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export function httpError(status, message) {
  const err = new Error(message);
  err.status = status;
  return err;
}

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendForm(res, status, value, headers = {}) {
  const body = new URLSearchParams(
    Object.entries(value).map(([k, v]) => [k, v == null ? '' : String(v)]),
  ).toString();
  res.writeHead(status, {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function sendText(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function redirect(res, location) {
  res.writeHead(302, { location, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

/** `Authorization: Basic base64(id:secret)` (ids and secrets form-encoded, RFC 6749 2.3.1). */
export function basicCredentials(req) {
  const header = req.headers.authorization || '';
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return null;
  const dec = (s) => decodeURIComponent(s.replace(/\+/g, '%20'));
  try {
    return { clientId: dec(decoded.slice(0, i)), clientSecret: dec(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

/** `Authorization: Bearer <t>` or GitHub's `Authorization: token <t>`. */
export function bearerToken(req) {
  const header = req.headers.authorization || '';
  const m = /^(?:Bearer|token)\s+(\S+)$/i.exec(header);
  return m ? m[1] : null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomBase62(n) {
  const bytes = randomBytes(n * 2);
  let out = '';
  for (let i = 0; out.length < n && i < bytes.length; i += 1) {
    // 248 = 4 * 62: rejection sampling keeps the alphabet uniform.
    if (bytes[i] < 248) out += BASE62[bytes[i] % 62];
  }
  return out.length === n ? out : out + randomBase62(n - out.length);
}

export function randomHex(bytes) {
  return randomBytes(bytes).toString('hex');
}

/** A user code such as `WDJB-MJHT` (no vowels, no look-alike digits). */
export function userCode() {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ';
  const bytes = randomBytes(8);
  let s = '';
  for (let i = 0; i < 8; i += 1) s += alphabet[bytes[i] % alphabet.length];
  return `${s.slice(0, 4)}-${s.slice(4)}`;
}

export function s256(verifier) {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** A stable positive integer id for a name, so ids survive restarts of the test servers. */
export function stableId(namespace, name) {
  const h = createHash('sha256').update(`${namespace}:${name}`).digest();
  return 1000 + (h.readUInt32BE(0) % 900000000);
}

export function timingSafeEqualStr(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i += 1) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** A loopback redirect URI (RFC 8252 7.3): http, 127.0.0.1 / localhost / [::1], any port. */
export function isLoopbackRedirect(uri, path = '/callback') {
  let u;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return u.protocol === 'http:'
    && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)
    && (u.pathname === path || u.pathname.startsWith(`${path}/`))
    && !u.hash;
}

export function withQuery(uri, params) {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null) u.searchParams.set(k, v);
  }
  return u.toString();
}

export function wantsJson(req) {
  return (req.headers.accept || '').toLowerCase().includes('application/json');
}

export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}
