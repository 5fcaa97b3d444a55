// Tessera's REST API for the screens: one method per endpoint over the client generated from
// the server's OpenAPI document (openapi-fetch over schema.d.ts, made by openapi-typescript from
// openapi.json; `make api-client` regenerates both, `make test` fails when they are stale).
// What is ours is the session, the deadline, and turning every failure into an ApiError whose
// message is a sentence a person can read, so no screen ever shows JSON or a status line.

import createClient, { type Client } from 'openapi-fetch';
import type { ErrorCode } from '../bindings/ErrorCode';
import type { paths } from './schema';

import type {
  Agent,
  Attention,
  Device,
  ExtraSession,
  AuditPage,
  GitHost,
  AuditQuery,
  Identity,
  Invitation,
  LogPage,
  Me,
  Member,
  MemberRemoval,
  NewMember,
  NewOrg,
  NewProject,
  NewScopedToken,
  NewUnscopedToken,
  Org,
  OrgPolicy,
  Pipeline,
  PipelineImport,
  Project,
  ProjectPatch,
  Provider,
  ProviderConfig,
  ProviderDetail,
  ProviderHealth,
  Run,
  Token,
  TokenPatch,
  TokenPolicy,
  TokenWithValue,
  User,
  UserPatch,
} from './types';

/** Codes the client itself gives to failures that never reached a well-formed API answer. */
export type ClientErrorCode = 'network' | 'timeout' | 'invalid_response' | 'unknown';

/** A failed API call: the HTTP status (0 when no answer arrived), the API's code and a sentence. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    /** The server's code (one `ErrorCode`, generated from Rust) or the client's own. */
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    /** For `reconnect_required`: the provider whose link must be signed in to again. */
    readonly provider: string | null = null,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:41234` or `https://tessera.example.com`. */
  baseUrl: string;
  /**
   * The login session (or any bearer token); null for the public endpoints. A function is asked
   * before every request, so a session renewed meanwhile is used at once.
   */
  token: string | null | (() => Promise<string | null>);
  /** Injected for tests; the webview's fetch otherwise. */
  fetch?: typeof fetch;
  /** How long a call may take before it fails with a sentence. */
  timeoutMs?: number;
  /** Called when the server says the credential is no longer valid (HTTP 401). */
  onUnauthenticated?: () => void;
}

const DEFAULT_TIMEOUT_MS = 20_000;

// Used when the server's answer carries no usable message of its own.
const FALLBACK_SENTENCES: Partial<Record<ErrorCode | ClientErrorCode, string>> = {
  invalid_request: 'The server could not accept that request. Check the fields and try again.',
  unauthenticated: 'Your session has ended. Sign in again.',
  forbidden: 'You do not have permission to do that.',
  not_found: 'That item no longer exists. It may have been deleted.',
  conflict: 'That conflicts with something that already exists.',
};

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

function looksLikeMarkup(text: string): boolean {
  const t = text.trim();
  return t.startsWith('{') || t.startsWith('[') || t.startsWith('<');
}

function statusSentence(status: number): string {
  if (status >= 500) {
    return `The server ran into a problem (HTTP ${status}). Try again in a moment.`;
  }
  return `The server refused the request (HTTP ${status}).`;
}

/** Reads an error answer into an ApiError, whatever the body turned out to be. */
function errorFromBody(status: number, body: unknown): ApiError {
  let code: ErrorCode | ClientErrorCode = 'unknown';
  let message = '';
  let provider: string | null = null;
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'object' && error !== null) {
      const e = error as { code?: unknown; message?: unknown; provider?: unknown };
      // The server sends only ErrorCode names (crates/core/src/error.rs); `unknown` otherwise.
      if (typeof e.code === 'string' && e.code !== '') code = e.code as ErrorCode;
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.provider === 'string' && e.provider !== '') provider = e.provider;
    }
  }
  // Not JSON (a proxy's HTML page, an empty body): the status has to speak for it.
  const text =
    message !== '' && !looksLikeMarkup(message)
      ? sentence(message)
      : (FALLBACK_SENTENCES[code] ?? statusSentence(status));
  return new ApiError(status, code, text, provider);
}

