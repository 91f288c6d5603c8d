//! The console's SSO connections: add one from the IdP's metadata (URL or
//! XML), see what was understood and what to enter at the IdP, enable it
//! once a test sign-in succeeded.
//!
//! Organization admins only (an admin at another location gets 403), every
//! read and write through the admin's [`crate::store::OrgScope`]: another
//! organization's connection is "not found", like one that never existed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use samlsp_actix::{CertificateStatus, TestedLogin, csrf_token, verify_csrf};

use super::{
    AdminUser, AppError, CsrfOnly, CurrentUser, forbidden, layout, not_found, path_id, see_other,
};
use crate::app::AppState;
use crate::audit::{self, Category, Event, Outcome};
use crate::connections::pages::{self as p, AddForm};
use crate::connections::refresh::Refreshed;
use crate::connections::registry;
use crate::connections::{ConnectionError, OurValues, Understood, check_name, check_url, presets};
use crate::pages::{self, Nav};
use crate::store::{AuditFilter, Enabled, NewConnection};

/// Shown when enabling an untested connection (code `connection_untested`).
const UNTESTED: &str =
    "connection_untested: run a successful test sign-in before enabling this connection.";

pub(super) fn org_admin(u: AdminUser) -> Result<CurrentUser, HttpResponse> {
    if u.0.org_admin {
        Ok(u.0)
    } else {
        Err(forbidden())
    }
}

/// The start of an admin's change to one connection: the form's CSRF
/// token (refused otherwise), the path's ID (404 when it is none), an
/// organization admin (403 otherwise).
pub(super) fn connection_change(
    admin: AdminUser,
    id: &str,
    csrf: Option<&str>,
) -> Result<Result<(CurrentUser, i64), HttpResponse>, actix_web::Error> {
    verify_csrf(&admin.0.session, csrf)?;
    let Some(id) = path_id(id) else {
        return Ok(Err(not_found()));
    };
    Ok(org_admin(admin).map(|u| (u, id)))
}

/// What the admin enters at the IdP: the shared service provider's values.
pub(super) fn ours(state: &AppState) -> OurValues {
    let public = &state.config.server.public_url;
    let certificate = state
        .saml
        .service_provider(None)
        .and_then(|sp| sp.signing_key().cloned())
        .and_then(|k| {
            let pem = String::from_utf8(k.certificate_pem()).ok()?;
            Some((pem, CertificateStatus::from_der(k.certificate_der())?))
        });
    OurValues {
        entity_id: state.config.sp_entity_id(),
        acs: format!("{public}/saml/acs"),
        slo: format!("{public}/saml/slo"),
        metadata_url: format!("{public}/saml/metadata"),
        certificate,
    }
}

async fn render_list(
    state: &AppState,
    u: &CurrentUser,
    status: StatusCode,
    form: &AddForm,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let rows = state.store.scoped(&u.scope, |s| s.connections()).await?;
    let csrf = csrf_token(&u.session)?;
    let presets = presets::all();
    let ours = ours(state);
    let page = p::List {
        layout: layout(state, "SSO connections", Nav::Admin, u, &csrf),
        rows: &rows,
        presets: &presets,
        form,
        error,
        ours: &ours,
        csrf: &csrf,
    };
    Ok(pages::respond(status, &page))
}

pub(super) async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let form = AddForm {
        preset: "generic".into(),
        ..AddForm::default()
    };
    render_list(&state, &u, StatusCode::OK, &form, None).await
}

/// The metadata from the form: fetched from the URL, or as pasted.
pub(super) async fn metadata(
    state: &AppState,
    form: &AddForm,
) -> Result<(Option<String>, Vec<u8>), ConnectionError> {
    let url = form.metadata_url.trim();
    let xml = form.metadata_xml.trim();
    match (url.is_empty(), xml.is_empty()) {
        (false, true) => {
            let url = check_url(url)?;
            if !state.config.server.private_metadata_hosts {
                crate::connections::egress::refuse_private_host(&url).await?;
            }
            let bytes = state
                .fetcher()
                .fetch(&url)
                .await
                .map_err(ConnectionError::Fetch)?;
            Ok((Some(url), bytes))
        }
        (true, false) => Ok((None, xml.as_bytes().to_vec())),
        _ => Err(ConnectionError::NoSource),
    }
}

