import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearIfUnchanged } from './clipboard';
import { Reveal, clampClearSeconds } from './reveal.svelte';

/** A clipboard that behaves like the system one: the shell's clear goes through clearIfUnchanged. */
function fakeClipboard() {
  const state = { text: '' };
  const access = {
    read: async () => state.text,
    write: async (text: string) => {
      state.text = text;
    },
  };
  const port = {
    copy: vi.fn(async (text: string) => {
      state.text = text;
    }),
    clearIfUnchanged: vi.fn((text: string) => clearIfUnchanged(access, text)),
  };
  return { state, access, port };
}

describe('clearIfUnchanged', () => {
  it('empties the clipboard while it holds the value', async () => {
    const { state, access } = fakeClipboard();
    state.text = 'tsr_pat_value';
    await expect(clearIfUnchanged(access, 'tsr_pat_value')).resolves.toBe(true);
    expect(state.text).toBe('');
  });

  it('leaves something copied since alone', async () => {
    const { state, access } = fakeClipboard();
    state.text = 'a shopping list';
    await expect(clearIfUnchanged(access, 'tsr_pat_value')).resolves.toBe(false);
    expect(state.text).toBe('a shopping list');
  });

  it('leaves an unreadable clipboard alone', async () => {
    const write = vi.fn();
    const result = await clearIfUnchanged({ read: () => Promise.reject(new Error('denied')), write }, 'v');
    expect(result).toBe(false);
    expect(write).not.toHaveBeenCalled();
  });
});

describe('Reveal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds the value while open and forgets it on close', () => {
    const reveal = new Reveal(fakeClipboard().port);
    reveal.open('tsr_agt_value');
    expect(reveal.isOpen).toBe(true);
    expect(reveal.value).toBe('tsr_agt_value');
    reveal.close();
    expect(reveal.isOpen).toBe(false);
    expect(reveal.value).toBeNull();
    expect(reveal.copiedFor).toBeNull();
  });

  it('clears the clipboard after the delay, even once the dialog has closed', async () => {
    const { state, port } = fakeClipboard();
    const reveal = new Reveal(port);
    reveal.open('tsr_pat_value');
    await reveal.copy(30);
    expect(state.text).toBe('tsr_pat_value');
    expect(reveal.copiedFor).toBe(30);
    reveal.close();

    await vi.advanceTimersByTimeAsync(29_000);
    expect(state.text).toBe('tsr_pat_value');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(port.clearIfUnchanged).toHaveBeenCalledWith('tsr_pat_value');
    expect(state.text).toBe('');
  });

  it('does not clear what the person copied after the value', async () => {
    const { state, port } = fakeClipboard();
    const reveal = new Reveal(port);
    reveal.open('tsr_pat_value');
    await reveal.copy(10);
    state.text = 'something else';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(port.clearIfUnchanged).toHaveBeenCalledTimes(1);
    expect(state.text).toBe('something else');
  });

  it('restarts the delay when the value is copied again', async () => {
    const { state, port } = fakeClipboard();
    const reveal = new Reveal(port);
    reveal.open('v');
    await reveal.copy(10);
    await vi.advanceTimersByTimeAsync(8_000);
    await reveal.copy(10);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(state.text).toBe('v');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(port.clearIfUnchanged).toHaveBeenCalledTimes(1);
    expect(state.text).toBe('');
  });

  it('schedules nothing when the copy fails', async () => {
    const { port } = fakeClipboard();
    port.copy.mockRejectedValueOnce(new Error('no clipboard'));
    const reveal = new Reveal(port);
    reveal.open('v');
    await expect(reveal.copy(10)).rejects.toThrow('no clipboard');
    expect(reveal.copiedFor).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(port.clearIfUnchanged).not.toHaveBeenCalled();
  });

  it('keeps the delay within the accepted range', () => {
    expect(clampClearSeconds(0)).toBe(5);
    expect(clampClearSeconds(45.4)).toBe(45);
    expect(clampClearSeconds(100_000)).toBe(600);
    expect(clampClearSeconds(Number.NaN)).toBe(5);
  });
});
