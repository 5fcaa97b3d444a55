// Self-test of the local identity providers: starts start.mjs and drives every flow the Rust
// sign-in tests rely on, with plain HTTP requests and a cookie jar. Run with `npm test`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  startIdp, request, CookieJar, pkce, randomState, driveOidcLogin, decodeJwt, basicAuth, codeHostAuthorize,
} from './lib/client.mjs';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'http://127.0.0.1:47123/callback';

let idp;
let info;
let ca;
let disc; // the "oidc" provider's discovery document
let discs; // every OpenID provider's, by ready-line name
const OIDC_PROVIDERS = ['oidc', 'oidc_thin', 'oidc_keycloak'];

const control = (path, body) => request(`${info.control}${path}`, body === undefined ? {} : { method: 'POST', body, json: true });
const stats = async () => (await control('/stats')).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function loadDiscovery() {
  discs = {};
  for (const name of OIDC_PROVIDERS) {
    discs[name] = (await request(`${info[name].issuer}/.well-known/openid-configuration`, { ca })).json();
  }
  disc = discs.oidc;
}

before(async () => {
  const t0 = Date.now();
  idp = await startIdp();
  ({ info, ca } = idp);
  process.stderr.write(`# providers ready in ${Date.now() - t0} ms\n`);
  await loadDiscovery();
});

after(async () => {
  if (idp) {
    const { code, signal } = await idp.stop();
    assert.equal(code, 0, `start.mjs exit code (signal ${signal})`);
    assert.deepEqual(idp.extraStdout, [], 'stdout holds exactly one line');
  }
});

test('ready line: shape, files and addresses', () => {
  assert.deepEqual(Object.keys(info).sort(), ['azure_devops', 'bitbucket', 'ca_file', 'control', 'gitea', 'github', 'gitlab', 'oidc', 'oidc_keycloak', 'oidc_thin']);
  assert.ok(existsSync(info.ca_file));
  assert.ok(existsSync(info.ca_file.replace(/ca\.pem$/, 'server.pem')));
  assert.ok(existsSync(info.ca_file.replace(/ca\.pem$/, 'server-key.pem')));
  for (const name of OIDC_PROVIDERS) {
    assert.deepEqual(Object.keys(info[name]).sort(), ['client_id', 'confidential_client_id', 'confidential_client_secret', 'issuer']);
    assert.match(info[name].issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info[name].client_id, 'tessera');
    assert.equal(info[name].confidential_client_id, 'tessera-confidential');
    assert.ok(info[name].confidential_client_secret.length >= 32);
    assert.equal(discs[name].issuer, info[name].issuer);
    assert.deepEqual(discs[name].code_challenge_methods_supported, ['S256']);
  }
  assert.equal(new Set(OIDC_PROVIDERS.map((n) => info[n].issuer)).size, 3, 'one issuer each');
  assert.equal(new Set(OIDC_PROVIDERS.map((n) => info[n].confidential_client_secret)).size, 3, 'one secret each');
  for (const host of ['github', 'gitlab']) {
    assert.match(info[host].base_url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(info[host].client_id && info[host].client_secret);
  }
  assert.match(info.control, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(disc.issuer, info.oidc.issuer);
  assert.deepEqual(disc.code_challenge_methods_supported, ['S256']);
});

// ---------------------------------------------------------------- OpenID Connect

function authorizeUrl({
  clientId = 'tessera', challenge, state, nonce, scope = 'openid profile email groups offline_access', extra = {}, provider = 'oidc',
}) {
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${discs[provider].authorization_endpoint}?${q}`;
}

/** Checks a JWT's RS256 signature against the provider's JWKS; returns the decoded JWT. */
async function verifyJwtSignature(token, { provider = 'oidc', what = 'ID token' } = {}) {
  const jwt = decodeJwt(token);
  const jwks = (await request(discs[provider].jwks_uri, { ca })).json();
  const jwk = jwks.keys.find((k) => k.kid === jwt.header.kid);
  assert.ok(jwk, `${what}: signing key in JWKS`);
  assert.equal(jwt.header.alg, 'RS256');
  const ok = verifySignature('sha256', Buffer.from(jwt.signingInput), createPublicKey({ key: jwk, format: 'jwk' }), jwt.signature);
  assert.ok(ok, `${what} signature verifies with the JWKS key`);
  return jwt;
}

async function verifyIdToken(idToken, { nonce, aud = 'tessera', provider = 'oidc' }) {
  const jwt = await verifyJwtSignature(idToken, { provider });
  assert.equal(jwt.payload.iss, info[provider].issuer);
  assert.equal(jwt.payload.aud, aud);
  assert.equal(jwt.payload.nonce, nonce);
  assert.ok(jwt.payload.exp > Date.now() / 1000);
  return jwt.payload;
}

async function oidcLogin(login, { clientId = 'tessera', tokenAuth, provider = 'oidc' } = {}) {
  const { verifier, challenge } = pkce();
  const state = randomState();
  const nonce = randomState();
  const t0 = Date.now();
  const r = await driveOidcLogin({
    authorizeUrl: authorizeUrl({
      clientId, challenge, state, nonce, provider,
    }),
    redirectUri: REDIRECT,
    login,
    ca,
    jar: new CookieJar(),
  });
  assert.equal(r.error, null);
  assert.equal(r.state, state);
  assert.equal(r.iss, info[provider].issuer);
  assert.ok(r.code);
  const body = {
    grant_type: 'authorization_code', code: r.code, redirect_uri: REDIRECT, code_verifier: verifier,
  };
  const headers = {};
  if (tokenAuth === 'basic') {
    headers.authorization = basicAuth(clientId, info[provider].confidential_client_secret);
  } else if (tokenAuth === 'post') {
    Object.assign(body, { client_id: clientId, client_secret: info[provider].confidential_client_secret });
  } else {
    body.client_id = clientId;
  }
  const res = await request(discs[provider].token_endpoint, { method: 'POST', body, headers, ca });
  assert.equal(res.status, 200, res.text);
  const tokens = res.json();
  return { tokens, nonce, code: r.code, verifier, steps: r.steps, ms: Date.now() - t0 };
}

test('oidc: authorization code + PKCE login through devInteractions, ID token with groups and nonce', async () => {
  await control('/groups', { login: 'alice', groups: ['tessera-admins', 'dev'] });
  const { tokens, nonce, code, verifier, steps, ms } = await oidcLogin('alice');
  process.stderr.write(`# oidc login (authorize to tokens) took ${ms} ms: ${steps.join(' | ')}\n`);
  assert.equal(tokens.token_type, 'Bearer');
  assert.equal(tokens.expires_in, 120);
  assert.ok(tokens.refresh_token, 'refresh token issued');
  const claims = await verifyIdToken(tokens.id_token, { nonce });
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.preferred_username, 'alice');
  assert.equal(claims.email, 'alice@example.test');
  assert.deepEqual(claims.groups, ['tessera-admins', 'dev']);
  assert.ok(claims.exp - claims.iat === 120);

  const me = await request(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` }, ca });
  assert.equal(me.status, 200);
  assert.equal(me.json().sub, 'alice');

  // The code is single-use.
  const replay = await request(disc.token_endpoint, {
    method: 'POST', ca,
    body: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'tessera' },
  });
  assert.equal(replay.status, 400);
  assert.equal(replay.json().error, 'invalid_grant');
});

test('oidc: groups change at the next sign-in (role mapping both ways)', async () => {
  await control('/groups', { login: 'carol', groups: ['tessera-admins'] });
  let { tokens, nonce } = await oidcLogin('carol');
  assert.deepEqual((await verifyIdToken(tokens.id_token, { nonce })).groups, ['tessera-admins']);
  await control('/groups', { login: 'carol', groups: [] });
  ({ tokens, nonce } = await oidcLogin('carol'));
  assert.deepEqual((await verifyIdToken(tokens.id_token, { nonce })).groups, []);
  // An account nobody configured has no groups.
  ({ tokens, nonce } = await oidcLogin('dave'));
  assert.deepEqual((await verifyIdToken(tokens.id_token, { nonce })).groups, []);
});

test('oidc: refresh rotates, revocation and introspection work, reuse of a rotated token is refused', async () => {
  const { tokens } = await oidcLogin('alice');
  const refresh = (rt) => request(disc.token_endpoint, {
    method: 'POST', ca, body: { grant_type: 'refresh_token', refresh_token: rt, client_id: 'tessera' },
  });
  const before1 = (await stats()).oidc.refresh_token || 0;
  const r1 = await refresh(tokens.refresh_token);
  assert.equal(r1.status, 200, r1.text);
  const t1 = r1.json();
  assert.ok(t1.refresh_token && t1.refresh_token !== tokens.refresh_token, 'refresh token rotated');
  assert.ok(t1.access_token && t1.access_token !== tokens.access_token);
  assert.ok(t1.id_token, 'refresh answers a new ID token');
  assert.equal((await stats()).oidc.refresh_token, before1 + 1);

  const introspect = (token) => request(disc.introspection_endpoint, {
    method: 'POST', ca, body: { token },
    headers: { authorization: basicAuth('tessera-confidential', info.oidc.confidential_client_secret) },
  });
  assert.equal((await introspect(t1.access_token)).json().active, true);

  // RFC 7009 revocation by the public client.
  const rev = await request(disc.revocation_endpoint, { method: 'POST', ca, body: { token: t1.access_token, client_id: 'tessera' } });
  assert.equal(rev.status, 200);
  assert.equal((await introspect(t1.access_token)).json().active, false);
  const me = await request(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${t1.access_token}` }, ca });
  assert.equal(me.status, 401);

  // The rotated-out refresh token is dead (and its reuse revokes the grant).
  const old = await refresh(tokens.refresh_token);
  assert.equal(old.status, 400);
  assert.equal(old.json().error, 'invalid_grant');
});

