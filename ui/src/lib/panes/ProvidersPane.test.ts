// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type ApiClient } from '../api/client';
import type { Provider, ProviderConfig, ProviderDetail, ProviderHealth } from '../api/types';
import ProvidersPane from './ProvidersPane.svelte';
import { renderPane } from './renderPane.test-helper';

function info(id: string, kind: Provider['kind'], name: string, source: Provider['source']): Provider {
  return {
    id,
    kind,
    name,
    source,
    logo: null,
    client_id: 'c',
    authorization_endpoint: null,
    scopes: [],
    code_challenge_method: 'S256',
    nonce: kind === 'oidc',
    device: false,
    error: null,
  };
}

const SSO = info('sso', 'oidc', 'Company SSO', 'file');
const GH = info('gh', 'github', 'GitHub', 'api');

const GOOD: ProviderHealth = {
  provider: 'sso',
  ok: true,
  checks: [
    { check: 'discovery', status: 'ok', detail: 'found the discovery document' },
    { check: 'userinfo', status: 'warning', detail: 'the provider has no userinfo endpoint: claims not in the ID token will be missing' },
  ],
};
const BAD: ProviderHealth = {
  provider: 'gh',
  ok: false,
  checks: [
    { check: 'api', status: 'ok', detail: 'the REST API answers' },
    { check: 'client', status: 'error', detail: 'the token endpoint does not accept client id c: the client secret is wrong or missing' },
  ],
};

const GH_DETAIL: ProviderDetail = {
  config: {
    id: 'gh',
    kind: 'github',
    name: 'GitHub',
    base_url: 'https://git.example',
    client_id: 'Iv1.abc',
    scopes: ['read:user', 'read:org'],
    admin_team: 'acme/admins',
    allow_signup: true,
    allowed_groups: ['staff'],
  },
  source: 'api',
  has_client_secret: true,
};

/** A client over these providers whose methods the test can look at and change. */
function client(getProvider: (id: string) => Promise<ProviderDetail> = async () => GH_DETAIL) {
  const fns = {
    listProviders: vi.fn(async () => [SSO, GH]),
    testProvider: vi.fn(async (id: string) => (id === 'sso' ? GOOD : BAD)),
    getProvider: vi.fn(getProvider),
    addProvider: vi.fn(async (c: ProviderConfig) => info(c.id, c.kind, c.name ?? c.id, 'api')),
    updateProvider: vi.fn(async (..._args: [string, ProviderConfig]) => GH_DETAIL),
    deleteProvider: vi.fn(async (_id: string) => undefined),
  };
  return { fns, api: fns as unknown as ApiClient };
}

async function rows() {
  return screen.findAllByTestId('provider-row');
}

