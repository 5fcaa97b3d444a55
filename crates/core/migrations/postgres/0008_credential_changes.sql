-- Changes to what authenticates a request: tokens, login sessions, accounts and the roles
-- identities assert. Each replica's in-process verification cache drops what it holds when one
-- happens: every replica hears of it through NOTIFY (sent at commit), and the replica that made
-- it reads the sequence right after its own write. Triggers keep both, so no write path (a
-- cascade included) can be forgotten. A sequence, not a counter row: it takes no row lock, so
-- concurrent writers never wait on each other for it. `last_used_at` and `last_used_ip` are not
-- watched: they change on every use.
CREATE SEQUENCE credential_changes;

CREATE FUNCTION credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('credential_changes');
    PERFORM pg_notify('tessera_credentials', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_changed AFTER UPDATE OF kind, hash, scopes, owner_kind, owner_id, label, description,
    expires_at, revoked_at ON tokens FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER tokens_deleted AFTER DELETE ON tokens FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER identities_changed AFTER UPDATE OF asserted_role, user_id OR DELETE ON identities
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
