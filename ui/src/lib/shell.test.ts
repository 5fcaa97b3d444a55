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
    ['firstAnswers', () => shell.firstAnswers(), 'first_answers', undefined],
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

  it('asks for the preferences, the session and the first screen at once at launch', async () => {
    const session = { base_url: 'http://127.0.0.1:1', token: 't', expires_at: '2030-01-01T00:00:00Z' };
    const stored = { ...shell.DEFAULT_PREFERENCES, theme: 'dark' };
    const first = { base_url: session.base_url, me: { status: 200, body: '{}' }, tokens: { status: 200, body: '[]' } };
    const answers = new Map<string, (value: unknown) => void>();
    invoke.mockImplementation((command: string) => new Promise((resolve) => answers.set(command, resolve)));
    const launch = shell.askLaunch();
    // All three calls are out before any is answered.
    expect([...answers.keys()].sort()).toEqual(['current_session', 'first_answers', 'get_preferences']);
    answers.get('current_session')!(session);
    answers.get('get_preferences')!(stored);
    // The launch does not wait for the first screen's data.
    const launched = await launch;
    expect(launched).toMatchObject({ preferences: stored, session });
    answers.get('first_answers')!(first);
    await expect(launched.first).resolves.toEqual(first);
  });

  it('launches on the defaults, no session and no data when the shell cannot answer', async () => {
    invoke.mockRejectedValue({ code: 'unknown', message: 'No.' });
    const launched = await shell.askLaunch();
    expect(launched).toMatchObject({ preferences: shell.DEFAULT_PREFERENCES, session: null });
    await expect(launched.first).resolves.toBeNull();
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
