// State shared by the local GitHub, GitLab and Bitbucket: clients, authorization codes, tokens,
// device codes, accounts' repositories and per-grant counters. Each host wraps it in its own wire
// format.
import { s256, stableId, timingSafeEqualStr, userCode as makeUserCode, nowSeconds } from './http.mjs';

export class CodeHost {
  /**
   * @param {object} o
   * @param {string} o.name            'github' | 'gitlab' | 'bitbucket'
   * @param {string} o.clientId
   * @param {string} o.clientSecret
   * @param {() => string} o.newAccessToken
   * @param {() => string} o.newRefreshToken
   * @param {() => string} o.newDeviceCode
   * @param {number} o.expiresIn        access-token lifetime, seconds
   * @param {number} o.refreshExpiresIn refresh-token lifetime, seconds
   * @param {number} o.deviceExpiresIn  device-code lifetime, seconds
   * @param {number} o.deviceInterval   polling interval, seconds
   * @param {number} o.slowDownIncrement seconds added to the interval by slow_down
   * @param {boolean} [o.rotateRefreshTokens] false: a refresh keeps the same refresh token (Bitbucket)
   */
  constructor(o) {
    this.rotateRefreshTokens = true;
    Object.assign(this, o);
    this.codeTtl = 600;
    this.codes = new Map(); // code -> {clientId, redirectUri, challenge, method, login, scope, expiresAt, used}
    this.access = new Map(); // token -> {login, scope, clientId, expiresAt, revoked}
    this.refresh = new Map(); // token -> {login, scope, clientId, expiresAt}
    this.devices = new Map(); // device_code -> {...}
    this.userCodes = new Map(); // user_code -> device_code
    this.stats = {}; // grant_type -> count of token-endpoint calls
    this.repoCounts = new Map(); // login -> number of repositories
    this.emails = new Map(); // login -> address or null, set through the control API
  }

  /** The account's email address: `<login>@example.test` unless the control API set one (or null). */
  emailOf(login) {
    return this.emails.has(login) ? this.emails.get(login) : `${login}@example.test`;
  }

  countGrant(grantType) {
    const key = grantType || 'none';
    this.stats[key] = (this.stats[key] || 0) + 1;
  }

  clientKnown(clientId) {
    return clientId === this.clientId;
  }

  clientAuthenticates(clientId, clientSecret) {
    return clientId === this.clientId && timingSafeEqualStr(clientSecret, this.clientSecret);
  }

  issueCode({ clientId, redirectUri, challenge, method, login, scope }) {
    const code = this.newCode();
    this.codes.set(code, {
      clientId, redirectUri, challenge, method, login, scope,
      expiresAt: Date.now() + this.codeTtl * 1000, used: false,
    });
    return code;
  }

