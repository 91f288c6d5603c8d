//! The application's side of a sign-in: the [`UserMapper`] hook that turns a
//! verified assertion into one of its users (just-in-time creation or
//! linking), and the [`SignedIn`] extractor that means "logged in".

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use samlsp::Assertion;
use serde::{Deserialize, Serialize};

use crate::Saml;
use crate::return_to::ReturnTo;

/// A verified sign-in, handed to [`UserMapper::sign_in`]. Only the ACS
/// handler builds one, from an [`Assertion`] the core verified.
#[derive(Debug)]
pub struct VerifiedLogin {
    pub(crate) assertion: Assertion,
    pub(crate) tenant: Option<String>,
    pub(crate) idp_slug: String,
    pub(crate) idp_name: String,
    pub(crate) idp_initiated: bool,
}

impl VerifiedLogin {
    /// The verified assertion: issuer, NameID, attributes, session index.
    pub fn assertion(&self) -> &Assertion {
        &self.assertion
    }
    /// The IdP's entity ID (the verified Issuer).
    pub fn idp_entity_id(&self) -> &str {
        self.assertion.issuer().as_str()
    }
    /// The configured short name of the IdP (`acme`).
    pub fn idp_slug(&self) -> &str {
        &self.idp_slug
    }
    /// The IdP's display name (`Acme Corp`).
    pub fn idp_name(&self) -> &str {
        &self.idp_name
    }
    /// The tenant whose ACS received it (`None` for the default tenant).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    /// True for an IdP-initiated (unsolicited) response.
    pub fn idp_initiated(&self) -> bool {
        self.idp_initiated
    }
}

/// The application user a sign-in resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedUser {
    /// The application's user ID (kept in the session).
    pub user_id: String,
    /// Name to show.
    pub display_name: String,
}

/// The application refuses this person, with words they can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable short code for logs and tests (`deactivated`, ...).
    pub code: &'static str,
    /// Page title.
    pub title: String,
    /// What happened and what to do, for the person signing in.
    pub message: String,
}

/// What a [`UserMapper`] can answer besides a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    /// A decision: this person may not sign in (shown as a clear page, 403).
    Refused(Refusal),
    /// A fault (a database error, ...): the fixed failure page, 500.
    Internal(String),
    /// The application's database cannot be reached for now: the
    /// "temporarily unavailable" page, 503 with `Retry-After`. Nothing was
    /// written; the person signs in again once it is back.
    Unavailable(String),
}

/// The future a [`UserMapper`] returns.
pub type MapFuture<'a> = Pin<Box<dyn Future<Output = Result<LinkedUser, MapError>> + 'a>>;

/// The hook the application implements: map a verified sign-in to its own
/// user (look up by linked identity, link, create just in time, or refuse).
///
/// It runs after every SAML check passed and the assertion ID was recorded
/// against replay, and before the session is created.
pub trait UserMapper: Send + Sync + 'static {
    /// Resolves the person in `login` to an application user.
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a>;
}

/// Session key under which the sign-in is stored.
pub(crate) const SESSION_USER_KEY: &str = "samlsp.user";

/// The signed-in user, from the session. Using it as a handler argument
/// means "logged in": without a (current) sign-in the request is answered
/// with a redirect to the sign-in page (GET/HEAD) or `401`.
///
/// Only this crate builds one: the ACS handler, after the core verified the
/// response and the [`UserMapper`] accepted the person, and the extractor,
/// from the session it wrote. Application code reads it and cannot make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    stored: Stored,
}

/// What the session holds: a private mirror of [`SignedIn`], so the public
/// type has no `Deserialize` that application code could feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub(crate) user_id: String,
    pub(crate) display_name: String,
    pub(crate) idp: String,
    pub(crate) idp_slug: String,
    pub(crate) tenant: Option<String>,
    pub(crate) name_id: String,
    pub(crate) name_id_format: Option<String>,
    pub(crate) name_qualifier: Option<String>,
    pub(crate) sp_name_qualifier: Option<String>,
    pub(crate) session_index: Option<String>,
    /// The local session ID the session registry maps IdP sessions to.
    pub(crate) sid: String,
    pub(crate) authenticated_at: i64,
    pub(crate) signed_in_at: i64,
    pub(crate) expires_at: i64,
}

impl SignedIn {
    pub(crate) fn new(stored: Stored) -> Self {
        SignedIn { stored }
    }

