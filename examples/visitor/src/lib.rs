//! The visitor-management demo: hosts sign in with their company's IdP
//! (SAML, through `samlsp-actix`), appear in the host directory, and
//! pre-register visitors.
//!
//! [`configure`] mounts every route, the same way in `main` and in tests.
#![forbid(unsafe_code)]

pub mod config;
pub mod jit;
pub mod pages;
pub mod store;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_session::{Session, SessionExt};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{NaiveDate, Utc};
use samlsp::{Binding, EntityId, SpKeyPair, Url};
use samlsp_actix::{
    Clock, IdpConfig, IdpOptions, IdpSource, MetadataLocation, Saml, SessionSecret,
    SessionSettings, SignedIn, SpSettings, TenantConfig, csrf_token, verify_csrf,
};
use serde::Deserialize;

use crate::config::Config;
use crate::pages::{Nav, Viewer, VisitForm};
use crate::store::{Store, StoreError, User};

/// Everything the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub saml: Saml,
    clock: ClockFn,
}

#[derive(Clone)]
struct ClockFn(Clock);

impl std::fmt::Debug for ClockFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Why the app could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Saml(#[from] samlsp_actix::SetupError),
    #[error("{what}: {reason}")]
    Key { what: String, reason: String },
    #[error("{0}")]
    Config(String),
}

fn read_key(
    key: &Option<std::path::PathBuf>,
    cert: &Option<std::path::PathBuf>,
    what: &str,
) -> Result<Option<SpKeyPair>, BuildError> {
    let err = |reason: String| BuildError::Key {
        what: what.to_owned(),
        reason,
    };
    match (key, cert) {
        (None, None) => Ok(None),
        (Some(k), Some(c)) => {
            let kp = std::fs::read(k).map_err(|e| err(format!("{}: {e}", k.display())))?;
            let cp = std::fs::read(c).map_err(|e| err(format!("{}: {e}", c.display())))?;
            SpKeyPair::from_pem(&kp, &cp)
                .map(Some)
                .map_err(|e| err(e.to_string()))
        }
        _ => Err(err("set both the key and the certificate".into())),
    }
}

impl AppState {
    /// Opens the store, seeds locations, configures SAML (URL metadata is
    /// loaded later by [`Saml::refresh`]).
    pub fn build(config: Config, clock: Option<Clock>) -> Result<Self, BuildError> {
        let clock: Clock = clock.unwrap_or_else(|| Arc::new(Utc::now));
        let store = Store::open(&config.server.database)?;
        let names: Vec<String> = config.locations.iter().map(|l| l.name.clone()).collect();
        let now = clock();
        store.with(|c| store::ensure_locations(c, &names, now))?;

        let signing = read_key(
            &config.sp.signing_key,
            &config.sp.signing_cert,
            "sp signing key",
        )?;
        let encryption = read_key(
            &config.sp.encryption_key,
            &config.sp.encryption_cert,
            "sp encryption key",
        )?;
        let public = config.server.public_url.clone();
        let sp_settings = |entity: String, acs: String| -> Result<SpSettings, BuildError> {
            let bad = |e: samlsp::ids::InvalidIdentifier| BuildError::Config(e.to_string());
            let mut s = SpSettings::new(
                EntityId::new(entity).map_err(bad)?,
                Url::new(acs).map_err(bad)?,
            );
            if let Some(k) = &signing {
                s = s.signing_key(k.clone());
            }
            if let Some(k) = &encryption {
                s = s.encryption_key(k.clone());
            }
            Ok(s)
        };

        let mut shared = Vec::new();
        let mut own = Vec::new();
        for i in &config.idps {
            let location = if let Some(u) = &i.metadata_url {
                MetadataLocation::Url(u.clone())
            } else if let Some(f) = &i.metadata_file {
                MetadataLocation::File(f.clone())
            } else {
                MetadataLocation::Bytes(i.metadata_xml.clone().unwrap_or_default().into_bytes())
            };
            let idp = IdpConfig {
                slug: i.slug.clone(),
                display_name: i.name.clone(),
                source: IdpSource::Metadata {
                    location,
                    entity_id: i.entity_id.clone(),
                    pinned: None,
                },
                options: IdpOptions {
                    allow_idp_initiated: i.allow_idp_initiated,
                    binding: match i.binding.as_deref() {
                        Some("post") => Some(Binding::HttpPost),
                        Some(_) => Some(Binding::HttpRedirect),
                        None => None,
                    },
                    name_id_format: i.name_id_format.clone(),
                    force_authn: false,
                    want_signed_requests: i.want_signed_requests,
                },
            };
            if i.own_sp {
                own.push(TenantConfig {
                    slug: Some(i.slug.clone()),
                    sp: sp_settings(
                        format!("{public}/t/{}/saml/metadata", i.slug),
                        format!("{public}/t/{}/saml/acs", i.slug),
                    )?,
                    idps: vec![idp],
                });
            } else {
                shared.push(idp);
            }
        }
        let mapper = Arc::new(jit::JitMapper::new(&config, store.clone(), clock.clone()));
        let mut builder = Saml::builder(mapper)
            .clock(clock.clone())
            .sign_in_path("/")
            .default_return("/me");
        if !shared.is_empty() {
            builder = builder.tenant(TenantConfig {
                slug: None,
                sp: sp_settings(config.sp_entity_id(), format!("{public}/saml/acs"))?,
                idps: shared,
            });
        }
        for t in own {
            builder = builder.tenant(t);
        }
        let saml = builder.build()?;
        Ok(AppState {
            config: Arc::new(config),
            store,
            saml,
            clock: ClockFn(clock),
        })
    }

