-- Failed authentications are one entry per client address and minute with a count; `bucket`
-- names that entry so every replica adds to the same row (NULL for ordinary entries, which
-- never collide: NULLs are distinct in a unique index).
ALTER TABLE audit ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit ADD COLUMN bucket TEXT;
CREATE UNIQUE INDEX audit_by_bucket ON audit (bucket);

-- Keyset pages, newest first, over the whole log and over each filter.
DROP INDEX audit_by_time;
CREATE INDEX audit_by_time ON audit (at, id);
CREATE INDEX audit_by_actor ON audit (actor, at, id);
CREATE INDEX audit_by_action ON audit (action, at, id);
CREATE INDEX audit_by_target ON audit (target, at, id);
CREATE INDEX audit_by_outcome ON audit (outcome, at, id);
