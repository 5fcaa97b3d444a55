// A local GitHub (Enterprise layout): OAuth at /login/oauth/*, device flow at /login/device/code,
// REST at /api/v3, organization teams included. No UI: the `login` query parameter of the
// authorize request says who signs in.
import {
  readBody, sendJson, sendForm, sendText, redirect, basicCredentials, bearerToken, randomBase62,
  randomHex, stableId, isLoopbackRedirect, withQuery, wantsJson, log,
} from './http.mjs';
import { CodeHost, paginate, linkHeader } from './codehost.mjs';
import { gitFront } from './githttp.mjs';

const DOCS = 'https://docs.github.com';

const ERRORS = {
  incorrect_client_credentials: 'The client_id and/or client_secret passed are incorrect.',
  bad_verification_code: 'The code passed is incorrect or expired.',
  redirect_uri_mismatch: 'The redirect_uri MUST match the registered callback URL for this application.',
  bad_refresh_token: 'The refresh token passed is incorrect or expired.',
  unsupported_grant_type: 'The grant type is not supported.',
  authorization_pending: 'The authorization request is still pending.',
  slow_down: 'Too many requests have been made in the same timeframe.',
  expired_token: 'The `device_code` has expired.',
  incorrect_device_code: 'The device_code provided is not valid.',
  access_denied: 'The authorization request was denied.',
};