    fn now(&self) -> chrono::DateTime<Utc> {
        (self.clock.0)()
    }

    /// Session settings: the configured key, else a random one (with a
    /// warning); `Secure` when the public URL is https.
    pub fn session_settings(&self) -> Result<SessionSettings, BuildError> {
        let secret = match &self.config.server.session_key {
            Some(k) => SessionSecret::from_base64(k).map_err(|e| BuildError::Key {
                what: "session key".into(),
                reason: e.to_string(),
            })?,
            None => SessionSecret::generate_ephemeral(),
        };
        Ok(SessionSettings::for_site(
            secret,
            &self.config.server.public_url,
        ))
    }
}

/// Mounts the app: SAML routes, pages, forms, static CSS, health.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let saml = state.saml.clone();
        cfg.app_data(web::Data::new(state))
            .configure(samlsp_actix::configure(saml))
            .route("/", web::get().to(index))
            .route("/me", web::get().to(me))
            .route("/hosts", web::get().to(hosts))
            .route("/visits", web::get().to(visits_page))
            .route("/visits", web::post().to(register_visit))
            .route("/logout", web::post().to(logout))
            .route("/static/app.css", web::get().to(css))
            .route("/healthz", web::get().to(health));
    }
}

/// An error page for faults (the reason goes to the log).
#[derive(Debug)]
pub struct AppError(String);

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("internal error")
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    fn error_response(&self) -> HttpResponse {
        tracing::error!(reason = %self.0, "request failed");
        samlsp_actix::html::page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "<p>Please try again in a moment.</p><p><a href=\"/\">Start page</a></p>",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError(e.to_string())
    }
}

impl From<samlsp_actix::CsrfError> for AppError {
    fn from(e: samlsp_actix::CsrfError) -> Self {
        AppError(e.to_string())
    }
}

