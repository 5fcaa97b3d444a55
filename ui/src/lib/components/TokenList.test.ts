// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import type { Token, TokenWithValue } from '../api/types';
import type { TokenCollection } from '../tokens';
import TokenList from './TokenList.svelte';

const NOW = new Date('2025-06-15T12:00:00Z');
const SECRET = 'tsr_pat_0123456789abcdefghijABCDEFGHIJ123456';
const ROTATED = 'tsr_pat_ZYXWVUTSRQzyxwvutsrq9876543210654321';

function token(patch: Partial<Token>): Token {
  return {
    id: 't1',
    kind: 'pat',
    label: 'Deploy from CI',
    description: 'GitLab runner',
    scopes: ['read', 'trigger'],
    owner: { kind: 'user', id: 'u1' },
    created_at: '2025-06-12T12:00:00Z',
    expires_at: null,
    last_used_at: '2025-06-15T11:57:00Z',
    last_used_ip: '10.1.2.3',
    revoked_at: null,
    hint: 'tsr_pat_…a1B2',
    ...patch,
  };
}

function collection(initial: Token[]) {
  const tokens = [...initial];
  const c = {
    id: 'personal',
    noun: 'personal access token',
    scoped: true,
    list: vi.fn(async () => [...tokens]),
    create: vi.fn(async (body): Promise<TokenWithValue> => ({
      ...token({ id: 't-new', label: body.label, scopes: body.scopes ?? [], last_used_at: null }),
      created_at: NOW.toISOString(),
      token: SECRET,
    })),
    update: vi.fn(async (id: string, patch) => ({ ...tokens.find((t) => t.id === id)!, ...patch })),
    rotate: vi.fn(async (id: string): Promise<TokenWithValue> => ({
      ...tokens.find((t) => t.id === id)!,
      hint: 'tsr_pat_…4321',
      token: ROTATED,
    })),
    remove: vi.fn(async () => undefined),
  } satisfies TokenCollection;
  return c;
}

function clipboard() {
  return { copy: vi.fn(async (_text: string, _clearAfterSeconds: number) => undefined) };
}

function renderList(c: TokenCollection, extra: Partial<{ canManage: boolean }> = {}) {
  const cb = clipboard();
  const result = render(TokenList, {
    props: {
      collection: c,
      now: NOW,
      clearAfterSeconds: 30,
      emptyText: 'Tokens let scripts call the API as you.',
      clipboard: cb,
      ...extra,
    },
  });
  return { ...result, clipboard: cb };
}

