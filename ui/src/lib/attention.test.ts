import { describe, expect, it } from 'vitest';
import type { Attention } from './api/types';
import { attentionKey, attentionPane, attentionText } from './attention';

const NOW = new Date('2025-06-15T12:00:00Z');

function item(over: Partial<Attention>): Attention {
  return {
    kind: 'token_expiring',
    place: 'personal_tokens',
    id: 'tok_1',
    label: 'ci',
    org: null,
    org_name: null,
    provider: null,
    at: '2025-06-18T12:00:00Z',
    ...over,
  };
}

describe('attention', () => {
  it('words each kind as a sentence and names the pane that deals with it', () => {
    expect(attentionText(item({}), NOW)).toBe('Personal access token “ci” expires in 3 days.');
    expect(attentionText(item({ kind: 'token_expired', at: '2025-06-13T12:00:00Z' }), NOW)).toBe(
      'Personal access token “ci” expired 2 days ago.',
    );
    expect(attentionText(item({ place: 'org_tokens', org: 'org_1', org_name: 'acme', label: 'deploy' }), NOW)).toBe(
      'Organization token “deploy” of acme expires in 3 days.',
    );
    const link = item({ kind: 'link_reconnect', place: 'linked_accounts', label: 'carol', provider: 'gitlab', at: null });
    expect(attentionText(link, NOW)).toBe('Your gitlab account carol needs reconnecting: sign in with it again.');
    expect(attentionPane(link)).toBe('account');
    expect(attentionPane(item({ place: 'org_agent_tokens' }))).toBe('organizations');
    expect(attentionPane(item({ place: 'agent_tokens' }))).toBe('agent-tokens');
  });

  it('keys an item by what about it needs attention, so expiring and expired are told apart', () => {
    expect(attentionKey(item({}))).not.toBe(attentionKey(item({ kind: 'token_expired' })));
    expect(attentionKey(item({}))).toBe(attentionKey(item({ label: 'renamed' })));
  });
});
