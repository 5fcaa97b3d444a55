//! The OpenAPI document matches what the server serves.

use reqwest::Method;
use serde_json::Value;

use crate::harness::Server;

#[tokio::test]
async fn every_documented_operation_is_served_and_every_endpoint_documented() {
    let s = Server::start().await;
    let doc = s.call(Method::GET, "/api/v1/openapi.json", None, None).await.expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
            if !matches!(m, Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE) {
                continue;
            }
            operations += 1;
            let concrete =
                path.split('/').map(|seg| if seg.starts_with('{') { "x_1" } else { seg }).collect::<Vec<_>>().join("/");
            let r = s.call(m.clone(), &concrete, None, None).await;
            let public = op.get("security").is_none();
            let expected: &[u16] = if public { &[200, 400] } else { &[401] };
            assert!(expected.contains(&r.status.as_u16()), "{method} {path}: {} {}", r.status, r.body);
            if !public {
                assert!(op["responses"].get("401").is_some(), "{method} {path} documents 401");
            }
        }
    }
    assert!(operations >= 50, "{operations} operations documented");
    let expected = [
        ("get", "/api/v1/health"),
        ("get", "/api/v1/me"),
        ("delete", "/api/v1/sessions/current"),
        ("get", "/api/v1/user/tokens"),
        ("post", "/api/v1/user/tokens"),
        ("patch", "/api/v1/user/tokens/{id}"),
        ("post", "/api/v1/user/tokens/{id}/rotate"),
        ("get", "/api/v1/user/agent-tokens"),
        ("get", "/api/v1/orgs"),
        ("post", "/api/v1/orgs"),
        ("get", "/api/v1/orgs/{org}"),
        ("delete", "/api/v1/orgs/{org}/members"),
        ("post", "/api/v1/orgs/{org}/tokens"),
        ("post", "/api/v1/orgs/{org}/tokens/{id}/rotate"),
        ("get", "/api/v1/orgs/{org}/agent-tokens"),
        ("patch", "/api/v1/projects/{project}"),
        ("post", "/api/v1/projects/{project}/trigger-tokens"),
        ("delete", "/api/v1/projects/{project}/trigger-tokens/{id}"),
        ("post", "/api/v1/projects/{project}/runs"),
        ("put", "/api/v1/projects/{project}/pipelines/{name}"),
        ("delete", "/api/v1/projects/{project}/secrets/{name}"),
        ("post", "/api/v1/agents/connect"),
        ("post", "/api/v1/agents/{id}/heartbeat"),
        ("post", "/api/v1/agents/{id}/claim"),
        ("post", "/api/v1/tokens/introspect"),
        ("post", "/api/v1/tokens/revoke"),
        ("get", "/api/v1/admin/audit"),
        ("get", "/api/v1/admin/users"),
        ("get", "/api/v1/openapi.json"),
    ];
    for (m, p) in expected {
        if p == "/api/v1/openapi.json" {
            continue;
        }
        assert!(paths.get(p).and_then(|i| i.get(m)).is_some(), "{m} {p} is documented");
    }
    // Operation ids are unique, so generated clients work.
    let ids: Vec<&str> = paths
        .values()
        .flat_map(|i| i.as_object().unwrap().values())
        .filter_map(|o| o.get("operationId").and_then(Value::as_str))
        .collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len());
    // Org collection paths carry their path parameter.
    let org_tokens = &paths["/api/v1/orgs/{org}/tokens"]["post"]["parameters"];
    assert!(org_tokens.as_array().unwrap().iter().any(|p| p["name"] == "org" && p["in"] == "path"));
}

/// The document's patterns are the ones core validates with (schemas repeat them as literals,
/// which the schema derive requires).
#[tokio::test]
async fn the_documents_patterns_are_the_rules_core_enforces() {
    use tessera_core::authority::{LABEL_PATTERN, NAME_PATTERN, REPOSITORY_URL_PATTERN, TEXT_PATTERN};
    let s = Server::start().await;
    let doc = s.call(Method::GET, "/api/v1/openapi.json", None, None).await.expect(200);
    let schemas = &doc["components"]["schemas"];
    let pattern =
        |schema: &str, field: &str| schemas[schema]["properties"][field]["pattern"].as_str().map(str::to_owned);
    for (schema, field, expected) in [
        ("NewToken", "label", LABEL_PATTERN),
        ("NewToken", "description", TEXT_PATTERN),
        ("TokenPatch", "label", LABEL_PATTERN),
        ("TokenPatch", "description", TEXT_PATTERN),
        ("NewProject", "name", NAME_PATTERN),
        ("NewProject", "org", NAME_PATTERN),
        ("NewProject", "repository_url", REPOSITORY_URL_PATTERN),
        ("ProjectPatch", "name", NAME_PATTERN),
        ("ProjectPatch", "repository_url", REPOSITORY_URL_PATTERN),
        ("NewOrg", "name", NAME_PATTERN),
        ("ConnectBody", "name", NAME_PATTERN),
    ] {
        assert_eq!(pattern(schema, field).as_deref(), Some(expected), "{schema}.{field}");
    }
    // Every path parameter is an id or a name, as the extractors check.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "path") {
                assert_eq!(p["schema"]["pattern"], NAME_PATTERN, "{path} {}", p["name"]);
            }
        }
    }
}
