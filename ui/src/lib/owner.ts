// Names an owner for people: "you", an organization's name, or the kind and id as a last resort.

import type { Me, Owner } from './api/types';

export function ownerName(owner: Owner, me: Me): string {
  if (owner.kind === 'user' && owner.id === me.id) return 'You';
  if (owner.kind === 'org') {
    const org = me.orgs.find((o) => o.id === owner.id);
    return org ? org.name : 'An organization';
  }
  return owner.kind === 'user' ? 'Another user' : 'A project';
}

/** Whether a repository URL is one the API will take: empty, or an absolute http(s) URL. */
export function repositoryUrlProblem(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === '') return null;
  try {
    const parsed = new URL(trimmed);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return null;
  } catch {
    // Falls through to the sentence below.
  }
  return 'Enter the repository as a full web address, like https://git.example.com/team/app.';
}
