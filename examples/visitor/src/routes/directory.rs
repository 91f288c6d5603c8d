//! Employees → Bulk upload and the sync history, for org admins: the
//! template, an upload read into a staged list, its preview (the plan,
//! with every row's error, before anything is written), and its apply (in
//! one transaction, re-planned against the data as it is then).

use actix_multipart::form::MultipartForm;
use actix_multipart::form::bytes::Bytes as FileField;
use actix_multipart::form::text::Text;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use samlsp_actix::{csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AdminUser, AppError, CurrentUser, forbidden, layout, not_found, path_id, see_other};
use crate::app::AppState;
use crate::directory::{
    MAX_UPLOAD_BYTES, OrgView, Policy, RunError, plan, read_sheet, template_csv,
};
use crate::pages::{self, Nav};
use crate::store::Outcome;

/// Runs shown in the history.
const HISTORY: usize = 20;
/// Rows of each part of a preview shown (the counts are always whole).
const PREVIEW_ROWS: usize = 500;
/// A staged upload not applied within this time is dropped.
const STAGED_HOURS: i64 = 24;

/// The configuration's guard rail of the admin's organization.
fn max_percent(state: &AppState, slug: &str) -> u8 {
    state
        .config
        .orgs
        .iter()
        .find(|o| o.slug == slug)
        .map_or(crate::config::DEFAULT_MAX_DEACTIVATE_PERCENT, |o| {
            o.sync.max_deactivate_percent
        })
}

pub(super) async fn page(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    render(&state, &u, StatusCode::OK, None, None).await
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let (org, runs) = state
        .store
        .scoped(&u.scope, |s| Ok((s.org()?, s.sync_runs(HISTORY)?)))
        .await?;
    let directory = state
        .config
        .orgs
        .iter()
        .find(|o| o.slug == org.slug)
        .and_then(|o| o.ldap.as_ref())
        .map(|l| l.url.clone());
    let page = pages::AdminSync {
        layout: layout(state, "Bulk upload and sync", Nav::Admin, u, &csrf),
        csrf: &csrf,
        org_admin: u.org_admin,
        runs: &runs,
        directory: directory.as_deref(),
        max_upload_mib: MAX_UPLOAD_BYTES / 1024 / 1024,
        notice,
        error,
    };
    Ok(pages::respond(status, &page))
}

pub(super) async fn template(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
) -> Result<HttpResponse, AppError> {
    let org = state.store.scoped(&u.scope, |s| s.org()).await?;
    let domain = org.domains.first().map_or("example.com", String::as_str);
    let location = org.default_location.as_deref().unwrap_or("");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"people-template.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(template_csv(domain, location)))
}

/// The upload form: the file and the CSRF token.
#[derive(Debug, MultipartForm)]
pub(super) struct UploadForm {
    csrf_token: Option<Text<String>>,
    #[multipart(limit = "5MiB")]
    file: FileField,
}

pub(super) async fn upload(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    // Read only once the user is known to be an admin (an extractor in the
    // signature would answer a host's post with the form's error first).
    let mut payload = payload.into_inner();
    let MultipartForm(form) =
        <MultipartForm<UploadForm> as actix_web::FromRequest>::from_request(&req, &mut payload)
            .await?;
    verify_csrf(&u.session, form.csrf_token.as_ref().map(|t| t.as_str()))?;
    if !u.org_admin {
        return Ok(forbidden());
    }
    let file_name: String = form
        .file
        .file_name
        .as_deref()
        .unwrap_or("upload")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let bytes = form.file.data;
    // Parsing is CPU work: off the async workers.
    let sheet = web::block(move || read_sheet(&bytes))
        .await
        .map_err(AppError::from)?;
    let sheet = match sheet {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("The file was not read: {e}.");
            return Ok(render(&state, &u, StatusCode::BAD_REQUEST, None, Some(&msg)).await?);
        }
    };
    let now = state.now();
    let by = u.user.id;
    let id = state
        .store
        .scoped(&u.scope, move |s| {
            let id = s.stage_upload(by, &file_name, &sheet.records, &sheet.errors, now)?;
            s.drop_stale_uploads(now - chrono::Duration::hours(STAGED_HOURS))?;
            Ok(id)
        })
        .await
        .map_err(AppError::from)?;
    tracing::info!(
        upload = id,
        by = u.user.id,
        "spreadsheet staged for preview"
    );
    Ok(see_other(&format!("/admin/sync/uploads/{id}")))
}

