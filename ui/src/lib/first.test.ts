import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from './api/client';
import type { FirstAnswers } from './bindings/FirstAnswers';
import type { Session } from './bindings/Session';
import { answeringFirst } from './first';

const session: Session = {
  base_url: 'http://127.0.0.1:4100',
  token: 'session-jwt',
  expires_at: '2030-01-01T00:00:00Z',
};

const me = { id: 'u1', name: 'ada', role: 'admin' };
const token = { id: 't1', label: 'laptop' };

const answers: FirstAnswers = {
  base_url: session.base_url,
  me: { status: 200, body: JSON.stringify(me) },
  tokens: { status: 200, body: JSON.stringify([token]) },
};

/** A server that answers every request with `{"from": "server"}` and records what it was asked. */
function server() {
  const asked: string[] = [];
  const send = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    asked.push(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`);
    return new Response(JSON.stringify({ from: 'server' }), {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  return { asked, send: send as unknown as typeof fetch };
}

const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });

describe('the first screen from the launch answers', () => {
  it('answers /me and the token list once each, then asks the server', async () => {
    const { asked, send } = server();
    const fetcher = answeringFirst(Promise.resolve(answers), session, send);
    const client = new ApiClient({ baseUrl: session.base_url, token: session.token, fetch: fetcher });

    await expect(client.me()).resolves.toEqual(me);
    await expect(client.listPersonalTokens()).resolves.toEqual([token]);
    expect(asked).toEqual([]);

    await expect(client.me()).resolves.toEqual({ from: 'server' });
    await expect(client.listPersonalTokens()).resolves.toEqual({ from: 'server' });
    expect(asked).toEqual(['GET /api/v1/me', 'GET /api/v1/user/tokens']);
  });

  it('asks the server for anything else, or with another session, origin or query', async () => {
    const { asked, send } = server();
    const fetcher = answeringFirst(Promise.resolve(answers), session, send);
    await fetcher(`${session.base_url}/api/v1/me`, bearer('another-session'));
    await fetcher('http://127.0.0.1:9999/api/v1/me', bearer(session.token));
    await fetcher(`${session.base_url}/api/v1/user/tokens?kind=pat`, bearer(session.token));
    await fetcher(`${session.base_url}/api/v1/user/tokens`, { ...bearer(session.token), method: 'POST', body: '{}' });
    await fetcher(`${session.base_url}/api/v1/orgs`, bearer(session.token));
    expect(asked).toEqual([
      'GET /api/v1/me',
      'GET /api/v1/me',
      'GET /api/v1/user/tokens?kind=pat',
      'POST /api/v1/user/tokens',
      'GET /api/v1/orgs',
    ]);
    // Still unused: the launch answers are there for the first matching call.
    const answered = await fetcher(`${session.base_url}/api/v1/me`, bearer(session.token));
    await expect(answered.json()).resolves.toEqual(me);
  });

  it('asks the server when the shell has no answers, cannot give them, or has another server’s', async () => {
    for (const first of [
      Promise.resolve(null),
      Promise.reject(new Error('no shell')),
      Promise.resolve({ ...answers, base_url: 'http://127.0.0.1:9999' }),
    ]) {
      const { asked, send } = server();
      const fetcher = answeringFirst(first, session, send);
      const res = await fetcher(`${session.base_url}/api/v1/me`, bearer(session.token));
      await expect(res.json()).resolves.toEqual({ from: 'server' });
      expect(asked).toEqual(['GET /api/v1/me']);
    }
  });
});
