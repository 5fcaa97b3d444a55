// What a dialog that asks the API for something goes through: busy while the request runs, so
// its buttons wait, and the refusal as a sentence when it fails, so the dialog can stay open
// with the reason.

import { errorSentence } from './api/client';

export class Submission {
  busy = $state(false);
  /** Why the last attempt failed, or was not made; null otherwise. */
  error = $state<string | null>(null);

  /** Runs `action` unless one is running; a throw becomes `error`. */
  async run(action: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = null;
    try {
      await action();
    } catch (e) {
      this.error = errorSentence(e);
    } finally {
      this.busy = false;
    }
  }

  /** A problem found before asking the API ("Give the project a name."). */
  refuse(message: string): void {
    this.error = message;
  }

  /** `value` trimmed, or null after refusing with `message` when nothing is left of it. */
  required(value: string, message: string): string | null {
    const trimmed = value.trim();
    if (trimmed !== '') return trimmed;
    this.refuse(message);
    return null;
  }
}
