// The JSON shapes of Tessera's REST API (v1). The objects the server returns are generated from
// the Rust types that serialize them (ts-rs, ui/src/lib/bindings, checked for staleness by
// `make test`) and re-exported here; request bodies and a few client-side shapes are written
// here, field for field as the server reads them.

export type { Agent } from '../bindings/Agent';
export type { AgentStatus } from '../bindings/AgentStatus';
export type { AuditEvent } from '../bindings/AuditEvent';
export type { AuditPage } from '../bindings/AuditPage';
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

import type { Role } from '../bindings/Role';
import type { Scope } from '../bindings/Scope';
import type { Token } from '../bindings/Token';

/** An RFC 3339 timestamp as the server writes it. */
export type Timestamp = string;

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

export type ProviderKind = 'oidc' | 'github' | 'gitlab' | 'bitbucket';

/** A configured identity provider. The server adds authorization details the UI does not read. */
export interface Provider {
  id: string;
  kind: ProviderKind;
  name: string;
}

export interface NewOrg {
  name: string;
}

export interface NewMember {
  /** A user id or a user name. */
  user: string;
  role: Role;
}

export interface MemberRemoval {
  user: string;
}

/** The body of PATCH /admin/users/{id}: absent fields stay as they are. */
export interface UserPatch {
  role?: Role;
  disabled?: boolean;
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

/** The body of every error answer. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
  };
}

/** The filters and position of `GET /api/v1/admin/audit`; every field narrows. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  outcome?: 'ok' | 'denied' | 'failed';
  target?: string;
  /** RFC 3339: entries at or after. */
  since?: string;
  /** RFC 3339: entries before. */
  until?: string;
  limit?: number;
  /** The previous page's `next_cursor`. */
  cursor?: string;
}
