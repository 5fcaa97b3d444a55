-- `GET /me`'s lists (linked identities, organizations and the role in each) are kept in process
-- beside the verified credentials, so every write to them moves the same change counter and is
-- broadcast to every replica: a linked or unlinked account, a token stored or refreshed for it, a
-- membership given, changed or taken, an organization renamed or deleted. The identity trigger of
-- 0008 watched only the columns that authenticate; it now watches every column.
DROP TRIGGER identities_changed ON identities;
CREATE TRIGGER identities_changed AFTER INSERT OR UPDATE OR DELETE ON identities
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
CREATE TRIGGER orgs_changed AFTER UPDATE OR DELETE ON orgs
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_changed();
