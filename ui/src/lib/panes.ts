// The settings panes as data: the sidebar, its groups and who may see each pane come from here.

import type { Component } from 'svelte';
import type { Role } from './api/types';
// The first pane comes with the app; the others load when first opened, so the launch parses
// only what the first screen shows.
import PersonalTokensPane from './panes/PersonalTokensPane.svelte';

export type PaneGroup = 'You' | 'Work' | 'Instance' | 'App';

export interface PaneDefinition {
  /** Stable id, used in test ids (`nav-<id>`). */
  id: string;
  title: string;
  group: PaneGroup;
  /** Instance-admin panes need a login session of a user whose role is admin. */
  adminOnly?: true;
  /** The pane's component: at once for the first pane, loaded on first use for the others. */
  load: () => Promise<Component>;
}

/** A pane loaded from its own chunk of the bundle. */
function lazy(load: () => Promise<{ default: Component }>): () => Promise<Component> {
  return async () => (await load()).default;
}

export const PANES: readonly PaneDefinition[] = [
  { id: 'account', title: 'Account', group: 'You', load: lazy(() => import('./panes/AccountPane.svelte')) },
  { id: 'personal-tokens', title: 'Personal Access Tokens', group: 'You', load: async () => PersonalTokensPane },
  { id: 'agent-tokens', title: 'Agent Tokens', group: 'You', load: lazy(() => import('./panes/AgentTokensPane.svelte')) },
  { id: 'projects', title: 'Projects', group: 'Work', load: lazy(() => import('./panes/ProjectsPane.svelte')) },
  { id: 'organizations', title: 'Organizations', group: 'Work', load: lazy(() => import('./panes/OrganizationsPane.svelte')) },
  { id: 'providers', title: 'Providers', group: 'Instance', adminOnly: true, load: lazy(() => import('./panes/ProvidersPane.svelte')) },
  { id: 'users', title: 'Users', group: 'Instance', adminOnly: true, load: lazy(() => import('./panes/UsersPane.svelte')) },
  { id: 'audit', title: 'Audit Log', group: 'Instance', adminOnly: true, load: lazy(() => import('./panes/AuditPane.svelte')) },
  { id: 'preferences', title: 'Preferences', group: 'App', load: lazy(() => import('./panes/PreferencesPane.svelte')) },
];

/** The panes a user with `role` sees, in sidebar order. */
export function visiblePanes(role: Role): PaneDefinition[] {
  return PANES.filter((pane) => !pane.adminOnly || role === 'admin');
}

/** Panes in sidebar groups, keeping the order of first appearance. */
export function groupPanes(
  panes: readonly PaneDefinition[],
): { group: PaneGroup; panes: PaneDefinition[] }[] {
  const groups: { group: PaneGroup; panes: PaneDefinition[] }[] = [];
  for (const pane of panes) {
    const existing = groups.find((g) => g.group === pane.group);
    if (existing) existing.panes.push(pane);
    else groups.push({ group: pane.group, panes: [pane] });
  }
  return groups;
}