pub(super) async fn preview(
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
            let Some(staged) = s.staged_upload(id)? else {
                return Ok(None);
            };
            let snap = s.sync_snapshot()?;
            let mut p = plan(
                staged.records.clone(),
                &OrgView {
                    domains: &snap.domains,
                    locations: &snap.locations,
                    users: &snap.users,
                },
                &Policy::spreadsheet(),
            );
            // Rows that could not be read come first, in file order.
            let mut errors = staged.read_errors.clone();
            errors.append(&mut p.errors);
            errors.sort_by_key(|e| row_number(&e.origin));
            p.errors = errors;
            Ok(Some((staged, p)))
        })
        .await?;
    let Some((staged, p)) = found else {
        return Ok(not_found());
    };
    if !u.org_admin {
        return Ok(forbidden());
    }
    let limit = max_percent(&state, &org_slug(&state, &u).await?);
    let refused = p
        .check_guard_rail(limit, false)
        .err()
        .map(|e| e.to_string());
    let csrf = csrf_token(&u.session)?;
    let page = pages::AdminSyncPreview {
        layout: layout(&state, "Preview", Nav::Admin, &u, &csrf),
        csrf: &csrf,
        id: staged.id,
        file_name: &staged.file_name,
        rows: staged.records.len() + staged.read_errors.len(),
        plan: &p,
        shown: PREVIEW_ROWS,
        guard_rail: refused.as_deref(),
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

/// The number of `row N` (errors sort in file order).
fn row_number(origin: &str) -> usize {
    origin
        .strip_prefix("row ")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

async fn org_slug(state: &AppState, u: &CurrentUser) -> Result<String, AppError> {
    Ok(state.store.scoped(&u.scope, |s| s.org()).await?.slug)
}

#[derive(Debug, Deserialize)]
pub(super) struct ApplyPost {
    #[serde(default)]
    csrf_token: Option<String>,
    /// `1`: apply above the guard rail.
    #[serde(default)]
    override_limit: Option<String>,
}

pub(super) async fn apply(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
    form: web::Form<ApplyPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let staged = state
        .store
        .scoped(&u.scope, move |s| s.staged_upload(id))
        .await
        .map_err(AppError::from)?;
    let Some(staged) = staged else {
        return Ok(not_found());
    };
    if !u.org_admin {
        return Ok(forbidden());
    }
    let slug = org_slug(&state, &u).await?;
    let override_limit = form.override_limit.as_deref() == Some("1");
    let report = state
        .sync
        .upload(
            &u.scope,
            &slug,
            staged.records,
            max_percent(&state, &slug),
            u.user.id,
            override_limit,
        )
        .await;
    let report = match report {
        Ok(r) => r,
        Err(RunError::Busy(_)) => {
            let msg = "Another sync of your organization is under way; apply again in a moment.";
            return Ok(render(&state, &u, StatusCode::CONFLICT, None, Some(msg)).await?);
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    if report.outcome == Outcome::Applied {
        state
            .store
            .scoped(&u.scope, move |s| s.drop_staged_upload(id))
            .await
            .map_err(AppError::from)?;
    }
    tracing::info!(
        upload = id,
        by = u.user.id,
        outcome = report.outcome.as_str(),
        created = report.plan.creates.len(),
        updated = report.plan.updates.len(),
        deactivated = report.plan.deactivations.len(),
        errors = report.plan.errors.len(),
        "spreadsheet applied"
    );
    match report.outcome {
        Outcome::Applied => {
            let p = &report.plan;
            let msg = format!(
                "Applied: {} created, {} updated, {} deactivated, {} reactivated; {} rows not used.",
                p.creates.len(),
                p.updates.len(),
                p.deactivations.len(),
                p.reactivations.len(),
                p.errors.len()
            );
            Ok(render(&state, &u, StatusCode::OK, Some(&msg), None).await?)
        }
        _ => Ok(render(
            &state,
            &u,
            StatusCode::CONFLICT,
            None,
            Some(&report.message),
        )
        .await?),
    }
}

pub(super) async fn run(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Some(id) = path_id(&id) else {
        return Ok(not_found());
    };
    let found = state
        .store
        .scoped(&u.scope, move |s| s.sync_run(id))
        .await?;
    let Some(detail) = found else {
        return Ok(not_found());
    };
    let csrf = csrf_token(&u.session)?;
    let page = pages::AdminSyncRun {
        layout: layout(&state, "Sync run", Nav::Admin, &u, &csrf),
        detail: &detail,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct PullPost {
    #[serde(default)]
    csrf_token: Option<String>,
    /// `1`: show the plan only.
    #[serde(default)]
    dry_run: Option<String>,
    /// `1`: apply above the guard rail.
    #[serde(default)]
    override_limit: Option<String>,
}

/// An org admin pulls the organization's directory now (or a dry run).
pub(super) async fn pull(
    state: web::Data<AppState>,
    AdminUser(u): AdminUser,
    form: web::Form<PullPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&u.session, form.csrf_token.as_deref())?;
    if !u.org_admin {
        return Ok(forbidden());
    }
    let slug = org_slug(&state, &u).await?;
    let Some(org) = state.config.orgs.iter().find(|o| o.slug == slug).cloned() else {
        return Ok(not_found());
    };
    if org.ldap.is_none() {
        let msg = "No directory is configured for your organization.";
        return Ok(render(&state, &u, StatusCode::BAD_REQUEST, None, Some(msg)).await?);
    }
    let options = crate::directory::RunOptions {
        dry_run: form.dry_run.as_deref() == Some("1"),
        override_limit: form.override_limit.as_deref() == Some("1"),
    };
    let report = match state
        .sync
        .ldap(&org, crate::store::Trigger::Admin(u.user.id), options)
        .await
    {
        Ok(r) => r,
        Err(RunError::Busy(_)) => {
            let msg = "Another sync of your organization is under way; try again in a moment.";
            return Ok(render(&state, &u, StatusCode::CONFLICT, None, Some(msg)).await?);
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    tracing::info!(
        by = u.user.id,
        outcome = report.outcome.as_str(),
        "directory sync started by an admin"
    );
    // The report's first line: the outcome and the counts.
    let text = crate::directory::describe(&report, 0);
    let summary = text.lines().next().unwrap_or("");
    match report.outcome {
        Outcome::Applied | Outcome::DryRun => {
            Ok(render(&state, &u, StatusCode::OK, Some(summary), None).await?)
        }
        _ => {
            let msg = format!("{summary} {}", report.message);
            Ok(render(&state, &u, StatusCode::CONFLICT, None, Some(&msg)).await?)
        }
    }
}
