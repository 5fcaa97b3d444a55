import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api/client';
import { Loaded } from './loaded.svelte';

/** A fetch whose answers the test hands out one by one. */
function answers<T>() {
  const pending: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const fetch = vi.fn(() => new Promise<T>((resolve, reject) => pending.push({ resolve, reject })));
  return { fetch, pending };
}

describe('Loaded', () => {
  it('is loading, then holds the value', async () => {
    const loaded = new Loaded(async () => ['a', 'b']);
    expect(loaded.value).toBeNull();
    await loaded.reload();
    expect(loaded.value).toEqual(['a', 'b']);
    expect(loaded.error).toBeNull();
  });

  it('says why it failed as a sentence, keeps what it had, and clears the error on retry', async () => {
    const fetch = vi
      .fn<() => Promise<string[]>>()
      .mockResolvedValueOnce(['a'])
      .mockRejectedValueOnce(new ApiError(408, 'request_timeout', 'The server is busy.'))
      .mockResolvedValueOnce(['a', 'b']);
    const loaded = new Loaded(fetch);
    await loaded.reload();
    await loaded.reload();
    expect(loaded.error).toBe('The server is busy.');
    expect(loaded.value).toEqual(['a']);
    const retry = loaded.reload;
    const again = retry();
    expect(loaded.error).toBeNull();
    await again;
    expect(loaded.value).toEqual(['a', 'b']);
  });

  it('keeps only the newest answer when loads overlap', async () => {
    const { fetch, pending } = answers<string>();
    const loaded = new Loaded(fetch);
    const first = loaded.reload();
    const second = loaded.restart();
    pending[1]!.resolve('org B');
    await second;
    pending[0]!.resolve('org A');
    await first;
    expect(loaded.value).toBe('org B');
  });

  it('ignores the failure of an overtaken load', async () => {
    const { fetch, pending } = answers<string>();
    const loaded = new Loaded(fetch);
    const first = loaded.reload();
    const second = loaded.reload();
    pending[0]!.reject(new Error('late'));
    await first;
    pending[1]!.resolve('fresh');
    await second;
    expect(loaded.error).toBeNull();
    expect(loaded.value).toBe('fresh');
  });

  it('forgets the value on restart', async () => {
    const { fetch, pending } = answers<string>();
    const loaded = new Loaded(fetch);
    const first = loaded.reload();
    pending[0]!.resolve('org A');
    await first;
    void loaded.restart();
    expect(loaded.value).toBeNull();
  });
});