/// Whether another connection of this service has the entity ID: the
/// shared SP tells IdPs apart by entity ID (the core refuses two with one);
/// a duplicate of the organization's own console connection is named by
/// the store instead.
pub(super) fn taken_elsewhere(state: &AppState, entity_id: &str, own_org: &str) -> bool {
    state.saml.identity_providers().into_iter().any(|i| {
        i.entity_id.as_deref() == Some(entity_id)
            && !(i.slug.starts_with(registry::PREFIX)
                && state.org_of(&i.slug).as_deref() == Some(own_org))
    })
}

/// Checks the form and reads the metadata; the connection to store.
async fn accept(
    state: &AppState,
    form: &AddForm,
    own_org: &str,
) -> Result<(NewConnection, Understood), ConnectionError> {
    let name = check_name(&form.name)?;
    let preset = presets::by_key(&form.preset).ok_or(ConnectionError::UnknownPreset)?;
    let (metadata_url, bytes) = metadata(state, form).await?;
    let understood = Understood::read(&bytes, state.now())?;
    if taken_elsewhere(state, &understood.entity_id, own_org) {
        return Err(ConnectionError::Taken(understood.entity_id));
    }
    let metadata_xml =
        String::from_utf8(bytes).map_err(|_| ConnectionError::Metadata("not UTF-8 text".into()))?;
    Ok((
        NewConnection {
            name,
            preset: preset.key.to_owned(),
            metadata_url,
            metadata_xml,
            entity_id: understood.entity_id.clone(),
        },
        understood,
    ))
}

/// The form body: URL-encoded, up to actix's payload limit (256 KiB), so
/// pasted metadata up to
/// [`crate::connections::MAX_METADATA_BYTES`] fits (the form extractor's
/// own limit is 16 KiB).
pub(super) async fn add(
    state: web::Data<AppState>,
    admin: AdminUser,
    body: web::Bytes,
) -> Result<HttpResponse, actix_web::Error> {
    let Ok(form) = serde_urlencoded::from_bytes::<AddForm>(&body) else {
        return Ok(HttpResponse::BadRequest().finish());
    };
    verify_csrf(&admin.0.session, form.csrf_token.as_deref())?;
    let u = match org_admin(admin) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let own_org = state
        .store
        .scoped(&u.scope, |s| s.org())
        .await
        .map_err(AppError::from)?
        .slug;
    let (new, understood) = match accept(&state, &form, &own_org).await {
        Ok(c) => c,
        Err(e) => {
            tracing::info!(by = u.user.id, reason = %e, "connection not added");
            return Ok(render_list(
                &state,
                &u,
                StatusCode::BAD_REQUEST,
                &form,
                Some(e.to_string()),
            )
            .await?);
        }
    };
    let now = state.now();
    let by = u.user.id;
    let entity = understood.entity_id.clone();
    let added = state
        .store
        .scoped(&u.scope, move |s| {
            let id = s.add_connection(&new, now)?;
            let Some(id) = id else { return Ok(None) };
            {
                audit::record(
                    s,
                    &Event::new(now, Category::Connection, "connection_added", Outcome::Ok)
                        .actor(format!("user:{by}"))
                        .detail("connection_id", id.to_string())
                        .detail("entity_id", &new.entity_id)
                        .detail("preset", &new.preset),
                )?;
            }
            let org = s.org()?.slug;
            Ok(s.connection(id)?.map(|row| (org, row)))
        })
        .await
        .map_err(AppError::from)?;
    match added {
        Some((org, row)) => {
            let id = row.id;
            state.load_connection(&org, &row);
            tracing::info!(connection_id = id, by, entity_id = %entity, "connection added (disabled until tested)");
            Ok(see_other(&format!("/admin/connections/{id}")))
        }
        None => {
            let e = ConnectionError::Duplicate(entity).to_string();
            Ok(render_list(&state, &u, StatusCode::BAD_REQUEST, &form, Some(e)).await?)
        }
    }
}