  /**
   * Looks a code up and burns it (a code is single-use, whatever the outcome of the exchange).
   * Returns {entry} or {error: 'invalid' | 'used' | 'expired' | 'client' | 'redirect_uri' | 'pkce'}.
   */
  redeemCode({ code, clientId, redirectUri, verifier }) {
    const entry = this.codes.get(code);
    if (!entry) return { error: 'invalid' };
    if (entry.used) return { error: 'used' };
    entry.used = true;
    if (entry.expiresAt <= Date.now()) return { error: 'expired' };
    if (entry.clientId !== clientId) return { error: 'client' };
    if (redirectUri !== undefined && redirectUri !== entry.redirectUri) return { error: 'redirect_uri' };
    if (entry.challenge) {
      if (typeof verifier !== 'string' || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return { error: 'pkce' };
      if (!timingSafeEqualStr(s256(verifier), entry.challenge)) return { error: 'pkce' };
    }
    return { entry };
  }

  /** A new access token, and a new refresh token unless `refreshToken` (kept as it is) is given. */
  issueTokens({
    login, scope, clientId, refreshToken: kept,
  }) {
    const accessToken = this.newAccessToken();
    const refreshToken = kept || this.newRefreshToken();
    const now = Date.now();
    this.access.set(accessToken, {
      login, scope, clientId, expiresAt: now + this.expiresIn * 1000, revoked: false, createdAt: nowSeconds(),
    });
    if (!kept) {
      this.refresh.set(refreshToken, {
        login, scope, clientId, expiresAt: now + this.refreshExpiresIn * 1000,
      });
    }
    return {
      access_token: accessToken,
      expires_in: this.expiresIn,
      refresh_token: refreshToken,
      refresh_token_expires_in: this.refreshExpiresIn,
      scope,
      login,
      created_at: nowSeconds(),
    };
  }

  /**
   * Uses a refresh token. With rotateRefreshTokens the old one stops working and a new one comes
   * with the answer; without, the same one does and keeps working. Returns tokens or {error}.
   */
  useRefreshToken({ refreshToken, clientId }) {
    const entry = this.refresh.get(refreshToken);
    if (!entry) return { error: 'invalid' };
    if (this.rotateRefreshTokens) this.refresh.delete(refreshToken);
    if (entry.expiresAt <= Date.now()) {
      this.refresh.delete(refreshToken);
      return { error: 'expired' };
    }
    if (entry.clientId !== clientId) return { error: 'client' };
    return {
      tokens: this.issueTokens({
        login: entry.login,
        scope: entry.scope,
        clientId: entry.clientId,
        refreshToken: this.rotateRefreshTokens ? undefined : refreshToken,
      }),
    };
  }

  /** {login, scope} for a valid access token, else {error: 'invalid' | 'expired' | 'revoked'}. */
  checkAccess(token) {
    const entry = token ? this.access.get(token) : undefined;
    if (!entry) return { error: 'invalid' };
    if (entry.revoked) return { error: 'revoked' };
    if (entry.expiresAt <= Date.now()) return { error: 'expired' };
    return { login: entry.login, scope: entry.scope, clientId: entry.clientId };
  }

  revokeAccessToken(token) {
    const entry = this.access.get(token);
    if (!entry) return false;
    entry.revoked = true;
    return true;
  }

  revokeAll() {
    let n = 0;
    for (const entry of this.access.values()) {
      if (!entry.revoked && entry.expiresAt > Date.now()) n += 1;
      entry.revoked = true;
    }
    return n;
  }

  startDevice({ clientId, scope }) {
    const deviceCode = this.newDeviceCode();
    let code = makeUserCode();
    while (this.userCodes.has(code)) code = makeUserCode();
    const entry = {
      clientId, scope, userCode: code, status: 'pending', login: null,
      expiresAt: Date.now() + this.deviceExpiresIn * 1000,
      interval: this.deviceInterval, lastPoll: null, slowDownSent: false,
    };
    this.devices.set(deviceCode, entry);
    this.userCodes.set(code, deviceCode);
    return {
      device_code: deviceCode,
      user_code: code,
      expires_in: this.deviceExpiresIn,
      interval: this.deviceInterval,
    };
  }

  deviceByUserCode(code) {
    const normalized = String(code || '').toUpperCase().replace(/[^A-Z0-9]/g, '');
    for (const [uc, dc] of this.userCodes) {
      if (uc.replace(/-/g, '') === normalized) return { deviceCode: dc, entry: this.devices.get(dc) };
    }
    return null;
  }

  /** Approves or denies a pending device authorization through the control API. */
  decideDevice(userCodeValue, decision, login) {
    const found = this.deviceByUserCode(userCodeValue);
    if (!found || !found.entry) return { error: 'unknown user_code' };
    const { entry } = found;
    if (entry.expiresAt <= Date.now()) return { error: 'user_code expired' };
    if (entry.status !== 'pending') return { error: `device authorization already ${entry.status}` };
    entry.status = decision;
    entry.login = login || null;
    return { ok: true };
  }

  /**
   * One poll of the token endpoint with a device code. Returns {tokens} or
   * {error: 'invalid' | 'client' | 'expired_token' | 'access_denied' | 'slow_down' | 'authorization_pending', interval}.
   * The first poll that comes sooner than `interval` after the previous one answers slow_down (once
   * per device code) and raises the interval by slowDownIncrement.
   */
  pollDevice({ deviceCode, clientId }) {
    const entry = this.devices.get(deviceCode);
    if (!entry) return { error: 'invalid' };
    if (entry.clientId !== clientId) return { error: 'client' };
    const now = Date.now();
    if (entry.expiresAt <= now) return { error: 'expired_token' };
    const previous = entry.lastPoll;
    entry.lastPoll = now;
    if (entry.status === 'denied') {
      this.forgetDevice(deviceCode);
      return { error: 'access_denied' };
    }
    if (entry.status === 'approved') {
      this.forgetDevice(deviceCode);
      return { tokens: this.issueTokens({ login: entry.login, scope: entry.scope, clientId }) };
    }
    if (previous !== null && now - previous < entry.interval * 1000 && !entry.slowDownSent) {
      entry.slowDownSent = true;
      entry.interval += this.slowDownIncrement;
      return { error: 'slow_down', interval: entry.interval };
    }
    return { error: 'authorization_pending', interval: entry.interval };
  }

  forgetDevice(deviceCode) {
    const entry = this.devices.get(deviceCode);
    this.devices.delete(deviceCode);
    if (entry) this.userCodes.delete(entry.userCode);
  }

  /** The account's repositories: a few fixed ones, or `count` set through the control API. */
  repositories(login) {
    const count = this.repoCounts.has(login) ? this.repoCounts.get(login) : 3;
    const fixed = [
      { name: 'hello-world', private: false, description: 'My first repository' },
      { name: 'tessera-pipelines', private: false, description: 'Pipelines run by Tessera agents' },
      { name: 'secret-project', private: true, description: 'Private work' },
    ];
    const out = [];
    for (let i = 0; i < count; i += 1) {
      const base = fixed[i] || { name: `repo-${i + 1}`, private: i % 2 === 1, description: `Repository ${i + 1}` };
      out.push({ ...base, id: stableId(`${this.name}-repo`, `${login}/${base.name}`), owner: login });
    }
    return out;
  }

  summary() {
    return {
      access_tokens: this.access.size,
      refresh_tokens: this.refresh.size,
      pending_devices: [...this.devices.values()].filter((d) => d.status === 'pending').length,
    };
  }
}

/** page/per_page pagination as GitHub and GitLab do it. */
export function paginate(items, query, { defaultPerPage, maxPerPage }) {
  let perPage = Number.parseInt(query.get('per_page') || '', 10);
  if (!Number.isFinite(perPage) || perPage < 1) perPage = defaultPerPage;
  perPage = Math.min(perPage, maxPerPage);
  let page = Number.parseInt(query.get('page') || '', 10);
  if (!Number.isFinite(page) || page < 1) page = 1;
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    page, perPage, totalPages, total: items.length,
  };
}

/** An RFC 8288 Link header for the page links, as both hosts send it. */
export function linkHeader(baseUrl, query, { page, totalPages, perPage }) {
  const link = (p, rel) => {
    const u = new URL(baseUrl);
    for (const [k, v] of query) u.searchParams.set(k, v);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return `<${u}>; rel="${rel}"`;
  };
  const parts = [];
  if (page > 1) parts.push(link(page - 1, 'prev'));
  if (page < totalPages) parts.push(link(page + 1, 'next'));
  parts.push(link(1, 'first'));
  parts.push(link(totalPages, 'last'));
  return parts.join(', ');
}
