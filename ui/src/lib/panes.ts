// The settings panes as data: the sidebar, its groups and who may see each pane come from here.

import type { Component } from 'svelte';
import type { Role } from './api/types';
import AccountPane from './panes/AccountPane.svelte';
import AgentTokensPane from './panes/AgentTokensPane.svelte';
import AuditPane from './panes/AuditPane.svelte';
import OrganizationsPane from './panes/OrganizationsPane.svelte';
import PersonalTokensPane from './panes/PersonalTokensPane.svelte';
import PreferencesPane from './panes/PreferencesPane.svelte';
import ProjectsPane from './panes/ProjectsPane.svelte';
import ProvidersPane from './panes/ProvidersPane.svelte';
import UsersPane from './panes/UsersPane.svelte';

export type PaneGroup = 'You' | 'Work' | 'Instance' | 'App';

export interface PaneDefinition {
  /** Stable id, used in test ids (`nav-<id>`). */
  id: string;
  title: string;
  group: PaneGroup;
  /** Instance-admin panes need a login session of a user whose role is admin. */
  adminOnly?: true;
  component: Component;
}

export const PANES: readonly PaneDefinition[] = [
  { id: 'account', title: 'Account', group: 'You', component: AccountPane },
  { id: 'personal-tokens', title: 'Personal Access Tokens', group: 'You', component: PersonalTokensPane },
  { id: 'agent-tokens', title: 'Agent Tokens', group: 'You', component: AgentTokensPane },
  { id: 'projects', title: 'Projects', group: 'Work', component: ProjectsPane },
  { id: 'organizations', title: 'Organizations', group: 'Work', component: OrganizationsPane },
  { id: 'providers', title: 'Providers', group: 'Instance', adminOnly: true, component: ProvidersPane },
  { id: 'users', title: 'Users', group: 'Instance', adminOnly: true, component: UsersPane },
  { id: 'audit', title: 'Audit Log', group: 'Instance', adminOnly: true, component: AuditPane },
  { id: 'preferences', title: 'Preferences', group: 'App', component: PreferencesPane },
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
