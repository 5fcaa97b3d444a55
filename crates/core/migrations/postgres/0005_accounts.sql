-- The role model. `users.role` is from now on the account's LOCAL role, set only by instance
-- admins (and the first local account). What a provider asserts lives on the identity it
-- asserted it for, and a session remembers the identity it was made through (NULL for local and
-- command-line sessions): a session's role is the higher of the two, read at every request.
ALTER TABLE sessions ADD COLUMN identity_id TEXT;

-- Identities are keyed by who vouches for them, (issuer or code-host base URL, subject), not by
-- the provider id, which an admin may re-point at another issuer. Existing rows get their issuer
-- when the server starts and finds their provider configured; until then (or if it never is)
-- they match no sign-in.
ALTER TABLE identities ADD COLUMN asserted_role TEXT CHECK (asserted_role IN ('admin', 'member'));
ALTER TABLE identities ADD COLUMN issuer TEXT;
ALTER TABLE identities DROP CONSTRAINT identities_provider_id_subject_key;
CREATE INDEX identities_by_provider ON identities (provider_id);
CREATE UNIQUE INDEX identities_by_issuer ON identities (issuer, subject);

-- Until now every provider sign-in wrote the provider's role into `users.role`. Where the stored
-- role came from a provider it is not a local role, so it becomes `member`: accounts made by a
-- provider sign-in, and accounts whose latest role change was a provider's. Their admins get
-- `admin` back at their next sign-in through a provider that still asserts it (or from
-- `tessera admin user set-role NAME admin`); sessions made before the upgrade carry no identity,
-- so until then they carry the local role only.
UPDATE users SET role = 'member'
WHERE origin = 'provider'
   OR id IN (
       SELECT a.target FROM audit a
       WHERE a.action = 'user.role' AND a.detail LIKE '% from provider %'
         AND a.at = (SELECT MAX(b.at) FROM audit b WHERE b.action = 'user.role' AND b.target = a.target)
   );

-- De-provisioning: a disabled account keeps everything, and none of its credentials work.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
