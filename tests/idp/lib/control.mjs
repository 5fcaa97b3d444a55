// The control API the tests use to steer the providers: groups, lifetimes, device approvals,
// repositories, counters and mass revocation. Plain HTTP on 127.0.0.1, JSON in and out.
import { readBody, sendJson, log } from './http.mjs';
import { ACCESS_LEVELS } from './gitlab.mjs';

function positiveInt(value, name, { allowZero = false } = {}) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    const err = new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer`);
    err.status = 400;
    throw err;
  }
  return n;
}

/**
 * @param {object} o
 * @param {Record<string, object>} o.oidcs  the OpenID providers by ready-line name (oidc, oidc_thin, oidc_keycloak)
 * @param {object} o.github
 * @param {object} o.gitlab
 * @param {object} o.bitbucket
 * @param {Map<string, string[]>} o.groups  shared by the OpenID providers
 */
export function createControl({
  oidcs, github, gitlab, bitbucket, gitea, azureDevOps, groups,
}) {
  const hosts = {
    github: github.host, gitlab: gitlab.host, bitbucket: bitbucket.host, gitea: gitea.host,
  };

  function badRequest(message) {
    const err = new Error(message);
    err.status = 400;
    return err;
  }

  function codeHost(provider) {
    if (!Object.hasOwn(hosts, provider)) throw badRequest('provider must be "github", "gitlab", "bitbucket" or "gitea"');
    return hosts[provider];
  }

  // Bitbucket Cloud has no device flow.
  function deviceHost(provider) {
    if (provider === 'bitbucket' || provider === 'gitea') throw badRequest(`${provider} has no device flow`);
    if (!Object.hasOwn(hosts, provider)) throw badRequest('provider must be "github" or "gitlab"');
    return hosts[provider];
  }

  async function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
    const body = req.method === 'POST' ? await readBody(req) : {};

    switch (route) {
      case 'GET /health':
        return sendJson(res, 200, { ok: true });

      case 'POST /groups': {
        if (typeof body.login !== 'string' || !body.login || !Array.isArray(body.groups)
          || !body.groups.every((g) => typeof g === 'string')) {
          return sendJson(res, 400, { error: 'body must be {"login": string, "groups": [string]}' });
        }
        groups.set(body.login, [...body.groups]);
        log(`control: groups of ${body.login} = ${JSON.stringify(body.groups)}`);
        return sendJson(res, 200, { ok: true, login: body.login, groups: body.groups });
      }

      case 'POST /teams': {
        const teamRe = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;
        if (typeof body.login !== 'string' || !body.login || !Array.isArray(body.teams)
          || !body.teams.every((t) => typeof t === 'string' && teamRe.test(t))
          || ![undefined, 'github', 'gitea'].includes(body.provider)) {
          return sendJson(res, 400, { error: 'body must be {"login": string, "teams": ["org/team-slug"], "provider": "github" (default) or "gitea"}' });
        }
        const teamHost = body.provider === 'gitea' ? gitea.host : github.host;
        teamHost.teams.set(body.login, [...body.teams]);
        log(`control: ${teamHost.name} teams of ${body.login} = ${JSON.stringify(body.teams)}`);
        return sendJson(res, 200, { ok: true, login: body.login, teams: body.teams });
      }

      case 'POST /gitlab-groups': {
        const pathRe = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;
        const valid = typeof body.login === 'string' && body.login && Array.isArray(body.groups)
          && body.groups.every((g) => g && typeof g.full_path === 'string' && pathRe.test(g.full_path)
            && (g.access_level === undefined || ACCESS_LEVELS.includes(g.access_level)));
        if (!valid) {
          return sendJson(res, 400, {
            error: `body must be {"login": string, "groups": [{"full_path": "group/subgroup", "access_level": one of ${ACCESS_LEVELS.join(', ')} (default 30)}]}`,
          });
        }
        const memberships = body.groups.map((g) => ({ full_path: g.full_path, access_level: g.access_level ?? 30 }));
        gitlab.host.groups.set(body.login, memberships);
        log(`control: GitLab groups of ${body.login} = ${JSON.stringify(memberships)}`);
        return sendJson(res, 200, { ok: true, login: body.login, groups: memberships });
      }

      case 'POST /emails': {
        const host = codeHost(body.provider);
        if (typeof body.login !== 'string' || !body.login
          || !(body.email === null || (typeof body.email === 'string' && /^[^@\s]+@[^@\s]+$/.test(body.email)))) {
          return sendJson(res, 400, { error: 'body must be {"provider", "login": string, "email": null or "name@host"}' });
        }
        host.emails.set(body.login, body.email);
        return sendJson(res, 200, { ok: true, login: body.login, email: body.email });
      }

      case 'POST /private-email': {
        if (typeof body.login !== 'string' || !body.login || typeof body.private !== 'boolean') {
          return sendJson(res, 400, { error: 'body must be {"login": string, "private": boolean} (Gitea)' });
        }
        if (body.private) gitea.host.privateEmail.add(body.login);
        else gitea.host.privateEmail.delete(body.login);
        return sendJson(res, 200, { ok: true, login: body.login, private: body.private });
      }

      case 'POST /azure-organizations': {
        if (typeof body.login !== 'string' || !body.login
          || !(body.organizations === null || (Array.isArray(body.organizations) && body.organizations.every((o) => typeof o === 'string')))) {
          return sendJson(res, 400, { error: 'body must be {"login": string, "organizations": [string] or null (all)}' });
        }
        if (body.organizations === null) azureDevOps.state.memberships.delete(body.login);
        else azureDevOps.state.memberships.set(body.login, body.organizations.map((o) => o.toLowerCase()));
        return sendJson(res, 200, { ok: true, login: body.login, organizations: body.organizations });
      }

      case 'POST /misbehave': {
        const modes = { gitea: [null, 'garbage', 'unauthorized', 'token_garbage'], azure_devops: [null, 'garbage', 'unauthorized'] };
        if (!Object.hasOwn(modes, body.provider) || !modes[body.provider].includes(body.mode ?? null)) {
          return sendJson(res, 400, {
            error: 'body must be {"provider": "gitea", "mode": null | "garbage" | "unauthorized" | "token_garbage"} or {"provider": "azure_devops", "mode": null | "garbage" | "unauthorized"}',
          });
        }
        const target = body.provider === 'gitea' ? gitea.host : azureDevOps.state;
        target.misbehave = body.mode ?? null;
        log(`control: ${body.provider} misbehaves: ${target.misbehave}`);
        return sendJson(res, 200, { ok: true, provider: body.provider, mode: target.misbehave });
      }

      case 'POST /expires-in': {
        if (Object.hasOwn(oidcs, body.provider)) {
          const { ttl } = oidcs[body.provider];
          if (body.seconds !== undefined) ttl.AccessToken = positiveInt(body.seconds, 'seconds');
          if (body.id_token_seconds !== undefined) ttl.IdToken = positiveInt(body.id_token_seconds, 'id_token_seconds');
          if (body.refresh_seconds !== undefined) ttl.RefreshToken = positiveInt(body.refresh_seconds, 'refresh_seconds');
          return sendJson(res, 200, { ok: true, provider: body.provider, ttl: { ...ttl } });
        }
        const host = codeHost(body.provider);
        if (body.seconds !== undefined) host.expiresIn = positiveInt(body.seconds, 'seconds');
        if (body.refresh_seconds !== undefined) host.refreshExpiresIn = positiveInt(body.refresh_seconds, 'refresh_seconds');
        return sendJson(res, 200, {
          ok: true, provider: body.provider, expires_in: host.expiresIn, refresh_token_expires_in: host.refreshExpiresIn,
        });
      }

      case 'POST /device/approve':
      case 'POST /device/deny': {
        const host = deviceHost(body.provider);
        const approve = route.endsWith('approve');
        if (approve && (typeof body.login !== 'string' || !body.login)) {
          return sendJson(res, 400, { error: 'login is required to approve' });
        }
        const result = host.decideDevice(body.user_code, approve ? 'approved' : 'denied', body.login);
        if (result.error) return sendJson(res, 404, { error: result.error });
        return sendJson(res, 200, { ok: true });
      }

      case 'POST /device/settings': {
        const host = deviceHost(body.provider);
        if (body.interval !== undefined) host.deviceInterval = positiveInt(body.interval, 'interval', { allowZero: true });
        if (body.expires_in !== undefined) host.deviceExpiresIn = positiveInt(body.expires_in, 'expires_in');
        if (body.slow_down_increment !== undefined) {
          host.slowDownIncrement = positiveInt(body.slow_down_increment, 'slow_down_increment', { allowZero: true });
        }
        return sendJson(res, 200, {
          ok: true, interval: host.deviceInterval, expires_in: host.deviceExpiresIn, slow_down_increment: host.slowDownIncrement,
        });
      }

      case 'POST /repos': {
        const host = codeHost(body.provider);
        if (typeof body.login !== 'string' || !body.login) return sendJson(res, 400, { error: 'login is required' });
        host.repoCounts.set(body.login, positiveInt(body.count, 'count', { allowZero: true }));
        return sendJson(res, 200, { ok: true });
      }

      case 'GET /stats':
        return sendJson(res, 200, {
          ...Object.fromEntries(Object.entries(oidcs).map(([name, o]) => [name, { ...o.stats }])),
          github: { ...github.host.stats, git: { ...github.host.git } },
          gitlab: { ...gitlab.host.stats, git: { ...gitlab.host.git } },
          bitbucket: { ...bitbucket.host.stats, git: { ...bitbucket.host.git } },
          gitea: { ...gitea.host.stats, git: { ...gitea.host.git } },
          azure_devops: { ...azureDevOps.state.stats, git: { ...azureDevOps.state.git } },
        });

      case 'POST /revoke-all': {
        if (Object.hasOwn(oidcs, body.provider)) {
          return sendJson(res, 200, { ok: true, revoked: oidcs[body.provider].revokeAllAccessTokens() });
        }
        const host = codeHost(body.provider);
        return sendJson(res, 200, { ok: true, revoked: host.revokeAll() });
      }

      default:
        return sendJson(res, 404, { error: `no route ${route}` });
    }
  }

  return (req, res) => {
    handle(req, res).catch((err) => {
      if (!err.status) log('control:', err.stack || err);
      if (!res.headersSent) sendJson(res, err.status || 500, { error: err.message });
      else res.end();
    });
  };
}
