// How times read on screen: relative ("3 minutes ago", "in 29 days") in lists, with the
// absolute date kept for tooltips. `now` is always a parameter so the wording is testable.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

function parse(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function count(n: number, unit: string): string {
  return n === 1 ? `1 ${unit}` : `${n} ${unit}s`;
}

/** "3 minutes", "2 days", "1 year": the rounded length of a span, without direction. */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 90 * SECOND) return count(Math.max(1, Math.round(abs / MINUTE)), 'minute');
  if (abs < 45 * MINUTE) return count(Math.round(abs / MINUTE), 'minute');
  if (abs < 90 * MINUTE) return count(1, 'hour');
  if (abs < 22 * HOUR) return count(Math.round(abs / HOUR), 'hour');
  if (abs < 36 * HOUR) return count(1, 'day');
  // Days up to two months: a 30- or 90-day expiry should read in days, not "1 month".
  if (abs < 60 * DAY) return count(Math.round(abs / DAY), 'day');
  if (abs < 320 * DAY) return count(Math.round(abs / MONTH), 'month');
  if (abs < 548 * DAY) return count(1, 'year');
  return count(Math.round(abs / YEAR), 'year');
}

/** "just now", "3 minutes ago", "in 2 days"; "never" for a missing time. */
export function relativeTime(iso: string | null, now: Date): string {
  if (iso === null) return 'never';
  const at = parse(iso);
  if (at === null) return 'unknown';
  const diff = at - now.getTime();
  if (Math.abs(diff) < 45 * SECOND) return 'just now';
  return diff < 0 ? `${duration(diff)} ago` : `in ${duration(diff)}`;
}

/** The full local date and time, for a tooltip beside a relative time. */
export function absoluteTime(iso: string | null): string {
  if (iso === null) return '';
  const at = parse(iso);
  if (at === null) return iso;
  return new Date(at).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export type ExpiryState = 'never' | 'active' | 'soon' | 'expired';

/** Within this span an expiry is shown as a warning. */
export const EXPIRES_SOON_MS = 7 * DAY;

export function expiryState(expiresAt: string | null, now: Date): ExpiryState {
  if (expiresAt === null) return 'never';
  const at = parse(expiresAt);
  if (at === null) return 'active';
  const left = at - now.getTime();
  if (left <= 0) return 'expired';
  return left <= EXPIRES_SOON_MS ? 'soon' : 'active';
}

/** The Expires column: "never", "in 29 days", "expired 3 days ago". */
export function expiryText(expiresAt: string | null, now: Date): string {
  const state = expiryState(expiresAt, now);
  if (state === 'never' || expiresAt === null) return 'never';
  if (state === 'expired') {
    const at = parse(expiresAt) ?? now.getTime();
    const since = now.getTime() - at;
    return since < 45 * SECOND ? 'expired just now' : `expired ${duration(since)} ago`;
  }
  return relativeTime(expiresAt, now);
}
