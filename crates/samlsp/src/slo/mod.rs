//! Single Logout (SAML Core 2.0 §3.7, SAML Profiles §4.4): ending a user's
//! sessions at the IdP when they sign out here, and ending ours when the
//! IdP says so.
//!
//! - SP-initiated: [`ServiceProvider::logout_request`] writes a signed
//!   LogoutRequest with the NameID exactly as asserted and the SessionIndex
//!   of the sign-in (an IdP such as ADFS or Entra ID refuses one without);
//!   its [`crate::PendingRequest`] goes into the same [`crate::RequestStore`]
//!   as AuthnRequests and is taken once by the LogoutResponse
//!   ([`ServiceProvider::receive_logout`]), whose InResponseTo must be its
//!   ID.
//! - IdP-initiated: [`ServiceProvider::receive_logout`] verifies the
//!   LogoutRequest (signature required, Issuer, Destination, time window,
//!   replay) into a [`VerifiedLogoutRequest`], the only place its NameID
//!   and SessionIndex can be read; [`VerifiedLogoutRequest::end_sessions`]
//!   finds the local sessions through a [`crate::SessionRegistry`], without
//!   any cookie; [`ServiceProvider::logout_response`] answers.
//!
//! Every logout message is signed both ways. An HTTP-Redirect signature is
//! verified over the query string as received, never re-encoded (SAML
//! Bindings §3.4.4.1): Entra ID and ADFS percent-encode in lower case.
//!
//! [`ServiceProvider::logout_request`]: crate::ServiceProvider::logout_request
//! [`ServiceProvider::receive_logout`]: crate::ServiceProvider::receive_logout
//! [`ServiceProvider::logout_response`]: crate::ServiceProvider::logout_response

mod error;
mod inbound;
mod outbound;
mod verified;

pub use error::LogoutError;
pub use outbound::{LogoutReply, LogoutSubject, PreparedLogoutRequest};
pub use verified::{
    LogoutStatus, ReceivedLogout, SloMessage, VerifiedLogoutRequest, VerifiedLogoutResponse,
};

/// SAML 2.0 protocol namespace.
const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace.
const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// How long after its IssueInstant an inbound logout message is accepted
/// (plus the clock skew): 10 minutes. Front-channel messages arrive within
/// seconds; the bound keeps the replay cache's entries short-lived when the
/// IdP sets no NotOnOrAfter.
pub const MAX_MESSAGE_AGE_SECONDS: i64 = 600;

/// `NotOnOrAfter` of our LogoutRequests: 5 minutes after IssueInstant.
pub const LOGOUT_REQUEST_VALIDITY_SECONDS: i64 = 300;

/// How long our LogoutRequest waits for its LogoutResponse: 10 minutes (the
/// IdP may show a confirmation page first).
pub const PENDING_LOGOUT_SECONDS: i64 = 600;
