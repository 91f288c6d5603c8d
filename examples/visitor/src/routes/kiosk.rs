//! The reception (kiosk) pages, used on a device at a location's front
//! desk with no user session: the device opens `/kiosk/start?token=…` once
//! (the link an admin made), which keeps the token in a cookie for
//! `/kiosk` only, then visitors search their host or their
//! pre-registration and check in. Rules: [`crate::reception`].
//!
//! The [`Kiosk`] extractor is the gate: a live token yields a
//! [`KioskScope`] (one location of one organization), and every query goes
//! through [`crate::store::Desk`]. A missing, malformed, revoked or unknown
//! token gets one refusal page; requests per kiosk and token attempts per
//! address are rate-limited (429). Forms carry the session's CSRF token,
//! and the kiosk cookie is `SameSite=Strict`.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieAge};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use samlsp_actix::{csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AppError, path_id, see_other};
use crate::app::AppState;
use crate::notify::compose;
use crate::pages::{self, Layout, Nav};
use crate::reception::{self, KioskSecret, MAX_HOSTS, SearchTerm};
use crate::store::{DeskHost, DeskVisit, KioskScope, WalkIn};

/// The cookie that holds the kiosk token on the device.
pub const KIOSK_COOKIE: &str = "visitor_kiosk";
/// How long a device keeps it (revocation ends it sooner).
const KIOSK_COOKIE_DAYS: i64 = 365;

/// A request from a reception device with a live kiosk token.
pub struct Kiosk {
    /// Its location and organization.
    pub scope: KioskScope,
    /// The device's session (CSRF tokens only).
    pub session: Session,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk").field("scope", &self.scope).finish()
    }
}

fn refused(status: StatusCode, why: &str) -> actix_web::Error {
    let mut body = String::from("<p>");
    samlsp_actix::html::escape_into(why, &mut body);
    body.push_str("</p>");
    let title = if status == StatusCode::TOO_MANY_REQUESTS {
        "Please wait a moment"
    } else {
        "Reception kiosk unavailable"
    };
    actix_web::error::InternalError::from_response(
        "kiosk refused",
        samlsp_actix::html::page(status, title, &body),
    )
    .into()
}

const NOT_A_KIOSK: &str = "This device is not a reception kiosk, or its kiosk link was revoked. \
     Ask an administrator of your organization for a new kiosk link.";
const SLOW_DOWN: &str = "Too many requests from this device. Try again in a minute.";

fn peer(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// Finds the kiosk of a token; counts attempts per address.
async fn kiosk_of(
    state: &AppState,
    token: Option<&str>,
    peer: &str,
) -> Result<KioskScope, actix_web::Error> {
    let now = state.now();
    let secret = token.and_then(KioskSecret::parse);
    let found = match &secret {
        Some(s) => state.store.kiosk(s.hash()).await.map_err(AppError::from)?,
        None => None,
    };
    match found {
        Some(scope) => {
            if !state.limits.per_kiosk.allow(&scope.kiosk_id(), now) {
                tracing::warn!(kiosk_id = scope.kiosk_id(), "kiosk rate limit reached");
                return Err(refused(StatusCode::TOO_MANY_REQUESTS, SLOW_DOWN));
            }
            Ok(scope)
        }
        None => {
            if !state.limits.token_attempts.allow(&peer.to_owned(), now) {
                tracing::warn!(peer = %peer, "kiosk token attempts rate limit reached");
                return Err(refused(StatusCode::TOO_MANY_REQUESTS, SLOW_DOWN));
            }
            if token.is_some() {
                tracing::info!(peer = %peer, "kiosk token refused");
            }
            Err(refused(StatusCode::FORBIDDEN, NOT_A_KIOSK))
        }
    }
}

impl FromRequest for Kiosk {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(KIOSK_COOKIE).map(|c| c.value().to_owned());
        let session = req.get_session();
        let peer = peer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("no app state"))?;
            let scope = kiosk_of(&state, token.as_deref(), &peer).await?;
            Ok(Kiosk { scope, session })
        })
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct StartQuery {
    #[serde(default)]
    token: String,
}

/// Opens the kiosk on this device: keeps the token in a cookie for
/// `/kiosk`, then shows the kiosk page (the token leaves the address bar).
pub(super) async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<StartQuery>,
) -> Result<HttpResponse, actix_web::Error> {
    let scope = kiosk_of(&state, Some(&q.token), &peer(&req)).await?;
    tracing::info!(kiosk_id = scope.kiosk_id(), "kiosk opened on a device");
    let cookie = Cookie::build(KIOSK_COOKIE, q.token.clone())
        .path("/kiosk")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(
            state
                .config
                .server
                .public_url
                .as_str()
                .starts_with("https://"),
        )
        .max_age(CookieAge::days(KIOSK_COOKIE_DAYS))
        .finish();
    let mut res = see_other("/kiosk");
    res.add_cookie(&cookie)
        .map_err(|e| AppError::internal(format!("kiosk cookie: {e}")))?;
    Ok(res)
}

/// The kiosk page.
#[derive(Debug, Template)]
#[template(path = "kiosk.html")]
struct KioskPage<'a> {
    layout: Layout<'a>,
    csrf: &'a str,
    location: &'a str,
    org: &'a str,
    query: &'a str,
    who: &'a str,
    hint: Option<&'a str>,
    searched: bool,
    hosts: &'a [DeskHost],
    found: Option<&'a [DeskVisit]>,
    errors: &'a [&'a str],
}

