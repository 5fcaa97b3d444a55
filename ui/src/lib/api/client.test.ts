import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, errorSentence } from './client';
import type { Token, TokenWithValue } from './types';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fake fetch that records each call and answers from `respond`. */
function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      url: String(input),
      method: init?.method ?? 'GET',
      // Header names as the wire has them: case does not matter, so compare lower-cased.
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : init?.body,
    };
    calls.push(call);
    return respond(call);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

const TOKEN: Token = {
  id: 'tok_1',
  kind: 'pat',
  label: 'deploy',
  description: '',
  scopes: ['read'],
  owner: { kind: 'user', id: 'usr_1' },
  created_at: '2025-01-01T00:00:00Z',
  expires_at: null,
  last_used_at: null,
  last_used_ip: null,
  revoked_at: null,
  hint: 'tsr_pat_…abcd',
};

function client(respond: (call: Call) => Response | Promise<Response>, token: string | null = 'session-jwt') {
  const fake = fakeFetch(respond);
  return { api: new ApiClient({ baseUrl: 'http://127.0.0.1:7878/', token, fetch: fake.fetch }), calls: fake.calls };
}

describe('requests', () => {
  it('lists PATs with GET, the bearer token and no body', async () => {
    const { api, calls } = client(() => json(200, [TOKEN]));
    const tokens = await api.listPersonalTokens();
    expect(tokens).toEqual([TOKEN]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('http://127.0.0.1:7878/api/v1/user/tokens');
    expect(calls[0]!.method).toBe('GET');
    expect(calls[0]!.headers['authorization']).toBe('Bearer session-jwt');
    expect(calls[0]!.headers['content-type']).toBeUndefined();
    expect(calls[0]!.body).toBeUndefined();
  });

  it('creates a PAT with a JSON body and returns the value once', async () => {
    const created: TokenWithValue = { ...TOKEN, token: 'tsr_pat_secret' };
    const { api, calls } = client(() => json(201, created));
    const body = {
      label: 'deploy',
      scopes: ['read', 'trigger'] as const,
      expires_at: '2025-02-01T00:00:00Z',
    };
    const result = await api.createPersonalToken({ ...body, scopes: [...body.scopes] });
    expect(result.token).toBe('tsr_pat_secret');
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.url).toBe('http://127.0.0.1:7878/api/v1/user/tokens');
    expect(calls[0]!.headers['content-type']).toBe('application/json');
    expect(calls[0]!.body).toEqual({
      label: 'deploy',
      scopes: ['read', 'trigger'],
      expires_at: '2025-02-01T00:00:00Z',
    });
  });

  it('sends no Authorization header for the public provider list', async () => {
    const { api, calls } = client(() => json(200, []), null);
    await api.listProviders();
    expect(calls[0]!.url).toBe('http://127.0.0.1:7878/api/v1/providers');
    expect(calls[0]!.headers['authorization']).toBeUndefined();
  });

  it.each([
    ['updatePersonalToken', (a: ApiClient) => a.updatePersonalToken('t 1', { label: 'x' }), 'PATCH', '/user/tokens/t%201', { label: 'x' }],
    ['rotatePersonalToken', (a: ApiClient) => a.rotatePersonalToken('t1'), 'POST', '/user/tokens/t1/rotate', undefined],
    ['deleteAgentToken', (a: ApiClient) => a.deleteAgentToken('t1'), 'DELETE', '/user/agent-tokens/t1', undefined],
    ['createOrgToken', (a: ApiClient) => a.createOrgToken('o1', { label: 'ci', scopes: ['read'] }), 'POST', '/orgs/o1/tokens', { label: 'ci', scopes: ['read'] }],
    ['rotateOrgAgentToken', (a: ApiClient) => a.rotateOrgAgentToken('o1', 't1'), 'POST', '/orgs/o1/agent-tokens/t1/rotate', undefined],
    ['addMember', (a: ApiClient) => a.addMember('o1', { user: 'bob', role: 'admin' }), 'POST', '/orgs/o1/members', { user: 'bob', role: 'admin' }],
    ['removeMember', (a: ApiClient) => a.removeMember('o1', { user: 'bob' }), 'DELETE', '/orgs/o1/members', { user: 'bob' }],
    ['inviteMember', (a: ApiClient) => a.inviteMember('o1', { user: 'bob', role: 'member' }), 'POST', '/orgs/o1/invitations', { user: 'bob', role: 'member' }],
    ['listOrgInvitations', (a: ApiClient) => a.listOrgInvitations('o1'), 'GET', '/orgs/o1/invitations', undefined],
    ['withdrawInvitation', (a: ApiClient) => a.withdrawInvitation('o1', 'inv 1'), 'DELETE', '/orgs/o1/invitations/inv%201', undefined],
    ['listInvitations', (a: ApiClient) => a.listInvitations(), 'GET', '/user/invitations', undefined],
    ['acceptInvitation', (a: ApiClient) => a.acceptInvitation('inv_1'), 'POST', '/user/invitations/inv_1/accept', undefined],
    ['declineInvitation', (a: ApiClient) => a.declineInvitation('inv_1'), 'POST', '/user/invitations/inv_1/decline', undefined],
    ['createProject', (a: ApiClient) => a.createProject({ name: 'app', org: 'o1' }), 'POST', '/projects', { name: 'app', org: 'o1' }],
    ['updateProject', (a: ApiClient) => a.updateProject('p1', { repository_url: null }), 'PATCH', '/projects/p1', { repository_url: null }],
    ['createTriggerToken', (a: ApiClient) => a.createTriggerToken('p1', { label: 'hook' }), 'POST', '/projects/p1/trigger-tokens', { label: 'hook' }],
    ['deleteTriggerToken', (a: ApiClient) => a.deleteTriggerToken('p1', 't1'), 'DELETE', '/projects/p1/trigger-tokens/t1', undefined],
    ['triggerRun', (a: ApiClient) => a.triggerRun('p1'), 'POST', '/projects/p1/runs', undefined],
    ['getPipeline', (a: ApiClient) => a.getPipeline('p1', 'ci'), 'GET', '/projects/p1/pipelines/ci', undefined],
    ['importPipeline', (a: ApiClient) => a.importPipeline('p1', 'ci', { path: '.tessera/pipeline.yml', ref: 'v2' }), 'POST', '/projects/p1/pipelines/ci/import', { path: '.tessera/pipeline.yml', ref: 'v2' }],
    ['listGitHosts', (a: ApiClient) => a.listGitHosts(), 'GET', '/user/git/hosts', undefined],
    ['listAuditEvents', (a: ApiClient) => a.listAuditEvents(), 'GET', '/admin/audit', undefined],
    ['listAuditEvents', (a: ApiClient) => a.listAuditEvents({ action: 'token.use', outcome: 'failed', target: '', limit: 50, cursor: 'c1' }), 'GET', '/admin/audit?action=token.use&outcome=failed&limit=50&cursor=c1', undefined],
    ['unlinkIdentity', (a: ApiClient) => a.unlinkIdentity('i1'), 'DELETE', '/user/identities/i1', undefined],
    ['endSession', (a: ApiClient) => a.endSession(), 'DELETE', '/sessions/current', undefined],
    ['updateUser', (a: ApiClient) => a.updateUser('u 1', { disabled: true }), 'PATCH', '/admin/users/u%201', { disabled: true }],
    ['deleteUser', (a: ApiClient) => a.deleteUser('u1'), 'DELETE', '/admin/users/u1', undefined],
  ])('%s uses the right method, path and body', async (_name, run, method, path, body) => {
    const { api, calls } = client(() =>
      method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, {}),
    );
    await run(api);
    expect(calls[0]!.method).toBe(method);
    expect(calls[0]!.url).toBe(`http://127.0.0.1:7878/api/v1${path}`);
    expect(calls[0]!.body).toEqual(body);
  });

  it('answers undefined for 204 No Content', async () => {
    const { api } = client(() => new Response(null, { status: 204 }));
    await expect(api.deletePersonalToken('t1')).resolves.toBeUndefined();
  });
});

