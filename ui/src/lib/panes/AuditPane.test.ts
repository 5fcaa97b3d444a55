// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/client';
import type { AuditEvent, Me } from '../api/types';
import type { AppContext } from '../context';
import { DEFAULT_PREFERENCES } from '../shell';
import AuditPane from './AuditPane.svelte';
import WithApp from './WithApp.test.svelte';

const NOW = new Date('2025-06-15T12:00:00Z');
const IPV6 = '2001:0db8:85a3:0000:0000:8a2e:0370:7334';
const DETAIL = 'refused: the token lacks the scope token:admin, which listing organization tokens needs';

/** A refused use of a token from an IPv6 address, with a detail too long for its column. */
const REFUSED: AuditEvent = {
  id: 'aud_1', at: '2025-06-15T11:58:00Z', actor: 'user:u1', action: 'token.use', outcome: 'denied', count: 1,
  target: 'tok_0123456789abcdefghijklmnop', ip: IPV6, detail: DETAIL,
};

function renderAudit(events: AuditEvent[], labels: Record<string, string> = {}) {
  const client = {
    listAuditEvents: vi.fn(async () => ({ items: events, next_cursor: null, token_labels: labels })),
    listUsers: vi.fn(async () => [
      { id: 'u1', name: 'ada', role: 'admin', created_at: '2025-01-01T00:00:00Z', disabled: false },
    ]),
  };
  const app = {
    client: client as unknown as ApiClient,
    me: { id: 'u1', name: 'ada', role: 'admin' } as Me,
    preferences: DEFAULT_PREFERENCES,
    now: NOW,
    reloadMe: vi.fn(),
    savePreferences: vi.fn(),
    signOut: vi.fn(),
  } satisfies AppContext;
  return render(WithApp, { props: { app, pane: AuditPane } });
}

describe('AuditPane', () => {
  it('keeps each entry on one line: long cells are cut, with the whole text in their title', async () => {
    renderAudit([REFUSED]);
    const row = await screen.findByTestId('audit-row');
    const detail = within(row).getByText(DETAIL);
    expect(detail.getAttribute('title')).toBe(DETAIL);
    expect(detail.classList).toContain('clip');
    const target = within(row).getByText('tok_0123456789abcdefghijklmnop');
    expect(target.getAttribute('title')).toBe('tok_0123456789abcdefghijklmnop');
    const actor = within(row).getByText('ada');
    expect(actor.getAttribute('title')).toBe('user:u1');
  });

  it('shows the IP address whole', async () => {
    renderAudit([REFUSED, { ...REFUSED, id: 'aud_2', ip: null }]);
    const ips = await screen.findAllByTestId('audit-ip');
    expect(ips.map((td) => td.textContent)).toEqual([IPV6, '—']);
    expect(ips[0]!.querySelector('.clip')).toBeNull();
  });

  it('names a token by its label next to its id, as actor and as target', async () => {
    const used: AuditEvent = { ...REFUSED, id: 'aud_3', actor: 'token:tok_a', target: 'tok_b' };
    renderAudit([used], { tok_a: 'ci', tok_b: 'deploy' });
    const row = await screen.findByTestId('audit-row');
    expect(within(row).getByText('ci (tok_a)').getAttribute('title')).toBe('token:tok_a');
    expect(within(row).getByText('deploy (tok_b)').getAttribute('title')).toBe('tok_b');
  });

  it('shows the bare id of a token deleted since', async () => {
    renderAudit([{ ...REFUSED, id: 'aud_4', target: 'tok_gone' }]);
    const row = await screen.findByTestId('audit-row');
    expect(within(row).getByText('tok_gone')).toBeTruthy();
  });
});
