//! Rules of the authority against the real SQLite store in a temporary folder.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::clock::ManualClock;
use crate::model::AgentStatus;
use crate::store::SqlStore;

struct World {
    auth: Authority,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

async fn world() -> Result<World> {
    let dir = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
    let store = SqlStore::open_sqlite(&dir.path().join("tessera.db")).await?;
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).single().unwrap_or_default()));
    let (keys, _) = SessionKeys::generate()?;
    let auth = Authority::new(Arc::new(store), keys, clock.clone());
    Ok(World { auth, clock, _dir: dir })
}

impl World {
    async fn session(&self, name: &str) -> Result<Caller> {
        let (_, s) = self.auth.issue_session(name).await?;
        self.auth.authenticate(s.token.expose(), Some("127.0.0.1".into())).await
    }

    async fn user(&self, name: &str, role: Role) -> Result<Caller> {
        self.auth.create_user(name, role).await?;
        self.session(name).await
    }

    async fn pat(&self, owner: &Caller, scopes: &[&str]) -> Result<Caller> {
        let req = NewToken { label: "t".into(), scopes: Scopes::parse(scopes)?, ..Default::default() };
        let (_, v) = self.auth.create_token(owner, &Collection::Pats, req).await?;
        self.auth.authenticate(v.expose(), None).await
    }
}

fn is_forbidden<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(e) if e.code() == crate::error::ErrorCode::Forbidden)
}

#[tokio::test]
async fn each_scope_allows_exactly_what_it_names() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let org = w.auth.create_org(&alice, "acme").await?;
    let project = w.auth.create_project(&alice, NewProject { name: "app".into(), ..Default::default() }).await?;

    for scope in Scope::ALL {
        let t = w.pat(&alice, &[scope.as_str()]).await?;
        let has = |s: Scope| s == scope;
        assert_eq!(!is_forbidden(w.auth.list_projects(&t).await), has(Scope::Read), "{scope}: list projects");
        assert_eq!(!is_forbidden(w.auth.list_agents(&t).await), has(Scope::Read), "{scope}: list agents");
        assert_eq!(!is_forbidden(w.auth.trigger_run(&t, &project.id).await), has(Scope::Trigger), "{scope}: trigger");
        assert_eq!(
            !is_forbidden(w.auth.put_pipeline(&t, &project.id, "ci.yml", "steps: []".into()).await),
            has(Scope::PipelineWrite),
            "{scope}: pipeline"
        );
        assert_eq!(
            !is_forbidden(w.auth.update_project(&t, &project.id, ProjectPatch::default()).await),
            has(Scope::RepoWrite),
            "{scope}: project settings"
        );
        assert_eq!(
            !is_forbidden(w.auth.put_secret(&t, &project.id, "KEY", "v").await),
            has(Scope::SecretWrite),
            "{scope}: secret"
        );
        assert_eq!(
            !is_forbidden(w.auth.list_tokens(&t, &Collection::Pats).await),
            has(Scope::TokenAdmin),
            "{scope}: tokens"
        );
        assert_eq!(
            !is_forbidden(w.auth.list_tokens(&t, &Collection::OrgTokens(org.id.clone())).await),
            has(Scope::OrgAdmin),
            "{scope}: org tokens"
        );
        // No scope reaches instance administration.
        assert!(is_forbidden(w.auth.audit_log(&t, crate::audit::AuditQuery::default()).await), "{scope}: audit");
    }
    Ok(())
}

