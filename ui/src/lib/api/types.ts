// The JSON shapes of Tessera's REST API (v1). The objects the server returns are generated from
// the Rust types that serialize them (ts-rs, ui/src/lib/bindings); request bodies come from the
// server's OpenAPI document (openapi-typescript, ./schema.d.ts). `make test` fails when either
// is stale.

export type { Agent } from '../bindings/Agent';
export type { AgentStatus } from '../bindings/AgentStatus';
export type { Attention } from '../bindings/Attention';
export type { AttentionKind } from '../bindings/AttentionKind';
export type { AttentionPlace } from '../bindings/AttentionPlace';
export type { AuditEvent } from '../bindings/AuditEvent';
export type { AuditPage } from '../bindings/AuditPage';
export type { Device } from '../bindings/Device';
export type { Identity } from '../bindings/Identity';
export type { Invitation } from '../bindings/Invitation';
export type { Me } from '../bindings/Me';
export type { Member } from '../bindings/Member';
export type { OrgWithRole as Org } from '../bindings/OrgWithRole';
export type { Owner } from '../bindings/Owner';
export type { OwnerKind } from '../bindings/OwnerKind';
export type { Project } from '../bindings/Project';
export type { Role } from '../bindings/Role';
export type { Run } from '../bindings/Run';
export type { RunStatus } from '../bindings/RunStatus';
export type { ScmStatus as IdentityStatus } from '../bindings/ScmStatus';
export type { Scope } from '../bindings/Scope';
export type { Token } from '../bindings/Token';
export type { TokenPolicy } from '../bindings/TokenPolicy';
export type { OrgPolicy } from '../bindings/OrgPolicy';
export type { TokenKind } from '../bindings/TokenKind';
export type { User } from '../bindings/User';
export type { UserRef } from '../bindings/UserRef';

import type { Token } from '../bindings/Token';
import type { components, paths } from './schema';

/** An RFC 3339 timestamp as the server writes it. */
export type Timestamp = string;

/** The create (201) and rotate (200) answers: the token plus its value, shown once. */
export interface TokenWithValue extends Token {
  token: string;
  /** Trigger tokens only: the webhook secret for code-host webhooks, shown once with the value. */
  webhook_secret?: string;
}

// Request bodies: generated from the server's document (schema.d.ts), never written by hand.
type Schemas = components['schemas'];

/** Personal access tokens and organization tokens: at least one scope. */
export type NewScopedToken = Schemas['NewToken'];
/** Agent and trigger tokens carry no scopes. */
export type NewUnscopedToken = Omit<Schemas['NewToken'], 'scopes'>;
/** Absent fields stay; `description: null` removes the description. */
export type TokenPatch = Schemas['TokenPatch'];

export type ProviderKind = Schemas['ProviderKind'];

/** A configured identity provider, as anyone may see it. */
export type Provider = Schemas['ProviderInfo'];
/** A provider's configuration, as instance admins send it (the client secret write-only). */
export type ProviderConfig = Schemas['ProviderConfig'];
/** A provider's configuration as instance admins read it: no secret, only whether one is kept. */
export type ProviderDetail = Schemas['ProviderDetail'];
/** Where an OpenID provider's role claim is read. */
export type ClaimSource = Schemas['ClaimSource'];

/** A pipeline file of a project. */
export type Pipeline = Schemas['Pipeline'];
/** The body of `POST …/pipelines/{name}/import`: a file of the project's repository, at a ref. */
export type PipelineImport = Schemas['ImportBody'];
/** A code host git can use through Tessera, with the linked account it uses there. */
export type GitHost = Schemas['GitHostEntry'];

/** A page of a run's log. */
export type LogPage = Schemas['LogPage'];
/** A provider's checks, each with ok, warning or error and a sentence. */
export type ProviderHealth = Schemas['ProviderHealth'];
export type ProviderCheck = Schemas['ProviderCheck'];
export type CheckStatus = Schemas['CheckStatus'];

export type NewOrg = Schemas['NewOrg'];
export type NewMember = Schemas['MemberRequest'];
export type MemberRemoval = Schemas['MemberRef'];
/** The body of PATCH /admin/users/{id}: absent fields stay as they are. */
export type UserPatch = Schemas['UserPatch'];
export type NewProject = Schemas['NewProject'];
/** Absent fields stay; `repository_url: null` removes the repository URL. */
export type ProjectPatch = Schemas['ProjectPatch'];

/** The body of every error answer. */
export type ErrorBody = Schemas['ErrorBody'];

/** The filters and position of `GET /api/v1/admin/audit`; every field narrows. */
export type AuditQuery = NonNullable<paths['/api/v1/admin/audit']['get']['parameters']['query']>;

/** `POST /api/v1/user/sessions`: a one-hour session for calling the API by hand, shown once. */
export interface ExtraSession {
  token: string;
  expires_at: Timestamp;
}