test('oidc: confidential client with client_secret_basic and client_secret_post', async () => {
  for (const tokenAuth of ['basic', 'post']) {
    const { tokens, nonce } = await oidcLogin('erin', { clientId: 'tessera-confidential', tokenAuth });
    const claims = await verifyIdToken(tokens.id_token, { nonce, aud: 'tessera-confidential' });
    assert.equal(claims.sub, 'erin');
  }
  const bad = await request(disc.token_endpoint, {
    method: 'POST', ca,
    body: { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'tessera-confidential', client_secret: 'wrong' },
  });
  assert.equal(bad.status, 401);
  assert.equal(bad.json().error, 'invalid_client');
});

test('oidc: PKCE is required and plain is refused; abort gives access_denied', async () => {
  const state = randomState();
  const noPkce = await request(`${disc.authorization_endpoint}?${new URLSearchParams({
    client_id: 'tessera', response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state,
  })}`, { ca });
  assert.equal(noPkce.status, 303);
  assert.equal(new URL(noPkce.location).searchParams.get('error'), 'invalid_request');
  const plain = await request(authorizeUrl({ challenge: 'a'.repeat(43), state, nonce: 'n', extra: { code_challenge_method: 'plain' } }), { ca });
  assert.equal(plain.status, 303);
  assert.equal(new URL(plain.location).searchParams.get('error'), 'invalid_request');

  // The person cancels: GET /interaction/<uid>/abort.
  const jar = new CookieJar();
  const { challenge } = pkce();
  const start = await request(authorizeUrl({ challenge, state, nonce: 'n' }), { ca, jar });
  assert.equal(start.status, 303);
  const abort = await request(`${start.location}/abort`, { ca, jar });
  const back = await request(abort.location, { ca, jar });
  const cb = new URL(back.location);
  assert.equal(`${cb.origin}${cb.pathname}`, REDIRECT);
  assert.equal(cb.searchParams.get('error'), 'access_denied');
  assert.equal(cb.searchParams.get('state'), state);
});

/** A device-flow sign-in through the provider's /device pages; resolves the token response. */
async function oidcDeviceLogin(provider, login) {
  const dd = discs[provider];
  const d = (await request(dd.device_authorization_endpoint, {
    method: 'POST', ca, body: { client_id: 'tessera', scope: 'openid profile groups offline_access' },
  })).json();
  assert.ok(d.device_code && d.user_code && d.verification_uri_complete);
  const poll = () => request(dd.token_endpoint, {
    method: 'POST', ca, body: { grant_type: DEVICE_GRANT, device_code: d.device_code, client_id: 'tessera' },
  });
  assert.equal((await poll()).json().error, 'authorization_pending');

  const jar = new CookieJar();
  const page = await request(d.verification_uri, { ca, jar });
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)[1];
  const confirm = await request(d.verification_uri, { method: 'POST', ca, jar, body: { xsrf, user_code: d.user_code } });
  assert.match(confirm.text, /name="confirm" value="yes"/);
  const go = await request(d.verification_uri, { method: 'POST', ca, jar, body: { xsrf, user_code: d.user_code, confirm: 'yes' } });
  assert.equal(go.status, 303);
  // Same interaction pages as the browser flow; it ends on /device/<uid> with a success page.
  let url = go.location;
  let last;
  for (let hop = 0; hop < 10; hop += 1) {
    last = await request(url, { ca, jar });
    if (last.status === 200 && /\/interaction\//.test(url)) {
      const prompt = /name="prompt" value="([a-z]+)"/.exec(last.text)[1];
      last = await request(url, {
        method: 'POST', ca, jar, body: prompt === 'login' ? { prompt, login, password: 'any' } : { prompt },
      });
    }
    if (last.status !== 303) break;
    url = last.location;
  }
  assert.equal(last.status, 200);
  assert.match(last.text, /Sign-in Success/);

  const res = await poll();
  assert.equal(res.status, 200, res.text);
  return res.json();
}

test('oidc: device flow through the /device pages', async () => {
  const tokens = await oidcDeviceLogin('oidc', 'frank');
  assert.equal(decodeJwt(tokens.id_token).payload.sub, 'frank');
});

