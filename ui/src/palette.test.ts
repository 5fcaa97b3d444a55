import { describe, expect, it } from 'vitest';

// The palette's text and background pairs, as the rules in app.css use them, meet WCAG 2.2 AA
// (4.5:1 for text) in both themes.

// Vitest turns CSS imports (`?raw` included) into empty strings, and the app's types have no
// Node modules, so the stylesheet is read through an untyped import.
const fsModule: string = 'node:fs';
const { readFileSync } = (await import(/* @vite-ignore */ fsModule)) as {
  readFileSync(path: URL, encoding: 'utf8'): string;
};
const css = readFileSync(new URL('./app.css', import.meta.url), 'utf8');

type Theme = 0 | 1;

/** Each `--name: light-dark(#light, #dark)` of the palette. */
const palette = new Map<string, [string, string]>(
  [...css.matchAll(/--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)/gi)].map((m) => [
    m[1]!,
    [m[2]!, m[3]!],
  ]),
);

/** The colour `value` (a hex colour or `var(--name)`) stands for in `theme`. */
function resolve(value: string, theme: Theme): string {
  const name = /^var\(--([\w-]+)\)$/.exec(value.trim())?.[1];
  if (name === undefined) return value.trim();
  const pair = palette.get(name);
  if (pair === undefined) throw new Error(`--${name} is not a light-dark() colour of the palette`);
  return pair[theme];
}

/** The value of `property` in the rule for exactly `selector`. */
function declared(selector: string, property: string): string {
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rule = new RegExp(`(?:^|\\n)${escaped}\\s*\\{([^}]*)\\}`).exec(css)?.[1];
  if (rule === undefined) throw new Error(`no rule for ${selector}`);
  const value = new RegExp(`(?:^|[;\\s])${property}:\\s*([^;]+);`).exec(rule)?.[1];
  if (value === undefined) throw new Error(`${selector} sets no ${property}`);
  return value;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const THEMES: [string, Theme][] = [
  ['light', 0],
  ['dark', 1],
];

describe('contrast', () => {
  it('computes the WCAG ratio', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBeCloseTo(1, 5);
    expect(contrast('#ffffff', '#e0605a')).toBeCloseTo(3.51, 2);
  });

  /** Rules whose text colour is drawn on their own background. */
  const RULES = ['.btn-primary', '.btn-danger', '.badge', '.badge-accent', '.badge-danger', '.badge-warning', '.badge-success'];

  for (const [name, theme] of THEMES) {
    for (const selector of RULES) {
      it(`${selector} text is at least 4.5:1 in the ${name} theme`, () => {
        const text = resolve(declared(selector, 'color'), theme);
        const background = resolve(declared(selector, 'background'), theme);
        expect(contrast(text, background)).toBeGreaterThanOrEqual(4.5);
      });
    }

    it(`text, muted text, links and placeholders are at least 4.5:1 on every surface in the ${name} theme`, () => {
      const placeholder = resolve(declared('::placeholder', 'color'), theme);
      for (const surface of ['bg', 'surface', 'sidebar']) {
        const bg = palette.get(surface)![theme];
        for (const text of ['text', 'text-muted', 'accent', 'danger-text']) {
          expect(contrast(palette.get(text)![theme], bg), `--${text} on --${surface}`).toBeGreaterThanOrEqual(4.5);
        }
      }
      // Fields are drawn on --surface.
      expect(contrast(placeholder, palette.get('surface')![theme])).toBeGreaterThanOrEqual(4.5);
      expect(declared('::placeholder', 'opacity')).toBe('1');
    });
  }
});
