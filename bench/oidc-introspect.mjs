// oidc-provider (the package tests/idp installs) with token introspection (RFC 7662) enabled, on
// 127.0.0.1 over plain HTTP, as the peer bench/introspect.sh measures Tessera's introspection
// against. One confidential client (client_secret_basic) gets an opaque access token through the
// client credentials grant; the provider keeps it in its built-in in-memory adapter.
//
// Prints `listening on http://ADDR`, then `client <id>:<secret>`, then `token <value>`: a token it
// issued and introspects as active. Runs until killed.
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'tests', 'idp', 'package.json'));
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const clientId = 'bench';
const clientSecret = randomBytes(24).toString('hex');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: { ClientCredentials: 3600 },
});
server.on('request', provider.callback());

const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
const res = await fetch(`${issuer}/token`, {
  method: 'POST',
  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});
const body = await res.json();
if (!res.ok || !body.access_token) {
  console.error('oidc-provider issued no access token:', JSON.stringify(body));
  process.exit(1);
}
console.log(`listening on ${issuer}`);
console.log(`client ${clientId}:${clientSecret}`);
console.log(`token ${body.access_token}`);
