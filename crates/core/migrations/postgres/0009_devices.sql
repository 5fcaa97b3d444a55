-- Staying signed in. Every sign-in makes a device: the app or command line that signed in, known
-- by a rotating refresh credential it keeps in the OS keyring. Only the credential's SHA-256 is
-- stored. Each renewal spends the presented value and issues the next; a spent value presented
-- again means two holders, so the whole device (every session renewed through it) is revoked
-- (RFC 6819 5.2.2.3). A device idle past `expires_at` can no longer renew.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    identity_id   TEXT,
    refresh_hash  BYTEA NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    last_seen_ip  TEXT,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE device_spent_refresh (
    hash       BYTEA PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    spent_at   BIGINT NOT NULL
);

ALTER TABLE sessions ADD COLUMN device_id TEXT REFERENCES devices (id) ON DELETE CASCADE;
CREATE INDEX sessions_device ON sessions (device_id);