#[tokio::test]
async fn no_token_mints_or_rotates_more_than_it_holds() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let admin_pat = w.pat(&alice, &["token:admin"]).await?;
    let wide =
        NewToken { label: "wide".into(), scopes: Scopes::parse(&["token:admin", "read"])?, ..Default::default() };
    assert!(is_forbidden(w.auth.create_token(&admin_pat, &Collection::Pats, wide.clone()).await));
    let narrow = NewToken { label: "narrow".into(), scopes: Scopes::parse(&["token:admin"])?, ..Default::default() };
    assert!(w.auth.create_token(&admin_pat, &Collection::Pats, narrow).await.is_ok());

    // A wider token made by the session cannot be rotated by the narrower PAT.
    let (wide_token, _) = w.auth.create_token(&alice, &Collection::Pats, wide).await?;
    assert!(is_forbidden(w.auth.rotate_token(&admin_pat, &Collection::Pats, &wide_token.id).await));
    assert!(w.auth.rotate_token(&alice, &Collection::Pats, &wide_token.id).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn org_rights_follow_membership_at_once() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let bob = w.user("bob", Role::Member).await?;
    let org = w.auth.create_org(&alice, "acme").await?;
    // Adding bob invites him; he is a member only once he accepts.
    let crate::authority::MemberChange::Invited(inv) =
        w.auth.put_member(&alice, &org.id, "bob", OrgRole::Admin).await?
    else {
        panic!("a non-member is invited, not added");
    };
    assert!(matches!(w.auth.get_org(&bob, &org.id).await, Err(Error::NotFound(_))));
    w.auth.accept_invitation(&bob, &inv.id).await?;
    let bob_pat = w.pat(&bob, &["org:admin", "read"]).await?;
    assert!(w.auth.list_tokens(&bob_pat, &Collection::OrgTokens(org.id.clone())).await.is_ok());

    w.auth.put_member(&alice, &org.id, "bob", OrgRole::Member).await?;
    let bob_pat = w.auth.authenticate_again(&bob_pat).await?;
    assert!(is_forbidden(w.auth.list_tokens(&bob_pat, &Collection::OrgTokens(org.id.clone())).await));

    w.auth.remove_member(&alice, &org.id, "bob").await?;
    assert!(matches!(w.auth.get_org(&bob_pat, &org.id).await, Err(Error::NotFound(_))));
    // The last admin stays.
    assert!(matches!(w.auth.remove_member(&alice, &org.id, "alice").await, Err(Error::Conflict(_))));
    Ok(())
}

#[tokio::test]
async fn org_tokens_act_only_on_their_org() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let acme = w.auth.create_org(&alice, "acme").await?;
    let other = w.auth.create_org(&alice, "other").await?;
    let np = |name: &str, org: &str| NewProject { name: name.into(), org: Some(org.into()), repository_url: None };
    let mine = w.auth.create_project(&alice, np("app", &acme.id)).await?;
    let theirs = w.auth.create_project(&alice, np("app", &other.id)).await?;
    let req = NewToken { label: "ci".into(), scopes: Scopes::parse(&["read", "trigger"])?, ..Default::default() };
    let (_, v) = w.auth.create_token(&alice, &Collection::OrgTokens(acme.id.clone()), req).await?;
    let t = w.auth.authenticate(v.expose(), None).await?;
    assert!(w.auth.trigger_run(&t, &mine.id).await.is_ok());
    assert!(matches!(w.auth.trigger_run(&t, &theirs.id).await, Err(Error::NotFound(_))));
    let listed = w.auth.list_projects(&t).await?;
    assert_eq!(listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![mine.id.as_str()]);
    assert!(is_forbidden(w.auth.me(&t).await));
    assert!(is_forbidden(w.auth.list_tokens(&t, &Collection::Pats).await));
    Ok(())
}

