// A local Bitbucket Cloud: OAuth 2 at /site/oauth2/*, REST at /2.0 on the same origin (the real
// service splits them between bitbucket.org and api.bitbucket.org). No UI: the `login` query
// parameter of the authorize request says who signs in. Bitbucket Cloud has no device flow and no
// revocation endpoint, so neither is here.
import { createHash } from 'node:crypto';
import {
  readBody, sendJson, sendText, redirect, basicCredentials, bearerToken, randomBase62, isLoopbackRedirect,
  withQuery, log,
} from './http.mjs';
import { CodeHost } from './codehost.mjs';
import { gitFront } from './githttp.mjs';

// The consumer's registered callback URL. A redirect_uri sent with the request must extend it
// (any port on the loopback host, RFC 8252); without one, the person is sent back to it.
const REGISTERED_CALLBACK = 'http://127.0.0.1/callback';
// What the consumer's permission checkboxes grant when the request names no scope.
const DEFAULT_SCOPE = 'account repository';

const ERRORS = {
  invalid_client: 'Invalid OAuth client credentials',
  invalid_grant: 'The provided authorization grant is invalid, expired, revoked, or was issued to another client.',
  invalid_request: 'The request is missing a required parameter or is otherwise malformed.',
  unsupported_grant_type: 'Unsupported grant type',
};

// Scopes that satisfy each requirement (Bitbucket's implications: repository:write implies
// repository, account:write implies account, and account gives the email addresses too).
const SCOPE_SATISFIED_BY = {
  account: ['account', 'account:write'],
  email: ['email', 'account', 'account:write'],
  repository: ['repository', 'repository:write'],
};

