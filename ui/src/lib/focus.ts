// Focus handling for modal dialogs: Tab and Shift+Tab cycle inside the dialog.

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

export function focusableIn(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.closest('[hidden]') && !el.closest('[inert]'),
  );
}

/** The element Tab (or Shift+Tab) should move to, wrapping at either end; null if none. */
export function nextFocusTarget(
  elements: readonly HTMLElement[],
  current: Element | null,
  backwards: boolean,
): HTMLElement | null {
  if (elements.length === 0) return null;
  const index = current === null ? -1 : elements.indexOf(current as HTMLElement);
  if (index === -1) return backwards ? elements[elements.length - 1]! : elements[0]!;
  const next = backwards
    ? (index - 1 + elements.length) % elements.length
    : (index + 1) % elements.length;
  return elements[next]!;
}

/**
 * Whether a key event is Tab or Shift+Tab. WebKitGTK reports Shift+Tab with `key` "Unidentified"
 * (or "ISO_Left_Tab"), so the physical key counts too.
 */
export function isTabKey(event: Pick<KeyboardEvent, 'key' | 'code'>): boolean {
  return event.key === 'Tab' || event.code === 'Tab';
}
