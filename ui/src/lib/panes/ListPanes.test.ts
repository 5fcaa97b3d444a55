// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import OrganizationsPane from './OrganizationsPane.svelte';
import ProjectsPane from './ProjectsPane.svelte';
import { fakeClient, renderPane } from './renderPane.test-helper';

const CREATED = '2025-06-01T00:00:00Z';

function renderList(pane: Component, lists: Record<string, unknown[]>) {
  return renderPane(pane, fakeClient(lists));
}

describe('detail views', () => {
  it('a project opens with focus on its heading, and Back returns it to the project', async () => {
    renderList(ProjectsPane, {
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
    renderList(OrganizationsPane, {
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
      const { container } = renderList(pane, {});
      await screen.findByTestId('empty-state');
      const primary = container.querySelectorAll('.btn-primary');
      expect(primary).toHaveLength(1);
      expect(primary[0]!.closest("[data-testid='empty-state']")).not.toBeNull();
      expect(screen.getByTestId(create).classList).not.toContain('btn-primary');
    });
  }
});
