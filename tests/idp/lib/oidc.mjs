// The OpenID provider (oidc-provider 9) over HTTPS, with the clients Tessera's tests use.
import https from 'node:https';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';
import { randomHex, log } from './http.mjs';

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

/**
 * @param {object} o
 * @param {{cert: Buffer, key: Buffer}} o.tls
 * @param {Map<string, string[]>} o.groups  login -> groups (read at every claims request)
 * @param {{AccessToken: number, IdToken: number, RefreshToken: number, DeviceCode: number}} o.ttl  seconds, mutable
 */
export async function startOidc({ tls, groups, ttl }) {
  let handler = (req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => handler(req, res));
  const port = await listen(server);
  const issuer = `https://127.0.0.1:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  const confidentialSecret = randomHex(24);
  const adapter = createAdapter();
  const stats = {};
  const grantTypes = ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'];
  const ourClients = new Set(['tessera', 'tessera-confidential']);

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
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // Put every claim of the granted scopes in the ID token too, so role mapping can read it there.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      deviceFlow: { enabled: true },
      userinfo: { enabled: true },
    },
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
          return {
            sub: id,
            preferred_username: id,
            name: id,
            email: `${id}@example.test`,
            // Logins starting with "unverified" stand for accounts whose address was never
            // confirmed, for sign-up policies that accept verified addresses only.
            email_verified: !id.startsWith('unverified'),
            groups: [...(groups.get(id) || [])],
          };
        },
      };
    },
  });

  // Count token-endpoint calls by grant type (successful or not).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method === 'POST' && ctx.path === '/token') {
      const grantType = ctx.oidc?.params?.grant_type || 'none';
      stats[grantType] = (stats[grantType] || 0) + 1;
    }
  });
  provider.on('server_error', (ctx, err) => log('oidc server_error:', err.stack || err));

  handler = provider.callback();
  return {
    server,
    port,
    issuer,
    provider,
    stats,
    confidentialSecret,
    revokeAllAccessTokens: () => adapter.dropAll('AccessToken'),
  };
}
