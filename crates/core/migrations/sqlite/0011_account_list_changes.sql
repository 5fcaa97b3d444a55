-- `GET /me`'s lists (linked identities, organizations and the role in each) are kept in process
-- beside the verified credentials, so every write to them moves the same change counter: a
-- linked or unlinked account, a token stored or refreshed for it, a membership given, changed or
-- taken, an organization renamed or deleted. The identity trigger of 0008 watched only the
-- columns that authenticate; it now watches every column.
DROP TRIGGER identities_changed;
CREATE TRIGGER identities_changed AFTER UPDATE ON identities
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER identities_added AFTER INSERT ON identities
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER memberships_added AFTER INSERT ON memberships
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER memberships_changed AFTER UPDATE ON memberships
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER memberships_deleted AFTER DELETE ON memberships
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER orgs_changed AFTER UPDATE ON orgs
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER orgs_deleted AFTER DELETE ON orgs
BEGIN UPDATE credential_changes SET seq = seq + 1 WHERE id = 1; END;
