import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import { Submission } from './submission.svelte';

describe('Submission', () => {
  it('is busy while the request runs, and not after', async () => {
    const submission = new Submission();
    let finish = () => {};
    const running = submission.run(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(submission.busy).toBe(true);
    finish();
    await running;
    expect(submission.busy).toBe(false);
    expect(submission.error).toBeNull();
  });

  it('shows a refusal as a sentence and clears it on the next attempt', async () => {
    const submission = new Submission();
    await submission.run(() => Promise.reject(new ApiError(409, 'conflict', 'That name is taken.')));
    expect(submission.error).toBe('That name is taken.');
    await submission.run(() => Promise.resolve());
    expect(submission.error).toBeNull();
  });

  it('refuses a required field left blank, and trims one that is not', () => {
    const submission = new Submission();
    expect(submission.required('  ', 'Give the project a name.')).toBeNull();
    expect(submission.error).toBe('Give the project a name.');
    expect(submission.required('  website ', 'Give the project a name.')).toBe('website');
  });

  it('does not start a second request while one runs', async () => {
    const submission = new Submission();
    let calls = 0;
    let finish = () => {};
    const first = submission.run(() => {
      calls++;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    await submission.run(async () => {
      calls++;
    });
    finish();
    await first;
    expect(calls).toBe(1);
  });
});
