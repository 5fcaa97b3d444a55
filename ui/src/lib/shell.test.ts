import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  isTauri: () => true,
}));

const shell = await import('./shell');

describe('shell commands', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue(null);
  });

  it.each([
    ['serverInfo', () => shell.serverInfo(), 'server_info', undefined],
    ['currentSession', () => shell.currentSession(), 'current_session', { renew: false }],
    ['currentSession (renew)', () => shell.currentSession(true), 'current_session', { renew: true }],
    ['startLocal', () => shell.startLocal(), 'start_local', undefined],
    ['signIn', () => shell.signIn('keycloak'), 'sign_in', { providerId: 'keycloak' }],
    ['cancelSignIn', () => shell.cancelSignIn(), 'cancel_sign_in', undefined],
    ['signOut', () => shell.signOut(), 'sign_out', undefined],
    ['linkIdentity', () => shell.linkIdentity('github'), 'link_identity', { providerId: 'github' }],
    ['copyToClipboard', () => shell.copyToClipboard('v', 45), 'copy_to_clipboard', { text: 'v', clearAfter: 45 }],
    ['getPreferences', () => shell.getPreferences(), 'get_preferences', undefined],
    [
      'setPreferences',
      () => shell.setPreferences(shell.DEFAULT_PREFERENCES),
      'set_preferences',
      { preferences: shell.DEFAULT_PREFERENCES },
    ],
  ])('%s invokes %s', async (_name, run, command, args) => {
    await run();
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith(command, args);
  });

  it('marks a moment once, on the next frame, and never fails', async () => {
    const frames: (() => void)[] = [];
    vi.stubGlobal('requestAnimationFrame', (cb: () => void) => frames.push(cb));
    invoke.mockRejectedValue({ code: 'unknown', message: 'No.' });
    shell.markReady('token-list');
    shell.markReady('token-list');
    expect(invoke).not.toHaveBeenCalled();
    expect(frames).toHaveLength(1);
    frames[0]!();
    expect(invoke).toHaveBeenCalledExactlyOnceWith('mark_ready', { what: 'token-list' });
    await Promise.resolve();
    vi.unstubAllGlobals();
  });

  it('turns a {code, message} rejection into a ShellError', async () => {
    invoke.mockRejectedValueOnce({ code: 'keyring_locked', message: 'The keyring is locked.' });
    const error = await shell.startLocal().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(shell.ShellError);
    expect(error).toMatchObject({ code: 'keyring_locked', message: 'The keyring is locked.' });
  });

  it('keeps a cancelled sign-in recognisable', async () => {
    invoke.mockRejectedValueOnce({ code: 'cancelled', message: 'Sign-in was cancelled.' });
    await expect(shell.signIn('github')).rejects.toMatchObject({ code: shell.CANCELLED });
  });

  it('gives a sentence for a rejection without one', async () => {
    invoke.mockRejectedValueOnce(undefined);
    await expect(shell.getPreferences()).rejects.toMatchObject({
      code: 'unknown',
      message: 'The desktop app could not complete that action.',
    });
  });
});
