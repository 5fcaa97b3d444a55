// A provider's health as the Providers pane shows it: checking, its report, or why the check
// itself could not run.

import type { CheckStatus, ProviderHealth } from './api/types';

export type Health =
  | { state: 'checking'; last?: ProviderHealth }
  | { state: 'done'; report: ProviderHealth }
  | { state: 'failed'; error: string };

/** The worst status in a report. */
export function worst(report: ProviderHealth): CheckStatus {
  const statuses = report.checks.map((c) => c.status);
  if (statuses.includes('error')) return 'error';
  if (statuses.includes('warning')) return 'warning';
  return 'ok';
}

/** A few words for a report: "OK", "1 warning", "2 errors". */
export function summary(report: ProviderHealth): string {
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const errors = count('error');
  const warnings = count('warning');
  if (errors > 0) return errors === 1 ? '1 error' : `${errors} errors`;
  if (warnings > 0) return warnings === 1 ? '1 warning' : `${warnings} warnings`;
  return 'OK';
}

/** What each check looked at, for people. */
export const CHECK_NAMES: Record<string, string> = {
  setup: 'Setup',
  discovery: 'Discovery',
  issuer: 'Issuer',
  endpoints: 'Endpoints',
  userinfo: 'Userinfo',
  scopes: 'Scopes',
  authorization: 'Sign-in request',
  client: 'Client credentials',
  role_mapping: 'Role mapping',
  api: 'REST API',
};

/** A sentence from the server, capitalised and ending in a full stop. */
export function asSentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}
