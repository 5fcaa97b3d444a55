// What every settings pane needs from the signed-in app, passed down through Svelte context.

import { createContext } from 'svelte';
import type { ApiClient } from './api/client';
import type { Me } from './api/types';
import type { Preferences } from './shell';

export interface AppContext {
  /** The API client of the current session. */
  readonly client: ApiClient;
  /** The signed-in account as last read from GET /api/v1/me. */
  readonly me: Me;
  readonly preferences: Preferences;
  /** The current time, ticking so relative times stay true. */
  readonly now: Date;
  reloadMe(): Promise<void>;
  savePreferences(preferences: Preferences): Promise<void>;
  signOut(notice?: string): Promise<void>;
}

export const [getApp, setApp] = createContext<AppContext>();
