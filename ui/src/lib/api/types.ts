// The JSON shapes of Tessera's REST API (v1), field for field as the server writes them.
// Hand-written for now; they are to be replaced by types generated from the Rust crates, so
// every API type lives in this one file and nothing here may add or rename a field.

/** An RFC 3339 timestamp as the server writes it. */
export type Timestamp = string;

/** The seven token scopes, exactly as the API spells them. */
export type Scope =
  | 'trigger'
  | 'read'
  | 'pipeline:write'
  | 'repo:write'
  | 'secret:write'
  | 'token:admin'
  | 'org:admin';

export type TokenKind = 'pat' | 'org' | 'agent' | 'trigger';

export type OwnerKind = 'user' | 'org' | 'project';

export interface Owner {
  kind: OwnerKind;
  id: string;
}

/** A token as every list and read returns it: never the value, only its hint. */
export interface Token {
  id: string;
  kind: TokenKind;
  label: string;
  description: string;
  scopes: Scope[];
  owner: Owner;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  last_used_ip: string | null;
  /** Set once someone revoked the value (RFC 7009); the token no longer works. */
  revoked_at: Timestamp | null;
  hint: string;
}

/** The create (201) and rotate (200) answers: the token plus its value, shown once. */
export interface TokenWithValue extends Token {
  token: string;
}

export interface NewScopedToken {
  label: string;
  description?: string;
  scopes: Scope[];
  expires_at?: Timestamp | null;
}

/** Agent and trigger tokens carry no scopes. */
export interface NewUnscopedToken {
  label: string;
  description?: string;
  expires_at?: Timestamp | null;
}

export interface TokenPatch {
  label?: string;
  description?: string;
}

export type Role = 'admin' | 'member';

export type ProviderKind = 'oidc' | 'github' | 'gitlab' | 'bitbucket';

export type IdentityStatus = 'connected' | 'expired' | 'disconnected';

/** An account at a provider linked to this Tessera account, with its code-host token's state. */
export interface Identity {
  id: string;
  /** The provider's id in this instance's configuration. */
  provider: string;
  provider_kind: ProviderKind;
  subject: string;
  display_name: string;
  email: string | null;
  created_at: Timestamp;
  last_login_at: Timestamp | null;
  status: IdentityStatus;
  /** When the stored access token expires, if it does. */
  expires_at: Timestamp | null;
}

export interface Me {
  id: string;
  name: string;
  role: Role;
  created_at: Timestamp;
  /** Linked identities; servers before linked accounts leave this out. */
  identities?: Identity[];
  orgs: Org[];
}

/** A configured identity provider. The server adds authorization details the UI does not read. */
export interface Provider {
  id: string;
  kind: ProviderKind;
  name: string;
}

export type AgentStatus = 'online' | 'busy' | 'offline';

export interface Agent {
  id: string;
  name: string;
  owner: Owner;
  token_id: string;
  status: AgentStatus;
  last_seen_at: Timestamp;
  created_at: Timestamp;
}

/** An organization with the caller's role in it (null when the caller acts as the org itself). */
export interface Org {
  id: string;
  name: string;
  created_at: Timestamp;
  role: Role | null;
}

export interface NewOrg {
  name: string;
}

export interface UserRef {
  id: string;
  name: string;
}

export interface Member {
  user: UserRef;
  role: Role;
}

export interface NewMember {
  /** A user id or a user name. */
  user: string;
  role: Role;
}

export interface MemberRemoval {
  user: string;
}

export interface Project {
  id: string;
  name: string;
  owner: Owner;
  repository_url: string | null;
  created_at: Timestamp;
}

export interface NewProject {
  name: string;
  org?: string;
  repository_url?: string;
}

export interface ProjectPatch {
  name?: string;
  repository_url?: string | null;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface Run {
  id: string;
  project_id: string;
  status: RunStatus;
  created_at: Timestamp;
  /** The id of the token that triggered it, if a token did. */
  triggered_by: string | null;
  agent_id: string | null;
}

export interface AuditEvent {
  id: string;
  at: Timestamp;
  actor: string;
  action: string;
  target: string;
  /** `ok`, `denied` or `failed`. */
  outcome: string;
  ip: string | null;
  detail: string;
}

export interface User {
  id: string;
  name: string;
  role: Role;
  created_at: Timestamp;
}

/** The body of every error answer. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
  };
}