/** A UUID made from a name, so ids survive restarts of the test servers. */
function stableUuid(namespace, name) {
  const h = createHash('sha256').update(`${namespace}:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createBitbucket(options) {
  const host = new CodeHost({
    name: 'bitbucket',
    clientId: randomBase62(18),
    clientSecret: randomBase62(32),
    newCode: () => randomBase62(18),
    newAccessToken: () => randomBase62(128),
    newRefreshToken: () => randomBase62(18),
    newDeviceCode: () => { throw new Error('Bitbucket Cloud has no device flow'); },
    expiresIn: options.expiresIn ?? 7200,
    // Bitbucket Cloud's refresh tokens do not expire and do not rotate.
    refreshExpiresIn: options.refreshExpiresIn ?? 10 * 365 * 86400,
    rotateRefreshTokens: false,
    deviceExpiresIn: 0,
    deviceInterval: 0,
    slowDownIncrement: 0,
  });
  let baseUrl = '';
  // git clone/push at /<owner>/<repo>.git with a token this host issued (lib/githttp.mjs).
  const git = options.gitDir ? gitFront({
    host, dir: options.gitDir, username: 'x-token-auth', realm: 'Bitbucket',
    allows: (scopes, write) => scopes.includes('repository:write') || scopes.includes('repository:admin') || (!write && scopes.includes('repository')),
  }) : null;
  const apiUrl = () => `${baseUrl}/2.0`;

  function oauthError(res, error, status = 400, extra = {}) {
    const headers = status === 401 ? { 'www-authenticate': 'Basic realm="Bitbucket.org HTTP"' } : {};
    sendJson(res, status, { error, error_description: ERRORS[error] || error, ...extra }, headers);
  }

  function apiError(res, status, message, detail) {
    sendJson(res, status, { type: 'error', error: detail ? { message, detail } : { message } });
  }

  function account(login) {
    const uuid = `{${stableUuid('bitbucket-user', login)}}`;
    const accountId = `557058:${stableUuid('bitbucket-account', login)}`;
    return {
      type: 'user',
      account_id: accountId,
      uuid,
      username: login,
      display_name: login,
      nickname: login,
      account_status: 'active',
      created_on: '2020-01-01T00:00:00.000000+00:00',
      is_staff: false,
      has_2fa_enabled: null,
      location: null,
      links: {
        self: { href: `${apiUrl()}/users/${encodeURIComponent(uuid)}` },
        html: { href: `${baseUrl}/${encodeURIComponent(uuid)}/` },
        avatar: { href: `${baseUrl}/account/${login}/avatar/` },
        repositories: { href: `${apiUrl()}/repositories/${encodeURIComponent(uuid)}` },
      },
    };
  }

  function repository(r) {
    const fullName = `${r.owner}/${r.name}`;
    const owner = account(r.owner);
    const u = new URL(baseUrl);
    return {
      type: 'repository',
      uuid: `{${stableUuid('bitbucket-repo', fullName)}}`,
      name: r.name,
      full_name: fullName,
      slug: r.name,
      is_private: r.private,
      description: r.description,
      scm: 'git',
      mainbranch: { name: 'main', type: 'branch' },
      links: {
        self: { href: `${apiUrl()}/repositories/${fullName}` },
        html: { href: `${baseUrl}/${fullName}` },
        clone: [
          { name: 'https', href: `https://${r.owner}@${u.host}/${fullName}.git` },
          { name: 'ssh', href: `git@${u.hostname}:${fullName}.git` },
        ],
      },
      owner: {
        type: 'user', uuid: owner.uuid, account_id: owner.account_id, display_name: owner.display_name, nickname: owner.nickname,
      },
      workspace: { type: 'workspace', slug: r.owner, name: r.owner, uuid: owner.uuid },
      created_on: '2020-01-01T00:00:00.000000+00:00',
      updated_on: '2020-01-01T00:00:00.000000+00:00',
    };
  }

  /** Bitbucket's page object: {pagelen, page, size, values, next?, previous?} with absolute links. */
  function paged(items, url, { defaultPagelen, maxPagelen }) {
    const q = url.searchParams;
    let pagelen = Number.parseInt(q.get('pagelen') || '', 10);
    if (!Number.isFinite(pagelen) || pagelen < 1) pagelen = defaultPagelen;
    pagelen = Math.min(pagelen, maxPagelen);
    let page = Number.parseInt(q.get('page') || '', 10);
    if (!Number.isFinite(page) || page < 1) page = 1;
    const link = (p) => {
      const u = new URL(`${baseUrl}${url.pathname}`);
      for (const [k, v] of q) u.searchParams.set(k, v);
      u.searchParams.set('pagelen', String(pagelen));
      u.searchParams.set('page', String(p));
      return u.toString();
    };
    const out = {
      pagelen, size: items.length, values: items.slice((page - 1) * pagelen, page * pagelen), page,
    };
    if (page * pagelen < items.length) out.next = link(page + 1);
    if (page > 1) out.previous = link(page - 1);
    return out;
  }

  function clientFrom(req, body) {
    const basic = basicCredentials(req);
    return {
      clientId: basic?.clientId || body.client_id,
      clientSecret: basic?.clientSecret || body.client_secret,
    };
  }

  function authorize(req, res, q) {
    const clientId = q.get('client_id');
    if (!host.clientKnown(clientId)) return sendText(res, 400, 'Invalid client_id\n');
    const sent = q.get('redirect_uri');
    if (sent !== null && !isLoopbackRedirect(sent)) {
      return sendText(res, 400, 'The redirect_uri does not match the callback URL of this OAuth consumer.\n');
    }
    const redirectUri = sent ?? REGISTERED_CALLBACK;
    const state = q.get('state') ?? undefined;
    if (q.get('response_type') !== 'code') {
      return redirect(res, withQuery(redirectUri, {
        error: 'unsupported_response_type', error_description: 'Only response_type=code is supported here.', state,
      }));
    }
    const login = q.get('login') || 'alice';
    if (login === 'deny') {
      return redirect(res, withQuery(redirectUri, {
        error: 'access_denied', error_description: 'The user denied access.', state,
      }));
    }
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') || 'plain';
    if (!challenge || method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return redirect(res, withQuery(redirectUri, {
        error: 'invalid_request',
        error_description: 'code_challenge with code_challenge_method=S256 is required.',
        state,
      }));
    }
    const scope = (q.get('scope') || DEFAULT_SCOPE).split(/[\s,]+/).filter(Boolean).join(' ');
    // redirectUri is kept only when sent, so the token request may leave it out in either case.
    const code = host.issueCode({
      clientId, redirectUri: sent ?? undefined, challenge, method, login, scope,
    });
    return redirect(res, withQuery(redirectUri, { code, state }));
  }

  function tokenAnswer(res, t, grantType) {
    sendJson(res, 200, {
      access_token: t.access_token,
      scopes: t.scope,
      expires_in: t.expires_in,
      refresh_token: t.refresh_token,
      token_type: 'bearer',
      // Bitbucket's quirk: `state` echoes the grant type.
      state: grantType,
    });
  }

  async function accessToken(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    const { clientId, clientSecret } = clientFrom(req, body);
    const grantType = body.grant_type;
    host.countGrant(grantType);
    if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(res, 'invalid_client', 401);

    if (grantType === 'authorization_code') {
      if (!body.code) return oauthError(res, 'invalid_request', 400, { error_description: 'Missing code' });
      const result = host.redeemCode({
        code: body.code, clientId, redirectUri: body.redirect_uri, verifier: body.code_verifier,
      });
      if (result.error === 'redirect_uri') {
        return oauthError(res, 'invalid_grant', 400, { error_description: 'redirect_uri does not match' });
      }
      if (result.error) return oauthError(res, 'invalid_grant');
      const { entry } = result;
      return tokenAnswer(res, host.issueTokens({ login: entry.login, scope: entry.scope, clientId }), grantType);
    }
    if (grantType === 'refresh_token') {
      const result = host.useRefreshToken({ refreshToken: body.refresh_token, clientId });
      if (result.error) return oauthError(res, 'invalid_grant', 400, { error_description: 'Invalid refresh_token' });
      return tokenAnswer(res, result.tokens, grantType);
    }
    return oauthError(res, 'unsupported_grant_type');
  }

  /** The token's {login, scope}, or null after answering 401 (or 403 for a missing scope). */
  function authenticated(req, res, need) {
    const check = host.checkAccess(bearerToken(req));
    if (check.error === 'expired') {
      apiError(res, 401, 'Access token expired.');
      return null;
    }
    if (check.error) {
      apiError(res, 401, 'Token is invalid, expired, or not supported for this endpoint.');
      return null;
    }
    const granted = (check.scope || '').split(' ').filter(Boolean);
    if (need && !SCOPE_SATISFIED_BY[need].some((s) => granted.includes(s))) {
      apiError(res, 403, 'Your credentials lack one or more required privilege scopes.', { granted, required: [need] });
      return null;
    }
    return check;
  }

  async function handle(req, res) {
    const url = new URL(req.url, baseUrl);
    if (git && git(req, res, url)) return undefined;
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    switch (route) {
      case 'GET /site/oauth2/authorize':
        return authorize(req, res, q);
      case 'POST /site/oauth2/access_token':
        return accessToken(req, res, q);
      case 'GET /2.0/user': {
        const check = authenticated(req, res, 'account');
        if (!check) return undefined;
        return sendJson(res, 200, account(check.login));
      }
      case 'GET /2.0/user/emails': {
        const check = authenticated(req, res, 'email');
        if (!check) return undefined;
        const email = host.emailOf(check.login);
        const values = email === null ? [] : [{
          type: 'email',
          email,
          is_primary: true,
          is_confirmed: !check.login.startsWith('unverified'),
          links: { self: { href: `${apiUrl()}/user/emails/${encodeURIComponent(email)}` } },
        }];
        return sendJson(res, 200, paged(values, url, { defaultPagelen: 10, maxPagelen: 100 }));
      }
      case 'GET /2.0/repositories': {
        const check = authenticated(req, res, 'repository');
        if (!check) return undefined;
        const role = q.get('role');
        if (role !== null && !['member', 'contributor', 'admin', 'owner'].includes(role)) {
          return apiError(res, 400, `Invalid role: ${role}`);
        }
        const all = host.repositories(check.login).map(repository);
        return sendJson(res, 200, paged(all, url, { defaultPagelen: 10, maxPagelen: 100 }));
      }
      default: {
        const about = /^GET \/2\.0\/repositories\/([^/]+)\/([^/]+)$/.exec(route);
        const src = /^GET \/2\.0\/repositories\/([^/]+)\/([^/]+)\/src\/([^/]+)\/(.+)$/.exec(route);
        if ((about || src) && git) {
          const check = authenticated(req, res, 'repository');
          if (!check) return undefined;
          const [ws, slug, ref, path] = (about || src).slice(1).map(decodeURIComponent);
          if (about) {
            if (ws.toLowerCase() !== check.login.toLowerCase() || !host.repositories(check.login).some((r) => r.name === slug)) {
              return apiError(res, 404, `Repository ${ws}/${slug} not found`);
            }
            return sendJson(res, 200, {
              type: 'repository', full_name: `${ws}/${slug}`, name: slug, mainbranch: { type: 'branch', name: 'main' },
            });
          }
          const body = git.file(check.login, ws, slug, ref, path);
          if (!body) return apiError(res, 404, `No such file or directory: ${path}`);
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return res.end(body);
        }
        if (url.pathname.startsWith('/2.0')) {
          return apiError(res, 404, `Resource not found: ${url.pathname}`);
        }
        return sendText(res, 404, 'Not Found');
      }
    }
  }

  return {
    host,
    setBaseUrl(u) { baseUrl = u; },
    handler(req, res) {
      handle(req, res).catch((err) => {
        log('bitbucket:', err.stack || err);
        if (!res.headersSent) apiError(res, err.status || 500, err.message);
        else res.end();
      });
    },
  };
}
