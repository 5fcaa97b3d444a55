// A local Azure DevOps REST host: `/{organization}/_apis/git/repositories?api-version=7.1` and
// the anonymous `/{organization}/_apis/connectionData`, taking the Entra-shaped provider's JWT
// access tokens for Azure DevOps (signature, issuer, audience 499b84ac-…, expiry, revocation), as
// dev.azure.com takes Entra ID's. A token it does not take gets its sign-in page with HTTP 203
// unless the request asks for a plain 401 (`X-TFS-FedAuthRedirect: Suppress`), as at Azure DevOps.
// Git over smart HTTP at `/{organization}/{project}/_git/{repository}` takes the same tokens.
import { sendJson, bearerToken, stableId, log } from './http.mjs';
import { AZURE_DEVOPS_RESOURCE } from './oidc.mjs';
import { gitFront } from './githttp.mjs';

/** The organizations the host knows; everyone signed in is a member of each unless the control API says otherwise. */
export const ORGANIZATIONS = ['acme', 'acme-labs'];

function uuid(name) {
  const n = stableId('ado', name).toString(16).padStart(8, '0');
  return `${n.slice(0, 8)}-0000-4000-8000-${String(stableId('ado2', name)).padStart(12, '0').slice(0, 12)}`;
}

/**
 * @param {object} o
 * @param {{verifyAccessToken: (jwt: string, audience?: string) => {payload?: object, error?: string}, issuer: string}} o.entra
 */
