//! Changing a console connection after it was added: edit (name, preset,
//! metadata), refresh now from its URL, delete. Each is an admin action in
//! the audit log, in the same transaction as the change.
//!
//! Organization admins only; every read and write through the admin's
//! [`crate::store::OrgScope`], so another organization's connection is 404
//! like one that never existed.
//!
//! What an edit of the metadata does to an enabled connection (what an
//! admin expects): new signing certificates or endpoints of the same IdP
//! (a key rollover, a moved endpoint) are taken at once and the connection
//! stays enabled: sign-ins that fail because the IdP rotated its key are
//! the usual reason to edit, and taking the connection out of service
//! until a test would turn the fix into an outage. Metadata of another IdP
//! (another entity ID) is another connection that nobody has tested: it
//! takes test sign-ins only again until a test succeeds and it is enabled.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use samlsp_actix::csrf_token;

use super::connections::{connection_change, metadata, org_admin, render_one, taken_elsewhere};
use super::{AdminUser, AppError, CsrfOnly, CurrentUser, layout, not_found, path_id, see_other};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::connections::pages::{self as p, AddForm, EditForm};
use crate::connections::refresh::{self, KeyDiff};
use crate::connections::{ConnectionError, Understood, check_name, presets, registry};
use crate::pages::{self, Nav};
use crate::store::{Changed, ConnectionChange, ConnectionRow};

/// The admin's organization slug and connection `id` of it.
async fn own(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
) -> Result<Option<(String, ConnectionRow)>, AppError> {
    Ok(state
        .store
        .scoped(&u.scope, move |s| {
            let org = s.org()?.slug;
            Ok(s.connection(id)?.map(|row| (org, row)))
        })
        .await?)
}

async fn render_edit(
    state: &AppState,
    u: &CurrentUser,
    row: &ConnectionRow,
    form: &EditForm,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let presets = presets::all();
    let page = p::Edit {
        layout: layout(state, "Edit SSO connection", Nav::Admin, u, &csrf),
        row,
        form,
        presets: &presets,
        error,
        csrf: &csrf,
    };
    Ok(pages::respond(status, &page))
}

pub(super) async fn edit_form(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let Some((_, row)) = own(&state, &u, id).await? else {
        return Ok(not_found());
    };
    let form = EditForm {
        csrf_token: None,
        name: row.name.clone(),
        preset: row.preset.clone(),
        metadata_url: row.metadata_url.clone().unwrap_or_default(),
        metadata_xml: String::new(),
    };
    render_edit(&state, &u, &row, &form, StatusCode::OK, None).await
}

/// The change an edit asks for, checked: `(change, key diff)`.
async fn accept_edit(
    state: &AppState,
    org: &str,
    row: &ConnectionRow,
    form: &EditForm,
) -> Result<(ConnectionChange, KeyDiff), ConnectionError> {
    let name = check_name(&form.name)?;
    let preset = presets::by_key(&form.preset).ok_or(ConnectionError::UnknownPreset)?;
    let url = form.metadata_url.trim();
    let xml = form.metadata_xml.trim();
    let keep = xml.is_empty() && !url.is_empty() && row.metadata_url.as_deref() == Some(url)
        || xml.is_empty() && url.is_empty() && row.metadata_url.is_none();
    let (metadata_url, metadata_xml) = if keep {
        (row.metadata_url.clone(), row.metadata_xml.clone())
    } else {
        let source = AddForm {
            metadata_url: url.to_owned(),
            metadata_xml: xml.to_owned(),
            ..AddForm::default()
        };
        let (url, bytes) = metadata(state, &source).await?;
        let xml = String::from_utf8(bytes)
            .map_err(|_| ConnectionError::Metadata("not UTF-8 text".into()))?;
        (url, xml)
    };
    let now = state.now();
    let new = Understood::read(metadata_xml.as_bytes(), now)?;
    if taken_elsewhere(state, &new.entity_id, org) {
        return Err(ConnectionError::Taken(new.entity_id));
    }
    let diff = match Understood::read(row.metadata_xml.as_bytes(), now) {
        Ok(old) => KeyDiff::between(&old, &new),
        Err(_) => KeyDiff::default(),
    };
    Ok((
        ConnectionChange {
            name,
            preset: preset.key.to_owned(),
            metadata_url,
            back_to_test_only: new.entity_id != row.entity_id,
            entity_id: new.entity_id,
            metadata_xml,
        },
        diff,
    ))
}

