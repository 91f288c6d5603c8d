//! The `/scim/v2` handlers. Each takes a [`ScimCaller`] (a valid token)
//! and reaches users only through its organization's scope; a user of
//! another organization is "not found", as an ID that never existed.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::ScimCaller;
use super::discovery::{LIST_RESPONSE, MAX_PAGE};
use super::error::{ScimError, ScimType};
use super::profile::Profile;
use super::resource::{profile_of, project, render, version};
use super::rules::{OrgRules, fields};
use super::{SCIM_JSON, filter, patch};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::store::{Scoped, StoreError, User};

/// Largest request body read (a User is well under 4 KiB).
pub const MAX_BODY: usize = 64 * 1024;

pub(super) fn base(state: &AppState) -> String {
    format!(
        "{}/scim/v2",
        state
            .config
            .server
            .public_url
            .as_str()
            .trim_end_matches('/')
    )
}

fn rules(state: &AppState) -> OrgRules {
    OrgRules {
        any_domain: state
            .config
            .orgs
            .iter()
            .filter(|o| o.scim_any_email_domain)
            .map(|o| o.slug.clone())
            .collect(),
    }
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    r.insert_header((header::CONTENT_TYPE, SCIM_JSON));
    if let Some(v) = version(body) {
        r.insert_header((header::ETAG, v.to_owned()));
    }
    r.body(body.to_string())
}

/// The body as JSON: at most [`MAX_BODY`] bytes (413 above).
async fn read_json(payload: web::Payload) -> Result<Value, ScimError> {
    let bytes = payload
        .to_bytes_limited(MAX_BODY)
        .await
        .map_err(|_| ScimError::TooLarge(MAX_BODY))?
        .map_err(|e| ScimError::bad(ScimType::InvalidSyntax, format!("body not read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ScimError::bad(
            ScimType::InvalidSyntax,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

fn object(v: &Value) -> Result<&serde_json::Map<String, Value>, ScimError> {
    v.as_object()
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "a User must be a JSON object"))
}

fn user_id(raw: &str) -> Result<i64, ScimError> {
    raw.parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ScimError::no_user(raw))
}

/// `attributes`, `excludedAttributes`, and the list parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

fn params(req: &HttpRequest) -> Result<Params, ScimError> {
    web::Query::<Params>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ScimError::bad(ScimType::InvalidValue, format!("query: {e}")))
}

fn integer(raw: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    raw.map(|v| {
        v.trim().parse::<i64>().map_err(|_| {
            ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer"))
        })
    })
    .transpose()
}

fn one_user(state: &AppState, u: &User, p: &Params) -> Value {
    project(
        render(u, &base(state)),
        p.attributes.as_deref(),
        p.excluded_attributes.as_deref(),
    )
}

/// A filtered page (RFC 7644 §3.4.2): 1-based `startIndex` (below 1 read
/// as 1), `count` capped at [`MAX_PAGE`] (0: the total only), by creation.
async fn page(
    state: &AppState,
    caller: &ScimCaller,
    p: &Params,
) -> Result<HttpResponse, ScimError> {
    let terms = match p.filter.as_deref() {
        Some(f) if !f.trim().is_empty() => filter::parse(f)?,
        _ => Vec::new(),
    };
    let start = integer(p.start_index.as_deref(), "startIndex")?
        .unwrap_or(1)
        .max(1);
    let count = integer(p.count.as_deref(), "count")?
        .unwrap_or(MAX_PAGE)
        .clamp(0, MAX_PAGE);
    let (total, users) = state
        .store
        .scoped(&caller.scope, move |s| {
            s.scim_users(&terms, start - 1, count)
        })
        .await?;
    let resources: Vec<Value> = users.iter().map(|u| one_user(state, u, p)).collect();
    let body = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    Ok(json_response(StatusCode::OK, &body))
}

pub(super) async fn list(
    state: web::Data<AppState>,
    caller: ScimCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    page(&state, &caller, &params(&req)?).await
}

/// `POST /.search` and `POST /Users/.search` (RFC 7644 §3.4.3).
pub(super) async fn search(
    state: web::Data<AppState>,
    caller: ScimCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(payload).await?;
    let o = body.as_object().ok_or_else(|| {
        ScimError::bad(ScimType::InvalidSyntax, "a SearchRequest is a JSON object")
    })?;
    let text = |k: &str| -> Result<Option<String>, ScimError> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Array(a)) => Ok(Some(
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            Some(_) => Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("{k}: wrong type"),
            )),
        }
    };
    let p = Params {
        filter: text("filter")?,
        start_index: text("startIndex")?,
        count: text("count")?,
        attributes: text("attributes")?,
        excluded_attributes: text("excludedAttributes")?,
    };
    page(&state, &caller, &p).await
}

