// The OpenID providers (oidc-provider 9) over HTTPS, with the clients Tessera's tests use. One code,
// three shapes (`flavor`):
//   full      every claim of the granted scopes in the ID token too (conformIdTokenClaims: false);
//   thin      OpenID Connect Core's default, as Okta or Auth0: the ID token carries `sub` and
//             protocol claims only, the profile, email and groups claims come from userinfo;
//   keycloak  the ID token carries the profile and email claims and `azp` but no roles; the access
//             token is a JWT (RS256, the provider's JWKS key) with Keycloak's `realm_access` and
//             `resource_access` roles.
//   entra     Microsoft Entra ID's v2 endpoints for one tenant (issuer `/{tenant}/v2.0`): the ID
//             token carries the profile, `oid`, `tid` and app `roles`; the access token is a JWT
//             for the resource the `{app id}/.default` scope names (Azure DevOps), which its
//             userinfo does not take; no revocation endpoint, as at Entra.
import https from 'node:https';
import { generateKeyPairSync, randomUUID, createPublicKey, verify as verifySignature } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { createHash } from 'node:crypto';
import { randomHex, log } from './http.mjs';

/** A stable UUID for a name, as Entra's object ids look. */
function stableUuid(name) {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An in-memory adapter that, unlike the built-in LRU one, never evicts and can drop all tokens of a kind. */
function createAdapter() {
  const entries = new Map(); // `${model}:${id}` -> {payload, expiresAt}
  const grants = new Map(); // grantId -> Set of keys
  const uids = new Map(); // session uid -> id
  const userCodes = new Map(); // user code -> id

  const live = (key) => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };

  class Adapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
      entries.set(key, { payload, expiresAt });
      if (payload.grantId) {
        if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
        grants.get(payload.grantId).add(key);
      }
      if (this.model === 'Session' && payload.uid) uids.set(payload.uid, id);
      if (payload.userCode) userCodes.set(payload.userCode, id);
    }

    async find(id) {
      return live(this.key(id));
    }

    async findByUid(uid) {
      const id = uids.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode) {
      const id = userCodes.get(userCode);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id) {
      const payload = live(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id) {
      entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      for (const key of grants.get(grantId) || []) entries.delete(key);
      grants.delete(grantId);
    }
  }

  return {
    Adapter,
    /** Deletes every stored artifact of one model (e.g. 'AccessToken'); returns how many were live. */
    dropAll(model) {
      let n = 0;
      for (const key of [...entries.keys()]) {
        if (key.startsWith(`${model}:`)) {
          if (live(key)) n += 1;
          entries.delete(key);
        }
      }
      return n;
    },
  };
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

export const FLAVORS = ['full', 'thin', 'keycloak', 'entra'];

/** Azure DevOps' application id in Entra ID: its tokens have this audience. */
export const AZURE_DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';
const AZURE_DEVOPS_SCOPE = `${AZURE_DEVOPS_RESOURCE}/.default`;
// oidc-provider names resources by absolute URI; Azure DevOps' tokens carry its application id
// as their audience all the same.
const AZURE_DEVOPS_INDICATOR = 'https://app.vssps.visualstudio.com';
/** The tenant of the Entra-shaped provider. */
export const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

// The one resource server of the Keycloak-shaped provider: every access token is a JWT for it.
const KEYCLOAK_RESOURCE = 'urn:tessera:keycloak:account';
const KEYCLOAK_AUDIENCE = 'account';
const KEYCLOAK_CLIENT_ROLES_OF = 'tessera';

/**
 * @param {object} o
 * @param {{cert: Buffer, key: Buffer}} o.tls
 * @param {Map<string, string[]>} o.groups  login -> groups (read at every claims request)
 * @param {{AccessToken: number, IdToken: number, RefreshToken: number, DeviceCode: number}} o.ttl  seconds, mutable
 * @param {'full' | 'thin' | 'keycloak'} [o.flavor]
 */
