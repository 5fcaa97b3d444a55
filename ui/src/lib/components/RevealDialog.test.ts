// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  isTauri: () => true,
}));

const { default: RevealDialog } = await import('./RevealDialog.svelte');

const SECRET = 'tsr_pat_0123456789abcdefghijABCDEFGHIJ123456';

describe('RevealDialog in the desktop app', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    invoke.mockReset();
    invoke.mockResolvedValue(null);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks the shell to copy and to clear later, and keeps the value only until it closes', async () => {
    const { component } = render(RevealDialog, { props: { clearAfterSeconds: 45 } });
    component.show(SECRET, 'Your new personal access token');
    await tick();
    await fireEvent.click(screen.getByTestId('reveal-copy'));
    await tick();
    expect(screen.getByTestId('reveal-status').textContent).toContain('45 seconds');
    expect(invoke).toHaveBeenCalledExactlyOnceWith('copy_to_clipboard', { text: SECRET, clearAfter: 45 });

    await fireEvent.click(screen.getByTestId('reveal-done'));
    expect(document.body.innerHTML).not.toContain(SECRET);
    // The clear is the shell's: nothing in the page comes back later with the value.
    await vi.advanceTimersByTimeAsync(600_000);
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it("shows a trigger token's webhook secret once beside the value, copies it, and forgets both on close", async () => {
    const HOOK = 'whsec_0123456789abcdefghijABCDEFGHIJ0123456789';
    const { component } = render(RevealDialog, { props: { clearAfterSeconds: 45 } });
    component.show('tsr_trg_0123456789abcdefghijABCDEFGHIJ123456', 'Your new trigger token', null, HOOK);
    await tick();
    expect((screen.getByTestId('reveal-webhook-secret') as HTMLInputElement).value).toBe(HOOK);
    await fireEvent.click(screen.getByTestId('reveal-webhook-copy'));
    await tick();
    expect(invoke).toHaveBeenCalledExactlyOnceWith('copy_to_clipboard', { text: HOOK, clearAfter: 45 });
    await fireEvent.click(screen.getByTestId('reveal-copy'));
    await fireEvent.click(screen.getByTestId('reveal-done'));
    expect(document.body.innerHTML).not.toContain(HOOK);
    // A later reveal without a secret shows none.
    component.show(SECRET, 'Your new personal access token');
    await tick();
    expect(screen.queryByTestId('reveal-webhook-secret')).toBeNull();
  });

  it('shows a failed copy as a sentence and how to copy by hand', async () => {
    invoke.mockRejectedValueOnce({ code: 'clipboard', message: 'Tessera could not use the clipboard.' });
    const { component } = render(RevealDialog, { props: { clearAfterSeconds: 30 } });
    component.show(SECRET, 'Your new personal access token');
    await tick();
    await fireEvent.click(screen.getByTestId('reveal-copy'));
    const alert = await vi.waitFor(() => screen.getByRole('alert'));
    expect(alert.textContent).toContain('Tessera could not use the clipboard.');
    expect(alert.textContent).toContain('copy it by hand');
  });

  it('asks once before Done or Escape throws away a value that was never copied', async () => {
    const { component } = render(RevealDialog, { props: { clearAfterSeconds: 30 } });
    component.show(SECRET, 'Your new personal access token');
    await tick();

    await fireEvent.click(screen.getByTestId('reveal-done'));
    const prompt = screen.getByTestId('reveal-discard-prompt');
    expect(prompt.textContent).toContain('This value will not be shown again');
    expect((screen.getByTestId('reveal-value') as HTMLInputElement).value).toBe(SECRET);
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('reveal-keep')));

    // Escape while asking keeps the value on screen.
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('reveal-discard-prompt')).toBeNull();
    expect(screen.getByTestId('reveal-dialog')).toBeTruthy();
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('reveal-copy')));

    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    await fireEvent.click(screen.getByTestId('reveal-discard'));
    expect(screen.queryByTestId('reveal-dialog')).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('closes at once on Escape after the value was copied', async () => {
    const { component } = render(RevealDialog, { props: { clearAfterSeconds: 30 } });
    component.show(SECRET, 'Your new personal access token');
    await tick();
    await fireEvent.click(screen.getByTestId('reveal-copy'));
    await vi.waitFor(() => expect(screen.getByTestId('reveal-status').textContent).toContain('30 seconds'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('reveal-discard-prompt')).toBeNull();
    expect(screen.queryByTestId('reveal-dialog')).toBeNull();
  });
});
