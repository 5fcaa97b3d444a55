import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from './api/client';
import type { Token, TokenWithValue } from './api/types';
import { personalTokens, withoutValue } from './tokens';

describe('personalTokens', () => {
  it('answers its first list with the one asked for at sign-in, and asks the server after that', async () => {
    const first = [{ id: 'tok_first' }] as Token[];
    const fresh = [{ id: 'tok_fresh' }] as Token[];
    const listPersonalTokens = vi.fn(async () => fresh);
    const collection = personalTokens({ listPersonalTokens } as unknown as ApiClient, Promise.resolve(first));
    expect(await collection.list()).toBe(first);
    expect(listPersonalTokens).not.toHaveBeenCalled();
    expect(await collection.list()).toBe(fresh);
    expect(await collection.list()).toBe(fresh);
    expect(listPersonalTokens).toHaveBeenCalledTimes(2);
  });

  it('asks the server from the start when nothing was asked for at sign-in', async () => {
    const listPersonalTokens = vi.fn(async () => [] as Token[]);
    await personalTokens({ listPersonalTokens } as unknown as ApiClient).list();
    expect(listPersonalTokens).toHaveBeenCalledOnce();
  });
});

describe('withoutValue', () => {
  it("keeps neither the value nor a trigger token's webhook secret in what a list holds", () => {
    const issued = {
      id: 'tok_1',
      kind: 'trigger',
      label: 'ci',
      description: '',
      scopes: [],
      owner: { kind: 'project', id: 'prj_1' },
      created_at: '2031-03-01T12:00:00Z',
      expires_at: null,
      last_used_at: null,
      last_used_ip: null,
      hint: 'tsr_trg_…3456',
      token: 'tsr_trg_0123456789abcdefghijABCDEFGHIJ123456',
      webhook_secret: 'whsec_0123456789abcdefghijABCDEFGHIJ0123456789',
    } as unknown as TokenWithValue;
    const { token, value, webhookSecret } = withoutValue(issued);
    expect(value).toBe(issued.token);
    expect(webhookSecret).toBe(issued.webhook_secret);
    expect(JSON.stringify(token)).not.toContain('tsr_trg_0123');
    expect(JSON.stringify(token)).not.toContain('whsec_');
  });
});
