// The typed client of Tessera's REST API: one method per endpoint, nothing else.
// It turns every failure into an ApiError whose message is a sentence a person can read, so no
// screen ever has to show JSON, a status line or a stack trace.

import type {
  Agent,
  AuditPage,
  AuditQuery,
  Identity,
  Invitation,
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
  Project,
  ProjectPatch,
  Provider,
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
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:41234` or `https://tessera.example.com`. */
  baseUrl: string;
  /** The login session (or any bearer token); null for the public endpoints. */
  token: string | null;
  /** Injected for tests; the webview's fetch otherwise. */
  fetch?: typeof fetch;
  /** How long a call may take before it fails with a sentence. */
  timeoutMs?: number;
  /** Called when the server says the credential is no longer valid (HTTP 401). */
  onUnauthenticated?: () => void;
}

const API_PREFIX = '/api/v1';
const DEFAULT_TIMEOUT_MS = 20_000;

// Used when the server's answer carries no usable message of its own.
const FALLBACK_SENTENCES: Record<string, string> = {
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
async function errorFromResponse(response: Response): Promise<ApiError> {
  let code = 'unknown';
  let message = '';
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null && 'error' in body) {
      const error = (body as { error: unknown }).error;
      if (typeof error === 'object' && error !== null) {
        const e = error as { code?: unknown; message?: unknown };
        if (typeof e.code === 'string' && e.code !== '') code = e.code;
        if (typeof e.message === 'string') message = e.message;
      }
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status has to speak for it.
  }
  const text =
    message !== '' && !looksLikeMarkup(message)
      ? sentence(message)
      : (FALLBACK_SENTENCES[code] ?? statusSentence(response.status));
  return new ApiError(response.status, code, text);
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

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function segment(id: string): string {
  return encodeURIComponent(id);
}

export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string | null;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #onUnauthenticated: (() => void) | undefined;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    // Bound so a bare `fetch` keeps its `this` (browsers throw "Illegal invocation" otherwise).
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onUnauthenticated = options.onUnauthenticated;
  }

  async #request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.#token !== null) headers['Authorization'] = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const controller = new AbortController();
    init.signal = controller.signal;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);

    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${API_PREFIX}${path}`, init);
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

    if (!response.ok) {
      const error = await errorFromResponse(response);
      if (response.status === 401) this.#onUnauthenticated?.();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(
        response.status,
        'invalid_response',
        'The server sent an answer Tessera could not read.',
      );
    }
  }

  // Account and sign-in

  /** GET /api/v1/providers (public). */
  listProviders(): Promise<Provider[]> {
    return this.#request('GET', '/providers');
  }

  /** GET /api/v1/me */
  me(): Promise<Me> {
    return this.#request('GET', '/me');
  }

  /** DELETE /api/v1/sessions/current */
  endSession(): Promise<void> {
    return this.#request('DELETE', '/sessions/current');
  }

  /** GET /api/v1/user/identities */
  listIdentities(): Promise<Identity[]> {
    return this.#request('GET', '/user/identities');
  }

  /** DELETE /api/v1/user/identities/{id} */
  unlinkIdentity(id: string): Promise<void> {
    return this.#request('DELETE', `/user/identities/${segment(id)}`);
  }

  // Token policies

  /** GET /api/v1/user/policy: the policy personal access tokens obey. */
  getUserPolicy(): Promise<TokenPolicy> {
    return this.#request('GET', '/user/policy');
  }

  /** GET /api/v1/orgs/{org}/policy: the org's policy, the instance's and the one in force. */
  getOrgPolicy(org: string): Promise<OrgPolicy> {
    return this.#request('GET', `/orgs/${segment(org)}/policy`);
  }

  // Personal access tokens

  /** GET /api/v1/user/tokens */
  listPersonalTokens(): Promise<Token[]> {
    return this.#request('GET', '/user/tokens');
  }

  /** POST /api/v1/user/tokens */
  createPersonalToken(body: NewScopedToken): Promise<TokenWithValue> {
    return this.#request('POST', '/user/tokens', body);
  }

  /** GET /api/v1/user/tokens/{id} */
  getPersonalToken(id: string): Promise<Token> {
    return this.#request('GET', `/user/tokens/${segment(id)}`);
  }

  /** PATCH /api/v1/user/tokens/{id} */
  updatePersonalToken(id: string, patch: TokenPatch): Promise<Token> {
    return this.#request('PATCH', `/user/tokens/${segment(id)}`, patch);
  }

  /** DELETE /api/v1/user/tokens/{id} */
  deletePersonalToken(id: string): Promise<void> {
    return this.#request('DELETE', `/user/tokens/${segment(id)}`);
  }

  /** POST /api/v1/user/tokens/{id}/rotate */
  rotatePersonalToken(id: string): Promise<TokenWithValue> {
    return this.#request('POST', `/user/tokens/${segment(id)}/rotate`);
  }

  // Personal agent tokens and agents

  /** GET /api/v1/user/agent-tokens */
  listAgentTokens(): Promise<Token[]> {
    return this.#request('GET', '/user/agent-tokens');
  }

  /** POST /api/v1/user/agent-tokens */
  createAgentToken(body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#request('POST', '/user/agent-tokens', body);
  }

  /** GET /api/v1/user/agent-tokens/{id} */
  getAgentToken(id: string): Promise<Token> {
    return this.#request('GET', `/user/agent-tokens/${segment(id)}`);
  }

  /** PATCH /api/v1/user/agent-tokens/{id} */
  updateAgentToken(id: string, patch: TokenPatch): Promise<Token> {
    return this.#request('PATCH', `/user/agent-tokens/${segment(id)}`, patch);
  }

  /** DELETE /api/v1/user/agent-tokens/{id} */
  deleteAgentToken(id: string): Promise<void> {
    return this.#request('DELETE', `/user/agent-tokens/${segment(id)}`);
  }

  /** POST /api/v1/user/agent-tokens/{id}/rotate */
  rotateAgentToken(id: string): Promise<TokenWithValue> {
    return this.#request('POST', `/user/agent-tokens/${segment(id)}/rotate`);
  }

  /** GET /api/v1/agents */
  listAgents(): Promise<Agent[]> {
    return this.#request('GET', '/agents');
  }

  // Organizations

  /** GET /api/v1/orgs */
  listOrgs(): Promise<Org[]> {
    return this.#request('GET', '/orgs');
  }

  /** POST /api/v1/orgs */
  createOrg(body: NewOrg): Promise<Org> {
    return this.#request('POST', '/orgs', body);
  }

  /** GET /api/v1/orgs/{org} */
  getOrg(org: string): Promise<Org> {
    return this.#request('GET', `/orgs/${segment(org)}`);
  }

  /** GET /api/v1/orgs/{org}/members */
  listMembers(org: string): Promise<Member[]> {
    return this.#request('GET', `/orgs/${segment(org)}/members`);
  }

  /** POST /api/v1/orgs/{org}/members: sets the role of a member; answers with the members. */
  addMember(org: string, body: NewMember): Promise<Member[]> {
    return this.#request('POST', `/orgs/${segment(org)}/members`, body);
  }

  /** POST /api/v1/orgs/{org}/invitations: invites someone; they join once they accept. */
  inviteMember(org: string, body: NewMember): Promise<Invitation> {
    return this.#request('POST', `/orgs/${segment(org)}/invitations`, body);
  }

  /** GET /api/v1/orgs/{org}/invitations (the organization's admins) */
  listOrgInvitations(org: string): Promise<Invitation[]> {
    return this.#request('GET', `/orgs/${segment(org)}/invitations`);
  }

  /** DELETE /api/v1/orgs/{org}/invitations/{id} (answers 204) */
  withdrawInvitation(org: string, id: string): Promise<void> {
    return this.#request('DELETE', `/orgs/${segment(org)}/invitations/${segment(id)}`);
  }

  /** GET /api/v1/user/invitations: the invitations waiting for the signed-in user. */
  listInvitations(): Promise<Invitation[]> {
    return this.#request('GET', '/user/invitations');
  }

  /** POST /api/v1/user/invitations/{id}/accept: joins the organization. */
  acceptInvitation(id: string): Promise<Org> {
    return this.#request('POST', `/user/invitations/${segment(id)}/accept`);
  }

  /** POST /api/v1/user/invitations/{id}/decline (answers 204) */
  declineInvitation(id: string): Promise<void> {
    return this.#request('POST', `/user/invitations/${segment(id)}/decline`);
  }

  /** DELETE /api/v1/orgs/{org}/members (answers 204) */
  removeMember(org: string, body: MemberRemoval): Promise<void> {
    return this.#request('DELETE', `/orgs/${segment(org)}/members`, body);
  }

  /** GET /api/v1/orgs/{org}/tokens */
  listOrgTokens(org: string): Promise<Token[]> {
    return this.#request('GET', `/orgs/${segment(org)}/tokens`);
  }

  /** POST /api/v1/orgs/{org}/tokens */
  createOrgToken(org: string, body: NewScopedToken): Promise<TokenWithValue> {
    return this.#request('POST', `/orgs/${segment(org)}/tokens`, body);
  }

  /** GET /api/v1/orgs/{org}/tokens/{id} */
  getOrgToken(org: string, id: string): Promise<Token> {
    return this.#request('GET', `/orgs/${segment(org)}/tokens/${segment(id)}`);
  }

  /** PATCH /api/v1/orgs/{org}/tokens/{id} */
  updateOrgToken(org: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#request('PATCH', `/orgs/${segment(org)}/tokens/${segment(id)}`, patch);
  }

  /** DELETE /api/v1/orgs/{org}/tokens/{id} */
  deleteOrgToken(org: string, id: string): Promise<void> {
    return this.#request('DELETE', `/orgs/${segment(org)}/tokens/${segment(id)}`);
  }

  /** POST /api/v1/orgs/{org}/tokens/{id}/rotate */
  rotateOrgToken(org: string, id: string): Promise<TokenWithValue> {
    return this.#request('POST', `/orgs/${segment(org)}/tokens/${segment(id)}/rotate`);
  }

  /** GET /api/v1/orgs/{org}/agent-tokens */
  listOrgAgentTokens(org: string): Promise<Token[]> {
    return this.#request('GET', `/orgs/${segment(org)}/agent-tokens`);
  }

  /** POST /api/v1/orgs/{org}/agent-tokens */
  createOrgAgentToken(org: string, body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#request('POST', `/orgs/${segment(org)}/agent-tokens`, body);
  }

  /** GET /api/v1/orgs/{org}/agent-tokens/{id} */
  getOrgAgentToken(org: string, id: string): Promise<Token> {
    return this.#request('GET', `/orgs/${segment(org)}/agent-tokens/${segment(id)}`);
  }

  /** PATCH /api/v1/orgs/{org}/agent-tokens/{id} */
  updateOrgAgentToken(org: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#request('PATCH', `/orgs/${segment(org)}/agent-tokens/${segment(id)}`, patch);
  }

  /** DELETE /api/v1/orgs/{org}/agent-tokens/{id} */
  deleteOrgAgentToken(org: string, id: string): Promise<void> {
    return this.#request('DELETE', `/orgs/${segment(org)}/agent-tokens/${segment(id)}`);
  }

  /** POST /api/v1/orgs/{org}/agent-tokens/{id}/rotate */
  rotateOrgAgentToken(org: string, id: string): Promise<TokenWithValue> {
    return this.#request('POST', `/orgs/${segment(org)}/agent-tokens/${segment(id)}/rotate`);
  }

  // Projects, trigger tokens and runs

  /** GET /api/v1/projects */
  listProjects(): Promise<Project[]> {
    return this.#request('GET', '/projects');
  }

  /** POST /api/v1/projects */
  createProject(body: NewProject): Promise<Project> {
    return this.#request('POST', '/projects', body);
  }

  /** GET /api/v1/projects/{project} */
  getProject(project: string): Promise<Project> {
    return this.#request('GET', `/projects/${segment(project)}`);
  }

  /** PATCH /api/v1/projects/{project} */
  updateProject(project: string, patch: ProjectPatch): Promise<Project> {
    return this.#request('PATCH', `/projects/${segment(project)}`, patch);
  }

  /** GET /api/v1/projects/{project}/trigger-tokens */
  listTriggerTokens(project: string): Promise<Token[]> {
    return this.#request('GET', `/projects/${segment(project)}/trigger-tokens`);
  }

  /** POST /api/v1/projects/{project}/trigger-tokens */
  createTriggerToken(project: string, body: NewUnscopedToken): Promise<TokenWithValue> {
    return this.#request('POST', `/projects/${segment(project)}/trigger-tokens`, body);
  }

  /** GET /api/v1/projects/{project}/trigger-tokens/{id} */
  getTriggerToken(project: string, id: string): Promise<Token> {
    return this.#request('GET', `/projects/${segment(project)}/trigger-tokens/${segment(id)}`);
  }

  /** PATCH /api/v1/projects/{project}/trigger-tokens/{id} */
  updateTriggerToken(project: string, id: string, patch: TokenPatch): Promise<Token> {
    return this.#request(
      'PATCH',
      `/projects/${segment(project)}/trigger-tokens/${segment(id)}`,
      patch,
    );
  }

  /** DELETE /api/v1/projects/{project}/trigger-tokens/{id} */
  deleteTriggerToken(project: string, id: string): Promise<void> {
    return this.#request('DELETE', `/projects/${segment(project)}/trigger-tokens/${segment(id)}`);
  }

  /** POST /api/v1/projects/{project}/trigger-tokens/{id}/rotate */
  rotateTriggerToken(project: string, id: string): Promise<TokenWithValue> {
    return this.#request(
      'POST',
      `/projects/${segment(project)}/trigger-tokens/${segment(id)}/rotate`,
    );
  }

  /** GET /api/v1/projects/{project}/runs */
  listRuns(project: string): Promise<Run[]> {
    return this.#request('GET', `/projects/${segment(project)}/runs`);
  }

  /** POST /api/v1/projects/{project}/runs (answers 202) */
  triggerRun(project: string): Promise<Run> {
    return this.#request('POST', `/projects/${segment(project)}/runs`);
  }

  // Instance administration (admin sessions only)

  /** GET /api/v1/admin/audit: one page, newest first; empty filters are left out. */
  listAuditEvents(query: AuditQuery = {}): Promise<AuditPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return this.#request('GET', search ? `/admin/audit?${search}` : '/admin/audit');
  }

  /** GET /api/v1/admin/users */
  listUsers(): Promise<User[]> {
    return this.#request('GET', '/admin/users');
  }

  /** PATCH /api/v1/admin/users/{id}: sets an account's local role, or disables / re-enables it. */
  updateUser(id: string, body: UserPatch): Promise<User> {
    return this.#request('PATCH', `/admin/users/${segment(id)}`, body);
  }

  /** DELETE /api/v1/admin/users/{id}: deletes an account and everything only it owns. */
  deleteUser(id: string): Promise<void> {
    return this.#request('DELETE', `/admin/users/${segment(id)}`);
  }
}
