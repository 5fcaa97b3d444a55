import { describe, expect, it, vi } from 'vitest';
import { Reveal, clampClearSeconds } from './reveal.svelte';

/** A reveal showing `value`, over the shell's copy command (which clears the clipboard later). */
function opened(value: string) {
  const clipboard = { copy: vi.fn(async (_text: string, _clearAfterSeconds: number) => undefined) };
  const reveal = new Reveal(clipboard);
  reveal.open(value);
  return { clipboard, reveal };
}

describe('Reveal', () => {
  it('holds the value while open and forgets it on close', () => {
    const { reveal } = opened('tsr_agt_value');
    expect(reveal.isOpen).toBe(true);
    expect(reveal.value).toBe('tsr_agt_value');
    reveal.close();
    expect(reveal.isOpen).toBe(false);
    expect(reveal.value).toBeNull();
    expect(reveal.copiedFor).toBeNull();
  });

  it('hands the value and the delay to the shell, and keeps nothing waiting for the clear', async () => {
    vi.useFakeTimers();
    try {
      const { clipboard, reveal } = opened('tsr_pat_value');
      await reveal.copy(30);
      expect(clipboard.copy).toHaveBeenCalledExactlyOnceWith('tsr_pat_value', 30);
      expect(reveal.copiedFor).toBe(30);
      reveal.close();
      // No timer closure in the page holds the value until the clear: the shell does it.
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('asks for a delay the preferences accept', async () => {
    const { clipboard, reveal } = opened('v');
    await reveal.copy(100_000);
    expect(clipboard.copy).toHaveBeenLastCalledWith('v', 600);
    expect(reveal.copiedFor).toBe(600);
  });

  it('says nothing was copied when the copy fails', async () => {
    const { clipboard, reveal } = opened('v');
    clipboard.copy.mockRejectedValueOnce(new Error('no clipboard'));
    await expect(reveal.copy(10)).rejects.toThrow('no clipboard');
    expect(reveal.copiedFor).toBeNull();
  });

  it('asks before closing a value that was never copied, and not after a copy', async () => {
    const { reveal } = opened('v');
    expect(reveal.requestClose()).toBe(false);
    expect(reveal.discardAsked).toBe(true);
    expect(reveal.value).toBe('v');
    reveal.keep();
    expect(reveal.discardAsked).toBe(false);
    await reveal.copy(10);
    expect(reveal.requestClose()).toBe(true);
    expect(reveal.value).toBeNull();
  });

  it('copies nothing once closed', async () => {
    const { clipboard, reveal } = opened('v');
    reveal.close();
    await reveal.copy(10);
    expect(clipboard.copy).not.toHaveBeenCalled();
  });

  it('keeps the delay within the accepted range', () => {
    expect(clampClearSeconds(0)).toBe(5);
    expect(clampClearSeconds(45.4)).toBe(45);
    expect(clampClearSeconds(100_000)).toBe(600);
    expect(clampClearSeconds(Number.NaN)).toBe(5);
  });
});
