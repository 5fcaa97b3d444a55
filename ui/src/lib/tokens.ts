// The five token collections as one shape, so a single list component can manage any of them.

import type { ApiClient } from './api/client';
import type { Scope, Token, TokenPatch, TokenPolicy, TokenWithValue } from './api/types';

export interface NewToken {
  label: string;
  description?: string;
  scopes?: Scope[];
  expires_at?: string | null;
}

export interface TokenCollection {
  /** Stable name for test ids: `personal`, `agent`, `org`, `org-agent`, `trigger`. */
  id: string;
  /** What one token is called in sentences: "personal access token". */
  noun: string;
  /** Whether tokens of this collection carry scopes. */
  scoped: boolean;
  list(): Promise<Token[]>;
  create(body: NewToken): Promise<TokenWithValue>;
  update(id: string, patch: TokenPatch): Promise<Token>;
  rotate(id: string): Promise<TokenWithValue>;
  remove(id: string): Promise<void>;
  /** The lifetime policy new tokens of this collection obey; absent where none applies. */
  policy?(): Promise<TokenPolicy>;
}

function unscoped(body: NewToken) {
  const { scopes: _ignored, ...rest } = body;
  return rest;
}

/**
 * The signed-in person's own tokens. `first`, when given, is a list already asked for (at sign-in,
 * together with /me): the first `list()` answers with it, every later one asks the server.
 */
export function personalTokens(client: ApiClient, first: Promise<Token[]> | null = null): TokenCollection {
  let pending = first;
  return {
    id: 'personal',
    noun: 'personal access token',
    scoped: true,
    list: () => {
      const answer = pending ?? client.listPersonalTokens();
      pending = null;
      return answer;
    },
    create: (body) => client.createPersonalToken({ ...body, scopes: body.scopes ?? [] }),
    update: (id, patch) => client.updatePersonalToken(id, patch),
    rotate: (id) => client.rotatePersonalToken(id),
    remove: (id) => client.deletePersonalToken(id),
    policy: () => client.getUserPolicy(),
  };
}

export function agentTokens(client: ApiClient): TokenCollection {
  return {
    id: 'agent',
    noun: 'agent token',
    scoped: false,
    list: () => client.listAgentTokens(),
    create: (body) => client.createAgentToken(unscoped(body)),
    update: (id, patch) => client.updateAgentToken(id, patch),
    rotate: (id) => client.rotateAgentToken(id),
    remove: (id) => client.deleteAgentToken(id),
  };
}

export function orgTokens(client: ApiClient, org: string): TokenCollection {
  return {
    id: 'org',
    noun: 'organization token',
    scoped: true,
    list: () => client.listOrgTokens(org),
    create: (body) => client.createOrgToken(org, { ...body, scopes: body.scopes ?? [] }),
    update: (id, patch) => client.updateOrgToken(org, id, patch),
    rotate: (id) => client.rotateOrgToken(org, id),
    remove: (id) => client.deleteOrgToken(org, id),
    policy: async () => (await client.getOrgPolicy(org)).in_force,
  };
}

export function orgAgentTokens(client: ApiClient, org: string): TokenCollection {
  return {
    id: 'org-agent',
    noun: 'organization agent token',
    scoped: false,
    list: () => client.listOrgAgentTokens(org),
    create: (body) => client.createOrgAgentToken(org, unscoped(body)),
    update: (id, patch) => client.updateOrgAgentToken(org, id, patch),
    rotate: (id) => client.rotateOrgAgentToken(org, id),
    remove: (id) => client.deleteOrgAgentToken(org, id),
    policy: async () => (await client.getOrgPolicy(org)).in_force,
  };
}

export function triggerTokens(client: ApiClient, project: string): TokenCollection {
  return {
    id: 'trigger',
    noun: 'trigger token',
    scoped: false,
    list: () => client.listTriggerTokens(project),
    create: (body) => client.createTriggerToken(project, unscoped(body)),
    update: (id, patch) => client.updateTriggerToken(project, id, patch),
    rotate: (id) => client.rotateTriggerToken(project, id),
    remove: (id) => client.deleteTriggerToken(project, id),
  };
}

/**
 * The token without its value (and a trigger token's webhook secret): what a list may keep after
 * a create or rotate. The secrets go to the reveal dialog only.
 */
export function withoutValue(created: TokenWithValue): { token: Token; value: string; webhookSecret: string | null } {
  const { token: value, webhook_secret: webhookSecret, ...token } = created;
  return { token, value, webhookSecret: webhookSecret ?? null };
}
