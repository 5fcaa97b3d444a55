// The desktop shell's commands, the only place the UI calls Tauri.
// The shell does what a webview must not: the browser sign-in (RFC 8252 loopback), the
// clipboard, the keyring and the preferences file. Each function forwards to one command;
// components import these functions and tests replace this module.
//
// Outside Tauri (`npm run dev` in a browser) a development stand-in answers instead, so the
// screens can be worked on against `tessera serve` with a session from `tessera admin session`.

import { invoke, isTauri } from '@tauri-apps/api/core';
import { ClearingClipboard } from './clipboard';

// The shapes the shell answers with are generated from its Rust types (src-tauri, ts-rs).
import type { FirstAnswers } from './bindings/FirstAnswers';
import type { Preferences } from './bindings/Preferences';
import type { ServerInfo } from './bindings/ServerInfo';
import type { ServerPreference } from './bindings/ServerPreference';
import type { Session } from './bindings/Session';
import type { Theme } from './bindings/Theme';

export type { FirstAnswers, Preferences, ServerInfo, ServerPreference, Session, Theme };

/** A failed shell command, `{code, message}` like the API's errors. */
export class ShellError extends Error {
  override readonly name = 'ShellError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_PREFERENCES: Preferences = {
  theme: 'system',
  clipboard_clear_seconds: 30,
  server: { kind: 'local' },
};

/** The code a cancelled browser sign-in rejects with; the UI treats it as no error at all. */
export const CANCELLED = 'cancelled';

/** Whether `e` is the shell's answer to a browser flow the person cancelled. */
export function isCancelled(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === CANCELLED;
}

function toShellError(error: unknown): ShellError {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e.message === 'string' && e.message.trim() !== '') {
      return new ShellError(typeof e.code === 'string' ? e.code : 'unknown', e.message);
    }
  }
  if (typeof error === 'string' && error.trim() !== '') {
    return new ShellError('unknown', error);
  }
  return new ShellError('unknown', 'The desktop app could not complete that action.');
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toShellError(error);
  }
}

// The development stand-in, used only outside Tauri.

const notInDesktop = () =>
  new ShellError('unavailable', 'This needs the Tessera desktop app.');

let browserPreferences: Preferences = structuredClone(DEFAULT_PREFERENCES);

function devServerUrl(): string {
  return import.meta.env.VITE_TESSERA_API_URL ?? 'http://127.0.0.1:7878';
}

function devSession(): Session {
  // Only a development server reads the variable, so a production bundle never embeds a token.
  if (import.meta.env.DEV && import.meta.env.VITE_TESSERA_TOKEN) {
    return {
      base_url: devServerUrl(),
      token: import.meta.env.VITE_TESSERA_TOKEN,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    };
  }
  throw new ShellError(
    'unavailable',
    'Signing in needs the Tessera desktop app. In a browser, start the dev server with VITE_TESSERA_TOKEN set to a session from "tessera admin session NAME".',
  );
}

// The commands.

/** `server_info` → ServerInfo: the API the app talks to before anyone signs in. */
export function serverInfo(): Promise<ServerInfo> {
  if (!isTauri()) return Promise.resolve({ base_url: devServerUrl(), mode: 'team' });
  return call('server_info');
}

/**
 * `current_session {renew}` → Session | null: the session the shell holds while it is fresh,
 * else one renewed with the login kept in the keyring (also at launch); `renew` asks for a new
 * one even so, after the server refused the one held. Null when nobody is signed in.
 */
export function currentSession(renew = false): Promise<Session | null> {
  if (!isTauri()) return Promise.resolve(null);
  return call('current_session', { renew });
}

/**
 * `first_answers` → FirstAnswers | null: the first screen's data the shell asked the API for at
 * launch with the session it restored, handed over once (see `first.ts`).
 */
export function firstAnswers(): Promise<FirstAnswers | null> {
  if (!isTauri()) return Promise.resolve(null);
  return call('first_answers');
}

/** `start_local` → Session: use the embedded server as the local account. */
export function startLocal(): Promise<Session> {
  if (!isTauri()) return Promise.resolve().then(devSession);
  return call('start_local');
}

/** `sign_in {providerId}` → Session: the system-browser flow; rejects with code `cancelled`. */
export function signIn(providerId: string): Promise<Session> {
  if (!isTauri()) return Promise.reject(notInDesktop());
  return call('sign_in', { providerId });
}

