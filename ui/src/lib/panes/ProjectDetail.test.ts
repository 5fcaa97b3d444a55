// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import type { Pipeline, Project } from '../api/types';
import { axeViolations } from '../axe.test-helper';
import ProjectDetail from './ProjectDetail.svelte';
import { renderPane, TEST_NOW } from './renderPane.test-helper';

const shellMock = vi.hoisted(() => ({ linkIdentity: vi.fn(async (_provider: string) => undefined) }));
vi.mock('../shell', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../shell')>()),
  linkIdentity: shellMock.linkIdentity,
}));

const PROJECT: Project = {
  id: 'prj_1',
  name: 'app',
  owner: { kind: 'user', id: 'u1' },
  repository_url: 'https://github.com/acme/app',
  created_at: '2025-06-01T00:00:00Z',
};

const PIPELINE: Pipeline = {
  name: 'ci',
  project_id: 'prj_1',
  content: 'steps:\n  - run: make test\n  - run: make dist\n',
  updated_at: new Date(TEST_NOW.getTime() - 5 * 60_000).toISOString(),
};

interface Call {
  method: string;
  path: string;
  body: unknown;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function apiError(status: number, code: string, message: string, provider?: string): Response {
  return json(status, { error: { code, message, ...(provider ? { provider } : {}) } });
}

/**
 * The real API client over a fake server: each import and pipeline read takes the next of
 * `imports` / `reads`; the provider list names GitHub; every other GET answers an empty list.
 */
function server(answers: { imports?: Response[]; reads?: Response[] }) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const path = new URL(request.url).pathname;
    const text = await request.text();
    calls.push({ method: request.method, path, body: text === '' ? undefined : JSON.parse(text) });
    if (path.endsWith('/import')) return answers.imports?.shift() ?? apiError(500, 'internal', '');
    if (path.includes('/pipelines/')) return answers.reads?.shift() ?? apiError(500, 'internal', '');
    if (path === '/api/v1/providers') return json(200, [{ id: 'gh', name: 'GitHub', kind: 'github' }]);
    return json(200, []);
  });
  const client = new ApiClient({ baseUrl: 'http://127.0.0.1:7878', token: 'session', fetch: fetch as typeof globalThis.fetch });
  const imports = () => calls.filter((c) => c.path.endsWith('/import'));
  return { client, calls, imports };
}

function renderProject(client: ApiClient, project: Project = PROJECT) {
  return renderPane(ProjectDetail, client, {}, { project, onback: vi.fn(), onchanged: vi.fn() });
}

async function importWith(fields: { path?: string; ref?: string; name?: string } = {}) {
  for (const [key, value] of Object.entries(fields)) {
    await fireEvent.input(await screen.findByTestId(`pipeline-${key}`), { target: { value } });
  }
  await fireEvent.click(await screen.findByTestId('pipeline-import'));
}

beforeEach(() => shellMock.linkIdentity.mockReset());

