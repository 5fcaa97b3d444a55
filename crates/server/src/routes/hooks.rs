//! What code hosts' webhook deliveries say, read for `POST /projects/{project}/trigger`: which
//! host signed the body (by the header it signs with), and the ref and commit a push names in
//! each host's own shape.

use std::collections::BTreeMap;

use serde_json::Value;
use tessera_core::authority::RunRequest;

use crate::error::{ApiError, ApiResult};

/// The host whose shape a delivery's body has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// GitHub, and Gitea/Forgejo, whose push payload copies GitHub's: `ref` and `after`.
    GitHub,
    /// GitLab: `ref` and `checkout_sha`.
    GitLab,
    /// Bitbucket Cloud: `push.changes[].new`.
    Bitbucket,
    /// Azure DevOps service hooks: `resource.refUpdates[]` of a `git.push`.
    AzureDevOps,
}

/// The body as JSON: raw, or GitHub's form field `payload`.
fn payload(body: &[u8], json_type: bool) -> ApiResult<Value> {
    if json_type || body.first() == Some(&b'{') {
        return serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("the webhook's body is not valid JSON: {e}")));
    }
    let field = url::form_urlencoded::parse(body).find(|(k, _)| k == "payload").map(|(_, v)| v.into_owned());
    let field =
        field.ok_or_else(|| ApiError::invalid("send the webhook's body as JSON (content type application/json)"))?;
    serde_json::from_str(&field).map_err(|e| ApiError::invalid(format!("the webhook's payload is not valid JSON: {e}")))
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The run a push delivery asks for: its ref and commit, in `host`'s shape. A delivery that is
/// not a push (a pull request, a comment) names neither, and the run gets neither.
pub fn pushed(host: Host, body: &[u8], json_type: bool) -> ApiResult<RunRequest> {
    let json = payload(body, json_type)?;
    let (git_ref, commit) = match host {
        Host::GitHub => (text(&json, "ref"), text(&json, "after")),
        Host::GitLab => (text(&json, "ref"), text(&json, "checkout_sha")),
        Host::Bitbucket => {
            let changes =
                json.pointer("/push/changes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let new = changes.iter().find_map(|c| c.get("new").filter(|n| n.is_object()));
            match new {
                Some(n) => {
                    let kind = if n.get("type").and_then(Value::as_str) == Some("tag") { "tags" } else { "heads" };
                    (
                        text(n, "name").map(|name| format!("refs/{kind}/{name}")),
                        n.get("target").and_then(|t| text(t, "hash")),
                    )
                }
                None => (None, None),
            }
        }
        Host::AzureDevOps => {
            let update = json.pointer("/resource/refUpdates/0");
            (update.and_then(|u| text(u, "name")), update.and_then(|u| text(u, "newObjectId")))
        }
    };
    Ok(RunRequest { git_ref, commit, variables: BTreeMap::new() })
}

/// Whether a JSON body is an Azure DevOps service hook's delivery rather than Tessera's own
/// trigger body.
pub fn is_azure_devops(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| {
        v.get("publisherId").and_then(Value::as_str) == Some("tfs") && v.get("eventType").is_some_and(Value::is_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(host: Host, body: Value) -> (Option<String>, Option<String>) {
        let r = pushed(host, body.to_string().as_bytes(), true).unwrap();
        (r.git_ref, r.commit)
    }

    #[test]
    fn each_host_names_the_pushed_ref_and_commit_its_own_way() {
        let some = |a: &str, b: &str| (Some(a.to_owned()), Some(b.to_owned()));
        assert_eq!(
            run(Host::GitHub, serde_json::json!({"ref": "refs/heads/main", "after": "abc"})),
            some("refs/heads/main", "abc")
        );
        assert_eq!(
            run(Host::GitLab, serde_json::json!({"ref": "refs/heads/dev", "checkout_sha": "def"})),
            some("refs/heads/dev", "def")
        );
        let bb = serde_json::json!({"push": {"changes": [
            {"old": {"name": "gone"}, "new": null},
            {"new": {"type": "branch", "name": "main", "target": {"hash": "0a1b"}}}
        ]}});
        assert_eq!(run(Host::Bitbucket, bb), some("refs/heads/main", "0a1b"));
        let tag = serde_json::json!({"push": {"changes": [{"new": {"type": "tag", "name": "v1", "target": {"hash": "99"}}}]}});
        assert_eq!(run(Host::Bitbucket, tag), some("refs/tags/v1", "99"));
        let az = serde_json::json!({"publisherId": "tfs", "eventType": "git.push",
            "resource": {"refUpdates": [{"name": "refs/heads/main", "oldObjectId": "00", "newObjectId": "c0ffee"}]}});
        assert!(is_azure_devops(az.to_string().as_bytes()));
        assert_eq!(run(Host::AzureDevOps, az), some("refs/heads/main", "c0ffee"));
        // Not a push: neither.
        assert_eq!(run(Host::Bitbucket, serde_json::json!({"pullrequest": {}})), (None, None));
        assert!(!is_azure_devops(br#"{"ref": "main", "token": "x"}"#));
    }

    #[test]
    fn a_body_that_is_not_json_is_refused_in_a_sentence() {
        let e = pushed(Host::GitHub, b"not json", false).unwrap_err();
        assert!(format!("{e:?}").contains("as JSON"), "{e:?}");
        assert!(pushed(Host::GitHub, b"{broken", true).is_err());
        let form = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
        assert_eq!(pushed(Host::GitHub, form, false).unwrap().git_ref.as_deref(), Some("refs/heads/main"));
    }
}
