// The expiry choice of the create forms and the `expires_at` it sends.

import type { TokenPolicy } from './api/types';

export type ExpiryChoice =
  | { kind: 'none' }
  | { kind: 'days'; days: 7 | 30 | 90 }
  | { kind: 'date'; date: string };

/** The preset choices, in the order the form lists them. */
export const EXPIRY_PRESETS = [
  { value: 'none', label: 'No expiry' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: 'date', label: 'Custom date' },
] as const;

export type ExpiryPreset = (typeof EXPIRY_PRESETS)[number]['value'];

export function choiceFromForm(preset: ExpiryPreset, date: string): ExpiryChoice {
  switch (preset) {
    case 'none':
      return { kind: 'none' };
    case '7':
      return { kind: 'days', days: 7 };
    case '30':
      return { kind: 'days', days: 30 };
    case '90':
      return { kind: 'days', days: 90 };
    case 'date':
      return { kind: 'date', date };
  }
}

export type ExpiryResult = { ok: true; expiresAt: string | null } | { ok: false; message: string };

/** RFC 3339 in UTC, whole seconds (what the server writes back). */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The `expires_at` for a choice made at `now`. A custom date means the end of that day in the
 * person's own time zone, so "expires on 1 March" still works all of 1 March.
 */
export function expiresAt(choice: ExpiryChoice, now: Date): ExpiryResult {
  switch (choice.kind) {
    case 'none':
      return { ok: true, expiresAt: null };
    case 'days':
      return { ok: true, expiresAt: rfc3339(now.getTime() + choice.days * 86_400_000) };
    case 'date': {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(choice.date);
      if (match === null) return { ok: false, message: 'Choose the date the token should expire.' };
      const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
      const endOfDay = new Date(year, month - 1, day, 23, 59, 59);
      if (
        endOfDay.getFullYear() !== year ||
        endOfDay.getMonth() !== month - 1 ||
        endOfDay.getDate() !== day
      ) {
        return { ok: false, message: 'That date does not exist. Choose another one.' };
      }
      if (endOfDay.getTime() <= now.getTime()) {
        return { ok: false, message: 'The expiry date must be in the future.' };
      }
      return { ok: true, expiresAt: rfc3339(endOfDay.getTime()) };
    }
  }
}

/** Today's date as an `<input type="date">` value, to keep the custom date from the past. */
export function dateInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Whether a policy leaves "No expiry" out: it requires one, or caps the lifetime. */
export function policyNeedsExpiry(policy: TokenPolicy | null): boolean {
  return policy !== null && (policy.require_expiry || policy.max_lifetime_seconds !== null);
}

/** The presets a policy allows: no "No expiry" when one is needed, no preset past the cap. */
export function allowedPresets(policy: TokenPolicy | null): ExpiryPreset[] {
  const max = policy?.max_lifetime_seconds ?? null;
  return EXPIRY_PRESETS.map((p) => p.value).filter((value) => {
    if (value === 'none') return !policyNeedsExpiry(policy);
    if (value === 'date') return true;
    return max === null || Number(value) * 86_400 <= max;
  });
}

/** The policy as a sentence for the form; null when there is none. */
export function policySentence(policy: TokenPolicy | null): string | null {
  if (policy === null) return null;
  const max = policy.max_lifetime_seconds;
  if (max !== null) {
    const days = max / 86_400;
    const span = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${max} seconds`;
    return `Your administrators allow these tokens to live at most ${span}.`;
  }
  if (policy.require_expiry) return 'Your administrators require these tokens to have an expiry.';
  return null;
}

/** The latest expiry a policy allows for a token made at `now`, or null for no limit. */
export function latestExpiry(policy: TokenPolicy | null, now: Date): Date | null {
  const max = policy?.max_lifetime_seconds ?? null;
  return max === null ? null : new Date(now.getTime() + max * 1000);
}

/**
 * The last day a custom date may name under a policy (a custom date lasts to the end of its
 * local day), as an `<input type="date">` value; null for no limit.
 */
export function lastAllowedDay(policy: TokenPolicy | null, now: Date): string | null {
  const latest = latestExpiry(policy, now);
  if (latest === null) return null;
  const day = new Date(latest.getFullYear(), latest.getMonth(), latest.getDate(), 23, 59, 59);
  if (day.getTime() > latest.getTime()) day.setDate(day.getDate() - 1);
  return dateInputValue(day);
}

/** `expiresAt`, then the policy: a missing or too late expiry becomes a sentence. */
export function expiresAtUnder(
  choice: ExpiryChoice,
  now: Date,
  policy: TokenPolicy | null,
): ExpiryResult {
  const result = expiresAt(choice, now);
  if (!result.ok) return result;
  if (result.expiresAt === null) {
    return policyNeedsExpiry(policy)
      ? { ok: false, message: policySentence(policy) ?? 'Choose an expiry.' }
      : result;
  }
  const latest = latestExpiry(policy, now);
  if (latest !== null && new Date(result.expiresAt).getTime() > latest.getTime()) {
    return {
      ok: false,
      message: `${policySentence(policy) ?? ''} Choose an earlier expiry.`.trim(),
    };
  }
  return result;
}