#[tokio::test]
async fn trigger_and_agent_tokens_do_only_their_job() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let p = w.auth.create_project(&alice, NewProject { name: "app".into(), ..Default::default() }).await?;
    let q = w.auth.create_project(&alice, NewProject { name: "lib".into(), ..Default::default() }).await?;
    let label = || NewToken { label: "x".into(), ..Default::default() };
    let (_, tv) = w.auth.create_token(&alice, &Collection::TriggerTokens(p.id.clone()), label()).await?;
    let trg = w.auth.authenticate(tv.expose(), None).await?;
    let run = w.auth.trigger_run(&trg, &p.id).await?;
    assert!(is_forbidden(w.auth.trigger_run(&trg, &q.id).await));
    assert!(is_forbidden(w.auth.list_runs(&trg, &p.id).await));
    assert!(is_forbidden(w.auth.me(&trg).await));

    let (_, av) = w.auth.create_token(&alice, &Collection::UserAgentTokens, label()).await?;
    let agt = w.auth.authenticate(av.expose(), None).await?;
    assert!(is_forbidden(w.auth.list_projects(&agt).await));
    assert!(is_forbidden(w.auth.trigger_run(&agt, &p.id).await));
    let agent = w.auth.connect_agent(&agt, "builder-1").await?;
    let claimed = w.auth.claim(&agt, &agent.id).await?;
    assert_eq!(claimed.map(|r| r.id), Some(run.id));
    assert_eq!(w.auth.claim(&agt, &agent.id).await?, None);
    assert!(is_forbidden(w.auth.connect_agent(&alice, "x").await));

    // Agents fall offline when silent.
    w.auth.heartbeat(&agt, &agent.id, AgentStatus::Busy).await?;
    assert_eq!(w.auth.list_agents(&alice).await?[0].status, AgentStatus::Busy);
    w.clock.advance(Duration::minutes(5));
    assert_eq!(w.auth.list_agents(&alice).await?[0].status, AgentStatus::Offline);
    Ok(())
}

