// The window's keyboard shortcuts: `/` or Ctrl+F to the pane's search, Ctrl+N to its "New …"
// dialog, Ctrl+, to Preferences, `?` to the list of them. None fires while a dialog is open, and
// `/` and `?` not while typing in a field.

export type Shortcut = 'search' | 'new' | 'preferences' | 'help';

/** The shortcuts as the `?` sheet lists them. */
export const SHORTCUTS: readonly { keys: string; does: string }[] = [
  { keys: '/ or Ctrl+F', does: "Search the pane's list" },
  { keys: 'Ctrl+N', does: 'Create something new in the pane' },
  { keys: 'Ctrl+,', does: 'Open Preferences' },
  { keys: '?', does: 'Show these shortcuts' },
  { keys: 'Escape', does: 'Close a dialog' },
];

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
  if (command && event.key.toLowerCase() === 'n') return 'new';
  if (command && event.key === ',') return 'preferences';
  if (!command && event.key === '/' && !typingIn(event.target)) return 'search';
  if (!command && event.key === '?' && !typingIn(event.target)) return 'help';
  return null;
}