pub(super) async fn get(
    state: web::Data<AppState>,
    caller: ScimCaller,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ScimError> {
    let p = params(&req)?;
    let id = user_id(&id)?;
    let user = state
        .store
        .scoped(&caller.scope, move |s| s.user(id))
        .await?;
    let user = user.ok_or_else(|| ScimError::no_user(&id.to_string()))?;
    Ok(json_response(StatusCode::OK, &one_user(&state, &user, &p)))
}

/// Checks `p` and writes it: a new user (`id` None) or a replacement.
/// Nothing is written unless every check passes.
fn store_profile(
    s: &Scoped<'_>,
    id: Option<i64>,
    p: &Profile,
    rules: &OrgRules,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Result<User, ScimError>, StoreError> {
    let f = match fields(s, p, rules)? {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(attr) = s.scim_conflict(&f, id)? {
        return Ok(Err(ScimError::Uniqueness(attr)));
    }
    let id = match id {
        None => s.insert_scim_user(&f, p.active, now)?,
        Some(id) => {
            if !s.update_scim_user(id, &f, p.active, now)? {
                return Ok(Err(ScimError::no_user(&id.to_string())));
            }
            id
        }
    };
    Ok(s.user(id)?
        .ok_or_else(|| ScimError::no_user(&id.to_string())))
}

pub(super) async fn create(
    state: web::Data<AppState>,
    caller: ScimCaller,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(payload).await?;
    let mut p = Profile {
        active: true,
        ..Profile::default()
    };
    p.set_all(object(&body)?)?;
    let (rules, now) = (rules(&state), state.now());
    let user = state
        .store
        .scoped(&caller.scope, move |s| {
            let out = store_profile(s, None, &p, &rules, now)?;
            if let Ok(u) = &out {
                audit::record(s, &provisioned(now, "scim_user_created", u.id))?;
            }
            Ok(out)
        })
        .await;
    state
        .metrics
        .operation("scim_user_create", matches!(user, Ok(Ok(_))));
    let user = user??;
    tracing::info!(user_id = user.id, "SCIM: user created");
    let body = render(&user, &base(&state));
    let mut res = json_response(StatusCode::CREATED, &body);
    if let Some(loc) = body.pointer("/meta/location").and_then(Value::as_str)
        && let Ok(v) = header::HeaderValue::from_str(loc)
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// What a PUT or PATCH makes of the stored user.
enum Change {
    Replace(Value),
    Patch(Value),
}

async fn change(
    state: web::Data<AppState>,
    caller: ScimCaller,
    raw_id: &str,
    change: Change,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(raw_id)?;
    let (rules, now) = (rules(&state), state.now());
    let user = state
        .store
        .scoped(&caller.scope, move |s| {
            let Some(current) = s.user(id)? else {
                return Ok(Err(ScimError::no_user(&id.to_string())));
            };
            let before = profile_of(&current);
            let next = match &change {
                // RFC 7644 §3.5.1: the body replaces the resource; the
                // location, not sent, stays (Okta maps no such attribute).
                Change::Replace(body) => {
                    let mut p = Profile {
                        active: before.active,
                        location: before.location.clone(),
                        ..Profile::default()
                    };
                    object(body).and_then(|o| p.set_all(o)).map(|()| p)
                }
                Change::Patch(body) => patch::apply(&before, body),
            };
            let out = match next {
                Ok(p) => store_profile(s, Some(id), &p, &rules, now)?,
                Err(e) => Err(e),
            };
            if let Ok(u) = &out {
                let action = match (before.active, u.active) {
                    (true, false) => "scim_user_deactivated",
                    (false, true) => "scim_user_reactivated",
                    _ => "scim_user_updated",
                };
                audit::record(s, &provisioned(now, action, u.id))?;
            }
            Ok(out)
        })
        .await;
    state
        .metrics
        .operation("scim_user_update", matches!(user, Ok(Ok(_))));
    let user = user??;
    tracing::info!(
        user_id = user.id,
        active = user.active,
        "SCIM: user updated"
    );
    Ok(json_response(StatusCode::OK, &render(&user, &base(&state))))
}

pub(super) async fn replace(
    state: web::Data<AppState>,
    caller: ScimCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(payload).await?;
    change(state, caller, &id, Change::Replace(body)).await
}

pub(super) async fn modify(
    state: web::Data<AppState>,
    caller: ScimCaller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    let body = read_json(payload).await?;
    change(state, caller, &id, Change::Patch(body)).await
}

pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: ScimCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    let id = user_id(&id)?;
    let now = state.now();
    let done = state
        .store
        .scoped(&caller.scope, move |s| {
            let done = s.delete_scim_user(id, now)?;
            if done {
                audit::record(s, &provisioned(now, "scim_user_deleted", id))?;
            }
            Ok(done)
        })
        .await;
    state
        .metrics
        .operation("scim_user_delete", matches!(done, Ok(true)));
    let done = done?;
    if !done {
        return Err(ScimError::no_user(&id.to_string()));
    }
    tracing::info!(user_id = id, "SCIM: user deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// A provisioning change by the organization's SCIM client, for the audit
/// log.
fn provisioned(now: chrono::DateTime<chrono::Utc>, action: &'static str, user_id: i64) -> Event {
    Event::new(now, Category::Provisioning, action, Outcome::Ok)
        .actor("scim")
        .detail("user_id", user_id.to_string())
}