describe('Providers pane', () => {
  it('lists each provider with its logo, kind, id and source, and checks each when it opens', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    const [sso, gh] = await rows();
    expect(sso!.textContent).toContain('Company SSO');
    expect(sso!.textContent).toContain('OpenID Connect');
    expect(sso!.querySelector('img')).not.toBeNull();
    expect(within(sso!).getByTestId('provider-source').textContent).toContain('providers.toml');
    expect(within(gh!).getByTestId('provider-source').textContent).toContain('Here');
    await waitFor(() => expect(within(gh!).getByTestId('provider-health').textContent).toContain('1 error'));
    expect(within(sso!).getByTestId('provider-health').textContent).toContain('1 warning');
    expect(fns.testProvider.mock.calls.map((c) => c[0]).sort()).toEqual(['gh', 'sso']);

    // A file provider is read-only; one added here has Edit and Delete.
    expect(within(sso!).queryByTestId('provider-edit')).toBeNull();
    expect(within(sso!).getByTestId('provider-read-only')).toBeTruthy();
    expect(within(gh!).getByTestId('provider-edit')).toBeTruthy();
  });

  it('shows every check with its sentence on demand, and tests again', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    const [, gh] = await rows();
    await waitFor(() => expect(within(gh!).getByTestId('provider-health').textContent).toContain('1 error'));
    await fireEvent.click(within(gh!).getByTestId('provider-health'));
    const dialog = await screen.findByTestId('provider-health-dialog');
    const checks = within(dialog).getAllByTestId('provider-check');
    expect(checks).toHaveLength(2);
    expect(checks[1]!.textContent).toContain('error');
    expect(checks[1]!.textContent).toContain('The token endpoint does not accept client id c: the client secret is wrong or missing.');

    fns.testProvider.mockImplementation(async () => ({ ...BAD, ok: true, checks: [BAD.checks[0]!] }));
    await fireEvent.click(within(dialog).getByTestId('provider-retest'));
    await waitFor(() => expect(within(dialog).getAllByTestId('provider-check')).toHaveLength(1));
    expect(within(gh!).getByTestId('provider-health').textContent).toContain('OK');

    await fireEvent.click(within(dialog).getByTestId('provider-health-close'));
    await fireEvent.click(within(gh!).getByTestId('provider-test'));
    await waitFor(() => expect(fns.testProvider).toHaveBeenCalledTimes(4));
  });

  it('adds a provider of the kind picked, with the fields that kind uses', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    await rows();
    await fireEvent.click(screen.getByTestId('provider-add'));
    const dialog = await screen.findByTestId('provider-dialog');
    expect(within(dialog).getByTestId('provider-issuer')).toBeTruthy();
    await fireEvent.click(within(dialog).getByTestId('provider-kind-gitlab'));
    expect(within(dialog).queryByTestId('provider-issuer')).toBeNull();
    expect(within(dialog).queryByTestId('provider-admin-team')).toBeNull();
    await fireEvent.input(within(dialog).getByTestId('provider-admin-group'), { target: { value: 'acme/admins' } });
    await fireEvent.change(within(dialog).getByTestId('provider-access-level'), { target: { value: '40' } });
    await fireEvent.input(within(dialog).getByTestId('provider-id'), { target: { value: 'gl' } });
    await fireEvent.input(within(dialog).getByTestId('provider-base'), { target: { value: 'https://gitlab.corp.example' } });
    await fireEvent.input(within(dialog).getByTestId('provider-client-id'), { target: { value: 'app-1' } });
    await fireEvent.input(within(dialog).getByTestId('provider-secret'), { target: { value: 's3cret' } });

    // The server refuses: the reason shows in the dialog and everything typed stays.
    fns.addProvider.mockImplementationOnce(async () => {
      throw new ApiError(400, 'invalid_request', 'provider gl: admin_group must be a group\'s full path');
    });
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await within(dialog).findByText(/admin_group must be a group/);
    expect((within(dialog).getByTestId('provider-client-id') as HTMLInputElement).value).toBe('app-1');
    expect((within(dialog).getByTestId('provider-secret') as HTMLInputElement).value).toBe('s3cret');

    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await waitFor(() => expect(screen.queryByTestId('provider-dialog')).toBeNull());
    const sent = fns.addProvider.mock.calls[1]![0];
    expect(sent).toMatchObject({
      id: 'gl',
      kind: 'gitlab',
      base_url: 'https://gitlab.corp.example',
      client_id: 'app-1',
      client_secret: 's3cret',
      admin_group: 'acme/admins',
      admin_access_level: 40,
      issuer: null,
      admin_team: null,
      role_claim: null,
      allow_signup: true,
    });
    await waitFor(() => expect(fns.testProvider).toHaveBeenCalledWith('gl'));
  });

  it('adds an OpenID provider with its role claim and who may sign in', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    await rows();
    await fireEvent.click(screen.getByTestId('provider-add'));
    const dialog = await screen.findByTestId('provider-dialog');
    const type = (id: string, value: string) => fireEvent.input(within(dialog).getByTestId(id), { target: { value } });
    await type('provider-id', 'kc');
    await type('provider-issuer', 'https://sso.example/realms/acme');
    await type('provider-client-id', 'tessera');
    expect(within(dialog).queryByTestId('provider-admin-value')).toBeNull();
    await type('provider-role-claim', 'realm_access.roles');
    await type('provider-admin-value', 'tessera-admin');
    await fireEvent.change(within(dialog).getByTestId('provider-claim-source'), { target: { value: 'access_token' } });
    await type('provider-domains', 'acme.example, corp.example');
    await type('provider-groups', 'staff');
    await type('provider-groups-claim', 'realm_access.roles');
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await waitFor(() => expect(fns.addProvider).toHaveBeenCalledTimes(1));
    expect(fns.addProvider.mock.calls[0]![0]).toMatchObject({
      id: 'kc',
      kind: 'oidc',
      issuer: 'https://sso.example/realms/acme',
      base_url: null,
      client_secret: null,
      role_claim: 'realm_access.roles',
      admin_value: 'tessera-admin',
      role_claim_source: 'access_token',
      allowed_domains: ['acme.example', 'corp.example'],
      allowed_groups: ['staff'],
      groups_claim: 'realm_access.roles',
    });
  });

  it('adds Azure DevOps with its Entra issuer, DevOps URL and organizations, and Gitea with its address', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    await rows();
    await fireEvent.click(screen.getByTestId('provider-add'));
    let dialog = await screen.findByTestId('provider-dialog');
    const type = (id: string, value: string) => fireEvent.input(within(dialog).getByTestId(id), { target: { value } });
    await fireEvent.click(within(dialog).getByTestId('provider-kind-azure_devops'));
    await type('provider-id', 'ado');
    await type('provider-issuer', 'https://login.microsoftonline.com/contoso/v2.0');
    await type('provider-client-id', 'app-guid');
    // No organization yet: refused before asking the server.
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await within(dialog).findByText(/at least one Azure DevOps organization/);
    expect(fns.addProvider).not.toHaveBeenCalled();
    await type('provider-organizations', 'acme, acme-labs');
    await type('provider-role-claim', 'roles');
    await type('provider-admin-value', 'Tessera.Admin');
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await waitFor(() => expect(fns.addProvider).toHaveBeenCalledTimes(1));
    expect(fns.addProvider.mock.calls[0]![0]).toMatchObject({
      id: 'ado',
      kind: 'azure_devops',
      issuer: 'https://login.microsoftonline.com/contoso/v2.0',
      base_url: null,
      organizations: ['acme', 'acme-labs'],
      role_claim: 'roles',
      admin_value: 'Tessera.Admin',
      admin_team: null,
    });
    await waitFor(() => expect(screen.queryByTestId('provider-dialog')).toBeNull());

    await fireEvent.click(screen.getByTestId('provider-add'));
    dialog = await screen.findByTestId('provider-dialog');
    await fireEvent.click(within(dialog).getByTestId('provider-kind-gitea'));
    expect(within(dialog).queryByTestId('provider-issuer')).toBeNull();
    await type('provider-id', 'forgejo');
    await type('provider-client-id', 'cid');
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await within(dialog).findByText(/Enter the web address of the Gitea or Forgejo server/);
    await type('provider-base', 'https://codeberg.example');
    await type('provider-admin-team', 'acme/Owners');
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await waitFor(() => expect(fns.addProvider).toHaveBeenCalledTimes(2));
    expect(fns.addProvider.mock.calls[1]![0]).toMatchObject({
      id: 'forgejo',
      kind: 'gitea',
      base_url: 'https://codeberg.example',
      issuer: null,
      admin_team: 'acme/Owners',
      organizations: [],
    });
  });

  it('refuses a new provider without an id or client id before asking the server', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    await rows();
    await fireEvent.click(screen.getByTestId('provider-add'));
    const dialog = await screen.findByTestId('provider-dialog');
    await fireEvent.input(within(dialog).getByTestId('provider-id'), { target: { value: 'Bad Id' } });
    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await within(dialog).findByText(/lower-case letters/);
    expect(fns.addProvider).not.toHaveBeenCalled();
  });

  it('edits a provider prefilled from the server, keeping the secret when left blank', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    const [, gh] = await rows();
    await fireEvent.click(within(gh!).getByTestId('provider-edit'));
    const dialog = await screen.findByTestId('provider-dialog');
    expect(fns.getProvider).toHaveBeenCalledWith('gh');
    expect((within(dialog).getByTestId('provider-client-id') as HTMLInputElement).value).toBe('Iv1.abc');
    expect((within(dialog).getByTestId('provider-admin-team') as HTMLInputElement).value).toBe('acme/admins');
    expect(within(dialog).getByText(/leave this blank to keep it/)).toBeTruthy();
    expect(within(dialog).queryByTestId('provider-id')).toBeNull();

    expect(within(dialog).queryByTestId('provider-moved')).toBeNull();
    await fireEvent.input(within(dialog).getByTestId('provider-base'), { target: { value: 'https://git2.example' } });
    expect(within(dialog).getByTestId('provider-moved').textContent).toContain('can no longer sign in through it');

    await fireEvent.click(within(dialog).getByTestId('provider-save'));
    await waitFor(() => expect(screen.queryByTestId('provider-dialog')).toBeNull());
    const [id, sent] = fns.updateProvider.mock.calls[0]!;
    expect(id).toBe('gh');
    expect(sent.client_secret).toBeNull();
    expect(sent).toMatchObject({ id: 'gh', base_url: 'https://git2.example', admin_team: 'acme/admins', allowed_groups: ['staff'] });
  });

  it('deletes a provider after confirmation', async () => {
    const { fns, api } = client();
    renderPane(ProvidersPane, api);
    const [, gh] = await rows();
    await fireEvent.click(within(gh!).getByTestId('provider-delete'));
    await screen.findByTestId('confirm-dialog');
    expect(fns.deleteProvider).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.getAllByTestId('provider-row')).toHaveLength(1));
    expect(fns.deleteProvider).toHaveBeenCalledWith('gh');
  });

  it('says why a provider cannot be edited when the server refuses to show it', async () => {
    const { api } = client(async () => {
      throw new ApiError(503, 'keyring_locked', 'the keyring is locked; unlock it and try again');
    });
    renderPane(ProvidersPane, api);
    const [, gh] = await rows();
    await fireEvent.click(within(gh!).getByTestId('provider-edit'));
    await screen.findByText(/keyring is locked/);
    expect(screen.queryByTestId('provider-dialog')).toBeNull();
  });
});
