//! actix-web integration for [`samlsp`]: SAML routes, server-side request
//! tracking, sessions and the signed-in user.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{App, HttpServer, web};
//! use samlsp_actix::{
//!     IdpConfig, IdpOptions, IdpSource, MemorySessionStore, MetadataLocation, Saml,
//!     SessionSecret, SessionSettings, SignedIn, SpSettings, TenantConfig, UserMapper,
//! };
//! # fn mapper() -> Arc<dyn UserMapper> { unimplemented!() }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let saml = Saml::builder(mapper())
//!     .tenant(TenantConfig {
//!         slug: None,
//!         sp: SpSettings::new(
//!             samlsp::EntityId::new("https://visit.example.org/saml/metadata")?,
//!             samlsp::Url::new("https://visit.example.org/saml/acs")?,
//!         ),
//!         idps: vec![IdpConfig {
//!             slug: "acme".into(),
//!             display_name: "Acme Corp".into(),
//!             source: IdpSource::Metadata {
//!                 location: MetadataLocation::Url("https://idp.acme.example/metadata".into()),
//!                 entity_id: None,
//!                 pinned: None,
//!             },
//!             options: IdpOptions::default(),
//!         }],
//!     })
//!     .build()?;
//! saml.refresh(&samlsp_actix::HttpFetcher::default()).await;
//! saml.spawn_refresher(std::time::Duration::from_secs(60));
//! let sessions = SessionSettings::for_site(SessionSecret::generate_ephemeral(), "https://visit.example.org");
//! let store = MemorySessionStore::default();
//! HttpServer::new(move || {
//!     App::new()
//!         .wrap(sessions.middleware(store.clone()))
//!         .configure(samlsp_actix::configure(saml.clone()))
//!         .route("/me", web::get().to(|u: SignedIn| async move { u.display_name().to_owned() }))
//! })
//! .bind("127.0.0.1:8080")?
//! .run()
//! .await?;
//! # Ok(()) }
//! ```
//!
//! What it guarantees:
//! - Every AuthnRequest is remembered server-side ([`samlsp::RequestStore`])
//!   under an opaque RelayState token, taken once by the ACS, and bound to
//!   the browser that started the login by a `__Host-` cookie
//!   (`SameSite=None`: the IdP's POST is cross-site): a response posted from
//!   another browser is refused and the request stays pending (login CSRF).
//! - Signature verification runs on the blocking pool, at most
//!   [`SamlBuilder::max_concurrent_verifications`] at a time; beyond that the
//!   ACS answers 503 at once, so hostile posts cannot stall the workers.
//! - After sign-in the browser goes only to a path on this site
//!   ([`ReturnTo`]); RelayState is never a URL.
//! - A replayed assertion is refused ([`samlsp::ReplayCache`]).
//! - IdP-initiated sign-in only from IdPs configured with
//!   [`IdpOptions::allow_idp_initiated`] (and, as a test sign-in that signs
//!   nobody in, through a connection being set up with
//!   [`IdpOptions::idp_initiated_test_landing`]).
//! - Failures show one fixed page with a correlation ID; the log gets the
//!   reason ([`SignInError::kind`]), never the assertion or key material.
//! - The session is renewed (new ID, old state dropped) at sign-in and
//!   purged at sign-out.
//! - Single Logout ([`start_logout`], `…/saml/slo`): signing out ends the
//!   IdP session too when the IdP offers it, and an IdP's LogoutRequest
//!   ends our sessions through the [`samlsp::SessionRegistry`], without the
//!   browser's cookie; an ended session is refused at its next request.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binding;
mod config;
pub mod csrf;
mod diagnosis;
mod error;
mod fetch;
mod health;
pub mod html;
mod logout;
mod observe;
mod refresh;
mod return_to;
mod routes;
mod runtime;
mod saml;
mod session;
mod tested;
mod user;

pub use binding::BindingCookie;
pub use config::{
    CustomizeSp, IdpConfig, IdpOptions, IdpSource, MetadataLocation, SpSettings, TenantConfig,
};
pub use csrf::{CSRF_FIELD, CsrfError, csrf_token, verify_csrf};
pub use diagnosis::{RemediationContext, sign_in_error_codes};
pub use error::{
    FAILED_TEXT, FAILED_TITLE, SIGN_OUT_FAILED_TEXT, SIGN_OUT_FAILED_TITLE, SignInError,
    SignInFailure, UNAVAILABLE_TEXT, UNAVAILABLE_TITLE,
};
pub use fetch::{FetchError, MAX_REDIRECTS};
pub use health::{CertificateStatus, IdpStatus};
pub use logout::{LogoutOutcome, start_logout};
pub use observe::{
    Attribution, FailedLogout, FailedSignIn, LogoutStep, ObserveFuture, SignInObserver,
    SucceededSignIn,
};
pub use refresh::{FetchFuture, HttpFetcher, MetadataFetcher};
pub use return_to::{MAX_RETURN_TO_BYTES, ReturnTo};
pub use routes::configure;
pub use saml::{Clock, IdpSummary, RefreshReport, Saml, SamlBuilder, SetupError};
pub use session::{
    MemorySessionStore, SESSION_SECRET_BYTES, SessionSecret, SessionSecretError, SessionSettings,
};
pub use tested::TestedLogin;
pub use user::{
    LinkedUser, MapError, MapFuture, NotSignedIn, Refusal, SignedIn, UserMapper, VerifiedLogin,
    sign_out,
};

/// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding;
/// `None` if the CSPRNG fails (it cannot be seeded).
pub(crate) fn random_token(bytes: usize) -> Option<String> {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    openssl::rand::rand_bytes(&mut buf).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&buf))
}
