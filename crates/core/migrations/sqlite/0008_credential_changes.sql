-- A counter of changes to what authenticates a request: tokens, login sessions, accounts and the
-- roles identities assert. The in-process verification cache drops what it holds whenever the
-- counter moves; triggers keep it, so no write path (a cascade included) can be forgotten.
-- `last_used_at` and `last_used_ip` are not watched: they change on every use.
CREATE TABLE credential_changes (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO credential_changes (id, seq) VALUES (1, 0);

CREATE TRIGGER tokens_changed AFTER UPDATE OF kind, hash, scopes, owner_kind, owner_id, label, description,
    expires_at, revoked_at ON tokens
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER sessions_changed AFTER UPDATE ON sessions
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER users_changed AFTER UPDATE ON users
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER identities_changed AFTER UPDATE OF asserted_role, user_id ON identities
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER identities_deleted AFTER DELETE ON identities
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
