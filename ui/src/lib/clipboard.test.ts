import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClearingClipboard, sha256 } from './clipboard';

/** A clipboard in memory, as the browser's would be, with `text` copied `seconds` ago at most. */
async function copied(text: string, seconds: number) {
  const state = { text: '', readable: true };
  const access = {
    read: vi.fn(async () => {
      if (!state.readable) throw new Error('denied');
      return state.text;
    }),
    write: vi.fn(async (value: string) => {
      state.text = value;
    }),
  };
  // A stand-in hash that answers at once, so the fake timers decide when the clear happens.
  const clipboard = new ClearingClipboard(access, async (value) => `hash of ${value}`);
  await clipboard.copy(text, seconds);
  return { state, access, clipboard };
}

describe('ClearingClipboard (outside the desktop app)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('clears the value after the delay while the clipboard still holds it', async () => {
    const { state } = await copied('tsr_pat_value', 30);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(state.text).toBe('tsr_pat_value');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.text).toBe('');
  });

  it('leaves alone what the person copied since', async () => {
    const { state } = await copied('tsr_pat_value', 10);
    state.text = 'a shopping list';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(state.text).toBe('a shopping list');
  });

  it('restarts the delay when a value is copied again', async () => {
    const { state, clipboard } = await copied('v', 10);
    await vi.advanceTimersByTimeAsync(8_000);
    await clipboard.copy('v', 10);
    await vi.advanceTimersByTimeAsync(8_000);
    expect(state.text).toBe('v');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(state.text).toBe('');
  });

  it('leaves an unreadable clipboard alone', async () => {
    const { state, access } = await copied('v', 5);
    state.readable = false;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(access.write).toHaveBeenCalledTimes(1);
  });

  it('hashes with SHA-256', async () => {
    await expect(sha256('abc')).resolves.toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
