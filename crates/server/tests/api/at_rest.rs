//! What the database holds: no token value and no session, whichever column one looks in.

use serde_json::json;
use sqlx::Row;
use tessera_core::store::Backend;

use crate::harness::Server;

/// Every text and binary column of every table in the store's schema, as `(table, column)`.
async fn text_columns(s: &Server) -> Vec<(String, String)> {
    let sql = match s.store.backend() {
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea', 'character varying') \
             ORDER BY 1, 2"
        }
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND (p.type LIKE '%TEXT%' OR p.type LIKE '%BLOB%' OR p.type = '') \
             ORDER BY 1, 2"
        }
    };
    let rows = sqlx::query(sql).fetch_all(s.store.pool()).await.unwrap();
    rows.iter().map(|r| (r.get::<String, _>("t"), r.get::<String, _>("c"))).collect()
}

/// Every non-null value of `table.column`, as bytes.
async fn column_bytes(s: &Server, table: &str, column: &str) -> Vec<Vec<u8>> {
    let sql = match s.store.backend() {
        Backend::Postgres => format!(
            "SELECT CASE WHEN pg_typeof(\"{column}\") = 'bytea'::regtype THEN \"{column}\"::bytea \
             ELSE convert_to(\"{column}\"::text, 'UTF8') END AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
        ),
        Backend::Sqlite => {
            format!("SELECT CAST(\"{column}\" AS BLOB) AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")
        }
    };
    let rows = sqlx::query(&sql).fetch_all(s.store.pool()).await.unwrap();
    rows.iter().map(|r| r.get::<Vec<u8>, _>("v")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_database_holds_no_token_value() {
    let s = Server::start().await;
    let b = s.replica().await;
    let alice = s.user("alice", false).await;
    let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let project = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;

    // Every kind, some rotated (the dead value too must not be kept), all of them used.
    let mut values = vec![alice.clone()];
    for collection in [
        "/api/v1/user/tokens".to_owned(),
        "/api/v1/user/agent-tokens".to_owned(),
        format!("/api/v1/orgs/{org}/tokens"),
        format!("/api/v1/orgs/{org}/agent-tokens"),
        format!("/api/v1/projects/{project}/trigger-tokens"),
    ] {
        let scopes: &[&str] =
            if collection.contains("agent") || collection.contains("trigger") { &[] } else { &["read"] };
        for _ in 0..3 {
            values.push(s.token(&collection, &alice, scopes).await.1);
        }
        let (t, v) = s.token(&collection, &alice, scopes).await;
        values.push(v);
        let rotated =
            b.post(&format!("{collection}/{}/rotate", t["id"].as_str().unwrap()), &alice, json!({})).await.expect(200);
        values.push(rotated["token"].as_str().unwrap().to_owned());
    }
    for v in &values {
        // Failed uses are audited too: they must not store the value either.
        let _ = b.get("/api/v1/me", v).await;
    }
    let unknown = "tsr_pat_".to_owned() + &values[1][8..38] + "000000";
    let _ = s.get("/api/v1/me", &unknown).await;
    s.authority.flush_usage().await.unwrap();
    b.authority.flush_usage().await.unwrap();

    let columns = text_columns(&s).await;
    let tables: std::collections::HashSet<_> = columns.iter().map(|(t, _)| t.as_str()).collect();
    for t in ["tokens", "audit", "sessions", "users"] {
        assert!(tables.contains(t), "the scan covers {t}: {tables:?}");
    }
    let mut scanned = 0;
    for (table, column) in &columns {
        for cell in column_bytes(&s, table, column).await {
            scanned += 1;
            for v in &values {
                // The random part alone is as secret as the whole value.
                let secret_part = if v.starts_with("tsr_") { &v.as_bytes()[8..38] } else { v.as_bytes() };
                assert!(!contains(&cell, secret_part), "{table}.{column} holds a token value");
            }
        }
    }
    assert!(scanned > values.len(), "the scan read the stored rows ({scanned} cells)");
}

/// Whether any text or binary column of the store holds `needle`.
pub async fn store_holds(s: &Server, needle: &str) -> bool {
    for (table, column) in text_columns(s).await {
        if column_bytes(s, &table, &column).await.iter().any(|v| contains(v, needle.as_bytes())) {
            return true;
        }
    }
    false
}

/// The byte strings that give away `der`, an Ed25519 PKCS#8 signing key: the whole key, its
/// base64 form, and the 32-byte seed inside it.
fn key_needles(der: &[u8]) -> Vec<(String, Vec<u8>)> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    assert!(der.len() >= 48, "a PKCS#8 Ed25519 key");
    vec![
        ("the session signing key".into(), der.to_vec()),
        ("the session signing key (base64)".into(), b64.into_bytes()),
        ("the session signing key's seed".into(), der[16..48].to_vec()),
    ]
}

/// Every (table.column, cell) of the store.
async fn every_cell(s: &Server) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (table, column) in text_columns(s).await {
        for cell in column_bytes(s, &table, &column).await {
            out.push((format!("{table}.{column}"), cell));
        }
    }
    out
}

/// Project secret values that look like nothing else in the store.
fn secret_values() -> Vec<String> {
    (0..4).map(|i| format!("s3cr3t-{i}-{}", tessera_core::id::random_base62(24).unwrap())).collect()
}