pub(super) async fn render_one(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    refreshed: Option<Refreshed>,
) -> Result<HttpResponse, AppError> {
    let slug = registry::slug(id);
    // This browser's test sign-in through this connection, if it just ran
    // one: verified by the SAML layer (the report is made only by its ACS).
    let report =
        TestedLogin::take(&u.session).filter(|t| t.tenant().is_none() && t.idp_slug() == slug);
    let now = state.now();
    let by = u.user.id;
    let tested_entity = report.as_ref().map(|t| t.idp_entity_id().to_owned());
    let failures = AuditFilter {
        category: Some(Category::SignIn.as_str().to_owned()),
        outcome: Some("failed".into()),
        connection: Some(slug.clone()),
        ..AuditFilter::default()
    };
    let found = state
        .store
        .scoped(&u.scope, move |s| {
            let Some(row) = s.connection(id)? else {
                return Ok(None);
            };
            if tested_entity.as_deref() == Some(row.entity_id.as_str()) {
                s.connection_tested(id, now)?;
                audit::record(
                    s,
                    &Event::new(now, Category::Connection, "connection_tested", Outcome::Ok)
                        .actor(format!("user:{by}"))
                        .connection(registry::slug(id))
                        .detail("connection_id", id.to_string()),
                )?;
            }
            // Sign-in and sign-out failures alike (both are in category
            // sign_in).
            let last_failure = s.audit_events(&failures, 1)?.into_iter().next();
            let refresh = s.connection_refresh_state(id)?.unwrap_or_default();
            Ok(Some((s.connection(id)?, last_failure, refresh)))
        })
        .await?;
    let Some((Some(row), last_failure, refresh)) = found else {
        return Ok(not_found());
    };
    // A failure the last successful test came after is history (its trace
    // stays in the audit log).
    let last_failure = last_failure.filter(|f| row.tested_at.as_ref().is_none_or(|t| f.at > *t));
    let remediation = last_failure.as_ref().and_then(|f| {
        f.detail
            .get("remediation")
            .and_then(|r| r.as_str())
            .map(str::to_owned)
    });
    let preset = presets::by_key(&row.preset);
    let report = report.map(|t| p::Report::new(&t, preset.as_ref()));
    let understood =
        Understood::read(row.metadata_xml.as_bytes(), state.now()).map_err(|e| e.to_string());
    let csrf = csrf_token(&u.session)?;
    let ours = ours(state);
    let page = p::Show {
        layout: layout(state, "SSO connection", Nav::Admin, u, &csrf),
        row: &row,
        understood,
        preset,
        ours: &ours,
        notice,
        csrf: &csrf,
        report,
        last_failure,
        remediation,
        test_href: format!("/saml/login?idp={slug}&test=1&return_to=/admin/connections/{id}"),
        refresh,
        refreshed,
    };
    Ok(pages::respond(status, &page))
}

pub(super) async fn show(
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
    render_one(&state, &u, id, StatusCode::OK, None, None).await
}

/// Enables a connection; refused (409, `connection_untested`) before a
/// successful test sign-in.
pub(super) async fn enable(
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
    let outcome = state
        .store
        .scoped(&u.scope, move |s| {
            let e = s.enable_connection(id, now)?;
            let (outcome, code) = match e {
                Enabled::Yes => (Outcome::Ok, None),
                Enabled::Untested => (Outcome::Failed, Some("connection_untested")),
                Enabled::NotFound => return Ok(e),
            };
            let mut ev = Event::new(now, Category::Connection, "connection_enabled", outcome)
                .actor(format!("user:{by}"))
                .detail("connection_id", id.to_string());
            if let Some(c) = code {
                ev = ev.code(c);
            }
            audit::record(s, &ev)?;
            Ok(e)
        })
        .await
        .map_err(AppError::from)?;
    match outcome {
        Enabled::Yes => {
            let (org, row) = state
                .store
                .scoped(&u.scope, move |s| Ok((s.org()?.slug, s.connection(id)?)))
                .await
                .map_err(AppError::from)?;
            if let Some(row) = row {
                state.load_connection(&org, &row);
            }
            Ok(see_other(&format!("/admin/connections/{id}")))
        }
        Enabled::NotFound => Ok(not_found()),
        Enabled::Untested => {
            Ok(render_one(&state, &u, id, StatusCode::CONFLICT, Some(UNTESTED), None).await?)
        }
    }
}