    /// The application's user ID ([`LinkedUser::user_id`]).
    pub fn user_id(&self) -> &str {
        &self.stored.user_id
    }
    /// Name to show.
    pub fn display_name(&self) -> &str {
        &self.stored.display_name
    }
    /// The IdP's entity ID (the verified Issuer).
    pub fn idp(&self) -> &str {
        &self.stored.idp
    }
    /// The configured short name of the IdP.
    pub fn idp_slug(&self) -> &str {
        &self.stored.idp_slug
    }
    /// The tenant (`None` for the default one).
    pub fn tenant(&self) -> Option<&str> {
        self.stored.tenant.as_deref()
    }
    /// The NameID value.
    pub fn name_id(&self) -> &str {
        &self.stored.name_id
    }
    /// The NameID format.
    pub fn name_id_format(&self) -> Option<&str> {
        self.stored.name_id_format.as_deref()
    }
    /// The IdP's `SessionIndex` (for single logout).
    pub fn session_index(&self) -> Option<&str> {
        self.stored.session_index.as_deref()
    }
    /// The ID of this local session ([`samlsp::SessionRegistry`]): an IdP's
    /// LogoutRequest ends it through the registry.
    pub fn local_session_id(&self) -> Option<samlsp::LocalSessionId> {
        samlsp::LocalSessionId::parse(&self.stored.sid)
    }
    /// `AuthnInstant`, Unix seconds.
    pub fn authenticated_at(&self) -> i64 {
        self.stored.authenticated_at
    }
    /// When this session was created, Unix seconds.
    pub fn signed_in_at(&self) -> i64 {
        self.stored.signed_in_at
    }
    /// When this session ends at the latest, Unix seconds: the earlier of the
    /// configured maximum and the IdP's `SessionNotOnOrAfter`.
    pub fn expires_at(&self) -> i64 {
        self.stored.expires_at
    }

    /// Reads the sign-in from `session`, if there is one that has not
    /// expired at `now`. It does not consult the session registry: the
    /// extractor does ([`SignedIn::from_request`]), so use that.
    pub fn from_session(session: &Session, now: DateTime<Utc>) -> Option<SignedIn> {
        let stored: Stored = session.get(SESSION_USER_KEY).ok().flatten()?;
        if now.timestamp() >= stored.expires_at {
            return None;
        }
        Some(SignedIn { stored })
    }

    /// What Single Logout needs to name this session at the IdP.
    pub(crate) fn logout_subject(&self) -> samlsp::LogoutSubject {
        let s = &self.stored;
        samlsp::LogoutSubject::new(s.name_id.clone(), s.name_id_format.clone())
            .qualifiers(s.name_qualifier.clone(), s.sp_name_qualifier.clone())
            .session_index(s.session_index.clone())
    }

    /// Writes a fresh sign-in: the session gets a new key (renewed, against
    /// fixation) and loses everything it held before (the pre-login CSRF
    /// token included).
    pub(crate) fn start(&self, session: &Session) -> Result<(), String> {
        session.renew();
        session.clear();
        session
            .insert(SESSION_USER_KEY, &self.stored)
            .map_err(|e| e.to_string())
    }
}

/// Ends the sign-in here only: deletes the session server-side and the
/// cookie; the IdP's session goes on. For a person pressing "Sign out", use
/// [`crate::start_logout`], which also ends the IdP session (Single Logout).
pub fn sign_out(session: &Session) {
    session.purge();
}

/// The request carries no current sign-in.
#[derive(Debug)]
pub struct NotSignedIn {
    location: Option<String>,
}

impl std::fmt::Display for NotSignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not signed in")
    }
}

impl ResponseError for NotSignedIn {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self.location {
            Some(_) => actix_web::http::StatusCode::SEE_OTHER,
            None => actix_web::http::StatusCode::UNAUTHORIZED,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match &self.location {
            Some(loc) => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, loc.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish(),
            None => crate::html::page(
                actix_web::http::StatusCode::UNAUTHORIZED,
                "Please sign in",
                "<p>This page needs you to be signed in.</p>\
                 <p><a href=\"/\">Sign in</a></p>",
            ),
        }
    }
}

impl FromRequest for SignedIn {
    type Error = NotSignedIn;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let saml = req.app_data::<web::Data<Saml>>();
        let now = saml.map_or_else(Utc::now, |s| s.now());
        let session = req.get_session();
        if let Some(user) = SignedIn::from_session(&session, now) {
            // Ended elsewhere (an IdP's LogoutRequest, perhaps server to
            // server, without this cookie)? A registry that cannot answer
            // counts as ended: fail closed.
            let ended = match (saml, user.local_session_id()) {
                (Some(s), Some(sid)) => s.inner.sessions.is_revoked(&sid, now).unwrap_or_else(|e| {
                    tracing::error!(reason = %e, "session registry unavailable; session refused");
                    true
                }),
                (None, _) => false,
                (Some(_), None) => true,
            };
            if !ended {
                return std::future::ready(Ok(user));
            }
            tracing::info!(user_id = %user.user_id(), "session ended by single logout");
            session.purge();
        }
        if session.contains_key(SESSION_USER_KEY) {
            // Expired: drop it rather than keep carrying it.
            session.purge();
        }
        let location = match req.method().as_str() {
            "GET" | "HEAD" => {
                let sign_in = saml.map_or("/", |s| s.sign_in_path());
                let here = match req.query_string() {
                    "" => req.path().to_owned(),
                    q => format!("{}?{q}", req.path()),
                };
                Some(match ReturnTo::parse(&here) {
                    Some(r) if r.as_str() != "/" && r.as_str() != sign_in => format!(
                        "{sign_in}{}return_to={}",
                        if sign_in.contains('?') { '&' } else { '?' },
                        samlsp::internal::binding::url_encode(r.as_str())
                    ),
                    _ => sign_in.to_owned(),
                })
            }
            _ => None,
        };
        std::future::ready(Err(NotSignedIn { location }))
    }
}