export async function startOidc({ tls, groups, ttl, flavor = 'full' }) {
  if (!FLAVORS.includes(flavor)) throw new Error(`unknown OIDC flavor ${flavor}`);
  let handler = (req, res) => {
    res.statusCode = 503;
    res.end();
  };
  // Entra's issuer has a path; oidc-provider is mounted under it, the way an Express app mounts
  // it (the prefix taken off `url`, the whole path kept in `originalUrl`).
  const prefix = flavor === 'entra' ? `/${ENTRA_TENANT}/v2.0` : '';
  const mounted = (req, res) => {
    if (prefix && (req.url === prefix || req.url.startsWith(`${prefix}/`) || req.url.startsWith(`${prefix}?`))) {
      req.originalUrl = req.url;
      req.url = req.url.slice(prefix.length) || '/';
      if (req.url.startsWith('?')) req.url = `/${req.url}`;
    }
    return handler(req, res);
  };
  const server = https.createServer({ cert: tls.cert, key: tls.key }, mounted);
  const port = await listen(server);
  const issuer = `https://127.0.0.1:${port}${prefix}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  const confidentialSecret = randomHex(24);
  const adapter = createAdapter();
  const stats = {};
  const grantTypes = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];
  const ourClients = new Set(['tessera', 'tessera-confidential']);

  const accountClaims = (id) => (flavor === 'entra' ? {
    sub: id,
    // Entra's preferred_username is the user principal name; it says nothing of verification.
    preferred_username: `${id}@example.test`,
    name: id,
    email: `${id}@example.test`,
    oid: stableUuid(`oid:${id}`),
    tid: ENTRA_TENANT,
    ver: '2.0',
    roles: [...(groups.get(id) || [])],
  } : {
    sub: id,
    preferred_username: id,
    name: id,
    email: `${id}@example.test`,
    // Logins starting with "unverified" stand for accounts whose address was never
    // confirmed, for sign-up policies that accept verified addresses only.
    email_verified: !id.startsWith('unverified'),
    groups: [...(groups.get(id) || [])],
  });

  // Which claims each scope releases. The Keycloak-shaped provider adds `azp` to the ID token
  // (Keycloak always sets it) and releases no groups claim: its roles are in the access token.
  const claims = {
    openid: { keycloak: ['sub', 'azp'], entra: ['sub', 'oid', 'tid', 'ver', 'roles'] }[flavor] || ['sub'],
    profile: ['preferred_username', 'name'],
    email: flavor === 'entra' ? ['email'] : ['email', 'email_verified'],
    groups: ['keycloak', 'entra'].includes(flavor) ? [] : ['groups'],
  };
  if (flavor === 'entra') delete claims.groups;

  const features = {
    devInteractions: { enabled: true },
    revocation: { enabled: flavor !== 'entra' },
    introspection: { enabled: flavor !== 'entra' },
    deviceFlow: { enabled: true },
    userinfo: { enabled: true },
  };
  const flavorConfig = {};
  if (flavor === 'entra') {
    // The `.default` scope of Azure DevOps makes the access token a JWT for it (audience its
    // application id); the OpenID scopes still shape the ID token.
    features.resourceIndicators = {
      enabled: true,
      defaultResource: async () => AZURE_DEVOPS_INDICATOR,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        if (resourceIndicator !== AZURE_DEVOPS_INDICATOR) throw new errors.InvalidTarget();
        return {
          scope: AZURE_DEVOPS_SCOPE,
          audience: AZURE_DEVOPS_RESOURCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    };
    flavorConfig.extraTokenClaims = async (ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const c = accountClaims(token.accountId);
      return {
        scp: 'user_impersonation', oid: c.oid, tid: c.tid, name: c.name, upn: c.preferred_username, appid: token.clientId,
      };
    };
    flavorConfig.routes = {
      authorization: '/oauth2/v2.0/authorize',
      token: '/oauth2/v2.0/token',
      jwks: '/discovery/v2.0/keys',
      device_authorization: '/oauth2/v2.0/devicecode',
      userinfo: '/oidc/userinfo',
      end_session: '/oauth2/v2.0/logout',
    };
  }
  if (flavor === 'keycloak') {
    // Every access token is for one resource server whose format is JWT; refreshes keep it.
    features.resourceIndicators = {
      enabled: true,
      defaultResource: async () => KEYCLOAK_RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        if (resourceIndicator !== KEYCLOAK_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: 'openid profile email groups',
          audience: KEYCLOAK_AUDIENCE,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    };
    // Keycloak's claims in the access token. Roles are read at each token issue.
    flavorConfig.extraTokenClaims = async (ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const c = accountClaims(token.accountId);
      return {
        typ: 'Bearer',
        azp: token.clientId,
        preferred_username: c.preferred_username,
        name: c.name,
        email: c.email,
        email_verified: c.email_verified,
        realm_access: { roles: c.groups },
        resource_access: { [KEYCLOAK_CLIENT_ROLES_OF]: { roles: c.groups } },
      };
    };
  }

  const provider = new Provider(issuer, {
    adapter: adapter.Adapter,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomHex(32), randomHex(32)] },
    clients: [
      {
        client_id: 'tessera',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: grantTypes,
        response_types: ['code'],
      },
      {
        client_id: 'tessera-confidential',
        client_secret: confidentialSecret,
        application_type: 'native',
        // client_secret_post is accepted too: oidc-provider treats the two as interchangeable.
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: grantTypes,
        response_types: ['code'],
      },
    ],
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: flavor === 'entra'
      ? ['openid', 'offline_access', 'profile', 'email', AZURE_DEVOPS_SCOPE]
      : ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims,
    // full: every claim of the granted scopes in the ID token too, so role mapping can read it
    // there. thin: OpenID Connect Core's default (the ID token holds sub only; the rest comes
    // from userinfo). keycloak: its access tokens have an audience, so oidc-provider puts the
    // scopes' claims in the ID token either way.
    conformIdTokenClaims: flavor !== 'full',
    features,
    ...flavorConfig,
    // A refresh token for every code (and device) grant of these clients, whether or not
    // offline_access survived the prompt rules; tokens rotate on every use and outlive the session.
    issueRefreshToken: async (ctx, client) => ourClients.has(client.clientId) && client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => true,
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: () => ttl.AccessToken,
      IdToken: () => ttl.IdToken,
      RefreshToken: () => ttl.RefreshToken,
      DeviceCode: () => ttl.DeviceCode,
      AuthorizationCode: () => 60,
      Interaction: () => 600,
      Session: () => 86400,
      Grant: () => 86400,
    },
    clientBasedCORS: () => false,
    async findAccount(ctx, id) {
      if (typeof id !== 'string' || !id) return undefined;
      return {
        accountId: id,
        async claims() {
          const c = accountClaims(id);
          if (flavor === 'keycloak') c.azp = ctx.oidc?.client?.clientId;
          return c;
        },
      };
    },
  });

  // The Keycloak-shaped provider's JWT access tokens are not stored (oidc-provider keeps no copy
  // of structured tokens), so its userinfo endpoint would refuse them. Keycloak's userinfo
  // accepts its access tokens: do the same here, checking the signature, issuer, expiry and
  // whether /revoke-all dropped the token. The answer holds the claims of the token's scopes,
  // without roles (as Keycloak's default mappers).
  const issuedJwts = new Map(); // jti -> exp (seconds), live JWT access tokens
  const revokedJwts = new Set();
  if (flavor === 'keycloak' || flavor === 'entra') {
    provider.on('access_token.issued', (token) => {
      if (issuedJwts.size >= 1000) {
        const now = Date.now() / 1000;
        for (const [jti, exp] of issuedJwts) if (exp <= now) issuedJwts.delete(jti);
      }
      issuedJwts.set(token.jti, (token.iat || Date.now() / 1000) + token.expiration);
    });
  }
  const publicKey = createPublicKey(privateKey);
  /**
   * Checks a JWT access token of this provider: signature, issuer, audience (when given), expiry,
   * and whether /revoke-all dropped it. Returns {payload} or {error: description}.
   */
  const verifyAccessToken = (jwt, audience) => {
    const [h, p, sig] = String(jwt || '').split('.');
    let header;
    let payload;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return { error: 'Token verification failed' };
    }
    if (header.alg !== 'RS256' || header.kid !== signingKey.kid || !sig
      || !verifySignature('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, 'base64url'))
      || payload.iss !== issuer || typeof payload.sub !== 'string') {
      return { error: 'Token verification failed' };
    }
    if (audience !== undefined && payload.aud !== audience
      && !(Array.isArray(payload.aud) && payload.aud.includes(audience))) {
      return { error: 'Token verification failed: wrong audience' };
    }
    if (!(payload.exp > Date.now() / 1000)) return { error: 'Token verification failed: token is expired' };
    if (revokedJwts.has(payload.jti)) return { error: 'Token verification failed: token was revoked' };
    return { payload };
  };
  if (flavor === 'keycloak') {
    const jwtUserinfo = (ctx, jwt) => {
      const fail = (description) => {
        ctx.status = 401;
        ctx.set('www-authenticate', `Bearer realm="${issuer}", error="invalid_token", error_description="${description}"`);
        ctx.body = { error: 'invalid_token', error_description: description };
      };
      const checked = verifyAccessToken(jwt);
      if (checked.error) return fail(checked.error);
      const { payload } = checked;
      const c = accountClaims(payload.sub);
      const scopes = new Set(String(payload.scope || '').split(' '));
      const out = { sub: c.sub };
      if (scopes.has('profile')) Object.assign(out, { preferred_username: c.preferred_username, name: c.name });
      if (scopes.has('email')) Object.assign(out, { email: c.email, email_verified: c.email_verified });
      ctx.status = 200;
      ctx.set('cache-control', 'no-store');
      ctx.body = out;
      return undefined;
    };
    provider.use(async (ctx, next) => {
      const m = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(ctx.get('authorization'));
      if (ctx.path === '/me' && ['GET', 'POST'].includes(ctx.method) && m) return jwtUserinfo(ctx, m[1]);
      return next();
    });
  }

  // Count token-endpoint calls by grant type (successful or not).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method === 'POST' && (ctx.path === '/token' || ctx.path === '/oauth2/v2.0/token')) {
      const grantType = ctx.oidc?.params?.grant_type || 'none';
      stats[grantType] = (stats[grantType] || 0) + 1;
    }
  });
  provider.on('server_error', (ctx, err) => log(`oidc (${flavor}) server_error:`, err.stack || err));

  handler = provider.callback();
  return {
    server,
    port,
    issuer,
    flavor,
    provider,
    stats,
    ttl,
    confidentialSecret,
    verifyAccessToken,
    revokeAllAccessTokens() {
      let n = adapter.dropAll('AccessToken');
      const now = Date.now() / 1000;
      for (const [jti, exp] of issuedJwts) {
        if (exp > now) n += 1;
        revokedJwts.add(jti);
      }
      issuedJwts.clear();
      return n;
    },
  };
}
