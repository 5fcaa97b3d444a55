import { describe, expect, it } from 'vitest';
import {
  allowedPresets,
  choiceFromForm,
  expiresAt,
  expiresAtUnder,
  lastAllowedDay,
  policySentence,
  rfc3339,
} from './expiry';

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

describe('token policies', () => {
  const thirty = { max_lifetime_seconds: 30 * 86_400, require_expiry: false };
  const required = { max_lifetime_seconds: null, require_expiry: true };

  it('leaves out "No expiry" and the presets past the cap', () => {
    expect(allowedPresets(null)).toEqual(['none', '7', '30', '90', 'date']);
    expect(allowedPresets(thirty)).toEqual(['7', '30', 'date']);
    expect(allowedPresets(required)).toEqual(['7', '30', '90', 'date']);
  });

  it('says what the policy is', () => {
    expect(policySentence(null)).toBeNull();
    expect(policySentence({ max_lifetime_seconds: null, require_expiry: false })).toBeNull();
    expect(policySentence(thirty)).toBe('Your administrators allow these tokens to live at most 30 days.');
    expect(policySentence(required)).toBe('Your administrators require these tokens to have an expiry.');
  });

  it('refuses no expiry and an expiry past the cap, with the policy as the reason', () => {
    expect(expiresAtUnder({ kind: 'none' }, NOW, required)).toEqual({
      ok: false,
      message: 'Your administrators require these tokens to have an expiry.',
    });
    expect(expiresAtUnder({ kind: 'days', days: 30 }, NOW, thirty).ok).toBe(true);
    expect(expiresAtUnder({ kind: 'days', days: 90 }, NOW, thirty).ok).toBe(false);
    expect(expiresAtUnder({ kind: 'none' }, NOW, null)).toEqual({ ok: true, expiresAt: null });
  });

  it('limits a custom date to the last whole day the cap allows', () => {
    expect(lastAllowedDay(null, NOW)).toBeNull();
    const last = lastAllowedDay(thirty, NOW);
    expect(last).not.toBeNull();
    expect(expiresAtUnder({ kind: 'date', date: last ?? '' }, NOW, thirty).ok).toBe(true);
    const [y, m, d] = (last ?? '').split('-').map(Number);
    const next = new Date(y, m - 1, d + 1);
    const nextValue = `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, '0')}-${String(next.getDate()).padStart(2, '0')}`;
    expect(expiresAtUnder({ kind: 'date', date: nextValue }, NOW, thirty).ok).toBe(false);
  });
});
