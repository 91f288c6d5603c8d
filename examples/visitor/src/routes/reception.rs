//! The admins' reception page: today's visitors per location, the kiosk
//! links of the reception devices (made and revoked by an admin of the
//! location), and the organization's invitation policy (org admins).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use samlsp_actix::{csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AdminUser, AppError, CurrentUser, forbidden, layout, not_found, path_id, see_other};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::pages::{self, Layout, Nav};
use crate::reception::{self, KioskSecret};
use crate::store::{InvitePolicy, KioskToken, Location, Visit};

#[derive(Debug, Template)]
#[template(path = "admin_reception.html")]
struct ReceptionPage<'a> {
    layout: Layout<'a>,
    csrf: &'a str,
    today: &'a str,
    visits: &'a [Visit],
    kiosks: &'a [KioskToken],
    locations: &'a [Location],
    admin_at: &'a [i64],
    org_admin: bool,
    policy: &'a str,
    until: &'a str,
    error: Option<&'a str>,
}

#[derive(Debug, Template)]
#[template(path = "admin_kiosk_created.html")]
struct KioskCreated<'a> {
    layout: Layout<'a>,
    label: &'a str,
    location: &'a str,
    link: &'a str,
}

pub(super) async fn page(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    render(&state, &u, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let day = state.now().date_naive();
    let (visits, kiosks, locations, policy) = state
        .store
        .scoped(&u.scope, move |s| {
            Ok((
                s.visits_on(day)?,
                s.kiosks()?,
                s.locations()?,
                s.invite_policy()?,
            ))
        })
        .await?;
    let (policy, until) = match policy {
        InvitePolicy::Now => ("now", String::new()),
        InvitePolicy::Delay(t) => ("delay", t.format("%Y-%m-%dT%H:%M").to_string()),
        InvitePolicy::Never => ("never", String::new()),
    };
    let today = day.format("%Y-%m-%d").to_string();
    let page = ReceptionPage {
        layout: layout(state, "Reception", Nav::Admin, u, &csrf),
        csrf: &csrf,
        today: &today,
        visits: &visits,
        kiosks: &kiosks,
        locations: &locations,
        admin_at: &u.admin_at,
        org_admin: u.org_admin,
        policy,
        until: &until,
        error,
    };
    Ok(pages::respond(status, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct KioskPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    location_id: String,
    #[serde(default)]
    label: String,
}

/// Makes a kiosk link for a location; shows it once.
pub(super) async fn add_kiosk(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    form: web::Form<KioskPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let Some(location) = path_id(form.location_id.trim()) else {
        return Ok(not_found());
    };
    let Some(label) = reception::text_field(&form.label, reception::MAX_LABEL_CHARS, true) else {
        let msg = "Name the device (up to 60 characters), e.g. \"Front desk iPad\".";
        return Ok(render(&state, &u, StatusCode::BAD_REQUEST, Some(msg)).await?);
    };
    if !u.administers(Some(location)) {
        let exists = state
            .store
            .scoped(&u.scope, move |s| s.location(location))
            .await
            .map_err(AppError::from)?;
        return Ok(if exists.is_some() {
            forbidden()
        } else {
            not_found()
        });
    }
    let secret = KioskSecret::from_random(state.random_32().map_err(AppError::internal)?);
    let (hash, now, by, name) = (secret.hash(), state.now(), u.user.id, label.clone());
    let made = state
        .store
        .scoped(&u.scope, move |s| {
            let Some(loc) = s.location(location)? else {
                return Ok(None);
            };
            let Some(id) = s.add_kiosk(location, &name, hash, by, now)? else {
                return Ok(None);
            };
            audit::record(
                s,
                &kiosk_event(now, by, "kiosk_link_made")
                    .detail("kiosk_id", id.to_string())
                    .detail("location_id", location.to_string())
                    .detail("label", &name),
            )?;
            Ok(Some((id, loc.name)))
        })
        .await
        .map_err(AppError::from)?;
    let Some((id, location_name)) = made else {
        return Ok(not_found());
    };
    tracing::info!(
        kiosk_id = id,
        location_id = location,
        by = u.user.id,
        "kiosk link made"
    );
    let link = format!(
        "{}/kiosk/start?token={}",
        state.config.server.public_url,
        secret.expose()
    );
    let csrf = csrf_token(&u.session).map_err(AppError::from)?;
    let page = KioskCreated {
        layout: layout(&state, "Kiosk link", Nav::Admin, &u, &csrf),
        label: &label,
        location: &location_name,
        link: &link,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf_token: Option<String>,
}

/// Revokes a kiosk link: the device's next request is refused.
pub(super) async fn revoke_kiosk(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let Some(k) = state
        .store
        .scoped(&u.scope, move |s| s.kiosk(id))
        .await
        .map_err(AppError::from)?
    else {
        return Ok(not_found());
    };
    if !u.administers(Some(k.location_id)) {
        return Ok(forbidden());
    }
    let (now, by) = (state.now(), u.user.id);
    state
        .store
        .scoped(&u.scope, move |s| {
            if s.revoke_kiosk(id, now)? && k.revoked_at.is_none() {
                audit::record(
                    s,
                    &kiosk_event(now, by, "kiosk_link_revoked").detail("kiosk_id", id.to_string()),
                )?;
            }
            Ok(())
        })
        .await
        .map_err(AppError::from)?;
    tracing::info!(kiosk_id = id, by = u.user.id, "kiosk link revoked");
    Ok(see_other("/admin/reception"))
}

#[derive(Debug, Deserialize)]
pub(super) struct PolicyPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    until: String,
}

/// Sets when provisioned users are invited (org admins).
pub(super) async fn set_invitations(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    form: web::Form<PolicyPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    if !u.org_admin {
        return Ok(forbidden());
    }
    let now = state.now();
    let policy = match form.policy.as_str() {
        "now" => InvitePolicy::Now,
        "never" => InvitePolicy::Never,
        "delay" => match NaiveDateTime::parse_from_str(form.until.trim(), "%Y-%m-%dT%H:%M") {
            Ok(t) if Utc.from_utc_datetime(&t) > now => {
                InvitePolicy::Delay(Utc.from_utc_datetime(&t))
            }
            _ => {
                let msg = "Enter a time in the future (UTC) until which invitations wait.";
                return Ok(render(&state, &u, StatusCode::BAD_REQUEST, Some(msg)).await?);
            }
        },
        _ => {
            let msg = "Choose when invitations are sent.";
            return Ok(render(&state, &u, StatusCode::BAD_REQUEST, Some(msg)).await?);
        }
    };
    let by = u.user.id;
    state
        .store
        .scoped(&u.scope, move |s| {
            s.set_invite_policy(policy, now)?;
            let (name, until) = match policy {
                InvitePolicy::Now => ("now", String::new()),
                InvitePolicy::Delay(t) => ("delay", crate::store::ts(t)),
                InvitePolicy::Never => ("never", String::new()),
            };
            audit::record(
                s,
                &Event::new(now, Category::Admin, "invitation_policy_set", Outcome::Ok)
                    .actor(format!("user:{by}"))
                    .detail("policy", name)
                    .detail("until", until),
            )
        })
        .await
        .map_err(AppError::from)?;
    tracing::info!(policy = ?policy, by = u.user.id, "invitation policy set");
    Ok(see_other("/admin/reception"))
}

/// A kiosk token made or revoked (kiosk tokens are credentials: the token
/// category), by an admin.
fn kiosk_event(now: chrono::DateTime<Utc>, by: i64, action: &'static str) -> Event {
    Event::new(now, Category::Token, action, Outcome::Ok).actor(format!("user:{by}"))
}
