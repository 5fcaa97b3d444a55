// What every settings pane needs from the signed-in app, passed down through Svelte context.

import { createContext } from 'svelte';
import type { ApiClient } from './api/client';
import type { Me, Token } from './api/types';
import type { Preferences } from './shell';

export interface AppContext {
  /** The API client of the current session. */
  readonly client: ApiClient;
  /** The signed-in account as last read from GET /api/v1/me. */
  readonly me: Me;
  readonly preferences: Preferences;
  /** The current time, ticking so relative times stay true. */
  readonly now: Date;
  /**
   * The personal token list asked for at sign-in together with /me, so the first screen waits
   * for one round trip instead of two. Given once; null afterwards.
   */
  takeFirstTokens(): Promise<Token[]> | null;
  reloadMe(): Promise<void>;
  savePreferences(preferences: Preferences): Promise<void>;
  signOut(notice?: string): Promise<void>;
}

export const [getApp, setApp] = createContext<AppContext>();