#[tokio::test]
async fn expired_revoked_and_deleted_tokens_fail_at_once() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let exp = w.auth.now() + Duration::days(7);
    let req =
        NewToken { label: "short".into(), scopes: Scope::Read.into(), expires_at: Some(exp), ..Default::default() };
    let (t, v) = w.auth.create_token(&alice, &Collection::Pats, req).await?;
    assert!(w.auth.authenticate(v.expose(), None).await.is_ok());
    w.clock.advance(Duration::days(7));
    assert!(matches!(w.auth.authenticate(v.expose(), None).await, Err(Error::TokenExpired)));

    let (t2, v2) = w
        .auth
        .create_token(
            &alice,
            &Collection::Pats,
            NewToken { label: "b".into(), scopes: Scope::Read.into(), ..Default::default() },
        )
        .await?;
    w.auth.revoke(v2.expose(), None).await?;
    assert!(matches!(w.auth.authenticate(v2.expose(), None).await, Err(Error::TokenRevoked)));
    assert!(w.auth.get_token(&alice, &Collection::Pats, &t2.id).await?.revoked_at.is_some());

    w.auth.delete_token(&alice, &Collection::Pats, &t.id).await?;
    assert!(matches!(w.auth.get_token(&alice, &Collection::Pats, &t.id).await, Err(Error::NotFound(_))));

    let (t3, v3) = w
        .auth
        .create_token(
            &alice,
            &Collection::Pats,
            NewToken { label: "c".into(), scopes: Scope::Read.into(), ..Default::default() },
        )
        .await?;
    let (_, v3b) = w.auth.rotate_token(&alice, &Collection::Pats, &t3.id).await?;
    assert!(
        matches!(w.auth.authenticate(v3.expose(), None).await, Err(Error::TokenUnknown)),
        "the old value dies on rotation"
    );
    assert!(w.auth.authenticate(v3b.expose(), None).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn instance_admin_needs_a_session_of_an_admin_now() -> Result<()> {
    let w = world().await?;
    let root = w.user("root", Role::Admin).await?;
    assert!(w.auth.audit_log(&root, crate::audit::AuditQuery::default()).await.is_ok());
    let pat = w.pat(&root, &["read", "token:admin", "org:admin"]).await?;
    assert!(is_forbidden(w.auth.audit_log(&pat, crate::audit::AuditQuery::default()).await));
    assert!(is_forbidden(w.auth.list_users(&pat).await));
    // Demotion takes effect on the next request of the same session.
    w.auth.store().set_role(&root_id(&root), Role::Member).await?;
    let root = w.auth.authenticate_again(&root).await?;
    assert!(is_forbidden(w.auth.audit_log(&root, crate::audit::AuditQuery::default()).await));
    Ok(())
}

#[tokio::test]
async fn usage_is_recorded_without_a_write_per_request() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let (t, v) = w
        .auth
        .create_token(
            &alice,
            &Collection::Pats,
            NewToken { label: "u".into(), scopes: Scope::Read.into(), ..Default::default() },
        )
        .await?;
    w.auth.authenticate(v.expose(), Some("192.0.2.7".into())).await?;
    // Visible at once in this process, before any flush.
    let seen = w.auth.get_token(&alice, &Collection::Pats, &t.id).await?;
    assert_eq!(seen.last_used_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(w.auth.store().token(&t.id).await?.and_then(|t| t.last_used_at), None);
    w.auth.flush_usage().await?;
    let stored = w.auth.store().token(&t.id).await?.ok_or(Error::NotFound("token"))?;
    assert_eq!(stored.last_used_at, Some(w.auth.now()));
    assert_eq!(stored.last_used_ip.as_deref(), Some("192.0.2.7"));
    Ok(())
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let cases = [
        NewToken { label: "".into(), scopes: Scope::Read.into(), ..Default::default() },
        NewToken { label: "x".repeat(101), scopes: Scope::Read.into(), ..Default::default() },
        NewToken { label: "ok".into(), ..Default::default() },
        NewToken {
            label: "ok".into(),
            scopes: Scope::Read.into(),
            expires_at: Some(w.auth.now()),
            ..Default::default()
        },
    ];
    for c in cases {
        assert!(matches!(w.auth.create_token(&alice, &Collection::Pats, c).await, Err(Error::InvalidRequest(_))));
    }
    let agent_with_scope = NewToken { label: "a".into(), scopes: Scope::Read.into(), ..Default::default() };
    assert!(matches!(
        w.auth.create_token(&alice, &Collection::UserAgentTokens, agent_with_scope).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(w.auth.create_user("../evil", Role::Member).await.is_err());
    assert!(matches!(w.auth.create_user("alice", Role::Member).await, Err(Error::NameTaken(_))));
    Ok(())
}

fn root_id(c: &Caller) -> String {
    match &c.credential {
        Credential::Session { user, .. } => user.id.clone(),
        Credential::Token { token, .. } => token.owner.id.clone(),
    }
}

impl Authority {
    /// Re-reads a caller's credential as the next request would.
    async fn authenticate_again(&self, c: &Caller) -> Result<Caller> {
        match &c.credential {
            Credential::Session { user, session_id, expires_at, device_id, .. } => {
                let user = self.store.user(&user.id).await?.ok_or(Error::NotFound("user"))?;
                Ok(Caller {
                    credential: Credential::Session {
                        local_role: user.role,
                        user,
                        session_id: session_id.clone(),
                        expires_at: *expires_at,
                        device_id: device_id.clone(),
                    },
                    ip: None,
                })
            }
            Credential::Token { token, .. } => {
                let token = self.store.token(&token.id).await?.ok_or(Error::NotFound("token"))?;
                let user = match token.kind {
                    TokenKind::Pat => self.store.user(&token.owner.id).await?,
                    _ => None,
                };
                Ok(Caller { credential: Credential::Token { token: Box::new(token), user }, ip: None })
            }
        }
    }
}

fn verified(provider: &str, subject: &str, role: Option<Role>) -> crate::model::VerifiedIdentity {
    crate::model::VerifiedIdentity {
        provider: provider.into(),
        issuer: format!("https://{provider}.example"),
        subject: subject.into(),
        display_name: format!("{subject} at {provider}"),
        preferred_name: subject.into(),
        email: None,
        role,
    }
}

#[tokio::test]
async fn one_account_many_identities_and_the_last_one_stays() -> Result<()> {
    let w = world().await?;
    let first = w.auth.sign_in_with(&verified("keycloak", "u-1", None), None, None).await?;
    assert!(first.created);
    assert_eq!(first.user.name, "u-1");
    let again = w.auth.sign_in_with(&verified("keycloak", "u-1", None), None, None).await?;
    assert!(!again.created);
    assert_eq!(again.user.id, first.user.id);

    let alice = w.auth.authenticate(first.session.token.expose(), None).await?;
    let gh = w.auth.link_identity(&alice, &verified("github", "4242", None)).await?;
    let via_github = w.auth.sign_in_with(&verified("github", "4242", None), None, None).await?;
    assert_eq!(via_github.user.id, first.user.id, "any linked identity lands in the same account");
    assert_eq!(w.auth.identities(&alice).await?.len(), 2);

    // Someone else cannot link an identity that is already linked.
    let bob = w.user("bob", Role::Member).await?;
    assert!(matches!(w.auth.link_identity(&bob, &verified("github", "4242", None)).await, Err(Error::Conflict(_))));
    // A PAT cannot link.
    let pat = w.pat(&alice, &["read"]).await?;
    assert!(is_forbidden(w.auth.link_identity(&pat, &verified("gitlab", "7", None)).await));

    // Unlink one; the last of a provider-made account stays.
    w.auth.unlink_identity(&alice, &gh.id).await?;
    let last = w.auth.identities(&alice).await?;
    assert_eq!(last.len(), 1);
    assert!(matches!(w.auth.unlink_identity(&alice, &last[0].id).await, Err(Error::Conflict(_))));
    // A local account may unlink all of its identities.
    let b = w.auth.link_identity(&bob, &verified("github", "5555", None)).await?;
    w.auth.unlink_identity(&bob, &b.id).await?;
    Ok(())
}

#[tokio::test]
async fn a_session_carries_what_its_provider_asserts_and_the_local_role_stays() -> Result<()> {
    let w = world().await?;
    let s = w.auth.sign_in_with(&verified("keycloak", "ops", Some(Role::Admin)), None, None).await?;
    assert_eq!(s.user.role, Role::Admin, "the session's role");
    assert_eq!(w.auth.store().user(&s.user.id).await?.map(|u| u.role), Some(Role::Member), "the local role");
    let admin = w.auth.authenticate(s.session.token.expose(), None).await?;
    assert!(w.auth.audit_log(&admin, crate::audit::AuditQuery::default()).await.is_ok());
    let s2 = w.auth.sign_in_with(&verified("keycloak", "ops", Some(Role::Member)), None, None).await?;
    assert_eq!(s2.user.role, Role::Member);
    // The older session is demoted at once: what its identity asserts is read per request.
    let old = w.auth.authenticate(s.session.token.expose(), None).await?;
    assert!(is_forbidden(w.auth.audit_log(&old, crate::audit::AuditQuery::default()).await));
    // A local admin stays admin through a provider without a role mapping, and only while the
    // local role says so.
    w.auth.store().set_role(&s.user.id, Role::Admin).await?;
    let s3 = w.auth.sign_in_with(&verified("keycloak", "ops", None), None, None).await?;
    assert_eq!(s3.user.role, Role::Admin);
    w.auth.store().set_role(&s.user.id, Role::Member).await?;
    let s3 = w.auth.authenticate(s3.session.token.expose(), None).await?;
    assert!(is_forbidden(w.auth.audit_log(&s3, crate::audit::AuditQuery::default()).await));
    Ok(())
}

#[test]
fn free_text_is_nfc_and_refuses_invisible_and_reordering_characters() {
    assert_eq!(validate_text("label", "Cafe\u{301}", 100).unwrap(), "Caf\u{e9}");
    assert_eq!(validate_text("label", "line\nand\ttab", 100).unwrap(), "line\nand\ttab");
    for bad in
        ["a\u{202E}b", "a\u{2067}b", "a\u{200F}b", "a\u{200B}b", "a\u{2060}b", "\u{FEFF}a", "a\u{E0041}", "a\u{7}b"]
    {
        assert!(matches!(validate_text("label", bad, 100), Err(Error::InvalidRequest(_))), "{bad:?}");
    }
    // The limit counts the stored, composed characters.
    assert!(validate_text("label", &"e\u{301}".repeat(100), 100).is_ok());
}

#[tokio::test]
async fn the_first_local_account_is_the_instance_admin_and_is_reused() -> Result<()> {
    let w = world().await?;
    // An account a provider made first neither counts as the first local one nor is taken over.
    let provider_made = w.auth.sign_in_with(&verified("keycloak", "ada", None), None, None).await?.user;
    assert_eq!(provider_made.name, "ada");
    let (ada, s1, _) = w.auth.sign_in_locally("ada", "test").await?;
    assert_eq!((ada.name.as_str(), ada.role), ("ada-local", Role::Admin));
    assert!(s1.expires_at > w.auth.now() + Duration::minutes(59));
    assert!(s1.expires_at <= w.auth.now() + Duration::minutes(61));
    let (again, s2, _) = w.auth.sign_in_locally("ada", "test").await?;
    assert_eq!(again.id, ada.id);
    assert_ne!(s1.token.expose(), s2.token.expose(), "a fresh session every time");
    let (bob, _, _) = w.auth.sign_in_locally("bob", "test").await?;
    assert_eq!(bob.role, Role::Member);
    assert_eq!(w.auth.all_users().await?.len(), 3);
    // Both names a provider's: refused, nothing made.
    w.auth.sign_in_with(&verified("keycloak", "eve", None), None, None).await?;
    w.auth.sign_in_with(&verified("gitlab", "eve-local", None), None, None).await?;
    assert!(matches!(w.auth.sign_in_locally("eve", "test").await, Err(Error::Conflict(_))));
    assert_eq!(w.auth.all_users().await?.len(), 5);
    Ok(())
}

/// What a value proved is kept: a write that reaches the store without the authority reading
/// the change counter (another process's) is not seen until the counter is read, and then at
/// once; expiry is checked on every use, cached or not.
#[tokio::test]
async fn verified_values_are_kept_until_the_change_counter_moves() -> Result<()> {
    let w = world().await?;
    let alice = w.user("alice", Role::Member).await?;
    let req = NewToken {
        label: "t".into(),
        scopes: Scopes::parse(&["read"])?,
        expires_at: Some(w.clock.now() + Duration::hours(1)),
        ..Default::default()
    };
    let (t, v) = w.auth.create_token(&alice, &Collection::Pats, req).await?;
    w.auth.check_changes().await?;
    w.auth.authenticate(v.expose(), None).await?;
    assert!(!w.auth.verify_cache().is_empty(), "the verified value is kept");

    // Revoked behind the authority's back: the kept answer stands until the counter is read.
    w.auth.store().revoke_token(&t.id, w.clock.now()).await?;
    assert!(w.auth.authenticate(v.expose(), None).await.is_ok(), "served from the cache");
    w.auth.check_changes().await?;
    assert!(matches!(w.auth.authenticate(v.expose(), None).await, Err(Error::TokenRevoked)));

    // Uses are not changes: reading the counter after one keeps the cache.
    let (_, v2) = w
        .auth
        .create_token(
            &alice,
            &Collection::Pats,
            NewToken {
                label: "u".into(),
                scopes: Scopes::parse(&["read"])?,
                expires_at: Some(w.clock.now() + Duration::hours(1)),
                ..Default::default()
            },
        )
        .await?;
    w.auth.authenticate(v2.expose(), Some("10.0.0.1".into())).await?;
    w.auth.flush_usage().await?;
    w.auth.check_changes().await?;
    assert!(!w.auth.verify_cache().is_empty(), "recording a use does not empty the cache");

    // Expiry is the clock's, cached or not.
    w.clock.advance(Duration::hours(2));
    assert!(matches!(w.auth.authenticate(v2.expose(), None).await, Err(Error::TokenExpired)));

    // A session's end is its record's or its JWT's, whichever comes first, on every use.
    let (_, s) = w.auth.issue_session("alice").await?;
    w.auth.authenticate(s.token.expose(), None).await?;
    w.clock.advance(Duration::hours(2));
    assert!(w.auth.authenticate(s.token.expose(), None).await.is_err(), "an expired session is refused from the cache");
    Ok(())
}

/// Staying signed in: a device renews its one-hour session again and again, each time with the
/// credential the last renewal gave it, long after the first session's JWT expired.
#[tokio::test]
async fn a_device_stays_signed_in_across_many_session_lifetimes() -> Result<()> {
    let w = world().await?;
    let (ada, first, mut device) = w.auth.sign_in_locally("ada", "Tessera desktop on test").await?;
    assert_eq!(device.device.name, "Tessera desktop on test");
    assert!(device.device.current);
    let mut session = first;
    for hour in 1..=30 {
        // Renew a little before the session ends, as the app does.
        w.clock.advance(Duration::minutes(55));
        let renewed = w.auth.renew_session(device.refresh.expose(), Some("192.0.2.7")).await?;
        assert_eq!(renewed.user.id, ada.id, "hour {hour}");
        assert_ne!(renewed.device.refresh.expose(), device.refresh.expose(), "a new value every time");
        assert_eq!(renewed.device.device.id, device.device.id, "the same device");
        w.clock.advance(Duration::minutes(6));
        assert!(w.auth.authenticate(session.token.expose(), None).await.is_err(), "hour {hour}: the old JWT expired");
        let caller = w.auth.authenticate(renewed.session.token.expose(), None).await?;
        assert_eq!(caller.actor(), format!("user:{}", ada.id));
        session = renewed.session;
        device = renewed.device;
    }
    let listed = w.auth.devices(&w.auth.authenticate(session.token.expose(), None).await?).await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_seen_ip.as_deref(), Some("192.0.2.7"));
    assert!(listed[0].current);
    Ok(())
}

/// RFC 6819 5.2.2.3: a refresh credential works once; when a spent one comes back, someone holds
/// a copy, and the device and every session it holds are revoked, the rightful holder's too.
#[tokio::test]
async fn a_spent_refresh_credential_revokes_the_whole_device() -> Result<()> {
    let w = world().await?;
    let (_, _, device) = w.auth.sign_in_locally("ada", "laptop").await?;
    let (_, _, other) = w.auth.sign_in_locally("ada", "desktop").await?;
    let stolen = device.refresh.expose().to_owned();
    let renewed = w.auth.renew_session(&stolen, None).await?;
    let live = w.auth.authenticate(renewed.session.token.expose(), None).await?;

    let e = w.auth.renew_session(&stolen, Some("203.0.113.9")).await.unwrap_err();
    assert_eq!(e.code(), crate::error::ErrorCode::Unauthenticated);
    assert!(w.auth.authenticate(renewed.session.token.expose(), None).await.is_err(), "its sessions are revoked");
    let e = w.auth.renew_session(renewed.device.refresh.expose(), None).await.unwrap_err();
    assert_eq!(e.code(), crate::error::ErrorCode::Unauthenticated, "and its current credential too");
    let filter = crate::audit::AuditFilter { action: Some("device.reuse".into()), ..Default::default() };
    let reuse = w.auth.store().audit_page(&filter, 10).await?;
    assert_eq!(reuse.len(), 1);
    assert_eq!(reuse[0].target, device.device.id);

    // The person's other device is untouched.
    let still = w.auth.renew_session(other.refresh.expose(), None).await?;
    assert!(w.auth.devices(&w.auth.authenticate(still.session.token.expose(), None).await?).await?.len() == 1);
    drop(live);
    Ok(())
}

#[tokio::test]
async fn signing_out_idleness_and_a_disabled_account_end_a_device() -> Result<()> {
    let w = world().await?;
    let (ada, s, device) = w.auth.sign_in_locally("ada", "laptop").await?;
    let ada_session = w.auth.authenticate(s.token.expose(), None).await?;
    w.auth.end_session(&ada_session).await?;
    assert!(w.auth.renew_session(device.refresh.expose(), None).await.is_err(), "signed out");

    let (_, _, idle) = w.auth.sign_in_locally("ada", "old laptop").await?;
    w.clock.advance(crate::device::IDLE_LIFETIME + Duration::seconds(1));
    assert!(w.auth.renew_session(idle.refresh.expose(), None).await.is_err(), "idle too long");

    let (_, _, d) = w.auth.sign_in_locally("ada", "laptop").await?;
    let admin = w.user("root", Role::Admin).await?;
    let patch = UserPatch { disabled: crate::patch::Patch::Set(true), ..Default::default() };
    w.auth.update_user(AdminActor::Caller(&admin), &ada.id, &patch).await?;
    let e = w.auth.renew_session(d.refresh.expose(), None).await.unwrap_err();
    assert_eq!(e.code(), crate::error::ErrorCode::Forbidden);

    for junk in ["", "tsr_rfr_", "tsr_pat_000000000000000000000000000000000000", &"x".repeat(5000)] {
        assert_eq!(
            w.auth.renew_session(junk, None).await.unwrap_err().code(),
            crate::error::ErrorCode::Unauthenticated
        );
    }
    Ok(())
}

#[tokio::test]
async fn devices_are_listed_and_revoked_by_their_owner_with_a_login_session_only() -> Result<()> {
    let w = world().await?;
    let (_, s1, laptop) = w.auth.sign_in_locally("ada", "laptop").await?;
    let (_, s2, phone) = w.auth.sign_in_locally("ada", "phone").await?;
    let on_laptop = w.auth.authenticate(s1.token.expose(), None).await?;
    let listed = w.auth.devices(&on_laptop).await?;
    assert_eq!(listed.iter().map(|d| (d.name.as_str(), d.current)).collect::<Vec<_>>().len(), 2);
    assert!(listed.iter().any(|d| d.id == laptop.device.id && d.current));
    assert!(listed.iter().any(|d| d.id == phone.device.id && !d.current));

    let bob = w.user("bob", Role::Member).await?;
    assert_eq!(
        w.auth.revoke_device(&bob, &phone.device.id).await.unwrap_err().code(),
        crate::error::ErrorCode::NotFound
    );
    let pat = w.pat(&on_laptop, &["read", "token:admin"]).await?;
    assert!(is_forbidden(w.auth.devices(&pat).await));
    assert!(is_forbidden(w.auth.revoke_device(&pat, &phone.device.id).await));
    assert!(is_forbidden(w.auth.extra_session(&pat).await));

    w.auth.revoke_device(&on_laptop, &phone.device.id).await?;
    assert!(w.auth.authenticate(s2.token.expose(), None).await.is_err(), "the phone's session ends at once");
    assert!(w.auth.renew_session(phone.refresh.expose(), None).await.is_err());
    assert_eq!(w.auth.devices(&on_laptop).await?.len(), 1);

    // A session for calling the API by hand belongs to no device and outlives signing out.
    let extra = w.auth.extra_session(&on_laptop).await?;
    w.auth.end_session(&on_laptop).await?;
    assert!(w.auth.authenticate(extra.token.expose(), None).await.is_ok());
    Ok(())
}

/// A renewal racing its device's revocation (a spent value presented at the same moment) may
/// record its new session after the revocation: that session must not work either.
#[tokio::test]
async fn a_session_recorded_after_its_device_was_revoked_does_not_work() -> Result<()> {
    let w = world().await?;
    let (ada, _, device) = w.auth.sign_in_locally("ada", "laptop").await?;
    w.auth.store().revoke_device(&device.device.id, w.clock.now()).await?;
    let late = w.auth.issue_session_for(&ada, None, Some(&device.device.id), w.clock.now()).await?;
    let e = w.auth.authenticate(late.token.expose(), None).await.unwrap_err();
    assert_eq!(e.code(), crate::error::ErrorCode::Unauthenticated);
    Ok(())
}