export function createAzureDevOps({ entra, gitDir }) {
  let baseUrl = '';
  const state = {
    // login -> organizations that account is a member of (all when not set), through the control API.
    memberships: new Map(),
    stats: { repositories: 0, unauthorized: 0 },
    // 'garbage': 200 with an HTML page for the REST API; 'unauthorized': 401 for every token.
    misbehave: null,
  };

  // Per organization, two projects: a private one with two repositories (and a disabled one)
  // and a public one.
  function repositories(org) {
    const projects = [
      { name: 'Platform', visibility: 'private', description: 'Platform services', repos: ['hello-world', 'secret-project', 'retired'] },
      { name: 'Open', visibility: 'public', description: 'Open source', repos: ['tessera-pipelines'] },
    ];
    const out = [];
    for (const p of projects) {
      const project = {
        id: uuid(`${org}/${p.name}`),
        name: p.name,
        description: p.description,
        url: `${baseUrl}/${org}/_apis/projects/${uuid(`${org}/${p.name}`)}`,
        state: 'wellFormed',
        revision: 11,
        visibility: p.visibility,
        lastUpdateTime: '2026-11-01T10:00:00.000Z',
      };
      for (const name of p.repos) {
        const id = uuid(`${org}/${p.name}/${name}`);
        out.push({
          id,
          name,
          url: `${baseUrl}/${org}/${project.id}/_apis/git/repositories/${id}`,
          project,
          defaultBranch: 'refs/heads/main',
          size: 1024,
          remoteUrl: `${baseUrl.replace('https://', `https://${org}@`)}/${org}/${p.name}/_git/${name}`,
          sshUrl: `git@ssh.dev.azure.com:v3/${org}/${p.name}/${name}`,
          webUrl: `${baseUrl}/${org}/${p.name}/_git/${name}`,
          isDisabled: name === 'retired',
          isInMaintenance: false,
        });
      }
    }
    return out;
  }

  // git clone/push at /{org}/{project}/_git/{repo} with an Entra access token for Azure DevOps
  // as the password of any user name (lib/githttp.mjs).
  const memberOf = (login, org) => {
    const orgs = state.memberships.get(login);
    return ORGANIZATIONS.includes(org.toLowerCase()) && (!orgs || orgs.includes(org.toLowerCase()));
  };
  const git = gitDir ? gitFront({
    dir: gitDir, realm: 'Azure DevOps', allows: () => true, stats: (state.git = {}),
    parse: (pathname) => {
      const m = /^\/([^/]+)\/([^/]+)\/_git\/([^/]+)(\/(?:info\/refs|git-upload-pack|git-receive-pack))$/.exec(pathname);
      return m && { owner: `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`, repo: decodeURIComponent(m[3]), rest: m[4] };
    },
    check: (user, password) => {
      if (!user) return { error: 'no user name' };
      const checked = entra.verifyAccessToken(password, AZURE_DEVOPS_RESOURCE);
      return checked.error ? { error: checked.error } : { login: checked.payload.sub, scope: '' };
    },
    reaches: (login, owner) => memberOf(login, owner.split('/')[0]),
    listed: (login, owner, repo) => {
      const [org, project] = owner.toLowerCase().split('/');
      return repositories(org).some((r) => !r.isDisabled && r.name === repo && r.project.name.toLowerCase() === project);
    },
  }) : null;

  function unauthorized(req, res) {
    state.stats.unauthorized += 1;
    const suppress = (req.headers['x-tfs-fedauthredirect'] || '').toLowerCase() === 'suppress';
    if (!suppress) {
      const page = '<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body>Sign in to your account</body></html>';
      res.writeHead(203, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
      return res.end(page);
    }
    res.writeHead(401, {
      'www-authenticate': `Bearer authorization_uri=${entra.issuer.replace(/\/v2\.0$/, '')}, Basic realm="${baseUrl}/"`,
      'x-tfs-serviceerror': 'TF400813%3a+Resource+not+available+for+anonymous+access.+Client+authentication+required.',
      'content-length': 0,
    });
    return res.end();
  }

  // A valid token of someone who is not a member of the organization: 401 naming the user.
  function notMember(res, payload) {
    state.stats.unauthorized += 1;
    return sendJson(res, 401, {
      $id: '1', innerException: null,
      message: `TF400813: The user '${payload.oid || payload.sub}' is not authorized to access this resource.`,
      typeName: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
      typeKey: 'UnauthorizedRequestException', errorCode: 0, eventId: 3000,
    }, { 'x-tfs-serviceerror': `TF400813%3a+The+user+%27${payload.oid || payload.sub}%27+is+not+authorized+to+access+this+resource.` });
  }

  async function handle(req, res) {
    const url = new URL(req.url, baseUrl);
    if (git && git(req, res, url)) return undefined;
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [org, apis, area, resource] = parts;
    if (!org || apis !== '_apis') return sendJson(res, 404, { message: 'Page not found.' });
    if (!ORGANIZATIONS.includes(org.toLowerCase())) {
      return sendJson(res, 404, {
        $id: '1', innerException: null, message: `TF400813: The organization ${org} could not be found.`,
        typeName: 'Microsoft.VisualStudio.Services.Organization.HostNotFoundException', typeKey: 'HostNotFoundException', errorCode: 0, eventId: 3000,
      });
    }
    if (req.method === 'GET' && area === 'connectionData' && !resource) {
      return sendJson(res, 200, {
        authenticatedUser: { id: '00000000-0000-0000-0000-000000000000', descriptor: 'System:PublicAccess;aaaa', providerDisplayName: 'Anonymous' },
        instanceId: uuid(org),
        locationServiceData: { serviceOwner: '00025394-6065-48ca-87d9-7f5672854ef7', accessMappings: [] },
      });
    }
    if (!(req.method === 'GET' && area === 'git' && resource === 'repositories' && parts.length === 4)) {
      return sendJson(res, 404, { message: `The resource ${url.pathname} cannot be found.` });
    }
    if (state.misbehave === 'unauthorized') return unauthorized(req, res);
    const checked = entra.verifyAccessToken(bearerToken(req), AZURE_DEVOPS_RESOURCE);
    if (checked.error) return unauthorized(req, res);
    const member = state.memberships.get(checked.payload.sub);
    if (member && !member.includes(org.toLowerCase())) return notMember(res, checked.payload);
    if (!url.searchParams.get('api-version')) {
      return sendJson(res, 400, {
        $id: '1', innerException: null,
        message: 'No api-version was supplied for the "GET" request. The version must be supplied either as part of the Accept header (e.g. "application/json; api-version=1.0") or as a query parameter (e.g. \'?api-version=1.0\').',
        typeName: 'Microsoft.VisualStudio.Services.WebApi.VssVersionNotSpecifiedException, Microsoft.VisualStudio.Services.WebApi',
        typeKey: 'VssVersionNotSpecifiedException', errorCode: 0, eventId: 3000,
      });
    }
    if (state.misbehave === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!DOCTYPE html><html><body>Service Unavailable</body></html>');
    }
    state.stats.repositories += 1;
    const value = repositories(org.toLowerCase());
    return sendJson(res, 200, { value, count: value.length });
  }

  return {
    state,
    setBaseUrl(u) { baseUrl = u; },
    handler(req, res) {
      handle(req, res).catch((err) => {
        log('azure devops:', err.stack || err);
        if (!res.headersSent) sendJson(res, err.status || 500, { message: err.message });
        else res.end();
      });
    },
  };
}
