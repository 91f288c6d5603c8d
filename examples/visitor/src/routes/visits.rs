//! Pre-registering visitors, the list of those expected, one visit, and
//! cancelling (the host, whoever registered it, or an admin of its
//! location).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use samlsp_actix::{csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AppError, CsrfOnly, CurrentUser, forbidden, layout, not_found, path_id, see_other};
use crate::app::AppState;
use crate::pages::{self, Nav, VisitForm};
use crate::store::NewVisit;

/// Longest stay ahead a visit can be registered for: a year, leap day
/// included.
const MAX_DAYS_AHEAD: i64 = 366;
/// Longest visitor name (the form's `maxlength`).
const MAX_NAME_CHARS: usize = 100;
/// Longest email address (RFC 5321 §4.5.3.1.3; the form's `maxlength`).
const MAX_EMAIL: usize = 254;
/// Hosts offered in the form, and visits listed.
const MAX_HOSTS: i64 = 500;

#[derive(Debug, Deserialize)]
pub(super) struct VisitsQuery {
    registered: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct VisitPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    visitor_name: String,
    #[serde(default)]
    visitor_email: String,
    #[serde(default)]
    host_id: String,
    #[serde(default)]
    date: String,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) async fn page(
    state: web::Data<AppState>,
    u: CurrentUser,
    q: web::Query<VisitsQuery>,
) -> Result<HttpResponse, AppError> {
    let form = VisitForm {
        host_id: u.user.id.to_string(),
        date: day(state.now().date_naive()),
        ..VisitForm::default()
    };
    let notice = q.registered.as_ref().map(|_| "Visitor pre-registered.");
    render(&state, &u, StatusCode::OK, &form, &[], notice).await
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    status: StatusCode,
    form: &VisitForm,
    errors: &[String],
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let today = state.now().date_naive();
    let (hosts, expected) = state
        .store
        .scoped(&u.scope, move |s| {
            Ok((s.hosts("", MAX_HOSTS)?, s.expected_visits(today)?))
        })
        .await?;
    let today = day(today);
    let page = pages::Visits {
        layout: layout(state, "Visitors", Nav::Visits, u, &csrf),
        csrf: &csrf,
        form,
        errors,
        notice,
        hosts: &hosts,
        today: &today,
        expected: &expected,
    };
    Ok(pages::respond(status, &page))
}

/// The form's values, or what to correct.
fn check(f: &VisitForm, today: NaiveDate) -> Result<(i64, NaiveDate), Vec<String>> {
    let mut errors = Vec::new();
    let name_len = f.visitor_name.chars().count();
    if name_len == 0 || name_len > MAX_NAME_CHARS || f.visitor_name.chars().any(char::is_control) {
        errors.push("Enter the visitor's name (up to 100 characters).".to_owned());
    }
    let email_ok = f.visitor_email.len() <= MAX_EMAIL
        && f.visitor_email.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
        && !f
            .visitor_email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if !email_ok {
        errors.push("Enter the visitor's email address, like name@example.com.".to_owned());
    }
    let date = NaiveDate::parse_from_str(&f.date, "%Y-%m-%d").ok();
    match date {
        None => errors.push("Enter the date of the visit.".to_owned()),
        Some(d) if d < today => errors.push("The date of the visit is in the past.".to_owned()),
        Some(d) if (d - today).num_days() > MAX_DAYS_AHEAD => {
            errors.push("Visits can be registered up to a year ahead.".to_owned());
        }
        Some(_) => {}
    }
    let host_id: Option<i64> = f.host_id.parse().ok();
    if host_id.is_none() {
        errors.push("Choose a host.".to_owned());
    }
    match (host_id, date) {
        (Some(h), Some(d)) if errors.is_empty() => Ok((h, d)),
        _ => Err(errors),
    }
}

pub(super) async fn register(
    state: web::Data<AppState>,
    u: CurrentUser,
    form: web::Form<VisitPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let f = VisitForm {
        visitor_name: form.visitor_name.trim().to_owned(),
        visitor_email: form.visitor_email.trim().to_owned(),
        host_id: form.host_id.trim().to_owned(),
        date: form.date.trim().to_owned(),
    };
    let errors = match check(&f, state.now().date_naive()) {
        Err(errors) => errors,
        Ok((host, expected_on)) => {
            let visit = NewVisit {
                visitor_name: f.visitor_name.clone(),
                visitor_email: f.visitor_email.clone(),
                host_user_id: host,
                expected_on,
                registered_by: u.user.id,
            };
            let now = state.now();
            let inserted = state
                .store
                .scoped(&u.scope, move |s| s.insert_visit(&visit, now))
                .await
                .map_err(AppError::from)?;
            if inserted.is_some() {
                tracing::info!(
                    host_id = host,
                    registered_by = u.user.id,
                    "visitor pre-registered"
                );
                return Ok(see_other("/visits?registered=1"));
            }
            vec!["That host is not available; choose another one.".to_owned()]
        }
    };
    Ok(render(&state, &u, StatusCode::BAD_REQUEST, &f, &errors, None).await?)
}

pub(super) async fn show(
    state: web::Data<AppState>,
    u: CurrentUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let Some(visit) = state.store.scoped(&u.scope, move |s| s.visit(id)).await? else {
        return Ok(not_found());
    };
    let csrf = csrf_token(&u.session)?;
    let page = pages::VisitPage {
        layout: layout(&state, "Visit", Nav::Visits, &u, &csrf),
        csrf: &csrf,
        may_cancel: may_cancel(&u, &visit) && visit.cancelled_at.is_none(),
        visit: &visit,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

/// The host, whoever registered the visit, or an admin of its location.
fn may_cancel(u: &CurrentUser, v: &crate::store::Visit) -> bool {
    v.host_user_id == u.user.id || v.registered_by == u.user.id || u.administers(v.location_id)
}

pub(super) async fn cancel(
    state: web::Data<AppState>,
    u: CurrentUser,
    id: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let Some(visit) = state
        .store
        .scoped(&u.scope, move |s| s.visit(id))
        .await
        .map_err(AppError::from)?
    else {
        return Ok(not_found());
    };
    if !may_cancel(&u, &visit) {
        return Ok(forbidden());
    }
    let now = state.now();
    state
        .store
        .scoped(&u.scope, move |s| s.cancel_visit(id, now))
        .await
        .map_err(AppError::from)?;
    tracing::info!(visit_id = id, by = u.user.id, "visit cancelled");
    Ok(see_other(&format!("/visits/{id}")))
}
