import { describe, expect, it } from 'vitest';
import type { Identity } from './api/types';
import { identityStatusText } from './identity';

const NOW = new Date('2025-06-15T12:00:00Z');

function identity(patch: Partial<Identity>): Identity {
  return {
    id: 'i1',
    provider: 'github',
    provider_kind: 'github',
    subject: '42',
    display_name: 'octo',
    email: null,
    created_at: '2025-01-01T00:00:00Z',
    last_login_at: null,
    status: 'connected',
    expires_at: null,
    asserted_role: null,
    ...patch,
  };
}

describe('identityStatusText', () => {
  it('reads connected tokens with and without expiry', () => {
    expect(identityStatusText(identity({}), NOW)).toBe('Connected');
    expect(identityStatusText(identity({ expires_at: '2025-06-15T19:00:00Z' }), NOW)).toBe(
      'Connected, expires in 7 hours',
    );
  });

  it('reads expired and disconnected', () => {
    expect(identityStatusText(identity({ status: 'expired' }), NOW)).toBe('Expired');
    expect(identityStatusText(identity({ expires_at: '2025-06-15T11:00:00Z' }), NOW)).toBe('Expired');
    expect(identityStatusText(identity({ status: 'disconnected' }), NOW)).toBe('Disconnected');
  });
});
