// Clipboard hygiene shared by the shell's browser stand-in and its tests: a value is wiped only
// while the clipboard still holds it, never something the person copied afterwards.

/** Read and write access to the system clipboard. */
export interface ClipboardAccess {
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

/** Empties the clipboard if it still holds `value`; returns whether it did. */
export async function clearIfUnchanged(clipboard: ClipboardAccess, value: string): Promise<boolean> {
  let current: string;
  try {
    current = await clipboard.read();
  } catch {
    // A clipboard that cannot be read cannot be proven to hold the value: leave it alone.
    return false;
  }
  if (current !== value) return false;
  await clipboard.write('');
  return true;
}
