import { describe, expect, it } from 'vitest';
import { SCOPES, explainScope, sortScopes } from './scope';

describe('scopes', () => {
  it('covers exactly the seven scopes of the token model, each once', () => {
    expect(SCOPES.map((s) => s.scope)).toEqual([
      'trigger',
      'read',
      'pipeline:write',
      'repo:write',
      'secret:write',
      'token:admin',
      'org:admin',
    ]);
  });

  it('explains every scope in a sentence', () => {
    for (const { explanation } of SCOPES) {
      expect(explanation).toMatch(/^[A-Z].{8,}\.$/);
    }
    expect(explainScope('secret:write')).toContain('secrets');
    expect(explainScope('org:admin')).toContain('organizations');
  });

  it('sorts scopes in picker order', () => {
    expect(sortScopes(['org:admin', 'read', 'trigger'])).toEqual(['trigger', 'read', 'org:admin']);
  });
});
