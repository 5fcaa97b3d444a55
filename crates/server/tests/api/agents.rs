//! Agent tokens connect agents, which claim their owner's queued runs; nothing else.

use chrono::Duration;
use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn agents_connect_heartbeat_and_claim_their_owners_runs() {
    let s = Server::start().await;
    let alice = s.user("alice", false).await;
    let bob = s.user("bob", false).await;
    let org = s.id_of("/api/v1/orgs", &alice, json!({"name": "acme"})).await;
    let personal = s.id_of("/api/v1/projects", &alice, json!({"name": "app"})).await;
    let org_project = s.id_of("/api/v1/projects", &alice, json!({"name": "svc", "org": org})).await;
    let run = s.post(&format!("/api/v1/projects/{personal}/runs"), &alice, json!({})).await.expect(202);
    let org_run = s.post(&format!("/api/v1/projects/{org_project}/runs"), &alice, json!({})).await.expect(202);

    let (_, agt) = s.token("/api/v1/user/agent-tokens", &alice, &[]).await;
    let connected = s.post("/api/v1/agents/connect", &agt, json!({"name": "builder-1"})).await.expect(201);
    let agent = connected["agent_id"].as_str().unwrap().to_owned();
    let claimed = s.post(&format!("/api/v1/agents/{agent}/claim"), &agt, json!({})).await.expect(200);
    assert_eq!(claimed["run"]["id"], run["id"], "a personal agent claims personal runs only");
    assert_eq!(claimed["run"]["status"], "running");
    assert_eq!(
        s.post(&format!("/api/v1/agents/{agent}/claim"), &agt, json!({})).await.expect(200)["run"],
        serde_json::Value::Null
    );

    let (_, org_agt) = s.token(&format!("/api/v1/orgs/{org}/agent-tokens"), &alice, &[]).await;
    let org_agent = s.post("/api/v1/agents/connect", &org_agt, json!({"name": "org-builder"})).await.expect(201)
        ["agent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.post(&format!("/api/v1/agents/{org_agent}/claim"), &org_agt, json!({})).await.expect(200)["run"]["id"],
        org_run["id"]
    );
    // An agent token cannot drive another owner's agent.
    s.post(&format!("/api/v1/agents/{agent}/claim"), &org_agt, json!({})).await.expect_error(404, "not_found");

    // Heartbeats and the offline rule.
    assert_eq!(
        s.post(&format!("/api/v1/agents/{agent}/heartbeat"), &agt, json!({"status": "busy"})).await.expect(200)
            ["status"],
        "busy"
    );
    s.post(&format!("/api/v1/agents/{agent}/heartbeat"), &agt, json!({"status": "asleep"}))
        .await
        .expect_error(400, "invalid_request");
    let list = s.get("/api/v1/agents", &alice).await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    s.clock.advance(Duration::minutes(10));
    let list = s.get("/api/v1/agents", &alice).await.expect(200);
    assert!(list.as_array().unwrap().iter().all(|a| a["status"] == "offline"));
    assert_eq!(s.get("/api/v1/agents", &bob).await.expect(200), json!([]));

    // Agent tokens reach nothing else; other credentials cannot act as agents.
    for path in ["/api/v1/me", "/api/v1/projects", "/api/v1/agents", "/api/v1/user/agent-tokens"] {
        s.get(path, &agt).await.expect_error(403, "forbidden");
    }
    s.post("/api/v1/agents/connect", &alice, json!({"name": "x"})).await.expect_error(403, "forbidden");
    let pat = s.pat(&alice, &["read", "trigger"]).await;
    s.post("/api/v1/agents/connect", &pat, json!({"name": "x"})).await.expect_error(403, "forbidden");
}