/// The signed-in, active user. Anonymous visitors are sent to the sign-in
/// page; a user deactivated meanwhile loses the session at the next request.
pub struct CurrentUser {
    pub signed_in: SignedIn,
    pub user: User,
    pub session: Session,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let signed = SignedIn::from_request(req, payload).into_inner();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.get_session();
        Box::pin(async move {
            let signed_in = signed?;
            let state = state.ok_or_else(|| AppError("no app state".into()))?;
            let id: i64 = signed_in
                .user_id
                .parse()
                .map_err(|_| AppError("bad user id".into()))?;
            let user = state
                .store
                .run(move |c| store::user_by_id(c, id))
                .await
                .map_err(AppError::from)?;
            match user {
                Some(u) if u.active => Ok(CurrentUser {
                    signed_in,
                    user: u,
                    session,
                }),
                _ => {
                    tracing::info!(
                        user_id = id,
                        "session of a deactivated or deleted user ended"
                    );
                    samlsp_actix::sign_out(&session);
                    Err(actix_web::error::InternalError::from_response(
                        "account deactivated",
                        HttpResponse::SeeOther()
                            .insert_header((header::LOCATION, "/?notice=deactivated"))
                            .finish(),
                    )
                    .into())
                }
            }
        })
    }
}

#[derive(Debug, Deserialize)]
struct IndexQuery {
    return_to: Option<String>,
    notice: Option<String>,
}

async fn index(
    state: web::Data<AppState>,
    q: web::Query<IndexQuery>,
    signed_in: Option<SignedIn>,
) -> HttpResponse {
    if signed_in.is_some() && q.notice.is_none() {
        // After an IdP-initiated sign-in with RelayState "/", for instance.
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/me"))
            .finish();
    }
    let notice = match q.notice.as_deref() {
        Some("signed_out") => Some("You are signed out."),
        Some("deactivated") => Some("Your account is deactivated; you have been signed out."),
        _ => None,
    };
    let return_to = q
        .return_to
        .as_deref()
        .and_then(samlsp_actix::ReturnTo::parse)
        .map(|r| r.to_string());
    let body = pages::sign_in(
        &state.saml.identity_providers(),
        return_to.as_deref(),
        notice,
        signed_in.as_ref().map(|s| s.display_name.as_str()),
    );
    pages::respond(
        StatusCode::OK,
        pages::layout(
            &state.config.server.title,
            "Sign in",
            Nav::None,
            None,
            &body,
        ),
    )
}

fn viewer<'a>(u: &'a CurrentUser, csrf: &'a str) -> Viewer<'a> {
    Viewer {
        name: &u.user.display_name,
        csrf,
    }
}

async fn me(state: web::Data<AppState>, u: CurrentUser) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let id = u.user.id;
    let (locations, identities) = state
        .store
        .run(move |c| Ok((store::user_locations(c, id)?, store::identities_of(c, id)?)))
        .await?;
    let s = &u.signed_in;
    let format = s
        .name_id_format
        .clone()
        .unwrap_or_else(|| jit::NAMEID_UNSPECIFIED.to_owned());
    let current = identities
        .iter()
        .find(|i| i.idp_entity_id == s.idp && i.name_id == s.name_id && i.name_id_format == format);
    let idp_name = state
        .saml
        .identity_providers()
        .into_iter()
        .find(|i| i.slug == s.idp_slug && i.tenant == s.tenant)
        .map_or_else(|| s.idp.clone(), |i| i.display_name);
    let body = pages::me(&u.user, &locations, &identities, current, &idp_name);
    Ok(pages::respond(
        StatusCode::OK,
        pages::layout(
            &state.config.server.title,
            &u.user.display_name,
            Nav::Me,
            Some(&viewer(&u, &csrf)),
            &body,
        ),
    ))
}

#[derive(Debug, Deserialize)]
struct HostQuery {
    #[serde(default)]
    q: String,
}

async fn hosts(
    state: web::Data<AppState>,
    u: CurrentUser,
    q: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let query: String = q.q.chars().take(100).collect();
    let term = query.clone();
    let found = state
        .store
        .run(move |c| store::search_hosts(c, &term, 200))
        .await?;
    Ok(pages::respond(
        StatusCode::OK,
        pages::layout(
            &state.config.server.title,
            "Hosts",
            Nav::Hosts,
            Some(&viewer(&u, &csrf)),
            &pages::hosts(&query, &found),
        ),
    ))
}