export function createGitHub(options) {
  const host = new CodeHost({
    name: 'github',
    clientId: `Iv1.${randomHex(8)}`,
    clientSecret: randomHex(20),
    newCode: () => randomHex(10),
    newAccessToken: () => `ghu_${randomBase62(36)}`,
    newRefreshToken: () => `ghr_${randomBase62(76)}`,
    newDeviceCode: () => randomHex(20),
    expiresIn: options.expiresIn ?? 28800,
    refreshExpiresIn: options.refreshExpiresIn ?? 15897600,
    deviceExpiresIn: options.deviceExpiresIn ?? 900,
    deviceInterval: options.deviceInterval ?? 1,
    slowDownIncrement: options.slowDownIncrement ?? 5,
  });
  // login -> ["org/team-slug", ...], set through the control API (POST /teams).
  host.teams = new Map();
  let baseUrl = '';
  // git clone/push at /<owner>/<repo>.git with a token this host issued (lib/githttp.mjs).
  const git = options.gitDir ? gitFront({
    host, dir: options.gitDir, username: 'x-access-token', realm: 'GitHub',
    allows: (scopes) => scopes.includes('repo'),
  }) : null;

  // GitHub answers token-endpoint errors with status 200, as JSON or form-encoded.
  function oauthAnswer(req, res, value) {
    if (wantsJson(req)) sendJson(res, 200, value);
    else sendForm(res, 200, value);
  }
  function oauthError(req, res, error, extra = {}) {
    oauthAnswer(req, res, {
      error, error_description: ERRORS[error] || error, error_uri: `${DOCS}/apps/oauth`, ...extra,
    });
  }

  function tokenAnswer(req, res, t) {
    oauthAnswer(req, res, {
      access_token: t.access_token,
      expires_in: t.expires_in,
      refresh_token: t.refresh_token,
      refresh_token_expires_in: t.refresh_token_expires_in,
      token_type: 'bearer',
      scope: t.scope,
    });
  }

  function user(login) {
    return {
      login,
      id: stableId('github-user', login),
      node_id: Buffer.from(`04:User${stableId('github-user', login)}`).toString('base64'),
      avatar_url: `${baseUrl}/avatars/u/${stableId('github-user', login)}`,
      html_url: `${baseUrl}/${login}`,
      type: 'User',
      site_admin: false,
      name: login,
      email: host.emailOf(login),
    };
  }

  function repo(r) {
    const fullName = `${r.owner}/${r.name}`;
    return {
      id: r.id,
      node_id: Buffer.from(`010:Repository${r.id}`).toString('base64'),
      name: r.name,
      full_name: fullName,
      private: r.private,
      visibility: r.private ? 'private' : 'public',
      owner: { login: r.owner, id: stableId('github-user', r.owner), type: 'User' },
      html_url: `${baseUrl}/${fullName}`,
      clone_url: `${baseUrl}/${fullName}.git`,
      description: r.description,
      default_branch: 'main',
    };
  }

  // A team's display name differs from its slug on real GitHub: "platform-admins" is shown as
  // "Platform Admins" here, so clients that should match on the slug are seen to do so.
  const teamName = (slug) => slug.split(/[-_]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');

  function team(orgSlash) {
    const [org, slug] = orgSlash.split('/');
    const id = stableId('github-team', orgSlash.toLowerCase());
    const orgId = stableId('github-org', org.toLowerCase());
    return {
      id,
      node_id: Buffer.from(`04:Team${id}`).toString('base64'),
      url: `${baseUrl}/api/v3/teams/${id}`,
      html_url: `${baseUrl}/orgs/${org}/teams/${slug}`,
      name: teamName(slug),
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${baseUrl}/api/v3/teams/${id}/members{/member}`,
      repositories_url: `${baseUrl}/api/v3/teams/${id}/repos`,
      parent: null,
      organization: {
        login: org,
        id: orgId,
        node_id: Buffer.from(`012:Organization${orgId}`).toString('base64'),
        url: `${baseUrl}/api/v3/orgs/${org}`,
        html_url: `${baseUrl}/${org}`,
        description: null,
      },
    };
  }

  const teamsOf = (login) => host.teams.get(login) || [];

  /** Classic OAuth scopes: read:org is also granted by write:org and admin:org. */
  const READ_ORG = ['read:org', 'write:org', 'admin:org'];
  function hasReadOrg(res, check) {
    const granted = (check.scope || '').split(/[\s,]+/);
    if (READ_ORG.some((s) => granted.includes(s))) return true;
    sendJson(res, 403, {
      message: 'This endpoint needs a token with the read:org scope.',
      documentation_url: `${DOCS}/rest/teams/teams#list-teams-for-the-authenticated-user`,
      status: '403',
    }, { ...apiHeaders(check), 'x-accepted-oauth-scopes': READ_ORG.join(', ') });
    return false;
  }

  function authorize(req, res, q) {
    const clientId = q.get('client_id');
    const redirectUri = q.get('redirect_uri');
    if (!host.clientKnown(clientId)) return sendText(res, 404, 'Unknown client_id.');
    if (!redirectUri || !isLoopbackRedirect(redirectUri)) {
      return sendText(res, 400, 'The redirect_uri MUST match the registered callback URL for this application.');
    }
    const state = q.get('state') ?? undefined;
    const login = q.get('login') || 'alice';
    if (login === 'deny') {
      return redirect(res, withQuery(redirectUri, {
        error: 'access_denied',
        error_description: 'The user has denied your application access.',
        error_uri: `${DOCS}/apps/troubleshooting-authorization-request-errors`,
        state,
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
    const scope = (q.get('scope') || '').split(/[\s,]+/).filter(Boolean).join(',');
    const code = host.issueCode({ clientId, redirectUri, challenge, method, login, scope });
    return redirect(res, withQuery(redirectUri, { code, state }));
  }

  async function accessToken(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    const basic = basicCredentials(req);
    const clientId = body.client_id || basic?.clientId;
    const clientSecret = body.client_secret || basic?.clientSecret;
    let grantType = body.grant_type;
    if (!grantType && body.code) grantType = 'authorization_code';
    host.countGrant(grantType);

    if (grantType === 'authorization_code') {
      if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(req, res, 'incorrect_client_credentials');
      const result = host.redeemCode({
        code: body.code, clientId, redirectUri: body.redirect_uri, verifier: body.code_verifier,
      });
      if (result.error === 'redirect_uri') return oauthError(req, res, 'redirect_uri_mismatch');
      if (result.error === 'pkce') {
        return oauthError(req, res, 'bad_verification_code', {
          error_description: 'The code_verifier does not match the code_challenge.',
        });
      }
      if (result.error) return oauthError(req, res, 'bad_verification_code');
      const { entry } = result;
      return tokenAnswer(req, res, host.issueTokens({ login: entry.login, scope: entry.scope, clientId }));
    }
    if (grantType === 'refresh_token') {
      if (!host.clientAuthenticates(clientId, clientSecret)) return oauthError(req, res, 'incorrect_client_credentials');
      const result = host.useRefreshToken({ refreshToken: body.refresh_token, clientId });
      if (result.error) return oauthError(req, res, 'bad_refresh_token');
      return tokenAnswer(req, res, result.tokens);
    }
    if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
      if (!host.clientKnown(clientId)) return oauthError(req, res, 'incorrect_client_credentials');
      if (clientSecret !== undefined && !host.clientAuthenticates(clientId, clientSecret)) {
        return oauthError(req, res, 'incorrect_client_credentials');
      }
      const result = host.pollDevice({ deviceCode: body.device_code, clientId });
      if (result.tokens) return tokenAnswer(req, res, result.tokens);
      if (result.error === 'invalid' || result.error === 'client') return oauthError(req, res, 'incorrect_device_code');
      if (result.error === 'slow_down') return oauthError(req, res, 'slow_down', { interval: result.interval });
      return oauthError(req, res, result.error);
    }
    return oauthError(req, res, 'unsupported_grant_type');
  }

  async function deviceCode(req, res, q) {
    const body = { ...Object.fromEntries(q), ...(await readBody(req)) };
    if (!host.clientKnown(body.client_id)) {
      return oauthError(req, res, 'incorrect_client_credentials');
    }
    const scope = (body.scope || '').split(/[\s,]+/).filter(Boolean).join(',');
    const d = host.startDevice({ clientId: body.client_id, scope });
    return oauthAnswer(req, res, { ...d, verification_uri: `${baseUrl}/login/device` });
  }

  function authenticated(req, res) {
    const check = host.checkAccess(bearerToken(req));
    if (check.error) {
      sendJson(res, 401, { message: 'Bad credentials', documentation_url: `${DOCS}/rest`, status: '401' });
      return null;
    }
    return check;
  }

  function apiHeaders(check) {
    return { 'x-oauth-scopes': check.scope || '', 'x-github-media-type': 'github.v3; format=json' };
  }

  // DELETE /api/v3/applications/{client_id}/token, Basic client credentials, body {access_token}.
  async function deleteAppToken(req, res, clientId) {
    const basic = basicCredentials(req);
    if (!basic || basic.clientId !== clientId || !host.clientAuthenticates(basic.clientId, basic.clientSecret)) {
      return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest` });
    }
    const body = await readBody(req);
    if (!host.revokeAccessToken(body.access_token)) {
      return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest` });
    }
    res.writeHead(204);
    return res.end();
  }

  async function handle(req, res) {
    const url = new URL(req.url, baseUrl);
    if (git && git(req, res, url)) return undefined;
    const q = url.searchParams;
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    switch (route) {
      case 'GET /login/oauth/authorize':
        return authorize(req, res, q);
      case 'POST /login/oauth/access_token':
        return accessToken(req, res, q);
      case 'POST /login/device/code':
        return deviceCode(req, res, q);
      case 'GET /login/device':
        return sendText(res, 200, 'Enter the code shown by the device. (Local GitHub: approve it through the control API.)\n');
      case 'GET /api/v3/user': {
        const check = authenticated(req, res);
        if (!check) return undefined;
        return sendJson(res, 200, user(check.login), apiHeaders(check));
      }
      case 'GET /api/v3/user/repos': {
        const check = authenticated(req, res);
        if (!check) return undefined;
        const all = host.repositories(check.login);
        const p = paginate(all, q, { defaultPerPage: 30, maxPerPage: 100 });
        return sendJson(res, 200, p.items.map(repo), {
          ...apiHeaders(check), link: linkHeader(`${baseUrl}/api/v3/user/repos`, q, p),
        });
      }
      case 'GET /api/v3/user/teams': {
        const check = authenticated(req, res);
        if (!check || !hasReadOrg(res, check)) return undefined;
        const p = paginate(teamsOf(check.login), q, { defaultPerPage: 30, maxPerPage: 100 });
        return sendJson(res, 200, p.items.map(team), {
          ...apiHeaders(check), link: linkHeader(`${baseUrl}/api/v3/user/teams`, q, p),
        });
      }
      default: {
        const contents = /^GET \/api\/v3\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(route);
        if (contents && git) {
          const check = authenticated(req, res);
          if (!check) return undefined;
          const [owner, repo, path] = contents.slice(1).map(decodeURIComponent);
          const body = (check.scope || '').split(/[\s,]+/).includes('repo')
            ? git.file(check.login, owner, repo, q.get('ref'), path) : null;
          if (!body) return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest/repos/contents` });
          if ((req.headers.accept || '').includes('application/vnd.github.raw')) {
            res.writeHead(200, { 'content-type': 'application/vnd.github.raw', ...apiHeaders(check) });
            return res.end(body);
          }
          return sendJson(res, 200, {
            type: 'file', encoding: 'base64', size: body.length, name: path.split('/').pop(), path,
            content: body.toString('base64').replace(/(.{60})/g, '$1\n'),
          }, apiHeaders(check));
        }
        const m = /^DELETE \/api\/v3\/applications\/([^/]+)\/token$/.exec(route);
        if (m) return deleteAppToken(req, res, decodeURIComponent(m[1]));
        const membership = /^GET \/api\/v3\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(route);
        if (membership) {
          const check = authenticated(req, res);
          if (!check || !hasReadOrg(res, check)) return undefined;
          const [org, slug, username] = membership.slice(1).map(decodeURIComponent);
          const wanted = `${org}/${slug}`.toLowerCase();
          // Logins are matched case-insensitively, like org and team slugs.
          const login = [...host.teams.keys()].find((l) => l.toLowerCase() === username.toLowerCase());
          if (!login || !teamsOf(login).some((t) => t.toLowerCase() === wanted)) {
            return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest/teams/members#get-team-membership-for-a-user` }, apiHeaders(check));
          }
          const t = team(teamsOf(login).find((x) => x.toLowerCase() === wanted));
          return sendJson(res, 200, {
            url: `${baseUrl}/api/v3/teams/${t.id}/memberships/${login}`, role: 'member', state: 'active',
          }, apiHeaders(check));
        }
        if (url.pathname.startsWith('/api/v3')) {
          return sendJson(res, 404, { message: 'Not Found', documentation_url: `${DOCS}/rest` });
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
        log('github:', err.stack || err);
        if (!res.headersSent) sendJson(res, err.status || 500, { message: err.message });
        else res.end();
      });
    },
  };
}