test('control: revoke-all for oidc kills current access tokens', async () => {
  const { tokens } = await oidcLogin('gina');
  const rev = (await control('/revoke-all', { provider: 'oidc' })).json();
  assert.ok(rev.revoked >= 1);
  const me = await request(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` }, ca });
  assert.equal(me.status, 401);
});

// ---------------------------------------------------------------- thin and Keycloak-shaped providers

// Claims an ID token may hold that say nothing about the person.
const PROTOCOL_CLAIMS = new Set(['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'auth_time', 'at_hash', 'c_hash', 'sid', 'acr', 'amr', 'azp']);
const userinfo = (provider, accessToken) => request(discs[provider].userinfo_endpoint, {
  headers: { authorization: `Bearer ${accessToken}` }, ca,
});
const oidcRefresh = (provider, refreshToken) => request(discs[provider].token_endpoint, {
  method: 'POST', ca, body: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'tessera' },
});

test('oidc_thin: the ID token holds sub and protocol claims only; userinfo has profile, email and groups', async () => {
  await control('/groups', { login: 'tina', groups: ['tessera-admins'] });
  const { tokens, nonce } = await oidcLogin('tina', { provider: 'oidc_thin' });
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.refresh_token, 'refresh token issued');
  assert.equal(tokens.scope, 'openid profile email groups');
  const check = async (idToken, n) => {
    const claims = await verifyIdToken(idToken, { nonce: n, provider: 'oidc_thin' });
    assert.equal(claims.sub, 'tina');
    for (const k of Object.keys(claims)) assert.ok(PROTOCOL_CLAIMS.has(k), `unexpected ID token claim ${k}`);
  };
  await check(tokens.id_token, nonce);
  assert.ok(discs.oidc_thin.claims_supported.includes('groups'));

  const me = await userinfo('oidc_thin', tokens.access_token);
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(me.json(), {
    sub: 'tina', preferred_username: 'tina', name: 'tina', email: 'tina@example.test', email_verified: true, groups: ['tessera-admins'],
  });

  // Refresh rotates, and the new ID token is just as thin.
  const r = await oidcRefresh('oidc_thin', tokens.refresh_token);
  assert.equal(r.status, 200, r.text);
  const t1 = r.json();
  assert.ok(t1.refresh_token !== tokens.refresh_token);
  await check(t1.id_token, nonce);
  assert.equal((await userinfo('oidc_thin', t1.access_token)).json().email, 'tina@example.test');

  // The confidential client, with its own secret.
  const conf = await oidcLogin('tina', { provider: 'oidc_thin', clientId: 'tessera-confidential', tokenAuth: 'basic' });
  await verifyIdToken(conf.tokens.id_token, { nonce: conf.nonce, aud: 'tessera-confidential', provider: 'oidc_thin' });
});

test('oidc_keycloak: ID token without roles; JWT access token with Keycloak role claims, signed with the JWKS key', async () => {
  await control('/groups', { login: 'kate', groups: ['tessera-admins', 'dev'] });
  const { tokens, nonce } = await oidcLogin('kate', { provider: 'oidc_keycloak' });
  assert.equal(tokens.expires_in, 120);
  assert.ok(tokens.refresh_token, 'refresh token issued');
  assert.equal(tokens.scope, 'openid profile email groups');

  const id = await verifyIdToken(tokens.id_token, { nonce, provider: 'oidc_keycloak' });
  assert.equal(id.sub, 'kate');
  assert.equal(id.preferred_username, 'kate');
  assert.equal(id.name, 'kate');
  assert.equal(id.email, 'kate@example.test');
  assert.equal(id.email_verified, true);
  assert.equal(id.azp, 'tessera');
  for (const k of ['groups', 'roles', 'realm_access', 'resource_access']) assert.ok(!(k in id), `ID token holds ${k}`);

  const at = await verifyJwtSignature(tokens.access_token, { provider: 'oidc_keycloak', what: 'access token' });
  assert.equal(at.header.typ, 'at+jwt');
  const c = at.payload;
  assert.deepEqual(c.realm_access, { roles: ['tessera-admins', 'dev'] });
  assert.deepEqual(c.resource_access, { tessera: { roles: ['tessera-admins', 'dev'] } });
  assert.equal(c.preferred_username, 'kate');
  assert.equal(c.azp, 'tessera');
  assert.equal(c.scope, 'openid profile email groups');
  assert.equal(c.iss, info.oidc_keycloak.issuer);
  assert.equal(c.sub, 'kate');
  assert.equal(c.aud, 'account');
  assert.equal(c.exp - c.iat, 120);
  assert.ok(c.exp > Date.now() / 1000);

  // Keycloak's userinfo takes its access token; the answer has no roles.
  const me = await userinfo('oidc_keycloak', tokens.access_token);
  assert.equal(me.status, 200, me.text);
  assert.deepEqual(me.json(), {
    sub: 'kate', preferred_username: 'kate', name: 'kate', email: 'kate@example.test', email_verified: true,
  });
  const [h, , sig] = tokens.access_token.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...c, sub: 'mallory' })).toString('base64url')}.${sig}`;
  assert.equal((await userinfo('oidc_keycloak', forged)).status, 401, 'a changed payload fails the signature check');

  // The confidential client's tokens name it in azp; lifetimes are per provider.
  await control('/expires-in', { provider: 'oidc_keycloak', seconds: 60 });
  const conf = await oidcLogin('kate', { provider: 'oidc_keycloak', clientId: 'tessera-confidential', tokenAuth: 'post' });
  await control('/expires-in', { provider: 'oidc_keycloak', seconds: 120 });
  const confAt = decodeJwt(conf.tokens.access_token).payload;
  assert.equal(confAt.azp, 'tessera-confidential');
  assert.equal(confAt.exp - confAt.iat, 60);
  assert.equal(decodeJwt(conf.tokens.id_token).payload.azp, 'tessera-confidential');

  // revoke-all: userinfo refuses the access tokens issued so far; the refresh token still works.
  const rev = (await control('/revoke-all', { provider: 'oidc_keycloak' })).json();
  assert.ok(rev.revoked >= 2, JSON.stringify(rev));
  assert.equal((await userinfo('oidc_keycloak', tokens.access_token)).status, 401);
  const r = await oidcRefresh('oidc_keycloak', tokens.refresh_token);
  assert.equal(r.status, 200, r.text);
  const t1 = r.json();
  assert.ok(t1.refresh_token && t1.refresh_token !== tokens.refresh_token, 'refresh token rotated');
  assert.equal((await verifyJwtSignature(t1.access_token, { provider: 'oidc_keycloak', what: 'access token' })).payload.sub, 'kate');
  assert.equal((await userinfo('oidc_keycloak', t1.access_token)).status, 200);
});

test('demotion: a /groups change shows in the next token of every OpenID provider (refresh)', async () => {
  await control('/groups', { login: 'dora', groups: ['tessera-admins'] });
  const roles = async (provider, tokens) => {
    if (provider === 'oidc') return decodeJwt(tokens.id_token).payload.groups;
    if (provider === 'oidc_thin') return (await userinfo(provider, tokens.access_token)).json().groups;
    return decodeJwt(tokens.access_token).payload.realm_access.roles;
  };
  const sessions = {};
  for (const p of OIDC_PROVIDERS) {
    sessions[p] = (await oidcLogin('dora', { provider: p })).tokens;
    assert.deepEqual(await roles(p, sessions[p]), ['tessera-admins'], p);
  }
  await control('/groups', { login: 'dora', groups: ['viewers'] });
  const before1 = await stats();
  for (const p of OIDC_PROVIDERS) {
    const r = await oidcRefresh(p, sessions[p].refresh_token);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(await roles(p, r.json()), ['viewers'], p);
  }
  const after1 = await stats();
  for (const p of OIDC_PROVIDERS) assert.equal(after1[p].refresh_token, (before1[p].refresh_token || 0) + 1, p);
});

test('oidc_thin and oidc_keycloak: device flow through the /device pages', async () => {
  const thin = await oidcDeviceLogin('oidc_thin', 'frank');
  const thinId = decodeJwt(thin.id_token).payload;
  assert.equal(thinId.sub, 'frank');
  assert.ok(!('preferred_username' in thinId));
  const kc = await oidcDeviceLogin('oidc_keycloak', 'frank');
  assert.equal(decodeJwt(kc.access_token).payload.preferred_username, 'frank');
  assert.deepEqual(decodeJwt(kc.access_token).payload.realm_access, { roles: [] });
});

// ---------------------------------------------------------------- code hosts

// The code hosts serve HTTPS with the test CA's server certificate.
const hostRequest = (url, options = {}) => request(url, { ca, ...options });

const HOSTS = {
  github: {
    authorize: '/login/oauth/authorize',
    token: '/login/oauth/access_token',
    device: '/login/device/code',
    user: '/api/v3/user',
    repos: '/api/v3/user/repos',
    loginField: 'login',
    replayStatus: 200,
    replayError: 'bad_verification_code',
    pendingStatus: 200,
  },
  gitlab: {
    authorize: '/oauth/authorize',
    token: '/oauth/token',
    device: '/oauth/authorize_device',
    user: '/api/v4/user',
    repos: '/api/v4/projects?membership=true',
    loginField: 'username',
    replayStatus: 400,
    replayError: 'invalid_grant',
    pendingStatus: 400,
  },
  bitbucket: {
    authorize: '/site/oauth2/authorize',
    token: '/site/oauth2/access_token',
    user: '/2.0/user',
    repos: '/2.0/repositories?role=member',
  },
};
const DEFAULT_SCOPE = { github: 'repo read:user', gitlab: 'read_user read_api', bitbucket: 'account repository' };

async function hostAuthorize(name, login, { challenge, state = randomState(), scope = DEFAULT_SCOPE[name] } = {}) {
  const h = HOSTS[name];
  const q = new URLSearchParams({
    client_id: info[name].client_id,
    redirect_uri: REDIRECT,
    response_type: 'code',
    state,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    login,
  });
  const { location, params } = await codeHostAuthorize(`${info[name].base_url}${h.authorize}?${q}`, { ca });
  const cb = new URL(location);
  assert.equal(`${cb.origin}${cb.pathname}`, REDIRECT);
  return { params, state };
}

async function hostToken(name, body) {
  return hostRequest(`${info[name].base_url}${HOSTS[name].token}`, {
    method: 'POST',
    headers: { accept: 'application/json' },
    body: { client_id: info[name].client_id, ...body },
  });
}

async function hostLogin(name, login, { scope } = {}) {
  const { verifier, challenge } = pkce();
  const { params, state } = await hostAuthorize(name, login, { challenge, scope });
  assert.equal(params.get('state'), state);
  const code = params.get('code');
  const res = await hostToken(name, {
    client_secret: info[name].client_secret, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
  });
  assert.equal(res.status, 200, res.text);
  const tokens = res.json();
  assert.ok(tokens.access_token, res.text);
  return { tokens, code, verifier };
}

for (const name of ['github', 'gitlab']) {
  const h = HOSTS[name];

  test(`${name}: authorize -> code -> token -> user -> repositories`, async () => {
    const before1 = (await stats())[name].authorization_code || 0;
    const { tokens, code, verifier } = await hostLogin(name, 'octo');
    assert.equal((await stats())[name].authorization_code, before1 + 1);
    if (name === 'github') {
      assert.match(tokens.access_token, /^ghu_[0-9A-Za-z]{36}$/);
      assert.match(tokens.refresh_token, /^ghr_[0-9A-Za-z]{76}$/);
      assert.equal(tokens.expires_in, 28800);
      assert.ok(tokens.refresh_token_expires_in > 0);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(typeof tokens.scope, 'string');
    } else {
      assert.equal(tokens.token_type, 'Bearer');
      assert.equal(tokens.expires_in, 7200);
      assert.ok(tokens.refresh_token && tokens.created_at);
    }

    const base = info[name].base_url;
    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const me = await hostRequest(`${base}${h.user}`, { headers: auth });
    assert.equal(me.status, 200, me.text);
    const user = me.json();
    assert.equal(user[h.loginField], 'octo');
    assert.equal(user.email, 'octo@example.test');
    assert.ok(Number.isInteger(user.id) && user.name);
    if (name === 'github') {
      assert.ok(user.avatar_url);
      const legacy = await hostRequest(`${base}${h.user}`, { headers: { authorization: `token ${tokens.access_token}` } });
      assert.equal(legacy.status, 200);
    }

    const repos = await hostRequest(`${base}${h.repos}`, { headers: auth });
    assert.equal(repos.status, 200);
    const list = repos.json();
    assert.equal(list.length, 3);
    if (name === 'github') {
      for (const k of ['id', 'name', 'full_name', 'private', 'html_url', 'clone_url', 'description']) assert.ok(k in list[0], k);
      assert.equal(list[0].full_name, 'octo/hello-world');
    } else {
      for (const k of ['id', 'name', 'path_with_namespace', 'visibility', 'web_url', 'http_url_to_repo', 'description']) assert.ok(k in list[0], k);
      assert.equal(list[0].path_with_namespace, 'octo/hello-world');
    }
    const sep = h.repos.includes('?') ? '&' : '?';
    const page1 = await hostRequest(`${base}${h.repos}${sep}per_page=2&page=1`, { headers: auth });
    const page2 = await hostRequest(`${base}${h.repos}${sep}per_page=2&page=2`, { headers: auth });
    assert.equal(page1.json().length, 2);
    assert.equal(page2.json().length, 1);
    assert.match(page1.headers.link, /rel="next"/);

    const bad = await hostRequest(`${base}${h.user}`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    if (name === 'github') assert.equal(bad.json().message, 'Bad credentials');

    // A replayed code is refused.
    const replay = await hostToken(name, {
      client_secret: info[name].client_secret, grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
    });
    assert.equal(replay.status, h.replayStatus);
    assert.equal(replay.json().error, h.replayError);
    if (name === 'github') {
      assert.deepEqual(replay.json().error_description, 'The code passed is incorrect or expired.');
    }
  });

  test(`${name}: wrong verifier, wrong secret, denied consent`, async () => {
    const { challenge } = pkce();
    const { params } = await hostAuthorize(name, 'octo', { challenge });
    const wrongVerifier = await hostToken(name, {
      client_secret: info[name].client_secret, grant_type: 'authorization_code', code: params.get('code'),
      redirect_uri: REDIRECT, code_verifier: pkce().verifier,
    });
    assert.ok(wrongVerifier.json().error, wrongVerifier.text);
    assert.ok(!wrongVerifier.json().access_token);

    const other = pkce();
    const second = await hostAuthorize(name, 'octo', { challenge: other.challenge });
    const wrongSecret = await hostToken(name, {
      client_secret: 'wrong', grant_type: 'authorization_code', code: second.params.get('code'),
      redirect_uri: REDIRECT, code_verifier: other.verifier,
    });
    assert.equal(wrongSecret.json().error, name === 'github' ? 'incorrect_client_credentials' : 'invalid_client');

    const denied = await hostAuthorize(name, 'deny', { challenge, state: 'st-1' });
    assert.equal(denied.params.get('error'), 'access_denied');
    assert.equal(denied.params.get('state'), 'st-1');
    assert.equal(denied.params.get('code'), null);
  });

  test(`${name}: refresh rotates the refresh token; expiry and revoke-all end access tokens`, async () => {
    const { tokens } = await hostLogin(name, 'octo');
    const before1 = (await stats())[name].refresh_token || 0;
    const refresh = (rt) => hostToken(name, { client_secret: info[name].client_secret, grant_type: 'refresh_token', refresh_token: rt });
    const r1 = await refresh(tokens.refresh_token);
    assert.equal(r1.status, 200, r1.text);
    const t1 = r1.json();
    assert.ok(t1.access_token && t1.access_token !== tokens.access_token);
    assert.ok(t1.refresh_token && t1.refresh_token !== tokens.refresh_token);
    assert.equal((await stats())[name].refresh_token, before1 + 1);
    const old = await refresh(tokens.refresh_token);
    assert.equal(old.json().error, name === 'github' ? 'bad_refresh_token' : 'invalid_grant');
    if (name === 'gitlab') assert.equal(old.status, 400);

    const base = info[name].base_url;
    await control('/expires-in', { provider: name, seconds: 1 });
    const short = (await refresh(t1.refresh_token)).json();
    assert.equal(short.expires_in, 1);
    await sleep(1100);
    const expired = await hostRequest(`${base}${h.user}`, { headers: { authorization: `Bearer ${short.access_token}` } });
    assert.equal(expired.status, 401);
    await control('/expires-in', { provider: name, seconds: name === 'github' ? 28800 : 7200 });

    const fresh = (await refresh(short.refresh_token)).json();
    const ok = await hostRequest(`${base}${h.user}`, { headers: { authorization: `Bearer ${fresh.access_token}` } });
    assert.equal(ok.status, 200);
    const rev = (await control('/revoke-all', { provider: name })).json();
    assert.ok(rev.revoked >= 1);
    const dead = await hostRequest(`${base}${h.user}`, { headers: { authorization: `Bearer ${fresh.access_token}` } });
    assert.equal(dead.status, 401);
    // The refresh token still works after revoke-all.
    assert.equal((await refresh(fresh.refresh_token)).status, 200);
  });

  test(`${name}: device flow pending -> slow_down -> approved; denied; expired`, async () => {
    const base = info[name].base_url;
    const start = async () => {
      const res = await hostRequest(`${base}${h.device}`, {
        method: 'POST', headers: { accept: 'application/json' },
        body: { client_id: info[name].client_id, scope: name === 'github' ? '' : 'read_user' },
      });
      assert.equal(res.status, 200, res.text);
      return res.json();
    };
    // A long interval, so two quick polls are surely "too fast" even on a busy machine.
    await control('/device/settings', { provider: name, interval: 5 });
    const d = await start();
    await control('/device/settings', { provider: name, interval: 1 });
    assert.equal(d.interval, 5);
    for (const k of ['device_code', 'user_code', 'verification_uri', 'expires_in', 'interval']) assert.ok(k in d, k);
    assert.ok(d.verification_uri.startsWith(base));
    const poll = (dc) => hostToken(name, { grant_type: DEVICE_GRANT, device_code: dc });

    const p1 = await poll(d.device_code);
    assert.equal(p1.status, h.pendingStatus);
    assert.equal(p1.json().error, 'authorization_pending');
    const p2 = await poll(d.device_code);
    assert.equal(p2.json().error, 'slow_down');
    assert.equal(p2.json().interval, d.interval + 5);
    const p3 = await poll(d.device_code);
    assert.equal(p3.json().error, 'authorization_pending', 'slow_down is answered once');

    const approve = await control('/device/approve', { provider: name, user_code: d.user_code, login: 'devi' });
    assert.equal(approve.status, 200, approve.text);
    const p4 = await poll(d.device_code);
    assert.equal(p4.status, 200, p4.text);
    const tokens = p4.json();
    const me = await hostRequest(`${base}${h.user}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.json()[h.loginField], 'devi');
    assert.ok((await stats())[name][DEVICE_GRANT] >= 4);

    const d2 = await start();
    assert.equal((await control('/device/deny', { provider: name, user_code: d2.user_code })).status, 200);
    assert.equal((await poll(d2.device_code)).json().error, 'access_denied');

    await control('/device/settings', { provider: name, expires_in: 1 });
    const d3 = await start();
    await control('/device/settings', { provider: name, expires_in: 900 });
    await sleep(1100);
    assert.equal((await poll(d3.device_code)).json().error, 'expired_token');
    assert.equal((await control('/device/approve', { provider: name, user_code: 'NOPE-NOPE', login: 'x' })).status, 404);
  });
}

test('github: organization teams need read:org; POST /teams sets them; membership lookups', async () => {
  const base = `${info.github.base_url}/api/v3`;
  const get = (path, tokens) => hostRequest(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const noOrg = (await hostLogin('github', 'tess')).tokens;
  const refused = await get('/user/teams', noOrg);
  assert.equal(refused.status, 403);
  assert.ok(refused.json().message);
  assert.match(refused.headers['x-accepted-oauth-scopes'], /read:org/);
  assert.equal((await get('/orgs/acme/teams/platform-admins/memberships/tess', noOrg)).status, 403);
  assert.equal((await get('/user/teams', { access_token: 'nope' })).status, 401);

  const tokens = (await hostLogin('github', 'tess', { scope: 'read:user read:org' })).tokens;
  assert.deepEqual((await get('/user/teams', tokens)).json(), [], 'no teams until the control API sets them');
  const set = await control('/teams', { login: 'tess', teams: ['acme/platform-admins', 'acme/devs', 'other-org/readers'] });
  assert.equal(set.status, 200, set.text);
  const list = await get('/user/teams', tokens);
  assert.equal(list.status, 200, list.text);
  const teams = list.json();
  assert.deepEqual(teams.map((x) => `${x.organization.login}/${x.slug}`), ['acme/platform-admins', 'acme/devs', 'other-org/readers']);
  const admins = teams[0];
  assert.equal(admins.name, 'Platform Admins');
  assert.ok(Number.isInteger(admins.id) && admins.node_id);
  assert.ok(Number.isInteger(admins.organization.id));
  assert.equal(admins.organization.id, teams[1].organization.id, 'one organization id');
  const page1 = await get('/user/teams?per_page=2', tokens);
  assert.equal(page1.json().length, 2);
  assert.match(page1.headers.link, /rel="next"/);
  assert.equal((await get('/user/teams?per_page=2&page=2', tokens)).json().length, 1);

  const member = await get('/orgs/acme/teams/platform-admins/memberships/tess', tokens);
  assert.equal(member.status, 200, member.text);
  assert.equal(member.json().state, 'active');
  assert.equal(member.json().role, 'member');
  assert.equal((await get('/orgs/ACME/teams/Platform-Admins/memberships/Tess', tokens)).status, 200, 'case-insensitive');
  const notMember = await get('/orgs/acme/teams/nope/memberships/tess', tokens);
  assert.equal(notMember.status, 404);
  assert.equal(notMember.json().message, 'Not Found');
  assert.equal((await get('/orgs/acme/teams/platform-admins/memberships/someone-else', tokens)).status, 404);

  // Demotion shows at the next call.
  await control('/teams', { login: 'tess', teams: ['acme/devs'] });
  assert.equal((await get('/orgs/acme/teams/platform-admins/memberships/tess', tokens)).status, 404);
  assert.deepEqual((await get('/user/teams', tokens)).json().map((x) => x.slug), ['devs']);
  // admin:org implies read:org.
  const adminOrg = (await hostLogin('github', 'tess', { scope: 'admin:org' })).tokens;
  assert.equal((await get('/user/teams', adminOrg)).status, 200);
  assert.equal((await control('/teams', { login: 'tess', teams: ['no-slash'] })).status, 400);
});

test('gitlab: groups need read_api; POST /gitlab-groups sets them; min_access_level and members/all', async () => {
  const base = `${info.gitlab.base_url}/api/v4`;
  const get = (path, tokens) => hostRequest(`${base}${path}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  const userOnly = (await hostLogin('gitlab', 'gabe', { scope: 'read_user' })).tokens;
  const refused = await get('/groups', userOnly);
  assert.equal(refused.status, 403);
  assert.equal(refused.json().error, 'insufficient_scope');
  assert.match(refused.headers['www-authenticate'], /insufficient_scope/);
  assert.equal((await get('/groups/1/members/all/1', userOnly)).status, 403);

  const tokens = (await hostLogin('gitlab', 'gabe')).tokens; // read_user read_api
  assert.deepEqual((await get('/groups', tokens)).json(), [], 'no groups until the control API sets them');
  const set = await control('/gitlab-groups', {
    login: 'gabe',
    groups: [
      { full_path: 'acme/admins', access_level: 40 }, { full_path: 'acme/devs', access_level: 30 }, { full_path: 'other', access_level: 10 },
    ],
  });
  assert.equal(set.status, 200, set.text);
  const list = await get('/groups', tokens);
  assert.equal(list.status, 200, list.text);
  const groups = list.json();
  assert.deepEqual(groups.map((g) => g.full_path), ['acme/admins', 'acme/devs', 'other'], 'the parent acme is not listed: no membership there');
  const admins = groups[0];
  assert.equal(admins.name, 'admins');
  assert.equal(admins.path, 'admins');
  assert.equal(admins.web_url, `${info.gitlab.base_url}/groups/acme/admins`);
  assert.ok(Number.isInteger(admins.id));
  const paths = async (query) => (await get(`/groups?${query}`, tokens)).json().map((g) => g.full_path);
  assert.deepEqual(await paths('min_access_level=40'), ['acme/admins']);
  assert.deepEqual(await paths('min_access_level=30'), ['acme/admins', 'acme/devs']);
  assert.deepEqual(await paths('min_access_level=50'), []);
  const page1 = await get('/groups?per_page=2', tokens);
  assert.equal(page1.json().length, 2);
  assert.equal(page1.headers['x-total'], '3');
  assert.equal(page1.headers['x-next-page'], '2');
  assert.equal((await get('/groups?per_page=2&page=2', tokens)).json().length, 1);

  const me = (await get('/user', tokens)).json();
  const byId = await get(`/groups/${admins.id}/members/all/${me.id}`, tokens);
  assert.equal(byId.status, 200, byId.text);
  assert.equal(byId.json().id, me.id);
  assert.equal(byId.json().username, 'gabe');
  assert.equal(byId.json().access_level, 40);
  const byPath = await get(`/groups/${encodeURIComponent('acme/admins')}/members/all/${me.id}`, tokens);
  assert.equal(byPath.json().access_level, 40);
  const notFound = await get(`/groups/${encodeURIComponent('acme/admins')}/members/all/999`, tokens);
  assert.equal(notFound.status, 404);
  assert.equal(notFound.json().message, '404 Not found');
  assert.equal((await get(`/groups/${encodeURIComponent('nope/nope')}/members/all/${me.id}`, tokens)).json().message, '404 Group Not Found');

  // /members/all includes members inherited from a parent group.
  await control('/gitlab-groups', { login: 'olga', groups: [{ full_path: 'acme', access_level: 50 }] });
  const olga = (await get('/user', (await hostLogin('gitlab', 'olga')).tokens)).json();
  assert.equal((await get(`/groups/${encodeURIComponent('acme/admins')}/members/all/${olga.id}`, tokens)).json().access_level, 50);

  // Demotion shows at the next call.
  await control('/gitlab-groups', { login: 'gabe', groups: [{ full_path: 'acme/admins', access_level: 20 }] });
  assert.equal((await get(`/groups/${admins.id}/members/all/${me.id}`, tokens)).json().access_level, 20);
  assert.deepEqual(await paths('min_access_level=40'), []);
  // The api scope will do too.
  const api = (await hostLogin('gitlab', 'gabe', { scope: 'api' })).tokens;
  assert.equal((await get('/groups', api)).status, 200);
  assert.equal((await control('/gitlab-groups', { login: 'gabe', groups: [{ full_path: 'x', access_level: 41 }] })).status, 400);
});

// ---------------------------------------------------------------- Bitbucket Cloud

const bbAuth = () => ({ authorization: basicAuth(info.bitbucket.client_id, info.bitbucket.client_secret) });
const bbToken = (body, headers = bbAuth()) => hostRequest(`${info.bitbucket.base_url}/site/oauth2/access_token`, {
  method: 'POST', headers, body,
});
const bbApi = (path, token) => hostRequest(path.startsWith('https:') ? path : `${info.bitbucket.api_url}${path}`, {
  headers: { authorization: `Bearer ${token}` },
});

/** Authorize, then exchange the code with Basic client credentials (Bitbucket's documented way). */
async function bbLogin(login, { scope } = {}) {
  const { verifier, challenge } = pkce();
  const { params, state } = await hostAuthorize('bitbucket', login, { challenge, scope });
  assert.equal(params.get('state'), state);
  const code = params.get('code');
  const res = await bbToken({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
  });
  assert.equal(res.status, 200, res.text);
  return { tokens: res.json(), code, verifier };
}

test('bitbucket: authorize -> code -> token -> user, emails, repositories', async () => {
  assert.deepEqual(Object.keys(info.bitbucket).sort(), ['api_url', 'base_url', 'client_id', 'client_secret']);
  assert.match(info.bitbucket.base_url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(info.bitbucket.api_url, `${info.bitbucket.base_url}/2.0`);
  const before1 = (await stats()).bitbucket.authorization_code || 0;
  const { tokens, code, verifier } = await bbLogin('bucky');
  assert.equal((await stats()).bitbucket.authorization_code, before1 + 1);
  assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'expires_in', 'refresh_token', 'scopes', 'state', 'token_type']);
  assert.equal(tokens.expires_in, 7200);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.state, 'authorization_code');
  assert.equal(tokens.scopes, 'account repository');

  const me = await bbApi('/user', tokens.access_token);
  assert.equal(me.status, 200, me.text);
  const user = me.json();
  assert.equal(user.type, 'user');
  assert.equal(user.username, 'bucky');
  assert.equal(user.display_name, 'bucky');
  assert.equal(user.nickname, 'bucky');
  assert.match(user.uuid, /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
  assert.match(user.account_id, /^557058:/);
  assert.ok(user.links.html.href && user.links.avatar.href);

  const emails = (await bbApi('/user/emails', tokens.access_token)).json();
  assert.deepEqual(emails.values.map(({ links, ...e }) => e), [{
    type: 'email', email: 'bucky@example.test', is_primary: true, is_confirmed: true,
  }]);
  assert.equal(emails.page, 1);
  assert.equal(emails.size, 1);
  assert.ok(emails.pagelen >= 1);
  const unverified = await bbLogin('unverified-bucky');
  assert.equal((await bbApi('/user/emails', unverified.tokens.access_token)).json().values[0].is_confirmed, false);

  const repos = (await bbApi('/repositories?role=member', tokens.access_token)).json();
  assert.equal(repos.size, 3);
  assert.equal(repos.page, 1);
  assert.equal(repos.next, undefined);
  assert.deepEqual(repos.values.map((r) => r.full_name), ['bucky/hello-world', 'bucky/tessera-pipelines', 'bucky/secret-project']);
  const r0 = repos.values[0];
  for (const k of ['uuid', 'name', 'full_name', 'slug', 'is_private', 'links', 'description', 'mainbranch']) assert.ok(k in r0, k);
  assert.match(r0.uuid, /^\{[0-9a-f-]{36}\}$/);
  assert.equal(r0.slug, 'hello-world');
  assert.equal(r0.mainbranch.name, 'main');
  assert.equal(r0.links.html.href, `${info.bitbucket.base_url}/bucky/hello-world`);
  assert.deepEqual(r0.links.clone.map((c) => c.name), ['https', 'ssh']);
  assert.match(r0.links.clone[0].href, /^https:\/\/bucky@127\.0\.0\.1:\d+\/bucky\/hello-world\.git$/);
  assert.equal(r0.links.clone[1].href, 'git@127.0.0.1:bucky/hello-world.git');
  assert.equal(repos.values[2].is_private, true);

  const bad = await bbApi('/user', 'nope');
  assert.equal(bad.status, 401);
  assert.equal(bad.json().type, 'error');
  assert.ok(bad.json().error.message);

  // A replayed code is refused.
  const replay = await bbToken({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
  });
  assert.equal(replay.status, 400);
  assert.equal(replay.json().error, 'invalid_grant');
});

test('bitbucket: credentials in the body, wrong secret, no redirect_uri, denied, PKCE required', async () => {
  // Client credentials in the body instead of Basic auth; no redirect_uri at either step: the
  // person goes back to the consumer's registered callback URL.
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    client_id: info.bitbucket.client_id, response_type: 'code', state: 'st-2', code_challenge: challenge, code_challenge_method: 'S256', login: 'bucky',
  });
  const auth = await codeHostAuthorize(`${info.bitbucket.base_url}/site/oauth2/authorize?${q}`, { ca });
  const cb = new URL(auth.location);
  assert.equal(`${cb.origin}${cb.pathname}`, 'http://127.0.0.1/callback');
  assert.equal(auth.params.get('state'), 'st-2');
  const res = await bbToken({
    grant_type: 'authorization_code', code: auth.params.get('code'), code_verifier: verifier,
    client_id: info.bitbucket.client_id, client_secret: info.bitbucket.client_secret,
  }, {});
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json().scopes, 'account repository');

  const other = pkce();
  const second = await hostAuthorize('bitbucket', 'bucky', { challenge: other.challenge });
  const wrongSecret = await bbToken({
    grant_type: 'authorization_code', code: second.params.get('code'), redirect_uri: REDIRECT, code_verifier: other.verifier,
  }, { authorization: basicAuth(info.bitbucket.client_id, 'wrong') });
  assert.equal(wrongSecret.status, 401);
  assert.equal(wrongSecret.json().error, 'invalid_client');
  const wrongVerifier = await bbToken({
    grant_type: 'authorization_code', code: (await hostAuthorize('bitbucket', 'bucky', { challenge: other.challenge })).params.get('code'),
    redirect_uri: REDIRECT, code_verifier: pkce().verifier,
  });
  assert.equal(wrongVerifier.status, 400);
  assert.equal(wrongVerifier.json().error, 'invalid_grant');

  const denied = await hostAuthorize('bitbucket', 'deny', { challenge, state: 'st-3' });
  assert.equal(denied.params.get('error'), 'access_denied');
  assert.equal(denied.params.get('state'), 'st-3');
  const noPkce = await hostRequest(`${info.bitbucket.base_url}/site/oauth2/authorize?${new URLSearchParams({
    client_id: info.bitbucket.client_id, response_type: 'code', redirect_uri: REDIRECT, state: 's',
  })}`);
  assert.equal(new URL(noPkce.location).searchParams.get('error'), 'invalid_request');
  assert.equal((await bbToken({ grant_type: 'password' })).json().error, 'unsupported_grant_type');
});

