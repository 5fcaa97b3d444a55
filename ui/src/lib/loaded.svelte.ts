// A value a pane reads from the API, and the states every list on screen goes through: loading,
// failed (the error as a sentence, with a retry) and loaded. The fetch is kept so a retry or a
// refresh asks again the same way, and only the newest answer counts: a pane that moves to
// another organization or project never shows the previous one's list after its own.

import { errorSentence } from './api/client';

export class Loaded<T> {
  /** The value; null until the first load succeeds, or after `restart`. */
  value = $state<T | null>(null);
  /** Why the last load failed, as a sentence; null otherwise. */
  error = $state<string | null>(null);

  readonly #fetch: () => Promise<T>;
  #latest = 0;

  constructor(fetch: () => Promise<T>) {
    this.#fetch = fetch;
  }

  /** Asks again; what is shown stays until the answer arrives. A function, to pass as a callback. */
  readonly reload = async (): Promise<void> => {
    const attempt = ++this.#latest;
    this.error = null;
    try {
      const value = await this.#fetch();
      if (attempt === this.#latest) this.value = value;
    } catch (e) {
      if (attempt === this.#latest) this.error = errorSentence(e);
    }
  };

  /** Forgets the value and loads from scratch. */
  restart(): Promise<void> {
    this.value = null;
    return this.reload();
  }
}
