// The window's keyboard shortcuts: `/` or Ctrl+F to the pane's search, Ctrl+, to Preferences.
// None of them fires while a dialog is open or (for `/`) while typing in a field.

export type Shortcut = 'search' | 'preferences';

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** What a key press in the window asks for, or null. */
export function shortcutFor(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>,
  dialogOpen: boolean,
): Shortcut | null {
  if (dialogOpen || event.altKey) return null;
  const command = event.ctrlKey || event.metaKey;
  if (command && event.key.toLowerCase() === 'f') return 'search';
  if (command && event.key === ',') return 'preferences';
  if (!command && event.key === '/' && !typingIn(event.target)) return 'search';
  return null;
}
