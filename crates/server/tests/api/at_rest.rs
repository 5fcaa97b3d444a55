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
