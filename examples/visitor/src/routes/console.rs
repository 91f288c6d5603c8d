//! The admin console's diagnostics: the organization's audit log (sign-in
//! failure traces with their remediation, JIT creations and links, admin
//! actions), its export, and the health of its SSO connections (metadata
//! refresh, key rollovers, signing-certificate expiry).
//!
//! Organization admins only (an admin at another location gets 403): the
//! log covers the whole organization. Everything is read through the
//! admin's [`crate::store::OrgScope`]; connections are those the
//! configuration gives the organization.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use samlsp_actix::{csrf_token, sign_in_error_codes, verify_csrf};

use super::connections::org_admin;
use super::{AdminUser, AppError, CurrentUser, layout, not_found, path_id};
use crate::app::AppState;
use crate::audit::pages::{self as p, AuditQuery, CertLine, ConnectionHealth};
use crate::audit::{self, Category, Event, Format, Outcome, export};
use crate::pages::{self, Nav};
use crate::store::AuditFilter;

/// Rows per page: a screenful of a busy morning's sign-ins.
const PAGE_ROWS: i64 = 100;
/// Rows per export: the default row cap, so a whole organization's log
/// (a few MB at most) in one file.
const EXPORT_ROWS: i64 = 10_000;
/// Longest filter value, in bytes: the longest stored field (128
/// characters of the accepted ASCII set).
const MAX_FILTER: usize = 128;

/// A filter value: trimmed, non-empty, short, of `[A-Za-z0-9_.:-]`.
fn value(v: &Option<String>) -> Result<Option<String>, ()> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s)
            if s.len() <= MAX_FILTER
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b)) =>
        {
            Ok(Some(s.to_owned()))
        }
        Some(_) => Err(()),
    }
}

/// The filter, or `None` when a value is not acceptable.
fn filter(q: &AuditQuery) -> Option<AuditFilter> {
    let category = value(&q.category).ok()?;
    if category
        .as_deref()
        .is_some_and(|c| !Category::ALL.iter().any(|k| k.as_str() == c))
    {
        return None;
    }
    let outcome = value(&q.outcome).ok()?;
    if outcome
        .as_deref()
        .is_some_and(|o| o != "ok" && o != "failed")
    {
        return None;
    }
    Some(AuditFilter {
        category,
        outcome,
        code: value(&q.code).ok()?,
        connection: value(&q.connection).ok()?,
        correlation_id: value(&q.correlation_id).ok()?,
        since: None,
        before_id: q.before.filter(|b| *b > 0),
    })
}

/// `&k=v` for each filter value (checked: no escaping needed beyond the
/// template's).
fn query_string(f: &AuditFilter) -> String {
    let mut out = String::new();
    for (k, v) in [
        ("category", &f.category),
        ("outcome", &f.outcome),
        ("code", &f.code),
        ("connection", &f.connection),
        ("correlation_id", &f.correlation_id),
    ] {
        if let Some(v) = v {
            out.push_str(&format!("&{k}={v}"));
        }
    }
    out
}

fn bad_filter() -> HttpResponse {
    samlsp_actix::html::page(
        StatusCode::BAD_REQUEST,
        "Not a filter",
        "<p>A filter value is not one the log holds.</p><p><a href=\"/admin/audit\">Audit log</a></p>",
    )
}

