//! The discovery endpoints (RFC 7644 §4): what this server supports
//! (`/ServiceProviderConfig`), its one resource type (`/ResourceTypes`)
//! and the attributes it keeps (`/Schemas`, RFC 7643 §7): only those, so
//! schema-driven clients send nothing that would be dropped. The
//! location's `canonicalValues` are the calling organization's locations.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::auth::ScimCaller;
use super::error::ScimError;
use super::profile::{CORE, VISITOR};
use super::routes::{base, json_response};
use crate::app::AppState;

/// Most resources in one page (advertised as `filter.maxResults`).
pub const MAX_PAGE: i64 = 200;
/// RFC 7644 §3.4.2 ListResponse.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
pub fn config_document(base: &str) -> Value {
    json!({
        "schemas": [SPC],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A per-organization token made with `visitor scim-token <org>` \
                            (Authorization: Bearer <token>)",
            "primary": true
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")}
    })
}

/// The `User` resource type (RFC 7643 §6).
pub fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the organization: a host who may sign in",
        "schema": CORE,
        "schemaExtensions": [{"schema": VISITOR, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")}
    })
}

/// A string attribute definition (RFC 7643 §7).
fn attr(
    name: &str,
    description: &str,
    required: bool,
    uniqueness: &str,
    case_exact: bool,
) -> Value {
    json!({
        "name": name, "type": "string", "multiValued": false, "description": description,
        "required": required, "caseExact": case_exact, "mutability": "readWrite",
        "returned": "default", "uniqueness": uniqueness
    })
}

/// The core User schema, as far as this server keeps it.
pub fn core_schema(base: &str) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": CORE,
        "name": "User",
        "description": "User account (the attributes this server keeps)",
        "attributes": [
            attr("userName", "Unique identifier for the user, typically the sign-in email \
                 address (in one of the organization's verified domains)", true, "server", false),
            attr("externalId", "The provisioning client's identifier of the user", false, "server", true),
            {
                "name": "name", "type": "complex", "multiValued": false,
                "description": "The components of the user's name", "required": false,
                "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                "subAttributes": [
                    attr("givenName", "Given name", false, "none", false),
                    attr("familyName", "Family name", false, "none", false),
                ]
            },
            attr("displayName", "Name shown in the host directory", false, "none", false),
            {
                "name": "emails", "type": "complex", "multiValued": true,
                "description": "Email address (one is kept)", "required": false,
                "mutability": "readWrite", "returned": "default", "uniqueness": "none",
                "subAttributes": [
                    attr("value", "Email address (in one of the organization's verified domains)", false, "none", false),
                    {
                        "name": "type", "type": "string", "multiValued": false,
                        "description": "Label of the address", "required": false,
                        "caseExact": false, "canonicalValues": ["work", "home", "other"],
                        "mutability": "readWrite", "returned": "default", "uniqueness": "none"
                    }
                ]
            },
            {
                "name": "active", "type": "boolean", "multiValued": false,
                "description": "False: the user cannot sign in and their sessions have ended",
                "required": true, "mutability": "readWrite", "returned": "default",
                "uniqueness": "none"
            }
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{CORE}")}
    })
}

/// This server's extension: the default location, one of `locations`.
pub fn visitor_schema(base: &str, locations: &[String]) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": VISITOR,
        "name": "VisitorUser",
        "description": "Visitor-management attributes of a user",
        "attributes": [{
            "name": "location", "type": "string", "multiValued": false,
            "description": "Default location: the name of one of the organization's locations",
            "required": false, "caseExact": false, "canonicalValues": locations,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none"
        }],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{VISITOR}")}
    })
}

/// A ListResponse of every item (discovery lists are not paged).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items
    })
}

pub(super) async fn service_provider_config(
    state: web::Data<AppState>,
    _caller: ScimCaller,
) -> HttpResponse {
    json_response(StatusCode::OK, &config_document(&base(&state)))
}

pub(super) async fn resource_types(
    state: web::Data<AppState>,
    _caller: ScimCaller,
) -> HttpResponse {
    let list = list(vec![user_resource_type(&base(&state))]);
    json_response(StatusCode::OK, &list)
}

pub(super) async fn resource_type(
    state: web::Data<AppState>,
    _caller: ScimCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    if id.as_str() != "User" {
        return Err(ScimError::NotFound(format!(
            "no resource type {:?}",
            id.as_str()
        )));
    }
    Ok(json_response(
        StatusCode::OK,
        &user_resource_type(&base(&state)),
    ))
}

async fn schema_list(state: &AppState, caller: &ScimCaller) -> Result<Vec<Value>, ScimError> {
    let locations = state
        .store
        .scoped(&caller.scope, |s| s.locations())
        .await?
        .into_iter()
        .map(|l| l.name)
        .collect::<Vec<_>>();
    let b = base(state);
    Ok(vec![core_schema(&b), visitor_schema(&b, &locations)])
}

pub(super) async fn schemas(
    state: web::Data<AppState>,
    caller: ScimCaller,
) -> Result<HttpResponse, ScimError> {
    let list = list(schema_list(&state, &caller).await?);
    Ok(json_response(StatusCode::OK, &list))
}

pub(super) async fn schema(
    state: web::Data<AppState>,
    caller: ScimCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    if id.as_str() != CORE && id.as_str() != VISITOR {
        return Err(ScimError::NotFound(format!("no schema {:?}", id.as_str())));
    }
    let found = schema_list(&state, &caller)
        .await?
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id.as_str()));
    let found = found.ok_or_else(|| ScimError::NotFound(format!("no schema {:?}", id.as_str())))?;
    Ok(json_response(StatusCode::OK, &found))
}

/// Writes on the read-only discovery endpoints.
pub(super) async fn read_only(
    _caller: ScimCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    Err(ScimError::MethodNotAllowed(req.method().to_string()))
}

/// Anything else under `/scim/v2`.
pub(super) async fn unknown(
    _caller: ScimCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    Err(ScimError::NotFound(format!(
        "no SCIM endpoint {:?}",
        req.path()
    )))
}
