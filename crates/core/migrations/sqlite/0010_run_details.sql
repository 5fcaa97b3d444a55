-- Webhooks and what runs keep.
--
-- A trigger token's webhook secret: code hosts sign deliveries with it (GitHub's
-- X-Hub-Signature-256) or send it back (GitLab's X-Gitlab-Token), so the server must be able to
-- read it again. It is kept sealed under the name `webhook:<token id>`, never in clear, and dies
-- with its token.
CREATE TABLE webhook_secrets (
    token_id    TEXT PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    sealed      BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_secrets_by_project ON webhook_secrets (project_id);

-- What a run was triggered for, and the running totals its log and artifacts are capped by.
-- The totals are raised by one conditional UPDATE per write, so concurrent writers can never
-- pass a cap together, and a log line's number is the total after its write.
ALTER TABLE runs ADD COLUMN git_ref TEXT;
ALTER TABLE runs ADD COLUMN commit_sha TEXT;
ALTER TABLE runs ADD COLUMN variables TEXT NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN log_lines BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN log_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN artifact_bytes BIGINT NOT NULL DEFAULT 0;

CREATE TABLE run_log (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    line        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE run_artifacts (
    run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    content     BLOB NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (run_id, name)
);
