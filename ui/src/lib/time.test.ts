import { describe, expect, it } from 'vitest';
import { expiryState, expiryText, relativeTime } from './time';

const NOW = new Date('2025-06-15T12:00:00Z');

function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString();
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('relativeTime', () => {
  it.each([
    [null, 'never'],
    [ago(10 * S), 'just now'],
    [ago(60 * S), '1 minute ago'],
    [ago(3 * M), '3 minutes ago'],
    [ago(44 * M), '44 minutes ago'],
    [ago(60 * M), '1 hour ago'],
    [ago(5 * H), '5 hours ago'],
    [ago(30 * H), '1 day ago'],
    [ago(3 * D), '3 days ago'],
    [ago(40 * D), '40 days ago'],
    [ago(75 * D), '3 months ago'],
    [ago(120 * D), '4 months ago'],
    [ago(400 * D), '1 year ago'],
    [ago(3 * 365 * D), '3 years ago'],
    [ago(-5 * D), 'in 5 days'],
    [ago(-2 * H), 'in 2 hours'],
  ])('%s reads as %s', (iso, expected) => {
    expect(relativeTime(iso, NOW)).toBe(expected);
  });

  it('says unknown for a time it cannot read', () => {
    expect(relativeTime('yesterday-ish', NOW)).toBe('unknown');
  });
});

describe('expiry', () => {
  it('reads no expiry as never', () => {
    expect(expiryState(null, NOW)).toBe('never');
    expect(expiryText(null, NOW)).toBe('never');
  });

  it('shows a future expiry relative to now', () => {
    expect(expiryState(ago(-29 * D), NOW)).toBe('active');
    expect(expiryText(ago(-29 * D), NOW)).toBe('in 29 days');
  });

  it('warns within seven days', () => {
    expect(expiryState(ago(-6 * D), NOW)).toBe('soon');
    expect(expiryState(ago(-8 * D), NOW)).toBe('active');
  });

  it('says how long ago a token expired', () => {
    expect(expiryState(ago(3 * D), NOW)).toBe('expired');
    expect(expiryText(ago(3 * D), NOW)).toBe('expired 3 days ago');
    expect(expiryText(ago(0), NOW)).toBe('expired just now');
  });
});
