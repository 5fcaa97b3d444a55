-- When a token was last given a new value. Rotations and deletions are conditional writes: one
-- that started no later than the latest rotation finished lost a race with it and changes nothing.
ALTER TABLE tokens ADD COLUMN rotated_at BIGINT;

-- Token policies: how long tokens may live. `scope` is 'instance' for the instance's policy
-- (personal access tokens, and the floor under every organization's) or an organization's id.
CREATE TABLE token_policies (
    scope                 TEXT PRIMARY KEY,
    max_lifetime_seconds  BIGINT,
    require_expiry        BIGINT NOT NULL DEFAULT 0,
    updated_at            BIGINT NOT NULL
);
