// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ConfirmDialog from './ConfirmDialog.svelte';

function opener(): HTMLButtonElement {
  const button = document.createElement('button');
  button.textContent = 'Delete';
  document.body.append(button);
  button.focus();
  return button;
}

describe('Dialog', () => {
  it('is a labelled modal that takes the focus', () => {
    opener();
    render(ConfirmDialog, {
      props: { title: 'Delete “ci”?', message: 'This cannot be undone.', confirmLabel: 'Delete', onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    const dialog = screen.getByRole('alertdialog', { name: 'Delete “ci”?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.getAttribute('aria-describedby')).not.toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel'));
  });

  it('keeps Tab inside the dialog', async () => {
    opener();
    render(ConfirmDialog, {
      props: { title: 'Rotate?', message: 'm', confirmLabel: 'Rotate', onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    screen.getByTestId('confirm-ok').focus();
    await fireEvent.keyDown(document.activeElement!, { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(screen.getByTestId('confirm-ok'));
  });

  it('keeps Shift+Tab inside as WebKitGTK reports it (key "Unidentified", code "Tab")', async () => {
    opener();
    render(ConfirmDialog, {
      props: { title: 'Rotate?', message: 'm', confirmLabel: 'Rotate', onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    expect(document.activeElement).toBe(screen.getByTestId('confirm-cancel'));
    const event = new KeyboardEvent('keydown', { key: 'Unidentified', code: 'Tab', shiftKey: true, bubbles: true, cancelable: true });
    document.activeElement!.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(screen.getByTestId('confirm-ok'));
  });

  it('leaves Tab between two controls inside to the browser', async () => {
    opener();
    render(ConfirmDialog, {
      props: { title: 'Rotate?', message: 'm', confirmLabel: 'Rotate', onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    const event = new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true });
    document.activeElement!.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(false);
  });

  it('makes everything behind it inert while open, and only until it closes', async () => {
    const button = opener();
    const alreadyInert = document.createElement('div');
    alreadyInert.setAttribute('inert', '');
    document.body.append(alreadyInert);
    const { unmount } = render(ConfirmDialog, {
      props: { title: 'Delete?', message: 'm', confirmLabel: 'Delete', onconfirm: vi.fn(), oncancel: vi.fn() },
    });
    const dialog = screen.getByRole('alertdialog');
    expect(button.hasAttribute('inert')).toBe(true);
    expect(dialog.closest('[inert]')).toBeNull();
    unmount();
    expect(button.hasAttribute('inert')).toBe(false);
    expect(alreadyInert.hasAttribute('inert')).toBe(true);
    await waitFor(() => expect(document.activeElement).toBe(button));
    alreadyInert.remove();
  });

  it('closes on Escape and gives the focus back', async () => {
    const button = opener();
    const oncancel = vi.fn();
    const { unmount } = render(ConfirmDialog, {
      props: { title: 'Rotate?', message: 'm', confirmLabel: 'Rotate', onconfirm: vi.fn(), oncancel },
    });
    await fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(oncancel).toHaveBeenCalledTimes(1);
    unmount();
    await waitFor(() => expect(document.activeElement).toBe(button));
  });
});