describe('errors', () => {
  it('maps the API error body to an ApiError with status, code and message', async () => {
    const { api } = client(() =>
      json(403, { error: { code: 'forbidden', message: 'this token lacks the token:admin scope' } }),
    );
    const error = await api.listPersonalTokens().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'This token lacks the token:admin scope.',
    });
  });

  it('keeps the provider to sign in with again from a reconnect_required answer', async () => {
    const { api } = client(() =>
      json(409, { error: { code: 'reconnect_required', message: 'sign in with GitHub again', provider: 'gh' } }),
    );
    await expect(api.importPipeline('p1', 'ci', { path: 'ci.yml' })).rejects.toMatchObject({
      status: 409,
      code: 'reconnect_required',
      provider: 'gh',
      message: 'Sign in with GitHub again.',
    });
    const forbidden = client(() => json(403, { error: { code: 'forbidden', message: 'no' } })).api;
    await expect(forbidden.listPersonalTokens()).rejects.toMatchObject({ code: 'forbidden', provider: null });
  });

  it('falls back to a sentence for the code when the message is missing', async () => {
    const { api } = client(() => json(409, { error: { code: 'conflict', message: '' } }));
    await expect(api.createOrg({ name: 'acme' })).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
      message: 'That conflicts with something that already exists.',
    });
  });

  it('never passes JSON or HTML through as the message', async () => {
    const { api } = client(() => new Response('<html><body>Bad Gateway</body></html>', { status: 502 }));
    const error = (await api.me().catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.code).toBe('unknown');
    expect(error.message).toBe('The server ran into a problem (HTTP 502). Try again in a moment.');
    expect(error.message).not.toMatch(/[<{]/);
  });

  it('turns a network failure into a sentence naming the server', async () => {
    const { api } = client(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(api.me()).rejects.toMatchObject({
      status: 0,
      code: 'network',
      message:
        'Tessera could not reach the server at http://127.0.0.1:7878. Check that it is running and that this computer is online.',
    });
  });

  it('gives up with a sentence when the server does not answer in time', async () => {
    const fetch = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      })) as unknown as typeof globalThis.fetch;
    const api = new ApiClient({ baseUrl: 'http://x', token: 't', fetch, timeoutMs: 10 });
    await expect(api.me()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('reports a 200 answer that is not JSON as unreadable', async () => {
    const { api } = client(() => new Response('not json', { status: 200 }));
    await expect(api.me()).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('calls onUnauthenticated on 401 and still rejects', async () => {
    const onUnauthenticated = vi.fn();
    const fake = fakeFetch(() =>
      json(401, { error: { code: 'unauthenticated', message: 'session expired' } }),
    );
    const api = new ApiClient({ baseUrl: 'http://x', token: 't', fetch: fake.fetch, onUnauthenticated });
    await expect(api.me()).rejects.toMatchObject({ status: 401, message: 'Session expired.' });
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('does not call onUnauthenticated for a 403', async () => {
    const onUnauthenticated = vi.fn();
    const fake = fakeFetch(() => json(403, { error: { code: 'forbidden', message: 'no' } }));
    const api = new ApiClient({ baseUrl: 'http://x', token: 't', fetch: fake.fetch, onUnauthenticated });
    await expect(api.me()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });
});

describe('errorSentence', () => {
  it('uses the ApiError message', () => {
    expect(errorSentence(new ApiError(404, 'not_found', 'No such token.'))).toBe('No such token.');
  });

  it('uses a shell error message as a sentence', () => {
    expect(errorSentence({ code: 'keyring_locked', message: 'the keyring is locked' })).toBe(
      'The keyring is locked.',
    );
  });

  it('hides anything else behind a generic sentence', () => {
    expect(errorSentence(new TypeError('x is undefined'))).toBe('Something went wrong. Try again.');
    expect(errorSentence('{"error":1}')).toBe('Something went wrong. Try again.');
    expect(errorSentence(undefined)).toBe('Something went wrong. Try again.');
  });
});