describe('Project: pipeline files', () => {
  it('imports the default file as ci and shows its name, size, time and content', async () => {
    const { client, imports } = server({ imports: [json(200, PIPELINE)] });
    renderProject(client);
    const path = (await screen.findByTestId('pipeline-path')) as HTMLInputElement;
    expect(path.value).toBe('.tessera/pipeline.yml');
    expect((screen.getByTestId('pipeline-name') as HTMLInputElement).value).toBe('ci');
    expect((screen.getByTestId('pipeline-ref') as HTMLInputElement).placeholder).toBe('default branch');
    expect(screen.getByLabelText('File in the repository')).toBe(path);

    await importWith();
    const shown = await screen.findByTestId('pipeline-shown');
    expect(imports()).toEqual([
      { method: 'POST', path: '/api/v1/projects/prj_1/pipelines/ci/import', body: { path: '.tessera/pipeline.yml' } },
    ]);
    expect(within(shown).getByTestId('pipeline-shown-name').textContent).toBe('ci');
    expect(within(shown).getByTestId('pipeline-shown-meta').textContent).toMatch(/3 lines · updated\s+5 minutes ago/);
    expect(within(shown).getByTestId('pipeline-content').textContent).toBe(PIPELINE.content);
    expect(within(shown).getByRole('region', { name: 'Content of ci' })).toBeTruthy();
    const status = screen.getAllByRole('status').map((s) => s.textContent);
    expect(status).toContain('Imported .tessera/pipeline.yml as ci: 3 lines.');
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('sends the ref and the name given, trimmed, when the form is submitted from the keyboard', async () => {
    const { client, imports } = server({ imports: [json(200, { ...PIPELINE, name: 'deploy' })] });
    renderProject(client);
    for (const [key, value] of Object.entries({ path: ' ci/deploy.yml ', ref: ' v2 ', name: 'deploy' })) {
      await fireEvent.input(await screen.findByTestId(`pipeline-${key}`), { target: { value } });
    }
    // Enter in a field submits its form.
    await fireEvent.submit(screen.getByRole('form', { name: 'Import a pipeline file' }));
    await screen.findByTestId('pipeline-shown');
    expect(imports()[0]).toMatchObject({
      path: '/api/v1/projects/prj_1/pipelines/deploy/import',
      body: { path: 'ci/deploy.yml', ref: 'v2' },
    });
  });

  it('asks for a path and a name before calling the server', async () => {
    const { client, imports } = server({});
    renderProject(client);
    await importWith({ path: '  ' });
    expect((await screen.findByTestId('error')).textContent?.trim()).toContain("Give the file's path in the repository.");
    await importWith({ path: 'x.yml', name: '' });
    expect((await screen.findByTestId('error')).textContent?.trim()).toContain('Give the pipeline a name in the project.');
    expect(imports()).toHaveLength(0);
  });

  it.each([
    [
      'a bad path (400)',
      apiError(400, 'invalid_request', 'path must not have empty, . or .. parts'),
      'Path must not have empty, . or .. parts.',
    ],
    [
      'a project whose repository URL is unusable (409)',
      apiError(409, 'conflict', 'the project names no repository: set its repository URL first'),
      'The project names no repository: set its repository URL first.',
    ],
    [
      'no such file (404)',
      apiError(404, 'not_found', 'pipeline file in the repository not found'),
      "There is no .tessera/pipeline.yml on the default branch of the project's repository. Check the path and the ref.",
    ],
    [
      'no account linked at the host (409)',
      apiError(409, 'conflict', 'no account at github.com is linked to yours: link one to import from its repositories'),
      'No account at github.com is linked to yours: link one to import from its repositories. Linked accounts are in Account.',
    ],
    [
      'the host failing (502)',
      apiError(502, 'provider_unavailable', 'the code host answered HTTP 500'),
      'Tessera could not read the file from the code host (the code host answered HTTP 500). Try again in a moment.',
    ],
    [
      'the server unavailable (503, no body)',
      new Response('<html>Service Unavailable</html>', { status: 503 }),
      'The server ran into a problem (HTTP 503). Try again in a moment.',
    ],
  ])('says what went wrong for %s, and offers no reconnect', async (_what, answer, sentence) => {
    const { client } = server({ imports: [answer] });
    renderProject(client);
    await importWith();
    expect((await screen.findByTestId('error')).textContent?.trim()).toBe(sentence);
    expect(screen.queryByTestId('pipeline-reconnect')).toBeNull();
    expect(screen.queryByTestId('pipeline-shown')).toBeNull();
  });

  it('names the ref in the sentence for a file missing there', async () => {
    const { client } = server({ imports: [apiError(404, 'not_found', 'pipeline file in the repository not found')] });
    renderProject(client);
    await importWith({ ref: 'release' });
    expect((await screen.findByTestId('error')).textContent?.trim()).toBe(
      "There is no .tessera/pipeline.yml at release of the project's repository. Check the path and the ref.",
    );
  });

  it('offers a reconnect on reconnect_required, then imports the same file again', async () => {
    const { client, imports } = server({
      imports: [
        apiError(409, 'reconnect_required', 'the gh link must be signed in to again', 'gh'),
        json(200, PIPELINE),
      ],
    });
    renderProject(client);
    await importWith({ ref: 'main' });
    expect((await screen.findByTestId('error')).textContent?.trim()).toBe(
      'Your GitHub account must be signed in to again before Tessera can read the repository. Reconnect it and the import runs again.',
    );
    await fireEvent.click(screen.getByTestId('pipeline-reconnect'));
    expect(shellMock.linkIdentity).toHaveBeenCalledWith('gh');
    await screen.findByTestId('pipeline-shown');
    expect(imports()).toHaveLength(2);
    expect(imports()[1]).toEqual(imports()[0]);
    expect(imports()[1]!.body).toEqual({ path: '.tessera/pipeline.yml', ref: 'main' });
    expect(screen.queryByTestId('error')).toBeNull();
    expect(screen.queryByTestId('pipeline-reconnect')).toBeNull();
    // The Reconnect button went away with the focus on it: the focus moves to what was imported.
    await waitFor(() => expect(document.activeElement?.textContent).toMatch(/Imported\s+ci/));
  });

  it('keeps the reconnect offer when the browser sign-in is cancelled, and retries nothing', async () => {
    shellMock.linkIdentity.mockRejectedValueOnce({ code: 'cancelled', message: 'Cancelled.' });
    const { client, imports } = server({
      imports: [apiError(409, 'reconnect_required', 'the gh link must be signed in to again', 'gh')],
    });
    renderProject(client);
    await importWith();
    await fireEvent.click(await screen.findByTestId('pipeline-reconnect'));
    await waitFor(() => expect(shellMock.linkIdentity).toHaveBeenCalledTimes(1));
    await waitFor(() => expect((screen.getByTestId('pipeline-reconnect') as HTMLButtonElement).disabled).toBe(false));
    expect(imports()).toHaveLength(1);
    expect(screen.getByTestId('error').textContent?.trim()).toContain('Your GitHub account must be signed in to again');
  });

  it('says why a reconnect failed', async () => {
    shellMock.linkIdentity.mockRejectedValueOnce({ code: 'provider_denied', message: 'the provider refused the sign-in' });
    const { client, imports } = server({
      imports: [apiError(409, 'reconnect_required', 'the gh link must be signed in to again', 'gh')],
    });
    renderProject(client);
    await importWith();
    await fireEvent.click(await screen.findByTestId('pipeline-reconnect'));
    await waitFor(() => expect(screen.getByTestId('error').textContent?.trim()).toBe('The provider refused the sign-in.'));
    expect(imports()).toHaveLength(1);
  });

  it('points to editing the project when it names no repository', async () => {
    const { client } = server({});
    renderProject(client, { ...PROJECT, repository_url: null });
    const notice = await screen.findByTestId('pipeline-no-repository');
    expect(notice.textContent).toContain('This project names no repository');
    expect(screen.queryByTestId('pipeline-path')).toBeNull();
    expect(screen.queryByTestId('pipeline-import')).toBeNull();
    await fireEvent.click(within(notice).getByTestId('pipeline-edit-project'));
    expect(await screen.findByTestId('project-dialog')).toBeTruthy();
  });

  it('shows an existing pipeline by name, and says when there is none', async () => {
    const { client, calls } = server({
      reads: [json(200, { ...PIPELINE, name: 'nightly', content: 'one line' }), apiError(404, 'not_found', 'pipeline not found')],
    });
    renderProject(client, { ...PROJECT, repository_url: null });
    const name = await screen.findByTestId('pipeline-view-name');
    await fireEvent.input(name, { target: { value: 'nightly' } });
    await fireEvent.click(screen.getByTestId('pipeline-view'));
    const shown = await screen.findByTestId('pipeline-shown');
    expect(calls.filter((c) => c.path.includes('/pipelines/'))).toEqual([
      { method: 'GET', path: '/api/v1/projects/prj_1/pipelines/nightly', body: undefined },
    ]);
    expect(shown.textContent).toContain('Pipeline nightly');
    expect(within(shown).getByTestId('pipeline-shown-meta').textContent).toContain('1 line ·');
    expect(screen.getAllByRole('status').map((s) => s.textContent)).toContain('Showing nightly: 1 line.');

    await fireEvent.input(name, { target: { value: 'release' } });
    await fireEvent.click(screen.getByTestId('pipeline-view'));
    expect((await screen.findByTestId('error')).textContent?.trim()).toBe('This project has no pipeline named release yet.');
  });
});

describe('Project: pipeline files are accessible', () => {
  it('has labelled fields and a labelled, focusable result, with no axe violations', async () => {
    const { client } = server({ imports: [json(200, PIPELINE)], reads: [apiError(404, 'not_found', 'pipeline not found')] });
    renderProject(client);
    const section = await screen.findByTestId('pipeline-files');
    expect(within(section).getByRole('form', { name: 'Import a pipeline file' })).toBeTruthy();
    expect(within(section).getByLabelText(/Ref/)).toBe(screen.getByTestId('pipeline-ref'));
    expect(within(section).getByLabelText('Name in the project')).toBe(screen.getByTestId('pipeline-name'));
    await importWith();
    const region = await within(section).findByRole('region', { name: 'Content of ci' });
    expect(region.tabIndex).toBe(0);
    await fireEvent.click(screen.getByTestId('pipeline-view'));
    await within(section).findByRole('alert');
    expect(await axeViolations(section)).toEqual([]);
  });

  it('has no axe violations without a repository', async () => {
    const { client } = server({});
    renderProject(client, { ...PROJECT, repository_url: null });
    const section = await screen.findByTestId('pipeline-files');
    expect(await axeViolations(section)).toEqual([]);
  });
});
