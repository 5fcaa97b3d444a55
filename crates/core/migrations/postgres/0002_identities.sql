-- Linked accounts at identity providers and code hosts, and providers configured through the API.
-- Code-host token VALUES never live here: only whether one is stored and when it expires.
ALTER TABLE users ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';

CREATE TABLE identities (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider_id     TEXT NOT NULL,
    subject         TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    email           TEXT,
    created_at      BIGINT NOT NULL,
    last_login_at   BIGINT,
    scm_stored      BIGINT NOT NULL DEFAULT 0,
    scm_expires_at  BIGINT,
    scm_refreshable BIGINT NOT NULL DEFAULT 0,
    scm_failed      BIGINT NOT NULL DEFAULT 0,
    UNIQUE (provider_id, subject)
);
CREATE INDEX identities_by_user ON identities (user_id);

CREATE TABLE providers (
    id          TEXT PRIMARY KEY,
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
