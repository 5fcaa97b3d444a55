// @vitest-environment jsdom
import { screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../api/types';
import AuditPane from './AuditPane.svelte';
import { fakeClient, renderPane } from './renderPane.test-helper';

const IPV6 = '2001:0db8:85a3:0000:0000:8a2e:0370:7334';
const DETAIL = 'refused: the token lacks the scope token:admin, which listing organization tokens needs';

/** A refused use of a token from an IPv6 address, with a detail too long for its column. */
const REFUSED: AuditEvent = {
  id: 'aud_1', at: '2025-06-15T11:58:00Z', actor: 'user:u1', action: 'token.use', outcome: 'denied', count: 1,
  target: 'tok_0123456789abcdefghijklmnop', ip: IPV6, detail: DETAIL,
};

function renderAudit(events: AuditEvent[], labels: Record<string, string> = {}) {
  const client = fakeClient({
    listAuditEvents: { items: events, next_cursor: null, token_labels: labels },
    listUsers: [{ id: 'u1', name: 'ada', role: 'admin', created_at: '2025-01-01T00:00:00Z', disabled: false }],
  });
  return renderPane(AuditPane, client);
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