/** Turns anything thrown into a sentence fit for the screen. */
export function errorSentence(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string' &&
    error.message.trim() !== '' &&
    !looksLikeMarkup(error.message) &&
    'code' in error
  ) {
    // Errors from the desktop shell carry {code, message} like the API's.
    return sentence(error.message);
  }
  return 'Something went wrong. Try again.';
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string | null | (() => Promise<string | null>);
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #onUnauthenticated: (() => void) | undefined;
  /** The generated client: paths, parameters and bodies are checked against the document. */
  readonly #api: Client<paths>;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    // Bound so a bare `fetch` keeps its `this` (browsers throw "Illegal invocation" otherwise).
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onUnauthenticated = options.onUnauthenticated;
    this.#api = createClient<paths>({ baseUrl: this.baseUrl, fetch: (request) => this.#fetchOnce(request) });
  }


  /** Sends one request with the session, a deadline and sentences for what fails on the way. */
  async #fetchOnce(request: Request): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.set('Accept', 'application/json');
    const token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    try {
      const body = request.body === null ? undefined : await request.text();
      return await this.#fetch(request.url, { method: request.method, headers, body, signal: controller.signal });
    } catch {
      throw timedOut
        ? new ApiError(0, 'timeout', 'The server took too long to answer. Try again.')
        : new ApiError(
            0,
            'network',
            `Tessera could not reach the server at ${this.baseUrl}. Check that it is running and that this computer is online.`,
          );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The answer's body, or an ApiError with a sentence. Answers are typed with the Rust types
   * that serialize them (ts-rs); the document describes the same types.
   */
  async #send<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
    let result: { data?: unknown; error?: unknown; response: Response };
    try {
      result = await call;
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new ApiError(0, 'invalid_response', 'The server sent an answer Tessera could not read.');
    }
    const { response } = result;
    if (!response.ok) {
      const error = errorFromBody(response.status, result.error);
      if (response.status === 401) this.#onUnauthenticated?.();
      throw error;
    }
    return result.data as T;
  }

  // Account and sign-in

  /** GET /api/v1/providers (public). */
  listProviders(): Promise<Provider[]> {
    return this.#send(this.#api.GET('/api/v1/providers'));
  }

  /** GET /api/v1/user/attention: expiring and expired tokens, links to reconnect; soonest first. */
  listAttention(): Promise<Attention[]> {
    return this.#send(this.#api.GET('/api/v1/user/attention'));
  }

  /** GET /api/v1/user/devices: the account's signed-in devices (a login session only). */
  listDevices(): Promise<Device[]> {
    return this.#send(this.#api.GET('/api/v1/user/devices'));
  }

  /** DELETE /api/v1/user/devices/{id}: signs that device out. */
  revokeDevice(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/user/devices/{id}', { params: { path: { id } } }));
  }

  /** POST /api/v1/user/sessions: a one-hour session for calling the API by hand, shown once. */
  createApiSession(): Promise<ExtraSession> {
    return this.#send(this.#api.POST('/api/v1/user/sessions'));
  }

  // Providers (instance admins)

  /** GET /api/v1/providers/{id}: the configuration, never the client secret. */
  getProvider(id: string): Promise<ProviderDetail> {
    return this.#send(this.#api.GET('/api/v1/providers/{id}', { params: { path: { id } } }));
  }

  /** POST /api/v1/providers */
  addProvider(config: ProviderConfig): Promise<Provider> {
    return this.#send(this.#api.POST('/api/v1/providers', { body: config }));
  }

  /** PUT /api/v1/providers/{id}: a missing or empty `client_secret` keeps the stored one. */
  updateProvider(id: string, config: ProviderConfig): Promise<ProviderDetail> {
    return this.#send(this.#api.PUT('/api/v1/providers/{id}', { params: { path: { id } }, body: config }));
  }

  /** DELETE /api/v1/providers/{id} */
  deleteProvider(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/providers/{id}', { params: { path: { id } } }));
  }

  /** POST /api/v1/providers/{id}/test: every check, each with a sentence. */
  testProvider(id: string): Promise<ProviderHealth> {
    return this.#send(this.#api.POST('/api/v1/providers/{id}/test', { params: { path: { id } } }));
  }

  /** GET /api/v1/me */
  me(): Promise<Me> {
    return this.#send(this.#api.GET('/api/v1/me'));
  }

  /** DELETE /api/v1/sessions/current */
  endSession(): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/sessions/current'));
  }

  /** GET /api/v1/user/identities */
  listIdentities(): Promise<Identity[]> {
    return this.#send(this.#api.GET('/api/v1/user/identities'));
  }

  /** DELETE /api/v1/user/identities/{id} */
  unlinkIdentity(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/user/identities/{id}', { params: { path: { id } } }));
  }

  /** GET /api/v1/user/git/hosts: the code hosts git can use through Tessera (`tessera auth setup-git`). */
  listGitHosts(): Promise<GitHost[]> {
    return this.#send(this.#api.GET('/api/v1/user/git/hosts'));
  }

  // Token policies

  /** GET /api/v1/user/policy: the policy personal access tokens obey. */
  getUserPolicy(): Promise<TokenPolicy> {
    return this.#send(this.#api.GET('/api/v1/user/policy'));
  }

  /** GET /api/v1/orgs/{org}/policy: the org's policy, the instance's and the one in force. */
  getOrgPolicy(org: string): Promise<OrgPolicy> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/policy', { params: { path: { org } } }));
  }

  // Personal access tokens

  /** GET /api/v1/user/tokens */
  listPersonalTokens(): Promise<Token[]> {
    return this.#send(this.#api.GET('/api/v1/user/tokens'));
  }

  /** POST /api/v1/user/tokens */
  createPersonalToken(body: NewScopedToken): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/user/tokens', { body: body }));
  }

  /** GET /api/v1/user/tokens/{id} */
  getPersonalToken(id: string): Promise<Token> {
    return this.#send(this.#api.GET('/api/v1/user/tokens/{id}', { params: { path: { id } } }));
  }

  /** PATCH /api/v1/user/tokens/{id} */
  updatePersonalToken(id: string, patch: TokenPatch): Promise<Token> {
    return this.#send(this.#api.PATCH('/api/v1/user/tokens/{id}', { params: { path: { id } }, body: patch }));
  }

  /** DELETE /api/v1/user/tokens/{id} */
  deletePersonalToken(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/user/tokens/{id}', { params: { path: { id } } }));
  }

  /** POST /api/v1/user/tokens/{id}/rotate */
  rotatePersonalToken(id: string): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/user/tokens/{id}/rotate', { params: { path: { id } } }));
  }

  // Personal agent tokens and agents

  /** GET /api/v1/user/agent-tokens */
  listAgentTokens(): Promise<Token[]> {
    return this.#send(this.#api.GET('/api/v1/user/agent-tokens'));
  }

  /** POST /api/v1/user/agent-tokens */
  createAgentToken(body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/user/agent-tokens', { body: body }));
  }

  /** GET /api/v1/user/agent-tokens/{id} */
  getAgentToken(id: string): Promise<Token> {
    return this.#send(this.#api.GET('/api/v1/user/agent-tokens/{id}', { params: { path: { id } } }));
  }

  /** PATCH /api/v1/user/agent-tokens/{id} */
  updateAgentToken(id: string, patch: TokenPatch): Promise<Token> {
    return this.#send(this.#api.PATCH('/api/v1/user/agent-tokens/{id}', { params: { path: { id } }, body: patch }));
  }

  /** DELETE /api/v1/user/agent-tokens/{id} */
  deleteAgentToken(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/user/agent-tokens/{id}', { params: { path: { id } } }));
  }

  /** POST /api/v1/user/agent-tokens/{id}/rotate */
  rotateAgentToken(id: string): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/user/agent-tokens/{id}/rotate', { params: { path: { id } } }));
  }

  /** GET /api/v1/agents */
  listAgents(): Promise<Agent[]> {
    return this.#send(this.#api.GET('/api/v1/agents'));
  }

  // Organizations

  /** GET /api/v1/orgs */
  listOrgs(): Promise<Org[]> {
    return this.#send(this.#api.GET('/api/v1/orgs'));
  }

  /** POST /api/v1/orgs */
  createOrg(body: NewOrg): Promise<Org> {
    return this.#send(this.#api.POST('/api/v1/orgs', { body: body }));
  }

  /** GET /api/v1/orgs/{org} */
  getOrg(org: string): Promise<Org> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}', { params: { path: { org } } }));
  }

  /** GET /api/v1/orgs/{org}/members */
  listMembers(org: string): Promise<Member[]> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/members', { params: { path: { org } } }));
  }

  /** POST /api/v1/orgs/{org}/members: sets the role of a member; answers with the members. */
  addMember(org: string, body: NewMember): Promise<Member[]> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/members', { params: { path: { org } }, body: body }));
  }

  /** POST /api/v1/orgs/{org}/invitations: invites someone; they join once they accept. */
  inviteMember(org: string, body: NewMember): Promise<Invitation> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/invitations', { params: { path: { org } }, body: body }));
  }

  /** GET /api/v1/orgs/{org}/invitations (the organization's admins) */
  listOrgInvitations(org: string): Promise<Invitation[]> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/invitations', { params: { path: { org } } }));
  }

  /** DELETE /api/v1/orgs/{org}/invitations/{id} (answers 204) */
  withdrawInvitation(org: string, id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/orgs/{org}/invitations/{id}', { params: { path: { org, id } } }));
  }

  /** GET /api/v1/user/invitations: the invitations waiting for the signed-in user. */
  listInvitations(): Promise<Invitation[]> {
    return this.#send(this.#api.GET('/api/v1/user/invitations'));
  }

  /** POST /api/v1/user/invitations/{id}/accept: joins the organization. */
  acceptInvitation(id: string): Promise<Org> {
    return this.#send(this.#api.POST('/api/v1/user/invitations/{id}/accept', { params: { path: { id } } }));
  }

  /** POST /api/v1/user/invitations/{id}/decline (answers 204) */
  declineInvitation(id: string): Promise<void> {
    return this.#send(this.#api.POST('/api/v1/user/invitations/{id}/decline', { params: { path: { id } } }));
  }

  /** DELETE /api/v1/orgs/{org}/members (answers 204) */
  removeMember(org: string, body: MemberRemoval): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/orgs/{org}/members', { params: { path: { org } }, body: body }));
  }

  /** GET /api/v1/orgs/{org}/tokens */
  listOrgTokens(org: string): Promise<Token[]> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/tokens', { params: { path: { org } } }));
  }

  /** POST /api/v1/orgs/{org}/tokens */
  createOrgToken(org: string, body: NewScopedToken): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/tokens', { params: { path: { org } }, body: body }));
  }

  /** GET /api/v1/orgs/{org}/tokens/{id} */
  getOrgToken(org: string, id: string): Promise<Token> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/tokens/{id}', { params: { path: { org, id } } }));
  }

  /** PATCH /api/v1/orgs/{org}/tokens/{id} */
  updateOrgToken(org: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#send(this.#api.PATCH('/api/v1/orgs/{org}/tokens/{id}', { params: { path: { org, id } }, body: patch }));
  }

  /** DELETE /api/v1/orgs/{org}/tokens/{id} */
  deleteOrgToken(org: string, id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/orgs/{org}/tokens/{id}', { params: { path: { org, id } } }));
  }

  /** POST /api/v1/orgs/{org}/tokens/{id}/rotate */
  rotateOrgToken(org: string, id: string): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/tokens/{id}/rotate', { params: { path: { org, id } } }));
  }

  /** GET /api/v1/orgs/{org}/agent-tokens */
  listOrgAgentTokens(org: string): Promise<Token[]> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/agent-tokens', { params: { path: { org } } }));
  }

  /** POST /api/v1/orgs/{org}/agent-tokens */
  createOrgAgentToken(org: string, body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/agent-tokens', { params: { path: { org } }, body: body }));
  }

  /** GET /api/v1/orgs/{org}/agent-tokens/{id} */
  getOrgAgentToken(org: string, id: string): Promise<Token> {
    return this.#send(this.#api.GET('/api/v1/orgs/{org}/agent-tokens/{id}', { params: { path: { org, id } } }));
  }

  /** PATCH /api/v1/orgs/{org}/agent-tokens/{id} */
  updateOrgAgentToken(org: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#send(this.#api.PATCH('/api/v1/orgs/{org}/agent-tokens/{id}', { params: { path: { org, id } }, body: patch }));
  }

  /** DELETE /api/v1/orgs/{org}/agent-tokens/{id} */
  deleteOrgAgentToken(org: string, id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/orgs/{org}/agent-tokens/{id}', { params: { path: { org, id } } }));
  }

  /** POST /api/v1/orgs/{org}/agent-tokens/{id}/rotate */
  rotateOrgAgentToken(org: string, id: string): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/orgs/{org}/agent-tokens/{id}/rotate', { params: { path: { org, id } } }));
  }

  // Projects, trigger tokens and runs

  /** GET /api/v1/projects */
  listProjects(): Promise<Project[]> {
    return this.#send(this.#api.GET('/api/v1/projects'));
  }

  /** POST /api/v1/projects */
  createProject(body: NewProject): Promise<Project> {
    return this.#send(this.#api.POST('/api/v1/projects', { body: body }));
  }

  /** GET /api/v1/projects/{project} */
  getProject(project: string): Promise<Project> {
    return this.#send(this.#api.GET('/api/v1/projects/{project}', { params: { path: { project } } }));
  }

  /** PATCH /api/v1/projects/{project} */
  updateProject(project: string, patch: ProjectPatch): Promise<Project> {
    return this.#send(this.#api.PATCH('/api/v1/projects/{project}', { params: { path: { project } }, body: patch }));
  }

  /** GET /api/v1/projects/{project}/trigger-tokens */
  listTriggerTokens(project: string): Promise<Token[]> {
    return this.#send(this.#api.GET('/api/v1/projects/{project}/trigger-tokens', { params: { path: { project } } }));
  }

  /** POST /api/v1/projects/{project}/trigger-tokens */
  createTriggerToken(project: string, body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/projects/{project}/trigger-tokens', { params: { path: { project } }, body: body }));
  }

  /** GET /api/v1/projects/{project}/trigger-tokens/{id} */
  getTriggerToken(project: string, id: string): Promise<Token> {
    return this.#send(this.#api.GET('/api/v1/projects/{project}/trigger-tokens/{id}', { params: { path: { project, id } } }));
  }

  /** PATCH /api/v1/projects/{project}/trigger-tokens/{id} */
  updateTriggerToken(project: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#send(this.#api.PATCH('/api/v1/projects/{project}/trigger-tokens/{id}', { params: { path: { project, id } }, body: patch }));
  }

  /** DELETE /api/v1/projects/{project}/trigger-tokens/{id} */
  deleteTriggerToken(project: string, id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/projects/{project}/trigger-tokens/{id}', { params: { path: { project, id } } }));
  }

  /** POST /api/v1/projects/{project}/trigger-tokens/{id}/rotate */
  rotateTriggerToken(project: string, id: string): Promise<TokenWithValue> {
    return this.#send(this.#api.POST('/api/v1/projects/{project}/trigger-tokens/{id}/rotate', { params: { path: { project, id } } }));
  }

  /** GET /api/v1/projects/{project}/runs */
  listRuns(project: string): Promise<Run[]> {
    return this.#send(this.#api.GET('/api/v1/projects/{project}/runs', { params: { path: { project } } }));
  }

  /** GET /api/v1/projects/{project}/runs/{run}/log: the lines after line `after`. */
  runLog(project: string, run: string, after = 0): Promise<LogPage> {
    return this.#send(
      this.#api.GET('/api/v1/projects/{project}/runs/{run}/log', {
        params: { path: { project, run }, query: { after } },
      }),
    );
  }

  /** GET /api/v1/projects/{project}/pipelines/{name} */
  getPipeline(project: string, name: string): Promise<Pipeline> {
    return this.#send(this.#api.GET('/api/v1/projects/{project}/pipelines/{name}', { params: { path: { project, name } } }));
  }

  /**
   * POST /api/v1/projects/{project}/pipelines/{name}/import: reads the file from the project's
   * repository through the caller's linked account at its host; 409 `reconnect_required` (with
   * the provider) when that link must be signed in to again.
   */
  importPipeline(project: string, name: string, body: PipelineImport): Promise<Pipeline> {
    return this.#send(
      this.#api.POST('/api/v1/projects/{project}/pipelines/{name}/import', { params: { path: { project, name } }, body: body }),
    );
  }

  /** POST /api/v1/projects/{project}/runs (answers 202) */
  triggerRun(project: string): Promise<Run> {
    return this.#send(this.#api.POST('/api/v1/projects/{project}/runs', { params: { path: { project } } }));
  }

  // Instance administration (admin sessions only)

  /** GET /api/v1/admin/audit: one page, newest first; empty filters are left out. */
  listAuditEvents(query: AuditQuery = {}): Promise<AuditPage> {
    const kept = Object.entries(query).filter(([, value]) => value !== undefined && value !== '');
    const params = { query: Object.fromEntries(kept) as AuditQuery };
    return this.#send(this.#api.GET('/api/v1/admin/audit', { params }));
  }

  /** GET /api/v1/admin/users */
  listUsers(): Promise<User[]> {
    return this.#send(this.#api.GET('/api/v1/admin/users'));
  }

  /** PATCH /api/v1/admin/users/{id}: sets an account's local role, or disables / re-enables it. */
  updateUser(id: string, body: UserPatch): Promise<User> {
    return this.#send(this.#api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id } }, body: body }));
  }

  /** DELETE /api/v1/admin/users/{id}: deletes an account and everything only it owns. */
  deleteUser(id: string): Promise<void> {
    return this.#send(this.#api.DELETE('/api/v1/admin/users/{id}', { params: { path: { id } } }));
  }
}
