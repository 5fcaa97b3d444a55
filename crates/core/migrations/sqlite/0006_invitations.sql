-- Invitations to join an organization: membership needs the invitee's consent. `invitee` is the
-- name (or id) as the admin typed it; `user_id` is the account it names, or NULL when it names
-- none, so an admin cannot tell the two apart and no one can accept an invitation for a name
-- taken later.
CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    invitee     TEXT NOT NULL,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    invited_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    UNIQUE (org_id, invitee)
);
CREATE INDEX invitations_by_user ON invitations (user_id);
