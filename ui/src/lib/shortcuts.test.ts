// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { shortcutFor } from './shortcuts';

function key(key: string, extra: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; target: EventTarget | null }> = {}) {
  return { key, ctrlKey: false, metaKey: false, altKey: false, target: document.body, ...extra };
}

describe('shortcutFor', () => {
  it('sends / and Ctrl+F to the search, Ctrl+, to Preferences', () => {
    expect(shortcutFor(key('/'), false)).toBe('search');
    expect(shortcutFor(key('f', { ctrlKey: true }), false)).toBe('search');
    expect(shortcutFor(key('F', { metaKey: true }), false)).toBe('search');
    expect(shortcutFor(key(',', { ctrlKey: true }), false)).toBe('preferences');
    expect(shortcutFor(key('f'), false)).toBeNull();
  });

  it('sends Ctrl+N to the pane\'s New button and ? to the shortcuts sheet, not while typing', () => {
    expect(shortcutFor(key('n', { ctrlKey: true }), false)).toBe('new');
    expect(shortcutFor(key('N', { metaKey: true }), false)).toBe('new');
    expect(shortcutFor(key('?'), false)).toBe('help');
    const input = document.createElement('input');
    expect(shortcutFor(key('?', { target: input }), false)).toBeNull();
    expect(shortcutFor(key('n', { ctrlKey: true }), true)).toBeNull();
    expect(shortcutFor(key('?'), true)).toBeNull();
  });

  it('leaves / to a field being typed in, and every key to an open dialog', () => {
    const input = document.createElement('input');
    expect(shortcutFor(key('/', { target: input }), false)).toBeNull();
    expect(shortcutFor(key('f', { ctrlKey: true, target: input }), false)).toBe('search');
    expect(shortcutFor(key('/'), true)).toBeNull();
    expect(shortcutFor(key(',', { ctrlKey: true }), true)).toBeNull();
  });
});
