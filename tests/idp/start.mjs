#!/usr/bin/env node
// Starts the identity providers Tessera's sign-in tests run against, all on 127.0.0.1:
//   four OpenID providers over HTTPS (test CA made here with openssl; one shaped like Microsoft
//   Entra ID), a local GitHub, GitLab, Bitbucket, Gitea and Azure DevOps over HTTPS with the same
//   server certificate, and a plain-HTTP control API. Prints one
//   JSON line on stdout once everything listens, logs to stderr, and runs until SIGTERM/SIGINT
//   (exit 0).
//
//   node tests/idp/start.mjs --dir <empty dir> [--access-token-ttl S] [--id-token-ttl S]
//     [--refresh-token-ttl S] [--device-code-ttl S] [--github-expires-in S]
//     [--gitlab-expires-in S] [--bitbucket-expires-in S] [--gitea-expires-in S] [--device-interval S]
//     [--exit-with-stdin]
//
// Every option can also come from the environment: TESSERA_IDP_ACCESS_TOKEN_TTL, and so on
// (the option name upper-cased with dashes as underscores, prefixed with TESSERA_IDP_).

// stdout carries exactly one line: send everything else a library might print to stderr.
/* eslint-disable no-console */
const toStderr = (...args) => console.error(...args);
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

const { mkdirSync, readdirSync } = await import('node:fs');
const http = await import('node:http');
const https = await import('node:https');
const { join, resolve } = await import('node:path');
const { makeCertificates } = await import('./lib/certs.mjs');
const { log } = await import('./lib/http.mjs');

const NUMERIC = {
  'access-token-ttl': 120,
  'id-token-ttl': 120,
  'refresh-token-ttl': 86400,
  'device-code-ttl': 600,
  'github-expires-in': 28800,
  'gitlab-expires-in': 7200,
  'bitbucket-expires-in': 7200,
  'gitea-expires-in': 3600,
  'device-interval': 1,
};

