import { describe, expect, it } from 'vitest';
import { choiceFromForm, expiresAt, rfc3339 } from './expiry';

const NOW = new Date('2025-06-15T12:34:56.789Z');

describe('expiresAt', () => {
  it('sends no expiry for "No expiry"', () => {
    expect(expiresAt({ kind: 'none' }, NOW)).toEqual({ ok: true, expiresAt: null });
  });

  it.each([
    [7, '2025-06-22T12:34:56Z'],
    [30, '2025-07-15T12:34:56Z'],
    [90, '2025-09-13T12:34:56Z'],
  ] as const)('adds %i days to now, in RFC 3339 UTC', (days, expected) => {
    expect(expiresAt({ kind: 'days', days }, NOW)).toEqual({ ok: true, expiresAt: expected });
  });

  it('makes a custom date last to the end of that local day', () => {
    const result = expiresAt({ kind: 'date', date: '2025-12-24' }, NOW);
    expect(result).toEqual({
      ok: true,
      expiresAt: rfc3339(new Date(2025, 11, 24, 23, 59, 59).getTime()),
    });
  });

  it('refuses a custom date in the past', () => {
    expect(expiresAt({ kind: 'date', date: '2025-06-01' }, NOW)).toEqual({
      ok: false,
      message: 'The expiry date must be in the future.',
    });
  });

  it('refuses a missing or impossible date with a sentence', () => {
    expect(expiresAt({ kind: 'date', date: '' }, NOW)).toMatchObject({ ok: false });
    expect(expiresAt({ kind: 'date', date: '2025-02-30' }, NOW)).toEqual({
      ok: false,
      message: 'That date does not exist. Choose another one.',
    });
  });

  it('maps the form presets to choices', () => {
    expect(choiceFromForm('none', '')).toEqual({ kind: 'none' });
    expect(choiceFromForm('30', '')).toEqual({ kind: 'days', days: 30 });
    expect(choiceFromForm('date', '2026-01-01')).toEqual({ kind: 'date', date: '2026-01-01' });
  });
});