#[derive(Debug, Deserialize)]
struct VisitsQuery {
    registered: Option<String>,
}

async fn render_visits(
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
        .run(move |c| {
            Ok((
                store::search_hosts(c, "", 500)?,
                store::expected_visits(c, today)?,
            ))
        })
        .await?;
    let today_s = today.format("%Y-%m-%d").to_string();
    let body = pages::visits(&csrf, form, errors, notice, &hosts, &today_s, &expected);
    Ok(pages::respond(
        status,
        pages::layout(
            &state.config.server.title,
            "Visitors",
            Nav::Visits,
            Some(&viewer(u, &csrf)),
            &body,
        ),
    ))
}

async fn visits_page(
    state: web::Data<AppState>,
    u: CurrentUser,
    q: web::Query<VisitsQuery>,
) -> Result<HttpResponse, AppError> {
    let form = VisitForm {
        host_id: u.user.id.to_string(),
        date: state.now().date_naive().format("%Y-%m-%d").to_string(),
        ..VisitForm::default()
    };
    let notice = q.registered.as_ref().map(|_| "Visitor pre-registered.");
    render_visits(&state, &u, StatusCode::OK, &form, &[], notice).await
}

#[derive(Debug, Deserialize)]
struct VisitPost {
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

/// Longest stay ahead a visit can be registered for.
const MAX_DAYS_AHEAD: i64 = 366;

async fn register_visit(
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
    let mut errors = Vec::new();
    let name_len = f.visitor_name.chars().count();
    if name_len == 0 || name_len > 100 || f.visitor_name.chars().any(char::is_control) {
        errors.push("Enter the visitor's name (up to 100 characters).".to_owned());
    }
    let email_ok = f.visitor_email.len() <= 254
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
    let today = state.now().date_naive();
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
    if let (true, Some(host), Some(d)) = (errors.is_empty(), host_id, date) {
        let visit = store::NewVisit {
            visitor_name: f.visitor_name.clone(),
            visitor_email: f.visitor_email.clone(),
            host_user_id: host,
            expected_on: d,
            registered_by: u.user.id,
        };
        let now = state.now();
        let inserted = state
            .store
            .run(move |c| store::insert_visit(c, &visit, now))
            .await
            .map_err(AppError::from)?;
        if inserted.is_some() {
            tracing::info!(
                host_id = host,
                registered_by = u.user.id,
                "visitor pre-registered"
            );
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/visits?registered=1"))
                .finish());
        }
        errors.push("That host is not available; choose another one.".to_owned());
    }
    Ok(render_visits(&state, &u, StatusCode::BAD_REQUEST, &f, &errors, None).await?)
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: Option<String>,
}

async fn logout(
    session: Session,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&session, form.csrf_token.as_deref())?;
    if let Ok(Some(user)) = session.get::<SignedIn>(samlsp_actix::SESSION_USER_KEY) {
        tracing::info!(user_id = %user.user_id, "signed out");
    }
    samlsp_actix::sign_out(&session);
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/?notice=signed_out"))
        .finish())
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .body(include_str!("../static/app.css"))
}

/// 200 when every IdP is usable, else 503; lists them either way.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let idps = state.saml.identity_providers();
    let ready = idps.iter().all(|i| i.available);
    let list: Vec<serde_json::Value> = idps
        .iter()
        .map(|i| {
            serde_json::json!({
                "slug": i.slug, "tenant": i.tenant, "available": i.available,
                "entity_id": i.entity_id,
            })
        })
        .collect();
    HttpResponse::build(if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    })
    .insert_header((header::CONTENT_TYPE, "application/json"))
    .body(serde_json::json!({ "ready": ready, "idps": list }).to_string())
}