test('bitbucket: repositories page by pagelen and page, with absolute next links', async () => {
  assert.equal((await control('/repos', { provider: 'bitbucket', login: 'pager', count: 25 })).status, 200);
  const { tokens } = await bbLogin('pager');
  const first = (await bbApi('/repositories?role=member', tokens.access_token)).json();
  assert.equal(first.pagelen, 10);
  assert.equal(first.values.length, 10);
  assert.equal(first.size, 25);

  const seen = [];
  let url = `${info.bitbucket.api_url}/repositories?role=member&pagelen=10`;
  let pages = 0;
  while (url) {
    assert.ok(url.startsWith(`${info.bitbucket.api_url}/repositories?`), url);
    const page = (await bbApi(url, tokens.access_token)).json();
    pages += 1;
    assert.equal(page.page, pages);
    if (pages > 1) assert.match(page.previous, /[?&]page=\d+/);
    seen.push(...page.values.map((r) => r.slug));
    url = page.next;
  }
  assert.equal(pages, 3);
  assert.equal(seen.length, 25);
  assert.equal(new Set(seen).size, 25);
  const last = (await bbApi('/repositories?role=member&pagelen=10&page=3', tokens.access_token)).json();
  assert.equal(last.values.length, 5);
  assert.equal(last.next, undefined);
  const big = (await bbApi('/repositories?role=member&pagelen=500', tokens.access_token)).json();
  assert.equal(big.pagelen, 100);
  assert.equal(big.values.length, 25);
  assert.equal((await bbApi('/repositories?role=nope', tokens.access_token)).status, 400);
});

