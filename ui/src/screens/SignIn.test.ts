// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const shell = vi.hoisted(() => ({
  serverInfo: vi.fn(),
  signIn: vi.fn(),
  cancelSignIn: vi.fn(),
  startLocal: vi.fn(),
}));
// The commands are stand-ins; the rest of the module (CANCELLED, isCancelled) is the real one.
vi.mock('../lib/shell', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../lib/shell')>()),
  ...shell,
}));

const { default: SignIn } = await import('./SignIn.svelte');

const SESSION = { base_url: 'http://127.0.0.1:41234', token: 'jwt', expires_at: '2030-01-01T00:00:00Z' };

function answer(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('SignIn', () => {
  beforeEach(() => {
    shell.serverInfo.mockResolvedValue({ base_url: 'http://127.0.0.1:41234', mode: 'local' });
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        answer(200, [
          { id: 'keycloak', kind: 'oidc', name: 'Keycloak' },
          { id: 'github', kind: 'github', name: 'GitHub' },
        ]),
      ),
    );
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is the main landmark of the window', async () => {
    render(SignIn, { props: { onsession: vi.fn() } });
    expect(screen.getByRole('main').contains(screen.getByTestId('sign-in'))).toBe(true);
  });

  it('offers one button per provider, and local use', async () => {
    render(SignIn, { props: { onsession: vi.fn() } });
    expect((await screen.findByTestId('sign-in-provider-keycloak')).textContent).toContain(
      'Sign in with Keycloak',
    );
    expect(screen.getByTestId('sign-in-provider-github').querySelector('img')).not.toBeNull();
    expect(screen.getByTestId('sign-in-local').textContent).toContain('Use locally');
    expect(fetch).toHaveBeenCalledWith('http://127.0.0.1:41234/api/v1/providers', expect.anything());
  });

  it('shows Gitea/Forgejo and Azure DevOps providers with their own logos', async () => {
    vi.mocked(fetch).mockImplementation(async () =>
      answer(200, [
        { id: 'forgejo', kind: 'gitea', name: 'Forgejo' },
        { id: 'ado', kind: 'azure_devops', name: 'Azure DevOps' },
        { id: 'sso', kind: 'oidc', name: 'SSO' },
      ]),
    );
    render(SignIn, { props: { onsession: vi.fn() } });
    const logo = async (id: string) =>
      (await screen.findByTestId(`sign-in-provider-${id}`)).querySelector('img')?.getAttribute('src') ?? '';
    expect((await screen.findByTestId('sign-in-provider-forgejo')).textContent).toContain('Sign in with Forgejo');
    expect(await logo('forgejo')).toContain('gitea');
    expect(await logo('ado')).toContain('azure_devops');
    expect(await logo('sso')).toContain('oidc');
  });

  it('opens the app with the local session', async () => {
    shell.startLocal.mockResolvedValue(SESSION);
    const onsession = vi.fn(async () => undefined);
    render(SignIn, { props: { onsession } });
    await fireEvent.click(await screen.findByTestId('sign-in-local'));
    await waitFor(() => expect(onsession).toHaveBeenCalledWith(SESSION));
  });

  it('waits for the browser and can be cancelled without an error', async () => {
    let reject: (e: unknown) => void = () => undefined;
    shell.signIn.mockReturnValue(new Promise((_, r) => (reject = r)));
    shell.cancelSignIn.mockImplementation(async () => reject({ code: 'cancelled', message: 'Cancelled.' }));
    const onsession = vi.fn();
    render(SignIn, { props: { onsession } });
    await fireEvent.click(await screen.findByTestId('sign-in-provider-github'));

    expect(shell.signIn).toHaveBeenCalledWith('github');
    expect(screen.getByTestId('sign-in-waiting').textContent).toContain('Waiting for the browser');
    await fireEvent.click(screen.getByTestId('sign-in-cancel'));

    await screen.findByTestId('sign-in-provider-github');
    expect(shell.cancelSignIn).toHaveBeenCalled();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(onsession).not.toHaveBeenCalled();
  });

  it('shows a failed sign-in as a sentence', async () => {
    shell.signIn.mockRejectedValue({ code: 'provider_denied', message: 'GitHub refused the sign-in' });
    render(SignIn, { props: { onsession: vi.fn() } });
    await fireEvent.click(await screen.findByTestId('sign-in-provider-github'));
    expect((await screen.findByRole('alert')).textContent).toContain('GitHub refused the sign-in.');
  });

  it('offers local use alone when the server has no providers', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => answer(404, { error: { code: 'not_found', message: 'no route' } })));
    render(SignIn, { props: { onsession: vi.fn() } });
    await screen.findByTestId('sign-in-local');
    await waitFor(() => expect(screen.queryByText(/Looking for sign-in options/)).toBeNull());
    expect(screen.queryAllByTestId(/^sign-in-provider-/)).toHaveLength(0);
    expect(screen.queryByTestId('providers-error')).toBeNull();
  });
});
