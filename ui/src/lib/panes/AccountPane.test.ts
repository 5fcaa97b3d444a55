// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiClient } from '../api/client';
import type { Device, GitHost, Identity } from '../api/types';
import { axeViolations } from '../axe.test-helper';
import { DEFAULT_PREFERENCES } from '../shell';
import AccountPane from './AccountPane.svelte';
import { fakeClient, renderPane, TEST_NOW } from './renderPane.test-helper';

function device(id: string, name: string, current: boolean): Device {
  const at = new Date(TEST_NOW.getTime() - 3_600_000).toISOString();
  return { id, name, created_at: at, last_seen_at: at, last_seen_ip: '192.0.2.7', expires_at: at, current };
}

/** A client whose `mocks` can be asserted on; every other method answers an empty list. */
function clientWith(mocks: Record<string, ReturnType<typeof vi.fn>>): ApiClient {
  const rest = fakeClient({});
  return new Proxy({} as ApiClient, {
    get: (_, name: string) => mocks[name] ?? (rest as unknown as Record<string, unknown>)[name],
  });
}

const HERE = device('dev_here', 'Tessera desktop on ada-laptop', true);
const PHONE = device('dev_phone', 'tessera command line on build-box', false);

describe('Account: signed-in devices and an API session', () => {
  it('lists the devices, this one marked, and signs another one out after confirming', async () => {
    const client = clientWith({
      listDevices: vi.fn(async () => [HERE, PHONE]),
      revokeDevice: vi.fn(async () => undefined),
    });
    const app = renderPane(AccountPane, client);
    const rows = await screen.findAllByTestId('device-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('This device')).toBeTruthy();
    expect(rows[1]!.textContent).toContain('from 192.0.2.7');

    await fireEvent.click(within(rows[1]!).getByTestId('device-sign-out'));
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await waitFor(() => expect(client.revokeDevice).toHaveBeenCalledWith('dev_phone'));
    expect(vi.mocked(client.listDevices).mock.calls.length).toBeGreaterThanOrEqual(2);
    app.unmount();
  });

  it('reveals a one-hour API session once, like a token', async () => {
    const client = clientWith({
      listDevices: vi.fn(async () => [HERE]),
      createApiSession: vi.fn(async () => ({ token: 'eyJ.one-hour.session', expires_at: TEST_NOW.toISOString() })),
    });
    renderPane(AccountPane, client);
    await fireEvent.click(await screen.findByTestId('copy-api-session'));
    const dialog = await screen.findByTestId('reveal-dialog');
    expect(dialog.textContent).toContain('A one-hour API session');
    expect((screen.getByTestId('reveal-value') as HTMLInputElement).value).toBe('eyJ.one-hour.session');
    expect(client.createApiSession).toHaveBeenCalledTimes(1);
  });
});

const shellMock = vi.hoisted(() => ({ copyToClipboard: vi.fn(async (_text: string, _clear: number) => undefined) }));
vi.mock('../shell', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../shell')>()),
  copyToClipboard: shellMock.copyToClipboard,
}));

function identity(id: string, kind: Identity['provider_kind'], name: string): Identity {
  return {
    id, provider: kind, provider_kind: kind, subject: `${id}-subject`, display_name: name, email: null,
    created_at: '2025-06-01T00:00:00Z', last_login_at: null, status: 'connected', expires_at: null, asserted_role: null,
  };
}

const GITHUB = identity('idn_gh', 'github', 'octocat');
const SSO = identity('idn_sso', 'oidc', 'ada@example.com');
const HOSTS: GitHost[] = [
  { provider: 'github', provider_name: 'GitHub', url: 'https://github.com', host: 'github.com', identity: 'idn_gh', account: 'octocat', status: 'connected' },
  { provider: 'gitlab', provider_name: 'GitLab', url: 'https://gitlab.example.com:8443', host: 'gitlab.example.com:8443', identity: 'idn_gl', account: 'carol', status: 'disconnected' },
];

