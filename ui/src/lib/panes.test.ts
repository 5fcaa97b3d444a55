import { describe, expect, it } from 'vitest';
import { PANES, groupPanes, visiblePanes } from './panes';

describe('panes', () => {
  it('have unique ids', () => {
    const ids = PANES.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('each load a component, the first at once and the others from their own chunks', async () => {
    for (const pane of PANES) {
      expect(typeof (await pane.load()), pane.id).toBe('function');
    }
  });

  it('hide providers, users and the audit log from members', () => {
    const ids = visiblePanes('member').map((p) => p.id);
    expect(ids).toEqual([
      'account',
      'personal-tokens',
      'agent-tokens',
      'projects',
      'organizations',
      'preferences',
    ]);
  });

  it('show every pane to instance admins', () => {
    expect(visiblePanes('admin').map((p) => p.id)).toEqual(PANES.map((p) => p.id));
  });

  it('group the sidebar in order', () => {
    expect(groupPanes(visiblePanes('member')).map((g) => g.group)).toEqual(['You', 'Work', 'App']);
    expect(groupPanes(visiblePanes('admin')).map((g) => g.group)).toEqual([
      'You',
      'Work',
      'Instance',
      'App',
    ]);
  });
});
