// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../api/client';
import type { Me } from '../api/types';
import type { AppContext } from '../context';
import { DEFAULT_PREFERENCES } from '../shell';
import OrganizationsPane from './OrganizationsPane.svelte';
import ProjectsPane from './ProjectsPane.svelte';
import WithApp from './WithApp.test.svelte';

const CREATED = '2025-06-01T00:00:00Z';

/** A client whose every list is empty but for `lists`. */
function client(lists: Record<string, unknown[]>): ApiClient {
  return new Proxy({} as ApiClient, {
    get: (_, name: string) => vi.fn(async () => lists[name] ?? []),
  });
}

function renderPane(pane: Component, lists: Record<string, unknown[]>) {
  const app = {
    client: client(lists),
    me: { id: 'u1', name: 'ada', role: 'admin', orgs: [] } as unknown as Me,
    preferences: DEFAULT_PREFERENCES,
    now: new Date('2025-06-15T12:00:00Z'),
    reloadMe: vi.fn(),
    savePreferences: vi.fn(),
    signOut: vi.fn(),
  } satisfies AppContext;
  return render(WithApp, { props: { app, pane } });
}

describe('detail views', () => {
  it('a project opens with focus on its heading, and Back returns it to the project', async () => {
    renderPane(ProjectsPane, {
      listProjects: [
        { id: 'p1', name: 'alpha', owner: { kind: 'user', id: 'u1' }, repository_url: null, created_at: CREATED },
        { id: 'p2', name: 'beta', owner: { kind: 'user', id: 'u1' }, repository_url: null, created_at: CREATED },
      ],
    });
    const buttons = await screen.findAllByTestId('project-open');
    buttons[1]!.focus();
    await fireEvent.click(buttons[1]!);
    const heading = await screen.findByTestId('project-heading');
    expect(heading.textContent).toBe('beta');
    expect(document.activeElement).toBe(heading);

    await fireEvent.click(screen.getByTestId('project-back'));
    await waitFor(() => expect(document.activeElement?.textContent?.trim()).toBe('beta'));
    expect(document.activeElement?.getAttribute('data-testid')).toBe('project-open');
  });

  it('an organization opens with focus on its heading, and Back returns it to the organization', async () => {
    renderPane(OrganizationsPane, {
      listOrgs: [
        { id: 'o1', name: 'acme', role: 'admin', created_at: CREATED },
        { id: 'o2', name: 'globex', role: 'member', created_at: CREATED },
      ],
    });
    const buttons = await screen.findAllByTestId('org-open');
    await fireEvent.click(buttons[1]!);
    const heading = await screen.findByTestId('org-heading');
    expect(heading.textContent).toBe('globex');
    expect(document.activeElement).toBe(heading);

    await fireEvent.click(screen.getByTestId('org-back'));
    await waitFor(() => expect(document.activeElement?.textContent?.trim()).toBe('globex'));
    expect(document.activeElement?.getAttribute('data-testid')).toBe('org-open');
  });
});

describe('empty lists', () => {
  for (const [name, pane, create] of [
    ['Projects', ProjectsPane, 'project-create'],
    ['Organizations', OrganizationsPane, 'org-create'],
  ] as const) {
    it(`${name} offers one primary action while empty`, async () => {
      const { container } = renderPane(pane, {});
      await screen.findByTestId('empty-state');
      const primary = container.querySelectorAll('.btn-primary');
      expect(primary).toHaveLength(1);
      expect(primary[0]!.closest("[data-testid='empty-state']")).not.toBeNull();
      expect(screen.getByTestId(create).classList).not.toContain('btn-primary');
    });
  }
});
