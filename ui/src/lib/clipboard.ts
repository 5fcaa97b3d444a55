// The clipboard outside the desktop app (`npm run dev` in a browser), doing what the shell's
// `copy_to_clipboard` does: after a copy it keeps only the value's SHA-256, and when the delay is
// up it clears the clipboard if the clipboard still hashes to that value and no later copy took
// over. Something the person copied since is left alone.

/** Read and write access to the system clipboard. */
export interface ClipboardAccess {
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

/** The SHA-256 of `text`, in hex. */
export async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Copies values and clears them later, remembering each only by its hash. */
export class ClearingClipboard {
  readonly #access: ClipboardAccess;
  readonly #hash: (text: string) => Promise<string>;
  /** The latest copy, until it is cleared. */
  #latest: { copy: number; hash: string } | null = null;
  #copies = 0;

  /** `hash` is replaceable in tests: WebCrypto answers outside the (fake) timers' control. */
  constructor(access: ClipboardAccess, hash: (text: string) => Promise<string> = sha256) {
    this.#access = access;
    this.#hash = hash;
  }

  /** Copies `text` and clears it after `seconds` if the clipboard still holds it. */
  async copy(text: string, seconds: number): Promise<void> {
    await this.#access.write(text);
    const latest = { copy: ++this.#copies, hash: await this.#hash(text) };
    this.#latest = latest;
    setTimeout(() => {
      this.#clear(latest.copy).catch(() => {
        // Nothing to tell anyone: the dialog may be long gone, and failing leaks nothing.
      });
    }, seconds * 1000);
  }

  async #clear(copy: number): Promise<void> {
    const latest = this.#latest;
    // A later copy restarted the delay; its own clear decides.
    if (latest === null || latest.copy !== copy) return;
    this.#latest = null;
    let current: string;
    try {
      current = await this.#access.read();
    } catch {
      // A clipboard that cannot be read cannot be proven to hold the value: leave it alone.
      return;
    }
    if ((await this.#hash(current)) === latest.hash) await this.#access.write('');
  }
}
