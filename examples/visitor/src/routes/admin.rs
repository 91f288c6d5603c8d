//! Administration of the signed-in admin's organization: its settings,
//! locations, and users (deactivate and reactivate, role per location,
//! default location).
//!
//! Who may do what (the seed's rule: the admin group makes admins at the
//! default location): an admin at any location sees these pages; an admin
//! at the organization's default location (an org admin) adds locations,
//! deactivates and reactivates users, sets default locations, and grants
//! roles at every location; an admin at another location grants roles
//! there only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use samlsp_actix::{csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AdminUser, AppError, forbidden, layout, not_found, path_id, see_other};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::pages::{self, Nav};

/// Longest location name: a site's name, not a document.
const MAX_LOCATION_CHARS: usize = 100;

pub(super) async fn settings(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let org = state.store.scoped(&u.scope, |s| s.org()).await?;
    let connections: Vec<String> = state
        .config
        .idps
        .iter()
        .filter(|i| i.org == org.slug)
        .map(|i| i.name.clone())
        .collect();
    let page = pages::AdminSettings {
        layout: layout(&state, "Organization", Nav::Admin, &u, &csrf),
        org: &org,
        connections: &connections,
        org_admin: u.org_admin,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

pub(super) async fn locations(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    render_locations(&state, &u, StatusCode::OK, None).await
}

async fn render_locations(
    state: &AppState,
    u: &super::CurrentUser,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let locations = state.store.scoped(&u.scope, |s| s.locations()).await?;
    let page = pages::AdminLocations {
        layout: layout(state, "Locations", Nav::Admin, u, &csrf),
        csrf: &csrf,
        locations: &locations,
        admin_at: &u.admin_at,
        org_admin: u.org_admin,
        error,
    };
    Ok(pages::respond(status, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct LocationPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
}

pub(super) async fn add_location(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    form: web::Form<LocationPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    if !u.org_admin {
        return Ok(forbidden());
    }
    let name = form.name.trim().to_owned();
    let len = name.chars().count();
    if len == 0 || len > MAX_LOCATION_CHARS || name.chars().any(char::is_control) {
        let msg = "Enter the location's name (up to 100 characters).";
        return Ok(render_locations(&state, &u, StatusCode::BAD_REQUEST, Some(msg)).await?);
    }
    let now = state.now();
    let by = u.user.id;
    let added = state
        .store
        .scoped(&u.scope, move |s| {
            let id = s.add_location(&name, now)?;
            if let Some(id) = id {
                audit::record(
                    s,
                    &admin_event(now, by, "location_added")
                        .detail("location_id", id.to_string())
                        .detail("name", &name),
                )?;
            }
            Ok(id)
        })
        .await
        .map_err(AppError::from)?;
    match added {
        Some(id) => {
            tracing::info!(location_id = id, by = u.user.id, "location added");
            Ok(see_other("/admin/locations"))
        }
        None => {
            let msg = "Your organization has a location of that name.";
            Ok(render_locations(&state, &u, StatusCode::BAD_REQUEST, Some(msg)).await?)
        }
    }
}

pub(super) async fn users(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let users = state.store.scoped(&u.scope, |s| s.users()).await?;
    let page = pages::AdminUsers {
        layout: layout(&state, "Users", Nav::Admin, &u, &csrf),
        users: &users,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

pub(super) async fn user(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let found = state
        .store
        .scoped(&u.scope, move |s| {
            Ok(match s.user(id)? {
                Some(user) => Some((user, s.user_locations(id)?, s.locations()?)),
                None => None,
            })
        })
        .await?;
    let Some((user, roles, locations)) = found else {
        return Ok(not_found());
    };
    let csrf = csrf_token(&u.session)?;
    let page = pages::AdminUser {
        layout: layout(&state, "User", Nav::Admin, &u, &csrf),
        csrf: &csrf,
        user: &user,
        roles: &roles,
        locations: &locations,
        org_admin: u.org_admin,
        admin_at: &u.admin_at,
        is_self: user.id == u.user.id,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct ActivePost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    active: String,
}

pub(super) async fn set_active(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
    form: web::Form<ActivePost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let active = match form.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Ok(bad_request("active must be 0 or 1")),
    };
    if !u.org_admin {
        return Ok(exists_or_404(&state, &u, id)
            .await?
            .unwrap_or_else(forbidden));
    }
    if id == u.user.id && !active {
        return Ok(bad_request("You cannot deactivate yourself."));
    }
    let now = state.now();
    let by = u.user.id;
    let done = state
        .store
        .scoped(&u.scope, move |s| {
            let done = s.set_active(id, active, now)?;
            if done {
                let action = if active {
                    "user_reactivated"
                } else {
                    "user_deactivated"
                };
                audit::record(
                    s,
                    &admin_event(now, by, action).detail("user_id", id.to_string()),
                )?;
            }
            Ok(done)
        })
        .await
        .map_err(AppError::from)?;
    if !done {
        return Ok(not_found());
    }
    tracing::info!(user_id = id, active, by = u.user.id, "user (de)activated");
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Debug, Deserialize)]
pub(super) struct LocationRef {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    role: String,
}

pub(super) async fn set_default_location(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
    form: web::Form<LocationRef>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let (Some(id), Some(location)) = (path_id(&id), path_id(&form.location_id)) else {
        return Ok(not_found());
    };
    if !u.org_admin {
        return Ok(exists_or_404(&state, &u, id)
            .await?
            .unwrap_or_else(forbidden));
    }
    let (by, now) = (u.user.id, state.now());
    let done = state
        .store
        .scoped(&u.scope, move |s| {
            let done = s.set_default_location(id, location)?;
            if done {
                audit::record(
                    s,
                    &admin_event(now, by, "default_location_set")
                        .detail("user_id", id.to_string())
                        .detail("location_id", location.to_string()),
                )?;
            }
            Ok(done)
        })
        .await
        .map_err(AppError::from)?;
    if !done {
        return Ok(not_found());
    }
    tracing::info!(
        user_id = id,
        location_id = location,
        by = u.user.id,
        "default location set"
    );
    Ok(see_other(&format!("/admin/users/{id}")))
}

pub(super) async fn set_role(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
    form: web::Form<LocationRef>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let (Some(id), Some(location)) = (path_id(&id), path_id(&form.location_id)) else {
        return Ok(not_found());
    };
    let role = match form.role.as_str() {
        "host" => "host",
        "admin" => "admin",
        _ => return Ok(bad_request("role must be host or admin")),
    };
    if !u.administers(Some(location)) {
        return Ok(exists_or_404(&state, &u, id)
            .await?
            .unwrap_or_else(forbidden));
    }
    let (by, now) = (u.user.id, state.now());
    let done = state
        .store
        .scoped(&u.scope, move |s| {
            let done = s.set_location_role(id, location, role)?;
            if done {
                audit::record(
                    s,
                    &admin_event(now, by, "role_set")
                        .detail("user_id", id.to_string())
                        .detail("location_id", location.to_string())
                        .detail("role", role),
                )?;
            }
            Ok(done)
        })
        .await
        .map_err(AppError::from)?;
    if !done {
        return Ok(not_found());
    }
    tracing::info!(
        user_id = id,
        location_id = location,
        role,
        by = u.user.id,
        "role set"
    );
    Ok(see_other(&format!("/admin/users/{id}")))
}

/// `Some(404)` when the user is not the organization's (so a refusal for
/// the role never tells another organization's IDs apart), else `None`.
async fn exists_or_404(
    state: &AppState,
    u: &super::CurrentUser,
    id: i64,
) -> Result<Option<HttpResponse>, AppError> {
    let found = state.store.scoped(&u.scope, move |s| s.user(id)).await?;
    Ok(found.is_none().then(not_found))
}

/// An admin action by user `by`, for the audit log.
fn admin_event(now: chrono::DateTime<chrono::Utc>, by: i64, action: &'static str) -> Event {
    Event::new(now, Category::Admin, action, Outcome::Ok).actor(format!("user:{by}"))
}

fn bad_request(why: &str) -> HttpResponse {
    let mut body = String::from("<p>");
    samlsp_actix::html::escape_into(why, &mut body);
    body.push_str("</p><p><a href=\"/admin/users\">Users</a></p>");
    samlsp_actix::html::page(StatusCode::BAD_REQUEST, "Not changed", &body)
}