/// The form body: URL-encoded, up to actix's payload limit, as for adding.
pub(super) async fn edit(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let Ok(form) = serde_urlencoded::from_bytes::<EditForm>(&body) else {
        return Ok(HttpResponse::BadRequest().finish());
    };
    let (u, id) = match connection_change(admin, &id, form.csrf_token.as_deref())? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let Some((org, row)) = own(&state, &u, id).await? else {
        return Ok(not_found());
    };
    let (change, diff) = match accept_edit(&state, &org, &row, &form).await {
        Ok(c) => c,
        Err(e) => {
            return Ok(render_edit(
                &state,
                &u,
                &row,
                &form,
                StatusCode::BAD_REQUEST,
                Some(e.to_string()),
            )
            .await?);
        }
    };
    let now = state.now();
    let by = u.user.id;
    let duplicate = ConnectionError::Duplicate(change.entity_id.clone()).to_string();
    let saved = state
        .store
        .scoped(&u.scope, move |s| {
            let done = s.change_connection(id, &change)?;
            if done == Changed::Yes {
                audit::record(
                    s,
                    &Event::new(now, Category::Connection, "connection_changed", Outcome::Ok)
                        .actor(format!("user:{by}"))
                        .connection(registry::slug(id))
                        .detail("connection_id", id.to_string())
                        .detail("name", &change.name)
                        .detail("preset", &change.preset)
                        .detail("entity_id", &change.entity_id)
                        .detail("certificates_added", diff.added.join(" "))
                        .detail("certificates_removed", diff.removed.join(" "))
                        .detail(
                            "back_to_test_only",
                            if change.back_to_test_only {
                                "yes"
                            } else {
                                "no"
                            },
                        ),
                )?;
            }
            Ok((done, s.connection(id)?))
        })
        .await
        .map_err(AppError::from)?;
    match saved {
        (Changed::Yes, Some(row)) => {
            state.load_connection(&org, &row);
            tracing::info!(connection_id = id, by, "connection changed");
            Ok(see_other(&registry::page(id)))
        }
        (Changed::Duplicate, Some(row)) => Ok(render_edit(
            &state,
            &u,
            &row,
            &form,
            StatusCode::BAD_REQUEST,
            Some(duplicate),
        )
        .await?),
        _ => Ok(not_found()),
    }
}

/// "Refresh now": fetches the metadata from the connection's URL, shows
/// what changed (keys added and removed) or why it was not taken.
pub(super) async fn refresh_now(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    let (u, id) = match connection_change(admin, &id, form.csrf_token.as_deref())? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let Some((org, row)) = own(&state, &u, id).await? else {
        return Ok(not_found());
    };
    let actor = format!("user:{}", u.user.id);
    let outcome = refresh::refresh(&state, &u.scope, &org, &row, &actor)
        .await
        .map_err(AppError::from)?;
    Ok(render_one(&state, &u, id, StatusCode::OK, None, Some(outcome)).await?)
}

pub(super) async fn delete_form(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let Some((_, row)) = own(&state, &u, id).await? else {
        return Ok(not_found());
    };
    let csrf = csrf_token(&u.session)?;
    let page = p::Delete {
        layout: layout(&state, "Delete SSO connection", Nav::Admin, &u, &csrf),
        row: &row,
        csrf: &csrf,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

/// Deletes the connection: gone from the SAML layer at once (sign-ins
/// through it fail), and the sessions made through it end at their next
/// request (their connection names no organization any more).
pub(super) async fn delete(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    let (u, id) = match connection_change(admin, &id, form.csrf_token.as_deref())? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let now = state.now();
    let by = u.user.id;
    let deleted = state
        .store
        .scoped(&u.scope, move |s| {
            let Some(row) = s.connection(id)? else {
                return Ok(false);
            };
            if !s.delete_connection(id)? {
                return Ok(false);
            }
            audit::record(
                s,
                &Event::new(now, Category::Connection, "connection_deleted", Outcome::Ok)
                    .actor(format!("user:{by}"))
                    .connection(registry::slug(id))
                    .detail("connection_id", id.to_string())
                    .detail("name", &row.name)
                    .detail("entity_id", &row.entity_id),
            )?;
            Ok(true)
        })
        .await
        .map_err(AppError::from)?;
    if !deleted {
        return Ok(not_found());
    }
    state.unload_connection(id);
    tracing::info!(connection_id = id, by, "connection deleted");
    Ok(see_other("/admin/connections"))
}
