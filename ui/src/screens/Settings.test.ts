// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { fakeClient, renderPane } from '../lib/panes/renderPane.test-helper';
import Settings from './Settings.svelte';

const TOKEN = {
  id: 't1', kind: 'pat', label: 'CI', description: null, scopes: ['read'], owner: { kind: 'user', id: 'u1' },
  created_at: '2025-06-01T00:00:00Z', expires_at: null, last_used_at: null, last_used_ip: null, revoked_at: null,
  hint: 'tsr_pat_…a1B2',
};

function renderSettings() {
  return renderPane(Settings, fakeClient({ listPersonalTokens: [TOKEN], getUserPolicy: null }), { role: 'member' });
}

describe('Settings shortcuts', () => {
  it('/ focuses the pane search and Ctrl+, opens Preferences', async () => {
    renderSettings();
    const search = await screen.findByTestId('token-search');
    await fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(search);
    await fireEvent.keyDown(document.body, { key: ',', ctrlKey: true });
    expect(await screen.findByTestId('pane-preferences')).toBeTruthy();
  });

  it('Ctrl+N opens the pane\'s New dialog, ? lists the shortcuts, and neither fires inside a dialog', async () => {
    renderSettings();
    await screen.findByTestId('token-create');
    await fireEvent.keyDown(document.body, { key: 'n', ctrlKey: true });
    expect(await screen.findByTestId('token-create-dialog')).toBeTruthy();
    await fireEvent.keyDown(document.body, { key: '?' });
    expect(screen.queryByTestId('shortcuts-dialog')).toBeNull();
    await fireEvent.keyDown(document.body, { key: 'Escape' });
    await fireEvent.keyDown(document.body, { key: '?' });
    const sheet = await screen.findByTestId('shortcuts-dialog');
    expect(sheet.textContent).toContain('Ctrl+N');
    expect(sheet.textContent).toContain('Ctrl+,');
  });
});

const shellMock = vi.hoisted(() => ({ linkIdentity: vi.fn(async (_provider: string) => undefined) }));
vi.mock('../lib/shell', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../lib/shell')>()),
  linkIdentity: shellMock.linkIdentity,
}));

describe('Settings: attention', () => {
  const LINK = {
    kind: 'link_reconnect', place: 'linked_accounts', id: 'idn_1', label: 'carol', org: null, org_name: null,
    provider: 'gitlab', at: null,
  };

  it('reconnects a code-host link in one click and reads the list again', async () => {
    const answers = [[LINK], []];
    const client = new Proxy(fakeClient({ listPersonalTokens: [TOKEN], getUserPolicy: null }), {
      get: (target, name: string) =>
        name === 'listAttention' ? async () => answers.shift() ?? [] : (target as unknown as Record<string, unknown>)[name],
    });
    renderPane(Settings, client, { role: 'member' });
    await fireEvent.click(await screen.findByTestId('attention-toggle'));
    const item = await screen.findByTestId('attention-item');
    expect(item.textContent).toContain('Your gitlab account carol needs reconnecting');
    await fireEvent.click(screen.getByTestId('attention-reconnect'));
    expect(shellMock.linkIdentity).toHaveBeenCalledWith('gitlab');
    await waitFor(() => expect(screen.queryByTestId('attention')).toBeNull());
  });
});
