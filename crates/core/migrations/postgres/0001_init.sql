-- Tessera's store on PostgreSQL: the schema of sqlite/0001_init.sql in PostgreSQL's dialect.
-- The program reads it through sqlx's `Any` driver, which decodes an i64 only from BIGINT and
-- bytes only from BYTEA: every integer column is BIGINT, every blob BYTEA, every string TEXT.
-- Instants are milliseconds since the epoch; ids are text made by the program.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    created_at  BIGINT NOT NULL
);

CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_id   TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE projects (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    owner_kind      TEXT NOT NULL CHECK (owner_kind IN ('user', 'org')),
    owner_id        TEXT NOT NULL,
    repository_url  TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id, name)
);

-- Only the SHA-256 of a token value is kept; `hint` is its prefix and last four characters.
-- The UNIQUE constraint's index on `hash` is the verify path's only lookup.
CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('pat', 'org', 'agent', 'trigger')),
    hash          BYTEA NOT NULL UNIQUE,
    hint          TEXT NOT NULL,
    label         TEXT NOT NULL,
    description   TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    owner_kind    TEXT NOT NULL CHECK (owner_kind IN ('user', 'org', 'project')),
    owner_id      TEXT NOT NULL,
    created_by    TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    last_used_ip  TEXT,
    revoked_at    BIGINT
);
CREATE INDEX tokens_by_owner ON tokens (owner_kind, owner_id, kind);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    triggered_by  TEXT,
    agent_id      TEXT
);
CREATE INDEX runs_by_project ON runs (project_id, created_at);
CREATE INDEX runs_queued ON runs (status, created_at);

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner_kind    TEXT NOT NULL,
    owner_id      TEXT NOT NULL,
    token_id      TEXT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    status        TEXT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX agents_by_owner ON agents (owner_kind, owner_id);
-- Deleting a token cascades to its agents: without this index every delete scans them.
CREATE INDEX agents_by_token ON agents (token_id);

CREATE TABLE secrets (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       BYTEA NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE pipelines (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    content     TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE audit (
    id       TEXT PRIMARY KEY,
    at       BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    ip       TEXT,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_by_time ON audit (at);

-- Keys every replica must agree on, such as the one that signs login sessions. The first
-- replica to start inserts one; the others read it back (INSERT … ON CONFLICT DO NOTHING).
-- `material` is the key as the program hands it over: PKCS#8 for the session key.
CREATE TABLE signing_keys (
    name        TEXT PRIMARY KEY,
    material    BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