test('bitbucket: refresh keeps the same refresh token; expiry and revoke-all end access tokens', async () => {
  const { tokens } = await bbLogin('bucky');
  const refresh = () => bbToken({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
  const before1 = (await stats()).bitbucket.refresh_token || 0;
  const r1 = (await refresh()).json();
  assert.equal(r1.state, 'refresh_token');
  assert.equal(r1.refresh_token, tokens.refresh_token, 'the refresh token does not rotate');
  assert.ok(r1.access_token && r1.access_token !== tokens.access_token);
  const r2 = await refresh();
  assert.equal(r2.status, 200, 'the same refresh token works again');
  assert.equal(r2.json().refresh_token, tokens.refresh_token);
  assert.equal((await stats()).bitbucket.refresh_token, before1 + 2);
  assert.equal((await bbApi('/user', tokens.access_token)).status, 200, 'earlier access tokens live until they expire');

  await control('/expires-in', { provider: 'bitbucket', seconds: 1 });
  const short = (await refresh()).json();
  await control('/expires-in', { provider: 'bitbucket', seconds: 7200 });
  assert.equal(short.expires_in, 1);
  await sleep(1100);
  const expired = await bbApi('/user', short.access_token);
  assert.equal(expired.status, 401);
  assert.deepEqual(expired.json(), { type: 'error', error: { message: 'Access token expired.' } });

  const rev = (await control('/revoke-all', { provider: 'bitbucket' })).json();
  assert.ok(rev.revoked >= 1);
  const dead = await bbApi('/user', r1.access_token);
  assert.equal(dead.status, 401);
  assert.equal(dead.json().type, 'error');
  const again = (await refresh()).json();
  assert.equal((await bbApi('/user', again.access_token)).status, 200, 'refresh works after revoke-all');
  assert.equal((await bbToken({ grant_type: 'refresh_token', refresh_token: 'nope' })).json().error, 'invalid_grant');
});

test('bitbucket: scopes: account for /user and /user/emails, repository for repositories', async () => {
  const account = (await bbLogin('bucky', { scope: 'account' })).tokens;
  assert.equal((await bbApi('/user', account.access_token)).status, 200);
  assert.equal((await bbApi('/user/emails', account.access_token)).status, 200);
  const noRepo = await bbApi('/repositories?role=member', account.access_token);
  assert.equal(noRepo.status, 403);
  assert.equal(noRepo.json().type, 'error');
  assert.deepEqual(noRepo.json().error.detail, { granted: ['account'], required: ['repository'] });

  const repoOnly = (await bbLogin('bucky', { scope: 'repository' })).tokens;
  assert.equal((await bbApi('/repositories?role=member', repoOnly.access_token)).status, 200);
  assert.equal((await bbApi('/user', repoOnly.access_token)).status, 403);
  assert.equal((await bbApi('/user/emails', repoOnly.access_token)).status, 403);

  // There is no device flow to steer.
  assert.equal((await control('/device/settings', { provider: 'bitbucket', interval: 1 })).status, 400);
});

test('control: POST /emails sets or hides the address each code host answers', async () => {
  const gh = (await hostLogin('github', 'emil')).tokens;
  const gl = (await hostLogin('gitlab', 'emil')).tokens;
  const bb = (await bbLogin('emil')).tokens;
  const ghEmail = async () => (await hostRequest(`${info.github.base_url}/api/v3/user`, { headers: { authorization: `Bearer ${gh.access_token}` } })).json().email;
  const glEmail = async () => (await hostRequest(`${info.gitlab.base_url}/api/v4/user`, { headers: { authorization: `Bearer ${gl.access_token}` } })).json().email;
  const bbEmails = async () => (await bbApi('/user/emails', bb.access_token)).json().values.map((e) => e.email);
  assert.equal(await ghEmail(), 'emil@example.test');
  for (const provider of ['github', 'gitlab', 'bitbucket']) {
    assert.equal((await control('/emails', { provider, login: 'emil', email: null })).status, 200);
  }
  assert.equal(await ghEmail(), null);
  assert.equal(await glEmail(), null);
  assert.deepEqual(await bbEmails(), []);
  await control('/emails', { provider: 'bitbucket', login: 'emil', email: 'emil@work.example' });
  assert.deepEqual(await bbEmails(), ['emil@work.example']);
  assert.equal((await control('/emails', { provider: 'github', login: 'emil', email: 'not an address' })).status, 400);
  assert.equal((await control('/emails', { provider: 'oidc', login: 'emil', email: null })).status, 400);
});

test('github: form-encoded answers without Accept: application/json', async () => {
  const { verifier, challenge } = pkce();
  const { params } = await hostAuthorize('github', 'octo', { challenge });
  const res = await hostRequest(`${info.github.base_url}/login/oauth/access_token`, {
    method: 'POST',
    body: JSON.stringify({
      client_id: info.github.client_id, client_secret: info.github.client_secret, code: params.get('code'),
      redirect_uri: REDIRECT, code_verifier: verifier,
    }),
    headers: { 'content-type': 'application/json' },
  });
  assert.match(res.headers['content-type'], /application\/x-www-form-urlencoded/);
  const form = new URLSearchParams(res.text);
  assert.match(form.get('access_token'), /^ghu_/);
  assert.equal(form.get('token_type'), 'bearer');
});

test('control: stats, repos count and bad requests', async () => {
  const s = await stats();
  for (const p of [...OIDC_PROVIDERS, 'github', 'gitlab', 'bitbucket']) {
    assert.ok(s[p].authorization_code >= 1, `${p} authorization_code`);
    assert.ok(s[p].refresh_token >= 1, `${p} refresh_token`);
  }
  assert.equal((await control('/repos', { provider: 'github', login: 'many', count: 45 })).status, 200);
  const { tokens } = await hostLogin('github', 'many');
  const auth = { authorization: `Bearer ${tokens.access_token}` };
  const p1 = await hostRequest(`${info.github.base_url}/api/v3/user/repos`, { headers: auth });
  const p2 = await hostRequest(`${info.github.base_url}/api/v3/user/repos?page=2`, { headers: auth });
  assert.equal(p1.json().length, 30);
  assert.equal(p2.json().length, 15);
  assert.equal((await control('/expires-in', { provider: 'nope', seconds: 1 })).status, 400);
  assert.equal((await control('/groups', { login: 'x' })).status, 400);
  assert.equal((await control('/nothing', {})).status, 404);
});

test('lifetimes come from arguments and the environment', async () => {
  const other = await startIdp({
    args: ['--id-token-ttl', '9', '--github-expires-in', '11', '--bitbucket-expires-in', '17'],
    env: { TESSERA_IDP_ACCESS_TOKEN_TTL: '7', TESSERA_IDP_GITLAB_EXPIRES_IN: '13' },
  });
  try {
    const saved = {
      info, ca, disc, discs,
    };
    ({ info, ca } = other);
    await loadDiscovery();
    try {
      for (const provider of OIDC_PROVIDERS) {
        const { tokens } = await oidcLogin('ttl', { provider });
        assert.equal(tokens.expires_in, 7, provider);
        const claims = decodeJwt(tokens.id_token).payload;
        assert.equal(claims.exp - claims.iat, 9, provider);
      }
      assert.equal((await hostLogin('github', 'ttl')).tokens.expires_in, 11);
      assert.equal((await hostLogin('gitlab', 'ttl')).tokens.expires_in, 13);
      assert.equal((await bbLogin('ttl')).tokens.expires_in, 17);
    } finally {
      ({
        info, ca, disc, discs,
      } = saved);
    }
  } finally {
    const { code } = await other.stop();
    assert.equal(code, 0);
  }
});

// ---------------------------------------------------------------- Gitea

const giteaToken = (body, headers = {}) => request(`${info.gitea.base_url}/login/oauth/access_token`, {
  method: 'POST', body, ca, headers,
});
const giteaApi = (path, token) => request(`${info.gitea.base_url}/api/v1${path}`, {
  ca, headers: token ? { authorization: `Bearer ${token}` } : {},
});

async function giteaLogin(login, scope = 'read:user read:repository') {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    client_id: info.gitea.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 's', scope,
    code_challenge: challenge, code_challenge_method: 'S256', login,
  });
  const { params } = await codeHostAuthorize(`${info.gitea.base_url}/login/oauth/authorize?${q}`, { ca });
  const res = await giteaToken({
    grant_type: 'authorization_code', code: params.get('code'), redirect_uri: REDIRECT, code_verifier: verifier,
    client_id: info.gitea.client_id, client_secret: info.gitea.client_secret,
  });
  assert.equal(res.status, 200, res.text);
  return { tokens: res.json(), code: params.get('code'), verifier };
}

