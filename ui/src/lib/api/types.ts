// The JSON shapes of Tessera's REST API (v1). The objects the server returns are generated from
// the Rust types that serialize them (ts-rs, ui/src/lib/bindings, checked for staleness by
// `make test`) and re-exported here; request bodies and a few client-side shapes are written
// here, field for field as the server reads them.

export type { Agent } from '../bindings/Agent';
export type { AgentStatus } from '../bindings/AgentStatus';
export type { AuditEvent } from '../bindings/AuditEvent';
export type { Identity } from '../bindings/Identity';
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
