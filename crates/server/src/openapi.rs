//! The OpenAPI document at `/api/v1/openapi.json`, made from the router itself
//! ([`crate::routes::api`]): every route the server answers is in it, from the same
//! `#[utoipa::path]` annotations that sit on the handlers.
//!
//! What the handlers share is added here once, from what their extractors enforce: every path
//! parameter is an id or a name (the `Id` extractors answer 404 for anything else), every
//! operation with a credential can be refused (401, 403) or throttled (429), and every body can be
//! malformed (400) or too large (413).

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::Ref;
use utoipa::openapi::{ContentBuilder, InfoBuilder, ObjectBuilder, RefOr, Response, ResponseBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ErrorBody;
use crate::AppState;

/// The pattern every id and name in a path matches (see `tessera_core::id::plausible`).
pub const ID_PATTERN: &str = tessera_core::authority::NAME_PATTERN;

/// The schema of an id or a name in a path.
fn id_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(100)).pattern(Some(ID_PATTERN))
}

/// The operations of a path.
pub fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
}

/// Names a module's operations `<prefix>_<handler>`: handlers in different modules share names
/// (`list`, `get`…), and generated clients need ids that are unique.
pub fn name_operations(mut r: OpenApiRouter<AppState>, prefix: &str) -> OpenApiRouter<AppState> {
    for item in r.get_openapi_mut().paths.paths.values_mut() {
        for op in operations(item) {
            op.operation_id = op.operation_id.take().map(|id| format!("{prefix}_{id}"));
        }
    }
    r
}

/// The document for `api`, with what every handler shares added.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info = InfoBuilder::new()
        .title("Tessera API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some("Tessera's token authority: tokens, organizations, projects, runs and agents."))
        .build();
    let scheme = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .description(Some("A login session (JWT) or a Tessera token (tsr_pat_…, tsr_org_…, tsr_agt_…, tsr_trg_…)"))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    // The error body, and the schemas query parameters refer to (routes! collects only those
    // of bodies and answers).
    let mut schemas = vec![
        ("ErrorBody".to_owned(), ErrorBody::schema()),
        ("Outcome".to_owned(), tessera_core::audit::Outcome::schema()),
    ];
    ErrorBody::schemas(&mut schemas);
    components.schemas.extend(schemas);
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            let mut codes: Vec<(&str, &str)> = Vec::new();
            let mut has_path_params = false;
            for p in op.parameters.iter_mut().flatten() {
                if p.parameter_in == ParameterIn::Path {
                    p.schema = Some(RefOr::T(Schema::Object(id_schema().build())));
                    has_path_params = true;
                }
            }
            if has_path_params {
                codes.push(("404", "No such object, or the caller may not know it exists."));
            }
            if op.security.is_some() {
                codes.push(("401", "No usable credential."));
                codes.push(("403", "The credential may not do this."));
                codes.push(("429", "Too many failed attempts from this address; see Retry-After."));
            }
            if op.request_body.is_some() || op.parameters.iter().flatten().any(|p| p.parameter_in == ParameterIn::Query)
            {
                codes.push(("400", "The request is malformed or breaks a rule."));
            }
            if op.request_body.is_some() {
                codes.push(("413", "The body is too large."));
            }
            for (code, description) in codes {
                op.responses.responses.entry(code.to_owned()).or_insert_with(|| error_response(description));
            }
        }
    }
    doc
}

fn error_response(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}

/// The document.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| finish(crate::routes::api().into_openapi()))
}

/// The path of the operation `operation_id` with `params` filled in (each percent-encoded as a
/// path segment), so that clients in this workspace (the command line) name endpoints the way the
/// router does instead of keeping their own copies of the paths.
///
/// # Errors
/// When no operation has that id, or a parameter of its path is not given.
pub fn path(operation_id: &str, params: &[(&str, &str)]) -> Result<String, String> {
    let template = document()
        .paths
        .paths
        .iter()
        .find(|(_, item)| {
            [&item.get, &item.post, &item.put, &item.patch, &item.delete]
                .into_iter()
                .flatten()
                .any(|op| op.operation_id.as_deref() == Some(operation_id))
        })
        .map(|(path, _)| path.clone())
        .ok_or_else(|| format!("the API has no operation {operation_id:?}"))?;
    let mut out = String::with_capacity(template.len());
    for segment in template.split('/').skip(1) {
        out.push('/');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let (_, value) = params
                    .iter()
                    .find(|(n, _)| *n == name)
                    .ok_or_else(|| format!("{operation_id} needs the path parameter {name}"))?;
                out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()).map(|s| s.replace('+', "%20")));
            }
            None => out.push_str(segment),
        }
    }
    Ok(out)
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> impl IntoResponse {
    let json = document().to_json().unwrap_or_else(|_| "{}".to_owned());
    ([(header::CONTENT_TYPE, "application/json")], json)
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_found_by_operation_and_filled_in() {
        assert_eq!(super::path("account_me", &[]).unwrap(), "/api/v1/me");
        assert_eq!(
            super::path("tokens_rotate_org_tokens", &[("org", "org_1"), ("id", "tok 2/x")]).unwrap(),
            "/api/v1/orgs/org_1/tokens/tok%202%2Fx/rotate"
        );
        assert!(super::path("tokens_rotate_org_tokens", &[("id", "t")]).unwrap_err().contains("org"));
        assert!(super::path("no_such_operation", &[]).is_err());
    }

    /// The UI's generated client is made from a committed copy of the document
    /// (`ui/src/lib/api/openapi.json`); this fails when the copy is stale, and rewrites it when
    /// run with `TESSERA_UPDATE_OPENAPI=1` (`make api-client` does, then regenerates the types).
    #[test]
    fn the_committed_document_is_this_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/api/openapi.json");
        let json = super::document().to_pretty_json().expect("the document serializes") + "\n";
        if std::env::var_os("TESSERA_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &json).expect("write the document");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == json,
            "ui/src/lib/api/openapi.json is not the server's document; run `make api-client` and commit the result"
        );
    }
}