/** `cancel_sign_in` → null: stops waiting for the browser. */
export function cancelSignIn(): Promise<void> {
  if (!isTauri()) return Promise.resolve();
  return call('cancel_sign_in');
}

/** `sign_out` → null: the shell forgets the session it keeps. */
export function signOut(): Promise<void> {
  if (!isTauri()) return Promise.resolve();
  return call('sign_out');
}

/** `link_identity {providerId}` → null: the browser flow, then POST /api/v1/user/identities. */
export function linkIdentity(providerId: string): Promise<void> {
  if (!isTauri()) return Promise.reject(notInDesktop());
  return call('link_identity', { providerId });
}

let browserClipboard: ClearingClipboard | null = null;

/**
 * `copy_to_clipboard {text, clearAfter}` → null: the shell copies `text` and, `clearAfter`
 * seconds later, clears the clipboard if it still holds it. The shell keeps only a hash of the
 * value for that, so the caller can forget the value at once.
 */
export async function copyToClipboard(text: string, clearAfterSeconds: number): Promise<void> {
  if (!isTauri()) {
    browserClipboard ??= new ClearingClipboard({
      read: () => navigator.clipboard.readText(),
      write: (value) => navigator.clipboard.writeText(value),
    });
    try {
      await browserClipboard.copy(text, clearAfterSeconds);
    } catch {
      throw new ShellError('clipboard', 'Tessera could not write to the clipboard.');
    }
    return;
  }
  return call('copy_to_clipboard', { text, clearAfter: clearAfterSeconds });
}

/** Moments a person notices, marked for launch timing (see `bench/desktop.sh`). */
export type ReadyMark = 'token-list';

const marked = new Set<ReadyMark | LaunchStep>();

/** Whether `what` is to be marked now: in the desktop shell, and the first time only. */
function firstMark(what: ReadyMark | LaunchStep): boolean {
  if (!isTauri() || marked.has(what)) return false;
  marked.add(what);
  return true;
}

/** `mark_ready {what}` → null, once per mark, on the frame after it was drawn. Never fails. */
export function markReady(what: ReadyMark): void {
  if (!firstMark(what)) return;
  requestAnimationFrame(() => {
    call('mark_ready', { what }).catch(() => undefined);
  });
}

/** Steps of the launch on the way to the token list, for finding where its time goes. */
export type LaunchStep = 'ui-start' | 'ui-session' | 'ui-me' | 'ui-tokens';

/** `mark_ready {what}` → null, once per step, as it happens (no frame waited for). Never fails. */
export function markStep(what: LaunchStep): void {
  if (!firstMark(what)) return;
  call('mark_ready', { what }).catch(() => undefined);
}

/** What the window needs from the shell before it shows anything else. */
export interface Launch {
  preferences: Preferences;
  session: Session | null;
  /** The first screen's data, which may come later than the rest; null for none. */
  first: Promise<FirstAnswers | null>;
}

/**
 * The stored preferences, the session and the first screen's data, all asked for at once.
 * Never fails: the defaults, no session and no data stand in for an answer that does not come.
 */
export async function askLaunch(): Promise<Launch> {
  const first = firstAnswers().catch(() => null);
  const [preferences, session] = await Promise.all([
    getPreferences().catch(() => DEFAULT_PREFERENCES),
    currentSession().catch(() => null),
  ]);
  return { preferences, session, first };
}

/** `get_preferences` → Preferences */
export function getPreferences(): Promise<Preferences> {
  if (!isTauri()) return Promise.resolve(structuredClone(browserPreferences));
  return call('get_preferences');
}

/** `set_preferences {preferences}` → Preferences (as stored). */
export function setPreferences(preferences: Preferences): Promise<Preferences> {
  if (!isTauri()) {
    browserPreferences = structuredClone(preferences);
    return Promise.resolve(structuredClone(browserPreferences));
  }
  return call('set_preferences', { preferences });
}

/**
 * `attention_changed {items}` → null: the shell shows the count on its tray icon and a desktop
 * notification for each item it has not announced before (each once, across launches).
 */
export function attentionChanged(items: { key: string; text: string }[]): Promise<void> {
  if (!isTauri()) return Promise.resolve();
  return call('attention_changed', { items });
}
