// A local self-managed GitLab: OAuth at /oauth/*, device authorization at /oauth/authorize_device,
// REST at /api/v4, groups and their members included. No UI: the `login` query parameter of the
// authorize request says who signs in.
import {
  readBody, sendJson, sendText, redirect, basicCredentials, bearerToken, randomHex, stableId,
  isLoopbackRedirect, withQuery, log,
} from './http.mjs';
import { CodeHost, paginate, linkHeader } from './codehost.mjs';
import { gitFront } from './githttp.mjs';

// GitLab's access levels: no access, minimal access, guest, planner, reporter, developer,
// maintainer, owner.
export const ACCESS_LEVELS = [0, 5, 10, 15, 20, 30, 40, 50];

const ERRORS = {
  invalid_client: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  invalid_grant: 'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  invalid_request: 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server.',
  authorization_pending: 'The authorization request is still pending as the end user hasn\'t yet completed the user interaction steps.',
  slow_down: 'The client is polling too quickly and should back off at a reasonable rate.',
  expired_token: 'The device_code has expired, and the device authorization session has concluded.',
  access_denied: 'The resource owner or authorization server denied the request.',
};

export function createGitLab(options) {
  const host = new CodeHost({
    name: 'gitlab',
    clientId: randomHex(32),
    clientSecret: `gloas-${randomHex(32)}`,
    newCode: () => randomHex(32),
    newAccessToken: () => randomHex(32),
    newRefreshToken: () => randomHex(32),
    newDeviceCode: () => randomHex(32),
    expiresIn: options.expiresIn ?? 7200,
    refreshExpiresIn: options.refreshExpiresIn ?? 15897600,
    deviceExpiresIn: options.deviceExpiresIn ?? 300,
    deviceInterval: options.deviceInterval ?? 1,
    slowDownIncrement: options.slowDownIncrement ?? 5,
  });
  // login -> [{full_path, access_level}], set through the control API (POST /gitlab-groups).
  host.groups = new Map();
  let baseUrl = '';
  // git clone/push at /<owner>/<repo>.git with a token this host issued (lib/githttp.mjs).
  const git = options.gitDir ? gitFront({
    host, dir: options.gitDir, username: 'oauth2', realm: 'GitLab',
    allows: (scopes, write) => scopes.includes('api') || scopes.includes('write_repository') || (!write && scopes.includes('read_repository')),
  }) : null;

  function oauthError(res, error, status = 400, extra = {}) {
    const headers = status === 401 ? { 'www-authenticate': `Bearer realm="Doorkeeper", error="${error}"` } : {};
    sendJson(res, status, { error, error_description: ERRORS[error] || error, ...extra }, headers);
  }

  function tokenAnswer(res, t) {
    sendJson(res, 200, {
      access_token: t.access_token,
      token_type: 'Bearer',
      expires_in: t.expires_in,
      refresh_token: t.refresh_token,
      scope: t.scope,
      created_at: t.created_at,
    });
  }

  function user(login) {
    const id = stableId('gitlab-user', login);
    return {
      id,
      username: login,
      name: login,
      state: 'active',
      locked: false,
      avatar_url: `${baseUrl}/uploads/-/system/user/avatar/${id}/avatar.png`,
      web_url: `${baseUrl}/${login}`,
      email: host.emailOf(login),
    };
  }

  function project(r) {
    const path = `${r.owner}/${r.name}`;
    return {
      id: r.id,
      name: r.name,
      path: r.name,
      path_with_namespace: path,
      name_with_namespace: `${r.owner} / ${r.name}`,
      visibility: r.private ? 'private' : 'public',
      web_url: `${baseUrl}/${path}`,
      http_url_to_repo: `${baseUrl}/${path}.git`,
      description: r.description,
      default_branch: 'main',
    };
  }

  /** Every group someone is a member of, and their parent groups: full_path -> group. */
  function knownGroups() {
    const paths = new Set();
    for (const memberships of host.groups.values()) {
      for (const m of memberships) {
        const parts = m.full_path.split('/');
        for (let i = 1; i <= parts.length; i += 1) paths.add(parts.slice(0, i).join('/'));
      }
    }
    const byPath = new Map();
    for (const fullPath of paths) byPath.set(fullPath.toLowerCase(), group(fullPath));
    return byPath;
  }

  function group(fullPath) {
    const parts = fullPath.split('/');
    const path = parts[parts.length - 1];
    return {
      id: stableId('gitlab-group', fullPath.toLowerCase()),
      web_url: `${baseUrl}/groups/${fullPath}`,
      name: path,
      path,
      description: '',
      visibility: 'private',
      full_name: parts.join(' / '),
      full_path: fullPath,
      parent_id: parts.length > 1 ? stableId('gitlab-group', parts.slice(0, -1).join('/').toLowerCase()) : null,
    };
  }

  /**
   * The user's access level in a group: the highest of the memberships in that group and in its
   * parents (members of a group are members of its subgroups, as GitLab's /members/all shows).
   * 0 when none.
   */
  function accessLevel(login, fullPath) {
    const wanted = fullPath.toLowerCase();
    let level = 0;
    for (const m of host.groups.get(login) || []) {
      const p = m.full_path.toLowerCase();
      if (wanted === p || wanted.startsWith(`${p}/`)) level = Math.max(level, m.access_level);
    }
    return level;
  }

  /** read_api or api, else a 403 insufficient_scope answer. */
  function hasReadApi(res, check) {
    const granted = (check.scope || '').split(/\s+/);
    if (granted.includes('read_api') || granted.includes('api')) return true;
    const description = 'The request requires higher privileges than provided by the access token.';
    sendJson(res, 403, { error: 'insufficient_scope', error_description: description, scope: 'api read_api' }, {
      'www-authenticate': `Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", error_description="${description}", scope="api read_api"`,
    });
    return false;
  }

  function groupsAnswer(res, check, q) {
    const min = Number.parseInt(q.get('min_access_level') || '', 10);
    const floor = Number.isFinite(min) && min > 0 ? min : 1;
    const mine = [...knownGroups().values()]
      .filter((g) => accessLevel(check.login, g.full_path) >= floor)
      .sort((a, b) => a.name.localeCompare(b.name) || a.full_path.localeCompare(b.full_path));
    const p = paginate(mine, q, { defaultPerPage: 20, maxPerPage: 100 });
    return sendJson(res, 200, p.items, pageHeaders(`${baseUrl}/api/v4/groups`, q, p));
  }

  // GET /api/v4/groups/:id/members/all/:user_id, :id being the numeric id or the URL-encoded path.
  function groupMember(res, check, idOrPath, userId) {
    const groups = knownGroups();
    const g = /^\d+$/.test(idOrPath)
      ? [...groups.values()].find((x) => x.id === Number(idOrPath))
      : groups.get(idOrPath.toLowerCase());
    if (!g) return sendJson(res, 404, { message: '404 Group Not Found' });
    const login = [...new Set([check.login, ...host.groups.keys()])]
      .find((l) => String(stableId('gitlab-user', l)) === userId);
    const level = login ? accessLevel(login, g.full_path) : 0;
    if (!level) return sendJson(res, 404, { message: '404 Not found' });
    return sendJson(res, 200, {
      ...user(login), access_level: level, created_at: '2020-01-01T00:00:00.000Z', expires_at: null, membership_state: 'active',
    });
  }

  function pageHeaders(url, q, p) {
    return {
      'x-page': String(p.page),
      'x-per-page': String(p.perPage),
      'x-total': String(p.total),
      'x-total-pages': String(p.totalPages),
      'x-next-page': p.page < p.totalPages ? String(p.page + 1) : '',
      'x-prev-page': p.page > 1 ? String(p.page - 1) : '',
      link: linkHeader(url, q, p),
    };
  }

  function clientFrom(req, body) {
    const basic = basicCredentials(req);
    return {
      clientId: body.client_id || basic?.clientId,
      clientSecret: body.client_secret || basic?.clientSecret,
    };
  }

  function authorize(req, res, q) {
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    if (!host.clientKnown(clientId) || !redirectUri || !isLoopbackRedirect(redirectUri)) {
      // Doorkeeper shows an error page rather than redirecting to an unverified URI.
      return sendText(res, 400, 'An error has occurred\nClient authentication failed due to unknown client, or the redirect URI included is not valid.\n');
    }
    const state = q.get('state') ?? undefined;
    if (q.get('response_type') !== 'code') {
      return redirect(res, withQuery(redirectUri, {
        error: 'unsupported_response_type',
        error_description: 'The authorization server does not support this response type.',
        state,
      }));
    }
    const login = q.get('login') || 'alice';
    if (login === 'deny') {
      return redirect(res, withQuery(redirectUri, {
        error: 'access_denied', error_description: ERRORS.access_denied, state,
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
    const scope = (q.get('scope') || 'read_user').split(/\s+/).filter(Boolean).join(' ');
    const code = host.issueCode({ clientId, redirectUri, challenge, method, login, scope });
    return redirect(res, withQuery(redirectUri, { code, state }));
  }

  async function token(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    const { clientId, clientSecret } = clientFrom(req, body);
    const grantType = body.grant_type;
    host.countGrant(grantType);
    if (!grantType) return oauthError(res, 'invalid_request', 400, { error_description: 'Missing required parameter: grant_type.' });

    if (grantType === 'authorization_code') {
      if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(res, 'invalid_client', 401);
      const result = host.redeemCode({
        code: body.code, clientId, redirectUri: body.redirect_uri, verifier: body.code_verifier,
      });
      if (result.error) return oauthError(res, 'invalid_grant');
      const { entry } = result;
      return tokenAnswer(res, host.issueTokens({ login: entry.login, scope: entry.scope, clientId }));
    }
    if (grantType === 'refresh_token') {
      if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(res, 'invalid_client', 401);
      const result = host.useRefreshToken({ refreshToken: body.refresh_token, clientId });
      if (result.error) return oauthError(res, 'invalid_grant');
      return tokenAnswer(res, result.tokens);
    }
    if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
      if (!host.clientKnown(clientId)) return oauthError(res, 'invalid_client', 401);
      if (clientSecret !== undefined && !host.clientAuthenticates(clientId, clientSecret)) {
        return oauthError(res, 'invalid_client', 401);
      }
      const result = host.pollDevice({ deviceCode: body.device_code, clientId });
      if (result.tokens) return tokenAnswer(res, result.tokens);
      if (result.error === 'invalid' || result.error === 'client') return oauthError(res, 'invalid_grant');
      if (result.error === 'slow_down') return oauthError(res, 'slow_down', 400, { interval: result.interval });
      return oauthError(res, result.error);
    }
    return oauthError(res, 'unsupported_grant_type');
  }

  async function authorizeDevice(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    const { clientId } = clientFrom(req, body);
    if (!host.clientKnown(clientId)) return oauthError(res, 'invalid_client', 401);
    const scope = (body.scope || 'read_user').split(/\s+/).filter(Boolean).join(' ');
    const d = host.startDevice({ clientId, scope });
    return sendJson(res, 200, {
      ...d,
      verification_uri: `${baseUrl}/oauth/device`,
      verification_uri_complete: `${baseUrl}/oauth/device?user_code=${encodeURIComponent(d.user_code)}`,
    });
  }

  // RFC 7009 revocation, as GitLab offers at /oauth/revoke.
  async function revoke(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    const { clientId, clientSecret } = clientFrom(req, body);
    if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(res, 'invalid_client', 401);
    if (!host.revokeAccessToken(body.token)) host.refresh.delete(body.token);
    return sendJson(res, 200, {});
  }

  function authenticated(req, res) {
    const check = host.checkAccess(bearerToken(req));
    if (check.error === 'expired') {
      sendJson(res, 401, {
        error: 'invalid_token',
        error_description: 'Token is expired. You can either do re-authorization or token refresh.',
      }, { 'www-authenticate': 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token is expired. You can either do re-authorization or token refresh."' });
      return null;
    }
    if (check.error === 'revoked') {
      sendJson(res, 401, {
        error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.',
      }, { 'www-authenticate': 'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token was revoked. You have to re-authorize from the user."' });
      return null;
    }
    if (check.error) {
      sendJson(res, 401, { message: '401 Unauthorized' });
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
      case 'GET /oauth/authorize':
        return authorize(req, res, q);
      case 'POST /oauth/token':
        return token(req, res, q);
      case 'POST /oauth/authorize_device':
        return authorizeDevice(req, res, q);
      case 'POST /oauth/revoke':
        return revoke(req, res, q);
      case 'GET /oauth/device':
        return sendText(res, 200, 'Enter the code shown by the device. (Local GitLab: approve it through the control API.)\n');
      case 'GET /api/v4/user': {
        const check = authenticated(req, res);
        if (!check) return undefined;
        return sendJson(res, 200, user(check.login));
      }
      case 'GET /api/v4/projects': {
        const check = authenticated(req, res);
        if (!check) return undefined;
        const all = host.repositories(check.login);
        const p = paginate(all, q, { defaultPerPage: 20, maxPerPage: 100 });
        return sendJson(res, 200, p.items.map(project), pageHeaders(`${baseUrl}/api/v4/projects`, q, p));
      }
      case 'GET /api/v4/groups': {
        const check = authenticated(req, res);
        if (!check || !hasReadApi(res, check)) return undefined;
        return groupsAnswer(res, check, q);
      }
      default: {
        // The project and the file path arrive URL-encoded, each one path segment.
        const raw = /^GET \/api\/v4\/projects\/([^/]+)\/repository\/files\/([^/]+)\/raw$/.exec(route);
        if (raw && git) {
          const check = authenticated(req, res);
          if (!check) return undefined;
          const granted = (check.scope || '').split(/\s+/);
          if (!['api', 'read_api', 'read_repository'].some((s) => granted.includes(s))) {
            return sendJson(res, 403, { error: 'insufficient_scope' });
          }
          const [project, path] = raw.slice(1).map(decodeURIComponent);
          const [owner, repo] = project.split('/');
          const body = project.split('/').length === 2 ? git.file(check.login, owner, repo, q.get('ref'), path) : null;
          if (!body) return sendJson(res, 404, { message: '404 File Not Found' });
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          return res.end(body);
        }
        const m = /^GET \/api\/v4\/groups\/([^/]+)\/members\/all\/([^/]+)$/.exec(route);
        if (m) {
          const check = authenticated(req, res);
          if (!check || !hasReadApi(res, check)) return undefined;
          return groupMember(res, check, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
        }
        if (url.pathname.startsWith('/api/v4')) return sendJson(res, 404, { message: '404 Not Found' });
        return sendText(res, 404, 'Not Found');
      }
    }
  }

  return {
    host,
    setBaseUrl(u) { baseUrl = u; },
    handler(req, res) {
      handle(req, res).catch((err) => {
        log('gitlab:', err.stack || err);
        if (!res.headersSent) sendJson(res, err.status || 500, { error: 'server_error', error_description: err.message });
        else res.end();
      });
    },
  };
}
