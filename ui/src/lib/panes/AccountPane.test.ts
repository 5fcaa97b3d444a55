// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/client';
import type { Device } from '../api/types';
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
