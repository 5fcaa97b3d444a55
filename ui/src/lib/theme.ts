// Applies the theme preference: "system" follows the operating system through CSS alone.

import type { Theme } from './shell';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = theme;
}
