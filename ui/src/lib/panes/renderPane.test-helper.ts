// For component tests: a pane rendered inside the signed-in app's context, over a fake client.
import { render } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { vi } from 'vitest';
import type { ApiClient } from '../api/client';
import type { Me } from '../api/types';
import type { AppContext } from '../context';
import { DEFAULT_PREFERENCES, type Preferences } from '../shell';
import WithApp from './WithApp.test.svelte';

/** The instant the tests' app believes it is. */
export const TEST_NOW = new Date('2025-06-15T12:00:00Z');

/** A client whose every method answers `answers[name]`, or an empty list. */
export function fakeClient(answers: Record<string, unknown>): ApiClient {
  return new Proxy({} as ApiClient, {
    get: (_, name: string) => vi.fn(async () => (name in answers ? answers[name] : [])),
  });
}

/**
 * Renders `pane` for the account `me` (an admin called ada by default) over `client`, with the
 * pane's own `props` (a detail view's project, say; any pane, so its props are not typed here)
 * and the app's `preferences` (local mode by default).
 */
export function renderPane(
  pane: Component<any>,
  client: ApiClient,
  me: Partial<Me> = {},
  props: Record<string, unknown> = {},
  preferences: Preferences = DEFAULT_PREFERENCES,
) {
  const app = {
    client,
    me: { id: 'u1', name: 'ada', role: 'admin', orgs: [], ...me } as unknown as Me,
    preferences,
    now: TEST_NOW,
    takeFirstTokens: () => null,
    reloadMe: vi.fn(),
    savePreferences: vi.fn(),
    signOut: vi.fn(),
  } satisfies AppContext;
  return render(WithApp, { props: { app, pane, props } });
}