describe('TokenList', () => {
  it('shows label, scopes, hint and relative times for each token', async () => {
    renderList(collection([token({})]));
    const row = await screen.findByTestId('token-row');
    const text = row.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('Deploy from CI');
    expect(text).toContain('GitLab runner');
    const chips = within(within(row).getByRole('list', { name: 'Scopes' })).getAllByRole('listitem');
    expect(chips.map((c) => c.textContent)).toEqual(['trigger', 'read']);
    expect(text).toContain('tsr_pat_…a1B2');
    expect(text).toContain('Created 3 days ago');
    expect(text).toContain('Never expires');
    expect(text).toContain('Last used 3 minutes ago from 10.1.2.3');
  });

  it('shows an empty state with a way to create the first token', async () => {
    renderList(collection([]));
    const empty = await screen.findByTestId('empty-state');
    expect(empty.textContent).toContain('No personal access tokens yet');
    expect(within(empty).getByTestId('token-create-empty')).toBeTruthy();
  });

  it('filters rows with the search box', async () => {
    renderList(
      collection([
        token({ id: 'a', label: 'Laptop', description: '' }),
        token({ id: 'b', label: 'Build server', description: 'nightly' }),
      ]),
    );
    await screen.findAllByTestId('token-row');
    await fireEvent.input(screen.getByTestId('token-search'), { target: { value: 'night' } });
    const rows = screen.getAllByTestId('token-row');
    expect(rows.map((r) => r.dataset['tokenId'])).toEqual(['b']);
    await fireEvent.input(screen.getByTestId('token-search'), { target: { value: 'nothing-like-it' } });
    expect(screen.queryAllByTestId('token-row')).toHaveLength(0);
    expect(screen.getByTestId('token-no-match').textContent).toContain('nothing-like-it');
  });

  it('shows a failed load as a sentence, never as JSON, and loads again on retry', async () => {
    const c = collection([token({})]);
    c.list.mockRejectedValueOnce(new ApiError(403, 'forbidden', 'You do not have permission to do that.'));
    renderList(c);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('You do not have permission to do that.');
    expect(alert.textContent).not.toMatch(/[{}]/);
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('token-row')).toHaveLength(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('asks for a scope before creating a scoped token', async () => {
    const c = collection([]);
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-create-empty'));
    await fireEvent.input(screen.getByTestId('token-label'), { target: { value: 'CI' } });
    await fireEvent.click(screen.getByTestId('token-create-submit'));
    expect(screen.getByRole('alert').textContent).toContain('Choose at least one scope.');
    expect(c.create).not.toHaveBeenCalled();
  });

  it('shows the lifetime policy in force and offers only the expiries it allows', async () => {
    const c = {
      ...collection([]),
      policy: vi.fn(async () => ({ max_lifetime_seconds: 30 * 86_400, require_expiry: false })),
    };
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-create-empty'));
    expect((await screen.findByTestId('expiry-policy')).textContent).toBe(
      'Your administrators allow these tokens to live at most 30 days.',
    );
    const choice = screen.getByTestId('expiry-choice') as HTMLSelectElement;
    expect([...choice.options].map((o) => o.value)).toEqual(['7', '30', 'date']);
    await fireEvent.input(screen.getByTestId('token-label'), { target: { value: 'CI' } });
    await fireEvent.click(screen.getByTestId('scope-read'));
    await fireEvent.click(screen.getByTestId('token-create-submit'));
    await screen.findByTestId('reveal-dialog');
    expect(c.create).toHaveBeenCalledWith(
      expect.objectContaining({ expires_at: expect.stringMatching(/^\d{4}-/) }),
    );
  });

  it('creates a token, reveals the value once, and forgets it on Done', async () => {
    const c = collection([token({})]);
    const { clipboard: cb } = renderList(c);
    await screen.findByTestId('token-row');
    const createButton = screen.getByTestId('token-create');
    createButton.focus();
    await fireEvent.click(createButton);

    await fireEvent.input(screen.getByTestId('token-label'), { target: { value: '  Release  ' } });
    await fireEvent.click(screen.getByTestId('scope-read'));
    await fireEvent.change(screen.getByTestId('expiry-choice'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('token-create-submit'));

    const dialog = await screen.findByTestId('reveal-dialog');
    expect(c.create).toHaveBeenCalledWith({
      label: 'Release',
      scopes: ['read'],
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect((screen.getByTestId('reveal-value') as HTMLInputElement).value).toBe(SECRET);
    expect(dialog.textContent).toContain('will not be shown again');
    // The list shows the new token by its hint only.
    const rows = screen.getAllByTestId('token-row');
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.innerHTML).not.toContain(SECRET);

    await fireEvent.click(screen.getByTestId('reveal-copy'));
    expect(cb.copy).toHaveBeenCalledWith(SECRET, 30);
    expect((await screen.findByTestId('reveal-status')).textContent).toContain('cleared in 30 seconds');

    await fireEvent.click(screen.getByTestId('reveal-done'));
    expect(screen.queryByTestId('reveal-dialog')).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
    await waitFor(() => expect(document.activeElement).toBe(createButton));
  });

  it('rotates only after confirmation and reveals the new value', async () => {
    const c = collection([token({})]);
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-rotate'));
    const confirm = screen.getByTestId('confirm-dialog');
    expect(confirm.getAttribute('role')).toBe('alertdialog');
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    expect(c.rotate).not.toHaveBeenCalled();
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();

    await fireEvent.click(screen.getByTestId('token-rotate'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await screen.findByTestId('reveal-dialog');
    expect(c.rotate).toHaveBeenCalledWith('t1');
    expect((screen.getByTestId('reveal-value') as HTMLInputElement).value).toBe(ROTATED);
    expect(screen.getByTestId('token-row').textContent).toContain('tsr_pat_…4321');

    // Escape before a copy asks first; discarding closes the dialog and the value goes with it.
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: 'Escape' });
    expect(screen.getByTestId('reveal-discard-prompt').textContent).toContain('will not be shown again');
    await fireEvent.click(screen.getByTestId('reveal-discard'));
    expect(screen.queryByTestId('reveal-dialog')).toBeNull();
    expect(document.body.innerHTML).not.toContain(ROTATED);
  });

  it('offers one primary action while the list is empty', async () => {
    const { container } = renderList(collection([]));
    await screen.findByTestId('token-create-empty');
    const primary = container.querySelectorAll('.btn-primary');
    expect(primary).toHaveLength(1);
    expect(primary[0]!.getAttribute('data-testid')).toBe('token-create-empty');
  });

  it('deletes only after confirmation', async () => {
    const c = collection([token({})]);
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-delete'));
    expect(screen.getByTestId('confirm-dialog').textContent).toContain('cannot be undone');
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    await waitFor(() => expect(screen.queryAllByTestId('token-row')).toHaveLength(0));
    expect(c.remove).toHaveBeenCalledWith('t1');
  });

  it('gives the focus back to Delete when the confirmation is cancelled', async () => {
    renderList(collection([token({})]));
    const del = await screen.findByTestId('token-delete');
    del.focus();
    await fireEvent.click(del);
    await fireEvent.click(screen.getByTestId('confirm-cancel'));
    await waitFor(() => expect(document.activeElement).toBe(del));
  });

  it('keeps the confirmation open with the reason when the API refuses', async () => {
    const c = collection([token({})]);
    c.remove.mockRejectedValueOnce(new ApiError(409, 'conflict', 'That token is in use by a running agent.'));
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-delete'));
    await fireEvent.click(screen.getByTestId('confirm-ok'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('That token is in use by a running agent.');
    expect(screen.getByTestId('confirm-dialog')).toBeTruthy();
    expect(screen.getAllByTestId('token-row')).toHaveLength(1);
  });

  it('edits label and description, sending only what changed', async () => {
    const c = collection([token({})]);
    renderList(c);
    await fireEvent.click(await screen.findByTestId('token-edit'));
    await fireEvent.input(screen.getByTestId('edit-label'), { target: { value: 'Deploy (old CI)' } });
    await fireEvent.click(screen.getByTestId('edit-save'));
    await waitFor(() => expect(screen.queryByTestId('token-edit-dialog')).toBeNull());
    expect(c.update).toHaveBeenCalledWith('t1', { label: 'Deploy (old CI)' });
    expect(screen.getByTestId('token-row').textContent).toContain('Deploy (old CI)');
  });

  it('offers no changes to someone who may only look', async () => {
    renderList(collection([token({})]), { canManage: false });
    await screen.findByTestId('token-row');
    expect(screen.queryByTestId('token-create')).toBeNull();
    expect(screen.queryByTestId('token-rotate')).toBeNull();
    expect(screen.queryByTestId('token-delete')).toBeNull();
    expect(screen.queryByTestId('token-edit')).toBeNull();
  });
});
