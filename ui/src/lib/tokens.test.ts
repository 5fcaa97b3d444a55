import { describe, expect, it } from 'vitest';
import type { TokenWithValue } from './api/types';
import { withoutValue } from './tokens';

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
