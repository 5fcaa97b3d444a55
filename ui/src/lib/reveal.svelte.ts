// The one-time reveal of a token value, kept apart from the dialog's markup so its promises
// can be tested: the value is held only here, by the dialog that created this object, and is
// dropped on close; a copied value is wiped from the clipboard after the configured delay, but
// only if the clipboard still holds it (the person may have copied something else since).

/** What a reveal needs from the desktop shell (see shell.ts). */
export interface RevealClipboard {
  copy(text: string): Promise<void>;
  clearIfUnchanged(text: string): Promise<boolean>;
}

/** The shortest and longest clipboard clear delays the preferences accept, in seconds. */
export const MIN_CLEAR_SECONDS = 5;
export const MAX_CLEAR_SECONDS = 600;

export function clampClearSeconds(seconds: number): number {
  if (!Number.isFinite(seconds)) return MIN_CLEAR_SECONDS;
  return Math.min(MAX_CLEAR_SECONDS, Math.max(MIN_CLEAR_SECONDS, Math.round(seconds)));
}

/** The state of one reveal dialog. */
export class Reveal {
  /** The secret while the dialog is open; null otherwise. */
  value = $state<string | null>(null);
  /** Seconds until the clipboard is cleared, once the value has been copied. */
  copiedFor = $state<number | null>(null);

  readonly #clipboard: RevealClipboard;
  #pendingClear: ReturnType<typeof setTimeout> | null = null;

  constructor(clipboard: RevealClipboard) {
    this.#clipboard = clipboard;
  }

  get isOpen(): boolean {
    return this.value !== null;
  }

  open(value: string): void {
    this.value = value;
    this.copiedFor = null;
  }

  /**
   * Copies the value and schedules the clipboard to be cleared after `clearAfterSeconds`.
   * The scheduled clear outlives the dialog on purpose: people paste after closing it.
   */
  async copy(clearAfterSeconds: number): Promise<void> {
    const value = this.value;
    if (value === null) return;
    await this.#clipboard.copy(value);
    const seconds = clampClearSeconds(clearAfterSeconds);
    if (this.#pendingClear !== null) clearTimeout(this.#pendingClear);
    const clipboard = this.#clipboard;
    this.#pendingClear = setTimeout(() => {
      this.#pendingClear = null;
      clipboard.clearIfUnchanged(value).catch(() => {
        // Nothing to tell anyone: the dialog is long gone and the value was not leaked by failing.
      });
    }, seconds * 1000);
    if (this.value === value) this.copiedFor = seconds;
  }

  /** Forgets the value. */
  close(): void {
    this.value = null;
    this.copiedFor = null;
  }
}
