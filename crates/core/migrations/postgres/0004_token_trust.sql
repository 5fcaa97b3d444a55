-- When a token was last given a new value. Rotations and deletions are conditional writes: one
-- that started no later than the latest rotation finished lost a race with it and changes nothing.
ALTER TABLE tokens ADD COLUMN rotated_at BIGINT;