pub(super) async fn audit(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let Some(f) = filter(&q) else {
        return Ok(bad_filter());
    };
    let qs = query_string(&f);
    let rows = state
        .store
        .scoped(&u.scope, move |s| s.audit_events(&f, PAGE_ROWS))
        .await?;
    let next_before = (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let csrf = csrf_token(&u.session)?;
    let categories: Vec<&'static str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let page = p::AuditList {
        layout: layout(&state, "Audit log", Nav::Admin, &u, &csrf),
        query: &q,
        query_string: &qs,
        categories: &categories,
        rows: &rows,
        next_before,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

pub(super) async fn audit_event(
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
    let Some(row) = state
        .store
        .scoped(&u.scope, move |s| s.audit_event(id))
        .await?
    else {
        return Ok(not_found());
    };
    let details: Vec<(String, String)> = row
        .detail
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let code_summary = row.code.as_deref().and_then(|c| {
        samlsp::error_codes()
            .chain(sign_in_error_codes().iter())
            .find(|k| k.code == c)
            .map(|k| k.summary)
    });
    let csrf = csrf_token(&u.session)?;
    let page = p::AuditEvent {
        layout: layout(&state, "Audit event", Nav::Admin, &u, &csrf),
        row: &row,
        details,
        code_summary,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

pub(super) async fn audit_export(
    state: web::Data<AppState>,
    admin: AdminUser,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let (Some(f), Some(format)) = (
        filter(&q),
        Format::parse(q.format.as_deref().unwrap_or("csv")),
    ) else {
        return Ok(bad_filter());
    };
    let rows = state
        .store
        .scoped(&u.scope, move |s| s.audit_events(&f, EXPORT_ROWS))
        .await?;
    tracing::info!(by = u.user.id, rows = rows.len(), "audit log exported");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit.{}\"", format.extension()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(export(&rows, format)))
}

pub(super) async fn health(
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    render_health(&state, &u, StatusCode::OK, None, false).await
}

/// The notification address form.
#[derive(Debug, serde::Deserialize)]
pub(super) struct NoticeForm {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    address: String,
}

/// Sets (or, empty, clears) where the organization's connection notices
/// go; an admin action in the audit log.
pub(super) async fn set_notices(
    state: web::Data<AppState>,
    admin: AdminUser,
    form: web::Form<NoticeForm>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&admin.0.session, form.csrf_token.as_deref())?;
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let address = match form.address.trim() {
        "" => None,
        a => match crate::reception::email_field(a) {
            Some(a) => Some(a),
            None => {
                let e = "Enter one email address, or nothing for the organization's admins.";
                return Ok(
                    render_health(&state, &u, StatusCode::BAD_REQUEST, Some(e), false).await?,
                );
            }
        },
    };
    let now = state.now();
    let by = u.user.id;
    state
        .store
        .scoped(&u.scope, move |s| {
            s.set_notice_address(address.as_deref(), now)?;
            audit::record(
                s,
                &Event::new(now, Category::Admin, "notice_address_set", Outcome::Ok)
                    .actor(format!("user:{by}"))
                    .detail("address", address.as_deref().unwrap_or("(the admins)")),
            )
        })
        .await
        .map_err(AppError::from)?;
    Ok(render_health(&state, &u, StatusCode::OK, None, true).await?)
}

async fn render_health(
    state: &AppState,
    u: &CurrentUser,
    status: StatusCode,
    error: Option<&'static str>,
    saved: bool,
) -> Result<HttpResponse, AppError> {
    let (org, notice_address, admins) = state
        .store
        .scoped(&u.scope, |s| {
            Ok((s.org()?, s.notice_address()?, s.org_admin_emails()?))
        })
        .await?;
    let now = state.now();
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let connections: Vec<ConnectionHealth> = state
        .saml
        .idp_status()
        .into_iter()
        .filter(|s| state.org_of(&s.slug).as_deref() == Some(org.slug.as_str()))
        .map(|s| ConnectionHealth {
            name: s.display_name.clone(),
            entity_id: s.entity_id.clone().unwrap_or_else(|| "–".into()),
            loaded: s.loaded,
            source: s.source,
            last_success: s.last_success.map_or_else(|| "–".into(), day),
            last_failure: s.last_failure.as_ref().map(|(t, r)| (day(*t), r.clone())),
            failures_in_row: s.failures_in_row,
            rollovers: s.rollovers.iter().map(|t| day(*t)).collect(),
            certificates: s
                .certificates
                .iter()
                .map(|c| {
                    let (level, note) = p::expiry(c.days_left(now));
                    CertLine {
                        sha256: c.sha256.clone(),
                        subject: c.subject.clone(),
                        not_after: c
                            .not_after
                            .map_or_else(|| "–".into(), |t| t.format("%Y-%m-%d").to_string()),
                        level,
                        note,
                    }
                })
                .collect(),
            slug: s.slug,
        })
        .collect();
    let csrf = csrf_token(&u.session)?;
    let page = p::Health {
        layout: layout(state, "Connection health", Nav::Admin, u, &csrf),
        connections: &connections,
        notice_address,
        admins: admins.into_iter().map(|(_, e)| e).collect(),
        error,
        saved,
        csrf: &csrf,
    };
    Ok(pages::respond(status, &page))
}
