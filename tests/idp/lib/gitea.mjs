// A local Gitea (Forgejo speaks the same API): OAuth 2 with PKCE at /login/oauth/*, REST at
// /api/v1 with scoped tokens (read:user, read:repository, read:organization), organization teams,
// and rotating refresh tokens. No UI: the `login` query parameter of the authorize request says
// who signs in.
import {
  readBody, sendJson, sendText, redirect, basicCredentials, bearerToken, randomBase62, randomHex,
  stableId, isLoopbackRedirect, withQuery, log,
} from './http.mjs';
import { CodeHost, paginate, linkHeader } from './codehost.mjs';
import { gitFront } from './githttp.mjs';

export function createGitea(options) {
  const host = new CodeHost({
    name: 'gitea',
    // Gitea's client ids are UUIDs and its secrets carry a `gto_` prefix.
    clientId: `${randomHex(4)}-${randomHex(2)}-${randomHex(2)}-${randomHex(2)}-${randomHex(6)}`,
    clientSecret: `gto_${randomBase62(40).toLowerCase()}`,
    newCode: () => randomBase62(32),
    // Gitea's OAuth access and refresh tokens are signed JWT-like strings: opaque to clients.
    newAccessToken: () => `eyJhbGciOiJIUzI1NiJ9.${randomBase62(60)}.${randomBase62(43)}`,
    newRefreshToken: () => `eyJhbGciOiJIUzI1NiJ9.${randomBase62(80)}.${randomBase62(43)}`,
    newDeviceCode: () => randomHex(20),
    expiresIn: options.expiresIn ?? 3600,
    refreshExpiresIn: options.refreshExpiresIn ?? 2628000,
    deviceExpiresIn: 0,
    deviceInterval: 0,
    slowDownIncrement: 0,
  });
  host.teams = new Map(); // login -> ["org/Team Name", ...], set through the control API
  host.privateEmail = new Set(); // logins whose `email` the user API leaves empty
  // 'garbage': the REST API answers an HTML page with 200; 'unauthorized': every REST call 401s;
  // 'token_garbage': the token endpoint answers HTML. Set through the control API.
  host.misbehave = null;
  let baseUrl = '';
  // git clone/push at /<owner>/<repo>.git with a token this host issued (lib/githttp.mjs).
  const git = options.gitDir ? gitFront({
    host, dir: options.gitDir, username: 'oauth2', realm: 'Gitea',
    allows: (scopes, write) => scopes.includes('all') || scopes.includes('write:repository')
      || (!write && scopes.includes('read:repository')),
  }) : null;

  function oauthError(res, status, error, description) {
    sendJson(res, status, { error, error_description: description, state: undefined });
  }

  function user(login) {
    const id = stableId('gitea-user', login);
    return {
      id,
      login,
      login_name: '',
      source_id: 0,
      full_name: login === 'nameless' ? '' : `${login[0].toUpperCase()}${login.slice(1)} Gitea`,
      email: host.privateEmail.has(login) ? '' : (host.emailOf(login) ?? ''),
      avatar_url: `${baseUrl}/avatars/${id}`,
      html_url: `${baseUrl}/${login}`,
      language: 'en-US',
      is_admin: false,
      restricted: false,
      active: true,
      prohibit_login: false,
      visibility: 'public',
      username: login,
    };
  }

  function emails(login) {
    const primary = host.emailOf(login) ?? `${login}@example.test`;
    return [
      { email: `${login}@old.example.test`, verified: false, primary: false, user_id: stableId('gitea-user', login), username: login },
      { email: primary, verified: true, primary: true, user_id: stableId('gitea-user', login), username: login },
    ];
  }

  function repo(r) {
    const fullName = `${r.owner}/${r.name}`;
    return {
      id: r.id,
      owner: { id: stableId('gitea-user', r.owner), login: r.owner, username: r.owner },
      name: r.name,
      full_name: fullName,
      description: r.description,
      empty: false,
      private: r.private,
      fork: false,
      template: false,
      mirror: false,
      html_url: `${baseUrl}/${fullName}`,
      url: `${baseUrl}/api/v1/repos/${fullName}`,
      ssh_url: `git@127.0.0.1:${fullName}.git`,
      clone_url: `${baseUrl}/${fullName}.git`,
      default_branch: 'main',
      archived: false,
      permissions: { admin: true, push: true, pull: true },
    };
  }

  function team(orgSlash) {
    const [org, name] = orgSlash.split('/');
    return {
      id: stableId('gitea-team', orgSlash.toLowerCase()),
      name,
      description: '',
      organization: {
        id: stableId('gitea-org', org.toLowerCase()),
        name: org,
        full_name: `${org} (organization)`,
        username: org,
        visibility: 'public',
      },
      includes_all_repositories: false,
      permission: name.toLowerCase() === 'owners' ? 'owner' : 'read',
      can_create_org_repo: false,
    };
  }

  function authorize(req, res, q) {
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    // Gitea shows an error page (not a redirect) for an unknown client or redirect URI.
    if (!host.clientKnown(clientId)) return sendText(res, 400, 'Client ID not registered');
    if (!redirectUri || !isLoopbackRedirect(redirectUri)) {
      return sendText(res, 400, 'Unregistered Redirect URI');
    }
    const state = q.get('state') ?? undefined;
    if (q.get('response_type') !== 'code') {
      return redirect(res, withQuery(redirectUri, {
        error: 'unsupported_response_type', error_description: 'Only code response type is supported.', state,
      }));
    }
    const login = q.get('login') || 'alice';
    if (login === 'deny') {
      return redirect(res, withQuery(redirectUri, {
        error: 'access_denied', error_description: 'the request is denied', state,
      }));
    }
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') || 'plain';
    if (!challenge || method !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return redirect(res, withQuery(redirectUri, {
        error: 'invalid_request', error_description: 'unsupported code challenge method', state,
      }));
    }
    const scope = (q.get('scope') || '').split(/[\s,]+/).filter(Boolean).join(' ');
    const code = host.issueCode({ clientId, redirectUri, challenge, method, login, scope });
    return redirect(res, withQuery(redirectUri, { code, state }));
  }

  function tokenAnswer(res, t) {
    sendJson(res, 200, {
      access_token: t.access_token, token_type: 'bearer', expires_in: t.expires_in, refresh_token: t.refresh_token,
    });
  }

  async function accessToken(req, res) {
    const body = await readBody(req);
    const basic = basicCredentials(req);
    const clientId = body.client_id || basic?.clientId;
    const clientSecret = body.client_secret || basic?.clientSecret;
    host.countGrant(body.grant_type);
    if (host.misbehave === 'token_garbage') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!DOCTYPE html><html><body>502 Bad Gateway</body></html>');
    }
    if (!host.clientAuthenticates(clientId, clientSecret)) {
      return oauthError(res, 400, 'invalid_client', `cannot load client with client id: '${String(clientId ?? '').slice(0, 60)}'`);
    }
    if (body.grant_type === 'authorization_code') {
      const result = host.redeemCode({
        code: body.code, clientId, redirectUri: body.redirect_uri, verifier: body.code_verifier,
      });
      if (result.error === 'pkce') return oauthError(res, 400, 'unauthorized_client', 'failed PKCE code challenge');
      if (result.error === 'redirect_uri') return oauthError(res, 400, 'unauthorized_client', 'unexpected redirect URI');
      if (result.error) return oauthError(res, 400, 'unauthorized_client', 'client is not authorized');
      const { entry } = result;
      return tokenAnswer(res, host.issueTokens({ login: entry.login, scope: entry.scope, clientId }));
    }
    if (body.grant_type === 'refresh_token') {
      const result = host.useRefreshToken({ refreshToken: body.refresh_token, clientId });
      if (result.error) return oauthError(res, 400, 'unauthorized_client', 'token was already used');
      return tokenAnswer(res, result.tokens);
    }
    return oauthError(res, 400, 'unsupported_grant_type', 'Only refresh_token or authorization_code grant type is supported');
  }

  function authenticated(req, res) {
    if (host.misbehave === 'unauthorized') {
      sendJson(res, 401, { message: 'invalid username, password or token', url: `${baseUrl}/api/swagger` });
      return null;
    }
    const check = host.checkAccess(bearerToken(req));
    if (check.error) {
      sendJson(res, 401, { message: 'invalid username, password or token', url: `${baseUrl}/api/swagger` });
      return null;
    }
    return check;
  }

  /** Gitea's scoped tokens: `read:x` is also granted by `write:x`, and `all` grants everything. */
  function hasScope(res, check, category) {
    const granted = (check.scope || '').split(/[\s,]+/).filter(Boolean);
    if (granted.length === 0 || granted.includes('all')
      || granted.includes(`read:${category}`) || granted.includes(`write:${category}`)) return true;
    sendJson(res, 403, {
      message: `token does not have at least one of required scope(s): [read:${category}]`,
      url: `${baseUrl}/api/swagger`,
    });
    return false;
  }

  function paged(res, q, path, items) {
    // Gitea pages with `limit` (at most 50 by default) and `page`, with X-Total-Count and Link.
    const query = new URLSearchParams(q);
    if (query.has('limit')) query.set('per_page', query.get('limit'));
    const p = paginate(items, query, { defaultPerPage: 30, maxPerPage: 50 });
    return sendJson(res, 200, p.items, {
      'x-total-count': String(p.total),
      link: linkHeader(`${baseUrl}${path}`, q, p).replace(/per_page=/g, 'limit='),
    });
  }

  async function handle(req, res) {
    const url = new URL(req.url, baseUrl);
    if (git && git(req, res, url)) return undefined;
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    if (url.pathname.startsWith('/api/v1/') && host.misbehave === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!DOCTYPE html><html><head><title>Gitea: Git with a cup of tea</title></head><body>Page Not Found</body></html>');
    }
    switch (route) {
      case 'GET /login/oauth/authorize':
        return authorize(req, res, q);
      case 'POST /login/oauth/access_token':
        return accessToken(req, res);
      case 'GET /api/v1/version':
        return sendJson(res, 200, { version: '1.22.3' });
      case 'GET /api/v1/user': {
        const check = authenticated(req, res);
        if (!check || !hasScope(res, check, 'user')) return undefined;
        return sendJson(res, 200, user(check.login));
      }
      case 'GET /api/v1/user/emails': {
        const check = authenticated(req, res);
        if (!check || !hasScope(res, check, 'user')) return undefined;
        return sendJson(res, 200, emails(check.login));
      }
      case 'GET /api/v1/user/repos': {
        const check = authenticated(req, res);
        if (!check || !hasScope(res, check, 'repository')) return undefined;
        return paged(res, q, '/api/v1/user/repos', host.repositories(check.login).map(repo));
      }
      case 'GET /api/v1/user/teams': {
        const check = authenticated(req, res);
        if (!check || !hasScope(res, check, 'organization')) return undefined;
        return paged(res, q, '/api/v1/user/teams', (host.teams.get(check.login) || []).map(team));
      }
      default: {
        // GET /api/v1/repos/{owner}/{repo}/raw/{filepath}?ref=: one file, raw.
        const raw = /^GET \/api\/v1\/repos\/([^/]+)\/([^/]+)\/raw\/(.+)$/.exec(route);
        if (raw && git) {
          const check = authenticated(req, res);
          if (!check || !hasScope(res, check, 'repository')) return undefined;
          const [owner, repo, path] = raw.slice(1).map(decodeURIComponent);
          const body = git.file(check.login, owner, repo, q.get('ref'), path);
          if (!body) return sendJson(res, 404, { errors: null, message: 'GetBlobByPath', url: `${baseUrl}/api/swagger` });
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          return res.end(body);
        }
        if (url.pathname.startsWith('/api/v1')) return sendJson(res, 404, { errors: null, message: 'not found', url: `${baseUrl}/api/swagger` });
        return sendText(res, 404, 'Not Found');
      }
    }
  }

  return {
    host,
    setBaseUrl(u) { baseUrl = u; },
    handler(req, res) {
      handle(req, res).catch((err) => {
        log('gitea:', err.stack || err);
        if (!res.headersSent) sendJson(res, err.status || 500, { message: err.message });
        else res.end();
      });
    },
  };
}
