//! Organizations, projects, runs, secrets, pipelines, agents, the account and instance
//! administration through `tessera`, the real binary against a real `tessera serve`: what a
//! person reads in the tables, and what a script reads with --json.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod common;

use common::Served;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn organizations_members_and_policies() {
    let s = Served::start();
    let a = s.admin.as_str();
    let bob = s.user("bob");

    let org = s.run(a, &["--json", "org", "create", "acme"]).json();
    let org = id(&org);
    let table = s.run(a, &["org", "list"]).ok().to_owned();
    assert!(
        table.starts_with("ID") && table.lines().any(|l| l.starts_with(&org) && l.contains("acme  admin")),
        "{table}"
    );
    assert_eq!(s.run(&bob, &["--json", "org", "list"]).json(), Value::Array(vec![]));
    assert_eq!(s.run(&bob, &["org", "list"]).ok(), "no organizations");
    assert!(s.run(a, &["org", "show", &org]).ok().contains("Name:      acme"));
    s.run(&bob, &["org", "show", &org]).failed(5, "");

    // set-role on someone who is not a member invites them; once they accept it changes the role.
    let invited = s.run(a, &["org", "set-role", &org, "bob", "member"]).ok().to_owned();
    assert!(invited.contains("bob is not a member yet: invited as member"), "{invited}");
    let mine = s.run(&bob, &["--json", "org", "invitations"]).json();
    s.run(&bob, &["org", "accept", mine[0]["id"].as_str().unwrap()]).ok();
    let members = s.run(a, &["org", "members", &org]).ok().to_owned();
    assert!(members.lines().any(|l| l.starts_with("bob ") && l.ends_with("member")), "{members}");
    let promoted = s.run(a, &["--json", "org", "set-role", &org, "bob", "admin"]).json();
    assert!(promoted.as_array().unwrap().iter().any(|m| m["user"]["name"] == "bob" && m["role"] == "admin"));
    s.run(a, &["org", "set-role", &org, "bob", "owner"]).failed(2, "owner");

    // Invitations withdrawn by an admin.
    s.user("carol");
    let inv = s.run(a, &["--json", "org", "invite", &org, "carol"]).json();
    assert!(s.run(a, &["org", "invitations", "--org", &org]).ok().contains("carol"));
    s.run(a, &["org", "withdraw", &org, inv["id"].as_str().unwrap()]).ok();
    assert_eq!(s.run(a, &["org", "invitations", "--org", &org]).ok(), "no pending invitations");

    // Removing a member; the last admin stays (the server's rule, exit 1).
    assert!(s.run(a, &["org", "remove", &org, "bob"]).ok().contains("removed bob"));
    assert!(!s.run(a, &["org", "members", &org]).ok().contains("bob"));
    let last = s.run(a, &["org", "remove", &org, "root"]);
    assert_eq!(last.code, 1, "{last:?}");

    // The organization's token policy, under the instance's.
    let shown = s.run(a, &["org", "policy", "show", &org]).ok().to_owned();
    assert!(shown.contains("in force:\nmaximum lifetime: no limit"), "{shown}");
    let set =
        s.run(a, &["--json", "org", "policy", "set", &org, "--max-lifetime-days", "30", "--require-expiry"]).json();
    assert_eq!(set["in_force"]["max_lifetime_seconds"], 30 * 86_400);
    let refused = s.run(a, &["token", "create", "--org", &org, "--label", "forever", "--scope", "read"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    s.run(a, &["org", "policy", "set", &org]).ok();
    s.run(a, &["org", "policy", "set", &org, "--max-lifetime-days", "0"]).failed(2, "0");

    // The instance's policy: admins only (a member's session is forbidden, exit 4).
    let instance = s.run(a, &["admin", "policy", "set", "--max-lifetime-days", "365"]).ok().to_owned();
    assert!(instance.contains("maximum lifetime: 365 days"), "{instance}");
    assert_eq!(s.run(a, &["--json", "admin", "policy", "show"]).json()["max_lifetime_seconds"], 365 * 86_400);
    s.run(&bob, &["admin", "policy", "show"]).failed(4, "");
    assert!(s.run(&bob, &["token", "policy"]).ok().contains("365 days"));
}

#[test]
fn projects_runs_secrets_and_pipelines() {
    let s = Served::start();
    let a = s.admin.as_str();
    let p = s.run(a, &["--json", "project", "create", "web", "--repository-url", "https://git.example/web.git"]).json();
    let p = id(&p);
    let list = s.run(a, &["project", "list"]).ok().to_owned();
    assert!(list.lines().any(|l| l.starts_with(&p) && l.contains("web") && l.contains("https://git.example/web.git")));
    let edited = s.run(a, &["project", "edit", &p, "--name", "site", "--clear-repository-url"]).ok().to_owned();
    assert!(edited.contains("Name:       site") && edited.contains("Repository: -"), "{edited}");
    assert_eq!(s.run(a, &["--json", "project", "show", &p]).json()["name"], "site");
    s.run(a, &["project", "edit", &p]).failed(2, "nothing to change");

    // Runs: triggered with the trigger token of the project, listed with the session.
    let trigger = s.run(a, &["--json", "token", "create", "--project", &p, "--label", "hook"]).json();
    let trigger = trigger["token"].as_str().unwrap();
    let run = s.run(trigger, &["--json", "run", "trigger", &p]).json();
    assert_eq!(run["status"], "queued");
    assert!(s.run(a, &["run", "trigger", &p]).ok().ends_with("queued"));
    let runs = s.run(a, &["run", "list", &p]).ok().to_owned();
    assert!(runs.starts_with("ID") && runs.lines().filter(|l| l.contains("queued")).count() == 2, "{runs}");
    // A trigger token reaches nothing else.
    s.run(trigger, &["project", "list"]).failed(4, "");

    // Secrets: the value from standard input, never shown again.
    let set = s.run_in(s.data.path(), Some(a), &["secret", "set", &p, "DEPLOY_KEY"], Some("hunter2\n"));
    assert!(set.ok().contains("secret DEPLOY_KEY of project"), "{set:?}");
    let shown = s.run(a, &["--json", "secret", "show", &p, "DEPLOY_KEY"]).json();
    assert_eq!(shown["name"], "DEPLOY_KEY");
    assert!(!shown.to_string().contains("hunter2"));
    s.run(a, &["secret", "delete", &p, "DEPLOY_KEY"]).ok();
    s.run(a, &["secret", "show", &p, "DEPLOY_KEY"]).failed(5, "");

    // Pipelines: written from a file or standard input, printed as written.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ci.yml");
    std::fs::write(&file, "steps:\n  - make test\n").unwrap();
    s.run(a, &["pipeline", "set", &p, "ci.yml", "--file", file.to_str().unwrap()]).ok();
    assert_eq!(s.run(a, &["pipeline", "show", &p, "ci.yml"]).ok(), "steps:\n  - make test");
    s.run_in(s.data.path(), Some(a), &["pipeline", "set", &p, "ci.yml"], Some("steps: []\n")).ok();
    assert_eq!(s.run(a, &["--json", "pipeline", "show", &p, "ci.yml"]).json()["content"], "steps: []\n");
    s.run(a, &["pipeline", "show", &p, "nope.yml"]).failed(5, "");

    // Agents: connected with an agent token, listed, given the queued run, disconnected.
    let agent_token = s.run(a, &["--json", "token", "create", "--agent", "--label", "runner"]).json();
    let agent_token = agent_token["token"].as_str().unwrap();
    let agent = s.run(agent_token, &["agent", "connect", "runner-1"]).ok().to_owned();
    assert!(agent.starts_with("agt_") || !agent.is_empty(), "{agent}");
    let beat = s.run(agent_token, &["agent", "heartbeat", &agent, "--status", "busy"]).ok().to_owned();
    assert_eq!(beat, "agent runner-1 is busy");
    let agents = s.run(a, &["agent", "list"]).ok().to_owned();
    assert!(agents.lines().any(|l| l.starts_with(&agent) && l.contains("runner-1")), "{agents}");
    let claimed = s.run(agent_token, &["--json", "agent", "claim", &agent]).json();
    assert_eq!(claimed["run"]["project_id"], p.as_str());
    assert!(s.run(agent_token, &["agent", "claim", &agent]).ok().starts_with("claimed run"));
    assert_eq!(s.run(agent_token, &["agent", "claim", &agent]).ok(), "no run is queued");
    s.run(a, &["agent", "disconnect", &agent]).ok();
    assert_eq!(s.run(a, &["agent", "list"]).ok(), "no agents");

    // Deleting the project takes its runs with it.
    s.run(a, &["project", "delete", &p]).ok();
    s.run(a, &["run", "list", &p]).failed(5, "");
}

#[test]
fn the_account_and_instance_administration() {
    let s = Served::start();
    let a = s.admin.as_str();
    let dave = s.user("dave");

    let me = s.run(a, &["me"]).ok().to_owned();
    assert!(me.starts_with("Name:") && me.contains("root") && me.contains("Role:       admin"), "{me}");
    assert_eq!(s.run(&dave, &["--json", "me"]).json()["role"], "member");
    let health = s.run_in(s.data.path(), None, &["--json", "health"], None).json();
    assert_eq!(health["status"], "ok");
    assert_eq!(s.run(a, &["identity", "list"]).ok(), "no linked identities");
    s.run(a, &["identity", "unlink", "idn_nothere000000000"]).failed(5, "");

    // Accounts through the API, by name or id, with the server's rules.
    let users = s.run(a, &["admin", "user", "list"]).ok().to_owned();
    assert!(users.starts_with("NAME") && users.lines().any(|l| l.starts_with("dave") && l.contains("member")));
    let list = s.run(a, &["--json", "admin", "user", "list"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let promoted = s.run(a, &["--json", "admin", "user", "set-role", "dave", "admin"]).json();
    assert_eq!(promoted["role"], "admin");
    s.run(a, &["admin", "user", "disable", "dave"]).ok();
    s.run(&dave, &["me"]).failed(3, "");
    s.run(a, &["admin", "user", "enable", "dave"]).ok();
    assert_eq!(s.run(&dave, &["--json", "me"]).json()["name"], "dave");
    s.run(a, &["admin", "user", "delete", "dave"]).ok();
    s.run(a, &["admin", "user", "disable", "dave"]).failed(5, "");
    // A personal access token never reaches instance administration, even an admin's.
    let pat = s.run(a, &["--json", "token", "create", "--label", "x", "--scope", "token:admin"]).json();
    s.run(pat["token"].as_str().unwrap(), &["admin", "user", "list"]).failed(4, "");
}