function usage(message) {
  process.stderr.write(`start.mjs: ${message}\nusage: node start.mjs --dir <empty dir> [--access-token-ttl S] [--id-token-ttl S] [--refresh-token-ttl S] [--device-code-ttl S] [--github-expires-in S] [--gitlab-expires-in S] [--bitbucket-expires-in S] [--gitea-expires-in S] [--device-interval S] [--exit-with-stdin]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { dir: process.env.TESSERA_IDP_DIR, exitWithStdin: process.env.TESSERA_IDP_EXIT_WITH_STDIN === '1' };
  for (const [name, def] of Object.entries(NUMERIC)) {
    const env = process.env[`TESSERA_IDP_${name.toUpperCase().replace(/-/g, '_')}`];
    opts[name] = env !== undefined && env !== '' ? env : def;
  }
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const [key, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [null];
    const value = () => {
      if (inline !== undefined) return inline;
      i += 1;
      if (i >= argv.length) usage(`--${key} needs a value`);
      return argv[i];
    };
    if (key === 'dir') opts.dir = value();
    else if (key === 'exit-with-stdin') opts.exitWithStdin = true;
    else if (key === 'help') usage('help');
    else if (key in NUMERIC) opts[key] = value();
    else usage(`unknown argument ${arg}`);
  }
  for (const name of Object.keys(NUMERIC)) {
    const n = Number(opts[name]);
    if (!Number.isInteger(n) || n < (name === 'device-interval' ? 0 : 1)) usage(`--${name} must be a positive integer`);
    opts[name] = n;
  }
  if (!opts.dir) usage('--dir is required');
  return opts;
}

function listen(server) {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail);
      ok(server.address().port);
    });
  });
}

const opts = parseArgs(process.argv.slice(2));
const dir = resolve(opts.dir);
mkdirSync(dir, { recursive: true });
const leftovers = readdirSync(dir).filter((f) => ['ca.pem', 'server.pem', 'server-key.pem'].includes(f));
if (leftovers.length) log(`note: ${dir} already holds ${leftovers.join(', ')}; making new ones`);

const started = Date.now();
const tls = makeCertificates(dir);

// oidc-provider prints notices at import time: load it only after console is redirected.
const { startOidc } = await import('./lib/oidc.mjs');
const { createGitHub } = await import('./lib/github.mjs');
const { createGitLab } = await import('./lib/gitlab.mjs');
const { createBitbucket } = await import('./lib/bitbucket.mjs');
const { createGitea } = await import('./lib/gitea.mjs');
const { createAzureDevOps, ORGANIZATIONS } = await import('./lib/azure_devops.mjs');
const { createControl } = await import('./lib/control.mjs');

const groups = new Map(); // OIDC login -> groups, shared by the three OpenID providers
// Each OpenID provider has its own lifetimes (the control API changes one at a time); all start
// from the same options.
const ttlFromOptions = () => ({
  AccessToken: opts['access-token-ttl'],
  IdToken: opts['id-token-ttl'],
  RefreshToken: opts['refresh-token-ttl'],
  DeviceCode: opts['device-code-ttl'],
});

// The ready line's name of each OpenID provider, and its shape (lib/oidc.mjs).
const OIDC_PROVIDERS = {
  oidc: 'full', oidc_thin: 'thin', oidc_keycloak: 'keycloak', oidc_entra: 'entra',
};
const oidcs = {};
for (const [name, flavor] of Object.entries(OIDC_PROVIDERS)) {
  oidcs[name] = await startOidc({ tls, groups, ttl: ttlFromOptions(), flavor });
}
// Each code host serves git over smart HTTP from its own folder of repositories (lib/githttp.mjs).
const gitDir = (name) => join(dir, 'git', name);
const github = createGitHub({ expiresIn: opts['github-expires-in'], deviceInterval: opts['device-interval'], gitDir: gitDir('github') });
const gitlab = createGitLab({ expiresIn: opts['gitlab-expires-in'], deviceInterval: opts['device-interval'], gitDir: gitDir('gitlab') });
const bitbucket = createBitbucket({ expiresIn: opts['bitbucket-expires-in'], gitDir: gitDir('bitbucket') });
const gitea = createGitea({ expiresIn: opts['gitea-expires-in'], gitDir: gitDir('gitea') });
const azureDevOps = createAzureDevOps({ entra: oidcs.oidc_entra, gitDir: gitDir('azure_devops') });

// The code hosts serve HTTPS with the OpenID provider's certificate: clients such as the oauth2
// crate refuse plain-http token and revocation URLs.
const githubServer = https.createServer({ cert: tls.cert, key: tls.key }, github.handler);
const gitlabServer = https.createServer({ cert: tls.cert, key: tls.key }, gitlab.handler);
const bitbucketServer = https.createServer({ cert: tls.cert, key: tls.key }, bitbucket.handler);
const githubPort = await listen(githubServer);
const gitlabPort = await listen(gitlabServer);
const bitbucketPort = await listen(bitbucketServer);
const giteaServer = https.createServer({ cert: tls.cert, key: tls.key }, gitea.handler);
const azureDevOpsServer = https.createServer({ cert: tls.cert, key: tls.key }, azureDevOps.handler);
const giteaPort = await listen(giteaServer);
const azureDevOpsPort = await listen(azureDevOpsServer);
gitea.setBaseUrl(`https://127.0.0.1:${giteaPort}`);
azureDevOps.setBaseUrl(`https://127.0.0.1:${azureDevOpsPort}`);
github.setBaseUrl(`https://127.0.0.1:${githubPort}`);
gitlab.setBaseUrl(`https://127.0.0.1:${gitlabPort}`);
bitbucket.setBaseUrl(`https://127.0.0.1:${bitbucketPort}`);
const controlServer = http.createServer(createControl({
  oidcs, github, gitlab, bitbucket, gitea, azureDevOps, groups,
}));
const controlPort = await listen(controlServer);

const servers = [...Object.values(oidcs).map((o) => o.server), githubServer, gitlabServer, bitbucketServer, giteaServer, azureDevOpsServer, controlServer];
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  for (const s of servers) {
    s.close();
    s.closeAllConnections?.();
  }
  // Servers are closed; do not wait for idle keep-alive sockets of clients.
  setTimeout(() => process.exit(0), 50).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
if (opts.exitWithStdin) {
  process.stdin.on('end', () => stop('stdin closed'));
  process.stdin.on('error', () => stop('stdin error'));
  process.stdin.resume();
}

const oidcReady = (o) => ({
  issuer: o.issuer,
  client_id: 'tessera',
  confidential_client_id: 'tessera-confidential',
  confidential_client_secret: o.confidentialSecret,
});
const ready = {
  ca_file: tls.caFile,
  oidc: oidcReady(oidcs.oidc),
  oidc_thin: oidcReady(oidcs.oidc_thin),
  oidc_keycloak: oidcReady(oidcs.oidc_keycloak),
  github: {
    base_url: `https://127.0.0.1:${githubPort}`,
    client_id: github.host.clientId,
    client_secret: github.host.clientSecret,
  },
  gitlab: {
    base_url: `https://127.0.0.1:${gitlabPort}`,
    client_id: gitlab.host.clientId,
    client_secret: gitlab.host.clientSecret,
  },
  bitbucket: {
    base_url: `https://127.0.0.1:${bitbucketPort}`,
    api_url: `https://127.0.0.1:${bitbucketPort}/2.0`,
    client_id: bitbucket.host.clientId,
    client_secret: bitbucket.host.clientSecret,
  },
  gitea: {
    base_url: `https://127.0.0.1:${giteaPort}`,
    client_id: gitea.host.clientId,
    client_secret: gitea.host.clientSecret,
  },
  // Azure DevOps: sign-in at the Entra-shaped issuer (the public client `tessera`), repositories
  // at the DevOps URL.
  azure_devops: {
    issuer: oidcs.oidc_entra.issuer,
    client_id: 'tessera',
    devops_url: `https://127.0.0.1:${azureDevOpsPort}`,
    organizations: ORGANIZATIONS,
  },
  control: `http://127.0.0.1:${controlPort}`,
};
process.stdout.write(`${JSON.stringify(ready)}\n`);
log(`ready in ${Date.now() - started} ms: oidc ${ready.oidc.issuer}, oidc_thin ${ready.oidc_thin.issuer}, oidc_keycloak ${ready.oidc_keycloak.issuer}, github ${ready.github.base_url}, gitlab ${ready.gitlab.base_url}, bitbucket ${ready.bitbucket.base_url}, gitea ${ready.gitea.base_url}, entra ${ready.azure_devops.issuer}, azure devops ${ready.azure_devops.devops_url}, control ${ready.control}`);