/** Waits until the linked accounts and the git hosts have both been answered. */
async function linkedAccountsLoaded(client: ApiClient) {
  await screen.findByRole('list', { name: 'Linked accounts' });
  await waitFor(() => expect(client.listGitHosts).toHaveBeenCalled());
  await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('Account: using linked code hosts with git', () => {
  beforeEach(() => shellMock.copyToClipboard.mockReset());

  it('shows the setup-git command for the app sign-in in local mode, with a copy button, and the hosts with their accounts', async () => {
    const client = clientWith({
      listIdentities: vi.fn(async () => [GITHUB]),
      listGitHosts: vi.fn(async () => HOSTS),
    });
    renderPane(AccountPane, client);
    const note = await screen.findByTestId('git-note');
    expect(within(note).getByRole('heading', { name: 'Use with git' })).toBeTruthy();
    expect(note.textContent?.replace(/\s+/g, ' ')).toContain(
      'Run tessera auth setup-git --desktop once: git then clones and pushes with these accounts.',
    );
    const hosts = within(note).getAllByTestId('git-host').map((li) => li.textContent?.replace(/\s+/g, ' ').trim());
    expect(hosts).toEqual(['https://github.com as octocat', 'https://gitlab.example.com:8443 as carol needs reconnecting']);

    const copy = within(note).getByRole('button', { name: 'Copy the command tessera auth setup-git --desktop' });
    await fireEvent.click(copy);
    expect(shellMock.copyToClipboard).toHaveBeenCalledWith('tessera auth setup-git --desktop', 30);
    await waitFor(() => expect(copy.textContent?.trim()).toBe('Copied'));
    expect(screen.getAllByRole('status').map((s) => s.textContent)).toContain('Copied tessera auth setup-git --desktop.');
    expect(within(note).getByRole('list', { name: 'Hosts git can use' })).toBeTruthy();
    expect(await axeViolations(note)).toEqual([]);
  });

  it('on a team server, shows the command for the command line login', async () => {
    const client = clientWith({
      listIdentities: vi.fn(async () => [GITHUB]),
      listGitHosts: vi.fn(async () => HOSTS),
    });
    const team = { ...DEFAULT_PREFERENCES, server: { kind: 'team' as const, url: 'https://tessera.example' } };
    renderPane(AccountPane, client, {}, {}, team);
    const note = await screen.findByTestId('git-note');
    expect(note.textContent?.replace(/\s+/g, ' ')).toContain('Run tessera auth setup-git once:');
    expect(note.textContent).not.toContain('--desktop');
  });

  it('says so when the command cannot be copied', async () => {
    shellMock.copyToClipboard.mockRejectedValueOnce({ code: 'clipboard', message: 'Tessera could not write to the clipboard.' });
    const client = clientWith({ listIdentities: vi.fn(async () => [GITHUB]), listGitHosts: vi.fn(async () => HOSTS) });
    renderPane(AccountPane, client);
    await fireEvent.click(await screen.findByTestId('git-setup-copy'));
    const note = screen.getByTestId('git-note');
    expect((await within(note).findByTestId('error')).textContent).toContain('Tessera could not write to the clipboard.');
  });

  it('is hidden when the server has no git hosts endpoint (404)', async () => {
    const client = clientWith({
      listIdentities: vi.fn(async () => [GITHUB]),
      listGitHosts: vi.fn(async () => {
        throw new ApiError(404, 'not_found', 'Not found.');
      }),
    });
    renderPane(AccountPane, client);
    await linkedAccountsLoaded(client);
    expect(screen.getAllByTestId('identity-row')).toHaveLength(1);
    expect(screen.queryByTestId('git-note')).toBeNull();
  });

  it('is hidden when no code host is linked', async () => {
    const client = clientWith({ listIdentities: vi.fn(async () => [SSO]), listGitHosts: vi.fn(async () => []) });
    renderPane(AccountPane, client);
    await linkedAccountsLoaded(client);
    expect(screen.queryByTestId('git-note')).toBeNull();
  });

  it('still gives the command, without the list, when the hosts cannot be read', async () => {
    const client = clientWith({
      listIdentities: vi.fn(async () => [SSO, GITHUB]),
      listGitHosts: vi.fn(async () => {
        throw new ApiError(502, 'provider_unavailable', 'The code host answered HTTP 500.');
      }),
    });
    renderPane(AccountPane, client);
    const note = await screen.findByTestId('git-note');
    expect(note.textContent).toContain('tessera auth setup-git');
    expect(within(note).queryByTestId('git-hosts')).toBeNull();
  });
});