#[tokio::test]
async fn project_secrets_and_the_session_key_are_sealed_in_the_database() {
    let s = Server::start().await;
    let b = s.replica().await;
    let alice = s.user("alice", false).await;
    let project = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    let values = secret_values();
    for (i, v) in values.iter().enumerate() {
        let server = if i % 2 == 0 { &s } else { &b };
        server
            .put(&format!("/api/v1/projects/{project}/secrets/KEY_{i}"), &alice, json!({"value": v}))
            .await
            .expect(200);
    }
    // Overwritten: neither the old value nor the new one is readable.
    let newer = secret_values().remove(0);
    s.put(&format!("/api/v1/projects/{project}/secrets/KEY_0"), &alice, json!({"value": newer})).await.expect(200);

    let mut needles: Vec<(String, Vec<u8>)> =
        values.iter().chain([&newer]).map(|v| ("a project secret".to_owned(), v.as_bytes().to_vec())).collect();
    if s.store.backend() == Backend::Postgres {
        // Team mode keeps the shared signing key in the database: sealed, so only the key from
        // outside the database opens it.
        let stored = s
            .store
            .signing_key(tessera_core::session::SHARED_KEY_NAME)
            .await
            .unwrap()
            .expect("the shared key is stored");
        let der = crate::backend::sealing_key()
            .sealer()
            .open(tessera_core::seal::SESSION_KEY_ENTRY, &stored)
            .expect("the stored key is sealed with the server's key");
        assert!(tessera_core::session::SessionKeys::from_pkcs8(&der).is_ok());
        needles.extend(key_needles(&der));
    }
    let cells = every_cell(&s).await;
    let secrets_rows = cells.iter().filter(|(c, _)| c == "secrets.value").count();
    assert_eq!(secrets_rows, values.len(), "every secret is stored, sealed");
    for (column, cell) in &cells {
        for (what, needle) in &needles {
            assert!(!contains(cell, needle), "{column} holds {what}");
        }
    }
    // The values are sealed under their own names: a sealed value copied to another secret's
    // row does not open as that secret.
    let sealer = crate::backend::sealing_key().sealer();
    let row: Vec<u8> =
        sqlx::query_scalar("SELECT value FROM secrets WHERE name = 'KEY_1'").fetch_one(s.store.pool()).await.unwrap();
    let entry = |name: &str| tessera_core::seal::secret_entry(&project, name);
    assert_eq!(sealer.open(&entry("KEY_1"), &row).unwrap().as_slice(), values[1].as_bytes());
    assert!(sealer.open(&entry("KEY_2"), &row).is_err());
}

/// Every file under `dir`, recursively, as bytes.
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[tokio::test]
async fn local_mode_keeps_secrets_and_keys_out_of_the_data_directory() {
    use tessera_auth::local::{self, KeyPlace};
    use tessera_auth::{KeyringStore, SecretStore};
    assert_eq!(
        std::env::var("TESSERA_TEST_KEYRING").as_deref(),
        Ok("1"),
        "local mode keeps its keys in a keyring: run under tests/keyring/with-keyring.sh (make test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = tessera_core::DataDir::at(dir.path().join("data"));
    let clock = std::sync::Arc::new(tessera_core::clock::SystemClock);
    let opened = local::open(&data, None, clock, KeyPlace::Keyring).await.unwrap();
    let authority = opened.authority;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = tessera_server::AppState { authority: std::sync::Arc::clone(&authority), sign_in: None };
    let task = tokio::spawn(async move { tessera_server::serve_app(listener, state, std::future::pending()).await });

    authority.create_user("alice", tessera_core::model::Role::Member).await.unwrap();
    let (_, session) = authority.issue_session("alice").await.unwrap();
    let http = reqwest::Client::new();
    let project: serde_json::Value = http
        .post(format!("{base}/api/v1/projects"))
        .bearer_auth(session.token.expose())
        .json(&json!({"name": "app"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let project = project["id"].as_str().unwrap().to_owned();
    let values = secret_values();
    for (i, v) in values.iter().enumerate() {
        let res = http
            .put(format!("{base}/api/v1/projects/{project}/secrets/KEY_{i}"))
            .bearer_auth(session.token.expose())
            .json(&json!({"value": v}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    task.abort();

    // The keys are in the keyring, as `secret-tool` would find them.
    let keyring = KeyringStore::connect(&tessera_auth::secret_store::namespace_for(data.path())).unwrap();
    let der = {
        use base64::Engine;
        let b64 = keyring.get("session-signing-key").await.unwrap().expect("the signing key is in the keyring");
        base64::engine::general_purpose::STANDARD.decode(b64.expose()).unwrap()
    };
    let sealing = keyring.get("secret-sealing-key").await.unwrap().expect("the sealing key is in the keyring");
    let mut needles: Vec<(String, Vec<u8>)> =
        values.iter().map(|v| ("a project secret".to_owned(), v.as_bytes().to_vec())).collect();
    needles.extend(key_needles(&der));
    needles.push(("the secret sealing key (base64)".into(), sealing.expose().as_bytes().to_vec()));
    let raw_sealing = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(sealing.expose()).unwrap()
    };
    needles.push(("the secret sealing key".into(), raw_sealing));

    // Every file of the data directory (the store, its journal, anything else), byte for byte.
    let files = every_file(data.path());
    assert!(files.iter().any(|(p, _)| p.ends_with("tessera.db")), "the scan covers the store: {files:?}");
    for (path, bytes) in &files {
        for (what, needle) in &needles {
            assert!(!contains(bytes, needle), "{} holds {what}", path.display());
        }
    }
    // And every column, through the store's own reading (pages still in the journal included).
    let store = tessera_core::store::SqlStore::open_sqlite(&data.store()).await.unwrap();
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT value FROM secrets").fetch_all(store.pool()).await.unwrap();
    assert_eq!(rows.len(), values.len(), "every secret is stored");
    for row in &rows {
        for (what, needle) in &needles {
            assert!(!contains(row, needle), "secrets.value holds {what}");
        }
    }
}
