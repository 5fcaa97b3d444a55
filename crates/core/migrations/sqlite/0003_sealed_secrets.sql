-- Secrets sealed by the server (team mode): code-host tokens and provider client secrets,
-- encrypted with XChaCha20-Poly1305 under a key that never enters the database.
CREATE TABLE sealed_secrets (
    name        TEXT PRIMARY KEY,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    updated_at  BIGINT NOT NULL
);
