// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../lib/api/client';
import type { Me } from '../lib/api/types';
import type { AppContext } from '../lib/context';
import WithApp from '../lib/panes/WithApp.test.svelte';
import { DEFAULT_PREFERENCES } from '../lib/shell';
import Settings from './Settings.svelte';

const TOKEN = {
  id: 't1', kind: 'pat', label: 'CI', description: null, scopes: ['read'], owner: { kind: 'user', id: 'u1' },
  created_at: '2025-06-01T00:00:00Z', expires_at: null, last_used_at: null, last_used_ip: null, revoked_at: null,
  hint: 'tsr_pat_…a1B2',
};

function renderSettings() {
  const client = new Proxy({} as ApiClient, {
    get: (_, name: string) => vi.fn(async () => (name === 'listPersonalTokens' ? [TOKEN] : name === 'getUserPolicy' ? null : [])),
  });
  const app = {
    client,
    me: { id: 'u1', name: 'ada', role: 'user', orgs: [] } as unknown as Me,
    preferences: DEFAULT_PREFERENCES,
    now: new Date('2025-06-15T12:00:00Z'),
    reloadMe: vi.fn(),
    savePreferences: vi.fn(),
    signOut: vi.fn(),
  } satisfies AppContext;
  return render(WithApp, { props: { app, pane: Settings } });
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
});