/// After a check-in.
#[derive(Debug, Template)]
#[template(path = "kiosk_done.html")]
struct DonePage<'a> {
    layout: Layout<'a>,
    visitor: &'a str,
    host: &'a str,
}

fn kiosk_layout<'a>(state: &'a AppState, title: &'a str) -> Layout<'a> {
    Layout {
        app: &state.config.server.title,
        title,
        nav: Nav::None,
        viewer: None,
        home: "/kiosk",
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct KioskQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    who: String,
}

pub(super) async fn page(
    state: web::Data<AppState>,
    k: Kiosk,
    q: web::Query<KioskQuery>,
) -> Result<HttpResponse, AppError> {
    let query: String = q.q.chars().take(reception::MAX_SEARCH_CHARS).collect();
    let who: String = q.who.chars().take(reception::MAX_EMAIL).collect();
    render(&state, &k, StatusCode::OK, &query, &who, &[]).await
}

async fn render(
    state: &AppState,
    k: &Kiosk,
    status: StatusCode,
    query: &str,
    who: &str,
    errors: &[&str],
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&k.session)?;
    let term = SearchTerm::parse(query);
    let searched = term.is_some();
    let hint = (!query.trim().is_empty() && term.is_none())
        .then_some("Type at least two letters of your host's name.");
    let lookup = reception::text_field(who, reception::MAX_EMAIL, true);
    let today = state.now().date_naive();
    let ((location, org), hosts, found) = state
        .store
        .at_desk(&k.scope, move |d| {
            let hosts = match &term {
                Some(t) => d.hosts(t.as_str(), MAX_HOSTS)?,
                None => Vec::new(),
            };
            let found = match &lookup {
                Some(w) => Some(d.registrations(w, today)?),
                None => None,
            };
            Ok((d.names()?, hosts, found))
        })
        .await?;
    let title = format!("Welcome to {location}");
    let page = KioskPage {
        layout: kiosk_layout(state, &title),
        csrf: &csrf,
        location: &location,
        org: &org,
        query,
        who,
        hint,
        searched,
        hosts: &hosts,
        found: found.as_deref(),
        errors,
    };
    Ok(pages::respond(status, &page))
}

#[derive(Debug, Deserialize)]
pub(super) struct CheckInPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    company: String,
}

/// Checks in a pre-registration found at this desk.
pub(super) async fn check_in(
    state: web::Data<AppState>,
    k: Kiosk,
    id: web::Path<String>,
    form: web::Form<CheckInPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&k.session, form.csrf_token.as_deref())?;
    let Some(id) = path_id(&id) else {
        return Ok(not_here());
    };
    let Some(company) = reception::text_field(&form.company, reception::MAX_NAME_CHARS, false)
    else {
        let errors = ["Your company's name is too long (up to 100 characters)."];
        return Ok(render(&state, &k, StatusCode::BAD_REQUEST, "", "", &errors).await?);
    };
    let now = state.now();
    let done = state
        .store
        .at_desk(&k.scope, move |d| {
            let Some(c) = d.check_in(id, &company, now)? else {
                return Ok(None);
            };
            if c.new {
                d.queue(&compose::check_in(&c, now), now)?;
            }
            Ok(Some(c))
        })
        .await
        .map_err(AppError::from)?;
    finish(&state, &k, done)
}

#[derive(Debug, Deserialize)]
pub(super) struct WalkInPost {
    #[serde(default)]
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    host_id: String,
}

/// Checks in a visitor who was not pre-registered, for the host they
/// picked.
pub(super) async fn walk_in(
    state: web::Data<AppState>,
    k: Kiosk,
    form: web::Form<WalkInPost>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&k.session, form.csrf_token.as_deref())?;
    let (name, email, company) =
        match reception::visitor_fields(&form.name, &form.email, &form.company) {
            Ok(v) => v,
            Err(errors) => {
                return Ok(render(&state, &k, StatusCode::BAD_REQUEST, "", "", &errors).await?);
            }
        };
    let Some(host_id) = path_id(form.host_id.trim()) else {
        return Ok(not_here());
    };
    let w = WalkIn {
        name,
        email,
        company,
        host_id,
    };
    let now = state.now();
    let done = state
        .store
        .at_desk(&k.scope, move |d| {
            let Some(c) = d.walk_in(&w, now)? else {
                return Ok(None);
            };
            d.queue(&compose::check_in(&c, now), now)?;
            Ok(Some(c))
        })
        .await
        .map_err(AppError::from)?;
    finish(&state, &k, done)
}

fn finish(
    state: &AppState,
    k: &Kiosk,
    done: Option<crate::store::CheckedIn>,
) -> Result<HttpResponse, actix_web::Error> {
    state.metrics.operation("kiosk_check_in", done.is_some());
    let Some(c) = done else {
        return Ok(not_here());
    };
    tracing::info!(
        kiosk_id = k.scope.kiosk_id(),
        visit_id = c.visit_id,
        host_id = c.host_id,
        new = c.new,
        "visitor checked in"
    );
    let page = DonePage {
        layout: kiosk_layout(state, "You are checked in"),
        visitor: &c.visitor_name,
        host: &c.host_name,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

/// The one answer for a visit or host that is not at this desk (another
/// location's, another organization's, a deactivated host's, or none).
fn not_here() -> HttpResponse {
    samlsp_actix::html::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<p>That visit or host is not available at this reception. Please ask at the desk.</p>\
         <p><a href=\"/kiosk\">Start again</a></p>",
    )
}