test('gitea: authorize -> code -> token -> user, emails, repositories; Gitea-shaped errors', async () => {
  assert.deepEqual(Object.keys(info.gitea).sort(), ['base_url', 'client_id', 'client_secret']);
  const { tokens, code, verifier } = await giteaLogin('tea');
  assert.deepEqual(Object.keys(tokens).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type']);
  assert.equal(tokens.expires_in, 3600);
  const user = (await giteaApi('/user', tokens.access_token)).json();
  assert.equal(user.login, 'tea');
  assert.equal(user.full_name, 'Tea Gitea');
  assert.equal(user.email, 'tea@example.test');
  await control('/private-email', { login: 'tea', private: true });
  assert.equal((await giteaApi('/user', tokens.access_token)).json().email, '');
  const emails = (await giteaApi('/user/emails', tokens.access_token)).json();
  assert.deepEqual(emails.filter((e) => e.primary && e.verified).map((e) => e.email), ['tea@example.test']);
  const repos = await giteaApi('/user/repos?limit=2&page=1', tokens.access_token);
  assert.equal(repos.headers['x-total-count'], '3');
  assert.deepEqual(repos.json().map((r) => r.full_name), ['tea/hello-world', 'tea/tessera-pipelines']);
  assert.match(repos.headers.link, /rel="next"/);
  // Teams need read:organization.
  const noOrg = await giteaApi('/user/teams', tokens.access_token);
  assert.equal(noOrg.status, 403);
  assert.match(noOrg.json().message, /read:organization/);
  await control('/teams', { provider: 'gitea', login: 'tea', teams: ['acme/Owners'] });
  const withOrg = await giteaLogin('tea', 'read:user read:organization');
  const teams = (await giteaApi('/user/teams', withOrg.tokens.access_token)).json();
  assert.deepEqual(teams.map((t) => [t.organization.name, t.name]), [['acme', 'Owners']]);
  assert.equal((await giteaApi('/user', 'nope')).status, 401);
  // A replayed code is the grant's refusal in Gitea's words; a wrong secret the client's.
  const replay = await giteaToken({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
    client_id: info.gitea.client_id, client_secret: info.gitea.client_secret,
  });
  assert.equal(replay.status, 400);
  assert.equal(replay.json().error, 'unauthorized_client');
  const wrong = await giteaToken({
    grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: info.gitea.client_id, client_secret: 'x',
  });
  assert.equal(wrong.json().error, 'invalid_client');
});

test('gitea: refresh rotates; misbehave and revoke-all', async () => {
  const { tokens } = await giteaLogin('rota');
  const refresh = (rt) => giteaToken({
    grant_type: 'refresh_token', refresh_token: rt, client_id: info.gitea.client_id, client_secret: info.gitea.client_secret,
  });
  const first = await refresh(tokens.refresh_token);
  assert.equal(first.status, 200);
  assert.notEqual(first.json().refresh_token, tokens.refresh_token);
  assert.equal((await refresh(tokens.refresh_token)).json().error, 'unauthorized_client', 'the old one is spent');
  const fresh = first.json().access_token;
  await control('/misbehave', { provider: 'gitea', mode: 'garbage' });
  const garbage = await giteaApi('/user', fresh);
  assert.equal(garbage.status, 200);
  assert.match(garbage.headers['content-type'], /text\/html/);
  await control('/misbehave', { provider: 'gitea', mode: null });
  assert.equal((await giteaApi('/user', fresh)).status, 200);
  assert.equal((await control('/misbehave', { provider: 'gitea', mode: 'nonsense' })).status, 400);
  await control('/revoke-all', { provider: 'gitea' });
  assert.equal((await giteaApi('/user', fresh)).status, 401);
});

// ---------------------------------------------------------------- Entra ID and Azure DevOps

test('oidc_entra + azure_devops: tenant issuer, DevOps-audience JWT, repositories, 203 or 401 without a good token', async () => {
  const a = info.azure_devops;
  assert.deepEqual(Object.keys(a).sort(), ['client_id', 'devops_url', 'issuer', 'organizations']);
  assert.match(a.issuer, /^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/v2\.0$/);
  const d = (await request(`${a.issuer}/.well-known/openid-configuration`, { ca })).json();
  assert.equal(d.issuer, a.issuer);
  assert.ok(d.authorization_endpoint.endsWith('/oauth2/v2.0/authorize'));
  assert.equal(d.revocation_endpoint, undefined, 'no RFC 7009 endpoint, as at Entra');
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    client_id: a.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 's', nonce: 'n',
    scope: 'openid profile email offline_access 499b84ac-1321-427f-aa17-267ca6975798/.default',
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const done = await driveOidcLogin({ authorizeUrl: `${d.authorization_endpoint}?${q}`, redirectUri: REDIRECT, login: 'ado', ca });
  assert.ok(done.code, done.callback);
  const t = (await request(d.token_endpoint, {
    method: 'POST', ca,
    body: { grant_type: 'authorization_code', code: done.code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: a.client_id },
  })).json();
  const id = decodeJwt(t.id_token).payload;
  assert.equal(id.iss, a.issuer);
  assert.equal(id.preferred_username, 'ado@example.test');
  assert.ok(id.oid && id.tid);
  const at = decodeJwt(t.access_token).payload;
  assert.equal(at.aud, '499b84ac-1321-427f-aa17-267ca6975798');
  const repos = (token, suppress = true) => request(`${a.devops_url}/acme/_apis/git/repositories?api-version=7.1`, {
    ca, headers: { authorization: `Bearer ${token}`, ...(suppress ? { 'x-tfs-fedauthredirect': 'Suppress' } : {}) },
  });
  const ok = await repos(t.access_token);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json().count, 4);
  assert.deepEqual(ok.json().value.filter((r) => !r.isDisabled).map((r) => `${r.project.name}/${r.name}`),
    ['Platform/hello-world', 'Platform/secret-project', 'Open/tessera-pipelines']);
  // An ID token is not an Azure DevOps token (wrong audience).
  assert.equal((await repos(t.id_token)).status, 401);
  assert.equal((await repos('nope', false)).status, 203);
  const unknown = await request(`${a.devops_url}/nowhere/_apis/connectionData`, { ca });
  assert.equal(unknown.status, 404);
  assert.equal((await request(`${a.devops_url}/acme/_apis/connectionData`, { ca })).status, 200);
  // Refresh rotates and keeps the audience; revoke-all ends the access tokens.
  const r = (await request(d.token_endpoint, {
    method: 'POST', ca, body: { grant_type: 'refresh_token', refresh_token: t.refresh_token, client_id: a.client_id },
  })).json();
  assert.notEqual(r.refresh_token, t.refresh_token);
  assert.equal(decodeJwt(r.access_token).payload.aud, '499b84ac-1321-427f-aa17-267ca6975798');
  await control('/revoke-all', { provider: 'oidc_entra' });
  assert.equal((await repos(r.access_token)).status, 401);
});
