// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { focusableIn, isTabKey, nextFocusTarget } from './focus';

function panel(html: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = html;
  document.body.append(root);
  return root;
}

describe('focus trap', () => {
  it('finds enabled controls only', () => {
    const root = panel(
      '<input id="a"><button id="b" disabled></button><button id="c"></button><div hidden><button id="d"></button></div><a id="e" href="#x"></a>',
    );
    expect(focusableIn(root).map((el) => el.id)).toEqual(['a', 'c', 'e']);
  });

  it('wraps Tab from the last control to the first and Shift+Tab back', () => {
    const root = panel('<input id="a"><button id="b"></button><button id="c"></button>');
    const els = focusableIn(root);
    expect(nextFocusTarget(els, els[2]!, false)?.id).toBe('a');
    expect(nextFocusTarget(els, els[0]!, true)?.id).toBe('c');
    expect(nextFocusTarget(els, els[0]!, false)?.id).toBe('b');
  });

  it('brings focus from outside back in', () => {
    const root = panel('<input id="a"><button id="b"></button>');
    const els = focusableIn(root);
    expect(nextFocusTarget(els, document.body, false)?.id).toBe('a');
    expect(nextFocusTarget(els, document.body, true)?.id).toBe('b');
    expect(nextFocusTarget([], document.body, false)).toBeNull();
  });
});

describe('isTabKey', () => {
  it('knows Shift+Tab as WebKitGTK reports it', () => {
    expect(isTabKey({ key: 'Tab', code: 'Tab' })).toBe(true);
    expect(isTabKey({ key: 'Unidentified', code: 'Tab' })).toBe(true);
    expect(isTabKey({ key: 'a', code: 'KeyA' })).toBe(false);
  });
});
