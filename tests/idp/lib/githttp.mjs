// Git over smart HTTP on a local code host: git's own `git http-backend` (CGI) behind the host's
// HTTPS server, at /<owner>/<repo>.git as the real hosts serve it. It accepts only HTTP Basic
// credentials the host expects from an OAuth app: the host's user name for tokens
// (x-access-token, oauth2, x-token-auth) and an access token this host issued, unexpired and not
// revoked, whose scopes allow reading (clone, fetch) or writing (push). A person reaches only
// their own repositories; one the host lists for them is made on first use, with one commit.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './http.mjs';

const GIT_PATH = /^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\.git(\/(?:info\/refs|git-upload-pack|git-receive-pack))$/;

/** Runs git with `args` in `cwd` for setup, returning its standard output. */
function git(args, { cwd, input, env } = {}) {
  return execFileSync('git', args, {
    cwd, input, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  }).toString().trim();
}

/** A bare repository at `path` with a README on `main`, made without a working tree. */
function seed(path, owner, name) {
  mkdirSync(path, { recursive: true });
  git(['init', '--bare', '--quiet', '--initial-branch=main', path]);
  const env = {
    GIT_DIR: path,
    GIT_AUTHOR_NAME: owner, GIT_AUTHOR_EMAIL: `${owner}@example.test`, GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
    GIT_COMMITTER_NAME: owner, GIT_COMMITTER_EMAIL: `${owner}@example.test`, GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  };
  const blob = git(['hash-object', '-w', '--stdin'], { input: `# ${name}\n`, env });
  const tree = git(['mktree'], { input: `100644 blob ${blob}\tREADME.md\n`, env });
  const commit = git(['commit-tree', tree, '-m', 'Initial commit'], { env });
  git(['update-ref', 'refs/heads/main', commit], { env });
}

/**
 * @param {object} o
 * @param {import('./codehost.mjs').CodeHost} [o.host]  whose access tokens are accepted
 * A host of another shape (Azure DevOps) passes its own `parse(pathname)` → {owner, repo, rest},
 * `check(user, password)` → {login, scope} or {error}, `reaches(login, owner)`,
 * `listed(login, owner, repo)` and the `stats` object to count in.
 * @param {string} o.dir                  where its repositories live
 * @param {string} o.username             the user name the host expects with a token
 * @param {string} o.realm                the Basic realm, as the host names itself
 * @param {(scopes: string[], write: boolean) => boolean} o.allows  whether the scopes allow it
 * @returns {(req, res, url: URL) => boolean} handles a git request (true) or leaves it (false);
 *   its `file(login, owner, repo, ref, path)` reads one file for the host's contents API
 */
export function gitFront({
  host, dir, username, realm, allows,
  parse = (pathname) => {
    const m = GIT_PATH.exec(pathname);
    return m && { owner: m[1], repo: m[2], rest: m[3] };
  },
  check = (user, password) => {
    if (user !== username) return { error: 'user name' };
    return host.checkAccess(password);
  },
  reaches = (login, owner) => owner.toLowerCase() === login.toLowerCase(),
  listed = (login, owner, repo) => host.repositories(login).some((r) => r.name === repo),
  stats = {},
}) {
  Object.assign(stats, { ok: 0, refused: 0 }); // what the control API's /stats reports
  if (host) host.git = stats;
  const refuse = (res, status, message, headers = {}) => {
    stats.refused += 1;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(`${message}\n`);
  };

  /**
   * One file of `owner/repo` at `ref` (the default branch when none) as `login` may read it: a
   * Buffer, or null when there is no such repository, ref or file (or it is not `login`'s).
   */
  function file(login, owner, repo, ref, path) {
    if (!reaches(login, owner) || (ref && ref.startsWith('-'))) return null;
    const at = join(dir, owner.toLowerCase(), `${repo}.git`);
    if (!existsSync(at)) {
      if (!listed(login, owner, repo)) return null;
      seed(at, login, repo);
    }
    try {
      return execFileSync('git', ['--git-dir', at, 'show', `${ref || 'HEAD'}:${path}`], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return null;
    }
  }

  function handle(req, res, url) {
    const m = parse(url.pathname);
    if (!m) return false;
    const { owner, repo, rest } = m;
    const write = rest === '/git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack';
    const challenge = { 'www-authenticate': `Basic realm="${realm}"` };
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization || '');
    if (!basic) {
      refuse(res, 401, 'Authentication required', challenge);
      return true;
    }
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
    const checked = check(user, password);
    if (checked.error) {
      log(`${realm} git: refused ${user || '(no user)'} (${checked.error})`);
      refuse(res, 401, 'Invalid username or token', challenge);
      return true;
    }
    if (!reaches(checked.login, owner)) {
      refuse(res, 404, 'Repository not found');
      return true;
    }
    const scopes = (checked.scope || '').split(/[\s,]+/).filter(Boolean);
    if (!allows(scopes, write)) {
      refuse(res, 403, `The token's scopes (${scopes.join(' ') || 'none'}) do not allow ${write ? 'pushing' : 'reading'}`);
      return true;
    }
    const path = join(dir, owner.toLowerCase(), `${repo}.git`);
    if (!existsSync(path)) {
      if (!listed(checked.login, owner, repo)) {
        refuse(res, 404, 'Repository not found');
        return true;
      }
      seed(path, checked.login, repo);
    }
    backend(req, res, {
      root: dir, pathInfo: `/${owner.toLowerCase()}/${repo}.git${rest}`, query: url.search.slice(1), user: checked.login,
    });
    stats.ok += 1;
    return true;
  }

  handle.file = file;
  return handle;
}

/** Hands the request to `git http-backend` and its CGI answer back to the client. */
function backend(req, res, { root, pathInfo, query, user }) {
  const env = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers['content-type'] || '',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress || '127.0.0.1',
    GIT_PROTOCOL: req.headers['git-protocol'] || '',
    HTTP_CONTENT_ENCODING: req.headers['content-encoding'] || '',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stderr.on('data', (d) => log(`git http-backend: ${d.toString().trim()}`));
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk) => {
    if (started) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const text = head.toString('latin1');
    const crlf = text.indexOf('\r\n\r\n');
    const lf = text.indexOf('\n\n');
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
    if (end < 0) return;
    let status = 200;
    const headers = {};
    for (const line of text.slice(0, end).split(/\r?\n/).filter(Boolean)) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    started = true;
    if (head.length > end) res.write(head.subarray(end));
  });
  child.on('close', (code) => {
    if (!started) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`git http-backend exited with ${code}\n`);
    } else {
      res.end();
    }
  });
  child.on('error', (err) => {
    log(`git http-backend: ${err.message}`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
}
