// The seven token scopes and what each one lets a token do, worded for the scope picker.

import type { Scope } from './api/types';

export interface ScopeInfo {
  scope: Scope;
  explanation: string;
}

/** Every scope, in the order the picker shows them (narrowest first). */
export const SCOPES: readonly ScopeInfo[] = [
  { scope: 'trigger', explanation: 'Trigger runs of projects.' },
  { scope: 'read', explanation: 'Read projects, runs, logs and agents.' },
  { scope: 'pipeline:write', explanation: 'Change pipeline files.' },
  { scope: 'repo:write', explanation: 'Change project settings.' },
  { scope: 'secret:write', explanation: 'Set and delete project secrets (their values stay write-only).' },
  { scope: 'token:admin', explanation: "Create, rotate and delete the owner's tokens." },
  { scope: 'org:admin', explanation: 'Manage organizations, their members and org tokens.' },
];

export function explainScope(scope: Scope): string {
  return SCOPES.find((s) => s.scope === scope)?.explanation ?? '';
}

/** Scopes in picker order, whatever order they were chosen or returned in. */
export function sortScopes(scopes: readonly Scope[]): Scope[] {
  const order = SCOPES.map((s) => s.scope);
  return [...scopes].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
