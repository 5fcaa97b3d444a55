//! The OpenAPI document at `/api/v1/openapi.json`, generated from the handlers' annotations.
//!
//! The token handlers are described once, under `/api/v1/user/tokens`; the other four token
//! collections share those handlers, so their paths are copies with the collection's own path
//! parameter added and unique operation ids.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{Modify, OpenApi};

use crate::routes::{account, agents, orgs, policy, projects, signin, tokens, users, TOKEN_COLLECTIONS};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera API", description = "Tessera's token authority: tokens, organizations, projects, runs and agents."),
    paths(
        account::health, account::me, account::end_session, account::introspect, account::revoke,
        account::audit, account::users,
        tokens::list, tokens::create, tokens::get, tokens::update, tokens::rotate, tokens::delete,
        orgs::list, orgs::create, orgs::get, orgs::members, orgs::put_member, orgs::remove_member,
        orgs::invitations, orgs::invite, orgs::withdraw_invitation, orgs::my_invitations, orgs::accept_invitation,
        orgs::decline_invitation,
        projects::list, projects::create, projects::get, projects::update, projects::trigger, projects::runs,
        projects::put_pipeline, projects::get_pipeline, projects::get_secret, projects::put_secret,
        projects::delete_secret,
        agents::connect, agents::heartbeat, agents::claim, agents::list,
        signin::providers, signin::add_provider, signin::delete_provider, signin::sign_in, signin::device,
        signin::identities, signin::link, signin::unlink, signin::repositories,
        users::update, users::delete, agents::disconnect, projects::delete,
        policy::get_instance, policy::put_instance, policy::get_user, policy::get_org, policy::put_org,
    ),
    modifiers(&Bearer, &OperationIds, &TokenCollections),
)]
struct Doc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A login session (JWT) or a Tessera token (tsr_pat_…, tsr_org_…, tsr_agt_…, tsr_trg_…)"))
            .build();
        doc.components.get_or_insert_with(Default::default).add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Handlers in different modules share names (`list`, `get`…): operation ids become
/// `<tag>_<handler>` so that they are unique and generated clients can tell them apart.
struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
                op.operation_id = op.operation_id.take().map(|id| format!("{tag}_{id}"));
            }
        }
    }
}

struct TokenCollections;

impl Modify for TokenCollections {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let [template_base, others @ ..] = TOKEN_COLLECTIONS;
        let templates: Vec<(String, PathItem)> = doc
            .paths
            .paths
            .iter()
            .filter(|(p, _)| p.starts_with(template_base))
            .map(|(p, item)| (p[template_base.len()..].to_owned(), item.clone()))
            .collect();
        for base in others {
            let param = base.split('{').nth(1).and_then(|s| s.split('}').next()).unwrap_or_default();
            let suffix = base.trim_start_matches("/api/v1/").replace(['{', '}'], "").replace(['/', '-'], "_");
            for (rest, item) in &templates {
                let mut item = item.clone();
                for op in operations(&mut item) {
                    op.operation_id = op.operation_id.take().map(|id| format!("{id}_{suffix}"));
                    let mut params = vec![path_param(param)];
                    params.extend(op.parameters.take().unwrap_or_default());
                    op.parameters = Some(params);
                }
                doc.paths.paths.insert(format!("{base}{rest}"), item);
            }
        }
    }
}

fn path_param(name: &str) -> Parameter {
    Parameter::builder()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
}

/// The document.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(Doc::openapi)
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    let json = document().to_json().unwrap_or_else(|_| "{}".to_owned());
    ([(header::CONTENT_TYPE, "application/json")], json)
}
