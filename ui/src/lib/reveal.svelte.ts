// The one-time reveal of a token value, kept apart from the dialog's markup so its promises
// can be tested: the value is held only here, by the dialog that created this object, and is
// dropped on close. Clearing a copied value from the clipboard after the configured delay (only
// if the clipboard still holds it) is the desktop shell's job: nothing here outlives the dialog.

/** What a reveal needs from the desktop shell (see shell.ts). */
export interface RevealClipboard {
  /** Copies `text`; the shell clears it after `clearAfterSeconds` if it is still there. */
  copy(text: string, clearAfterSeconds: number): Promise<void>;
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
  /** Whether the person is being asked to confirm closing before the value was copied. */
  discardAsked = $state(false);

  readonly #clipboard: RevealClipboard;

  constructor(clipboard: RevealClipboard) {
    this.#clipboard = clipboard;
  }

  get isOpen(): boolean {
    return this.value !== null;
  }

  open(value: string): void {
    this.value = value;
    this.copiedFor = null;
    this.discardAsked = false;
  }

  /**
   * Copies the value; the shell clears the clipboard after `clearAfterSeconds` if it still holds
   * it. That clear outlives the dialog on purpose (people paste after closing it), but it is the
   * shell's: the value is not kept here for it.
   */
  async copy(clearAfterSeconds: number): Promise<void> {
    const value = this.value;
    if (value === null) return;
    const seconds = clampClearSeconds(clearAfterSeconds);
    await this.#clipboard.copy(value, seconds);
    if (this.value === value) {
      this.copiedFor = seconds;
      this.discardAsked = false;
    }
  }

  /**
   * Closing as the person asked (Done, Escape): once the value was copied it closes at once;
   * before that it asks first, since the value cannot be shown again. Returns whether it closed.
   */
  requestClose(): boolean {
    if (this.copiedFor !== null) {
      this.close();
      return true;
    }
    this.discardAsked = true;
    return false;
  }

  /** The answer "keep showing" to the discard question. */
  keep(): void {
    this.discardAsked = false;
  }

  /** Forgets the value. */
  close(): void {
    this.value = null;
    this.copiedFor = null;
    this.discardAsked = false;
  }
}
