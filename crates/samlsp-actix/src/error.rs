//! Sign-in failures: one fixed page for the browser, the exact reason for the
//! log. The browser is whoever posted the response, possibly an attacker
//! probing which check fails, so it learns nothing (as crewjam/saml's
//! "authentication failed"); the operator gets the precise, escaped reason.
//!
//! Every failure gets a correlation ID, shown on the page and written in the
//! log line with the reason, so support can find the one from the other. The
//! log never contains the SAML message, attribute values or key material:
//! only the error's `Display`, which the core keeps free of keys and clips
//! attacker-supplied strings in.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::binding::BindingCookie;
use crate::html;
use crate::user::Refusal;

/// Why a sign-in did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The SAML layer refused the message (signature, issuer, audience,
    /// replay, InResponseTo, unsolicited, ...).
    #[error("SAML: {0}")]
    Saml(#[from] samlsp::Error),
    /// `/saml/login` named an IdP this tenant does not have.
    #[error("no identity provider {slug:?} is configured here")]
    UnknownIdp {
        /// The requested slug (clipped).
        slug: String,
    },
    /// `/saml/login` named no IdP and the tenant has several.
    #[error("the login request names no identity provider and several are configured")]
    IdpNotChosen,
    /// The IdP is configured but its metadata has not loaded (yet).
    #[error("identity provider {slug:?} has no usable metadata yet")]
    IdpUnavailable {
        /// The IdP slug.
        slug: String,
    },
    /// A real sign-in through a connection that takes only test sign-ins
    /// ([`crate::IdpOptions::test_only`]): it is being set up.
    #[error("connection {slug:?} is not enabled for sign-in (it takes test sign-ins only)")]
    ConnectionNotEnabled {
        /// The IdP slug.
        slug: String,
    },
    /// No IdP of this tenant is usable, so there is no service provider.
    #[error("no identity provider of this tenant has usable metadata")]
    TenantUnavailable,
    /// The ACS POST is not a well-formed SAML HTTP-POST message.
    #[error("malformed ACS request: {0}")]
    MalformedRequest(&'static str),
    /// The verified assertion names an IdP the tenant does not list (cannot
    /// happen unless the configuration changed mid-login).
    #[error("the assertion issuer is not an IdP of this tenant")]
    IssuerNotInTenant,
    /// The application's user mapping refused this person.
    #[error("refused by the application: {} ({})", .0.code, .0.title)]
    Refused(Refusal),
    /// The application's user mapping failed (a database error, ...).
    #[error("user mapping failed: {0}")]
    Mapper(String),
    /// The application's user mapping could not reach its database for now
    /// ([`crate::MapError::Unavailable`]): answered 503 with `Retry-After`.
    #[error("user mapping failed, its database is unavailable: {0}")]
    MapperUnavailable(String),
    /// The session could not be written.
    #[error("session: {0}")]
    Session(String),
    /// The RelayState names a pending request that another browser started
    /// (login CSRF, or a response copied between browsers). The request
    /// stays pending for the browser that started it.
    #[error("the pending request was started by another browser ({0})")]
    OtherBrowser(BindingCookie),
    /// As many responses as allowed are being verified already; the client
    /// may retry (answered 503 with `Retry-After`, never queued).
    #[error("too many responses are being verified ({limit} at a time)")]
    Busy {
        /// The configured bound.
        limit: usize,
    },
    /// The verification task, or a request-store call, did not complete on
    /// the blocking pool (the pool shut down).
    #[error("the verification task did not complete")]
    VerificationAborted,
    /// The IdP answered our LogoutRequest with a non-success status (SAML
    /// Core 2.0 §3.2.2.2): its session may go on; ours has ended.
    #[error("the IdP refused the logout request: {status}")]
    LogoutRefused {
        /// The top-level status code, and the second-level one after
        /// ` / ` when given (clipped by the core).
        status: String,
    },
}

impl SignInError {
    /// True when the request store or replay cache could not be reached
    /// (a shared store such as Redis is down): the sign-in was refused
    /// because it could not be checked, and will work again once the store
    /// is back. Answered 503 with `Retry-After`, logged at `error`.
    /// The application's database, reached through its user mapping,
    /// counts too.
    pub fn is_store_unavailable(&self) -> bool {
        matches!(
            self,
            SignInError::Saml(samlsp::Error::Tracking(
                samlsp::TrackingError::Unavailable { .. }
            )) | SignInError::MapperUnavailable(_)
        )
    }

    /// A stable short name for logs and tests (`kind=` in the log line).
    pub fn kind(&self) -> &'static str {
        use samlsp::{Error as E, ProtocolError as P};
        match self {
            SignInError::Saml(e) => match e {
                E::Protocol(P::Replay { .. }) => "replay",
                E::Protocol(P::Issuer { .. }) => "issuer_mismatch",
                E::Protocol(P::UnknownIssuer { .. }) => "unknown_issuer",
                E::Protocol(P::UnsolicitedNotAllowed) => "unsolicited_not_allowed",
                E::Protocol(P::InResponseTo { .. } | P::UnknownInResponseTo { .. }) => {
                    "in_response_to"
                }
                E::Protocol(P::Expired { .. } | P::ConfirmationExpired { .. }) => "expired",
                E::Protocol(P::NotYetValid { .. }) => "not_yet_valid",
                E::Protocol(P::Audience { .. } | P::NoAudienceRestriction) => "audience",
                E::Protocol(P::Destination { .. } | P::Recipient { .. }) => "destination",
                E::Protocol(P::Status { .. }) => "idp_status",
                E::Protocol(P::NotSigned) => "not_signed",
                E::Protocol(_) => "protocol",
                E::Signature(_) => "signature",
                E::Xml(_) => "xml",
                E::Encoding(_) => "encoding",
                E::Decryption(_) => "decryption",
                E::Tracking(samlsp::TrackingError::Unavailable { .. }) => "store_unavailable",
                E::Tracking(_) => "tracking",
                E::Outbound(_) => "outbound",
                E::Config(_) => "config",
                E::Metadata(_) => "metadata",
                E::Binding(_) => "binding",
                E::Logout(l) => l.kind(),
                _ => "saml",
            },
            SignInError::UnknownIdp { .. } => "unknown_idp",
            SignInError::IdpNotChosen => "idp_not_chosen",
            SignInError::IdpUnavailable { .. } => "idp_unavailable",
            SignInError::ConnectionNotEnabled { .. } => "connection_not_enabled",
            SignInError::TenantUnavailable => "tenant_unavailable",
            SignInError::MalformedRequest(_) => "malformed_request",
            SignInError::IssuerNotInTenant => "issuer_not_in_tenant",
            SignInError::Refused(_) => "refused",
            SignInError::Mapper(_) => "mapper",
            SignInError::MapperUnavailable(_) => "mapper_unavailable",
            SignInError::Session(_) => "session",
            SignInError::OtherBrowser(_) => "browser_mismatch",
            SignInError::Busy { .. } => "busy",
            SignInError::VerificationAborted => "verification_aborted",
            SignInError::LogoutRefused { .. } => "logout_refused",
        }
    }
}

/// A failed sign-in as the browser sees it: the error plus its correlation
/// ID. Created with [`SignInFailure::log`], which writes the log line.
#[derive(Debug)]
pub struct SignInFailure {
    correlation_id: String,
    error: SignInError,
    route: &'static str,
}

impl SignInFailure {
    /// Logs `error` with a fresh correlation ID (at `warn`; internal failures
    /// at `error`) and returns the failure to answer with.
    pub fn log(error: SignInError, route: &'static str, tenant: Option<&str>) -> Self {
        // A reference, not a secret: fall back to the time if the CSPRNG fails.
        let correlation_id = crate::random_token(9).unwrap_or_else(|| {
            format!("t{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0))
        });
        let kind = error.kind();
        let code = error.code();
        // Ours to fix, not the sender's: at `error`. An unreachable store
        // (Redis down) is one: nothing was accepted, and the operator must act.
        let internal = matches!(
            &error,
            SignInError::Mapper(_) | SignInError::Session(_) | SignInError::VerificationAborted
        ) || error.is_store_unavailable();
        let sign_out = matches!(route, "slo" | "logout");
        let reason = &error;
        let tenant = tenant.unwrap_or("-");
        match (internal, sign_out) {
            (true, false) => tracing::error!(
                correlation_id = %correlation_id, kind, code, route, tenant, reason = %reason,
                "SAML sign-in failed"
            ),
            (false, false) => tracing::warn!(
                correlation_id = %correlation_id, kind, code, route, tenant, reason = %reason,
                "SAML sign-in failed"
            ),
            (true, true) => tracing::error!(
                correlation_id = %correlation_id, kind, code, route, tenant, reason = %reason,
                "SAML sign-out failed"
            ),
            (false, true) => tracing::warn!(
                correlation_id = %correlation_id, kind, code, route, tenant, reason = %reason,
                "SAML sign-out failed"
            ),
        }
        SignInFailure {
            correlation_id,
            error,
            route,
        }
    }

    /// The correlation ID shown to the user and logged.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// The reason.
    pub fn error(&self) -> &SignInError {
        &self.error
    }
}

impl fmt::Display for SignInFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the browser may know: nothing but the reference.
        write!(f, "sign-in failed (reference {})", self.correlation_id)
    }
}

impl ResponseError for SignInFailure {
    fn status_code(&self) -> StatusCode {
        if self.error.is_store_unavailable() {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        match &self.error {
            SignInError::Refused(_) | SignInError::ConnectionNotEnabled { .. } => {
                StatusCode::FORBIDDEN
            }
            SignInError::Mapper(_) | SignInError::Session(_) | SignInError::VerificationAborted => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            SignInError::IdpUnavailable { .. }
            | SignInError::TenantUnavailable
            | SignInError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let reference = html::escape(&self.correlation_id);
        let mut res = match &self.error {
            // The application's own words: it decided, and it wants the
            // person to know what to do next.
            SignInError::Refused(r) => html::page(
                self.status_code(),
                &r.title,
                &format!(
                    "<p>{}</p>\n<p>Reference: <code>{reference}</code></p>\n\
                     <p><a href=\"/\">Back to the start page</a></p>",
                    html::escape(&r.message)
                ),
            ),
            _ if self.route == "slo" => html::page(
                self.status_code(),
                SIGN_OUT_FAILED_TITLE,
                &format!(
                    "<p>{SIGN_OUT_FAILED_TEXT}</p>\n<p>Reference: <code>{reference}</code></p>\n\
                     <p><a href=\"/\">Back to the start page</a></p>"
                ),
            ),
            _ if self.error.is_store_unavailable() => html::page(
                self.status_code(),
                UNAVAILABLE_TITLE,
                &format!(
                    "<p>{UNAVAILABLE_TEXT}</p>\n<p>Reference: <code>{reference}</code></p>\n\
                     <p><a href=\"/\">Back to the start page</a></p>"
                ),
            ),
            _ => html::page(
                self.status_code(),
                FAILED_TITLE,
                &format!(
                    "<p>{FAILED_TEXT}</p>\n<p>Reference: <code>{reference}</code></p>\n\
                     <p><a href=\"/\">Back to the start page</a></p>"
                ),
            ),
        };
        if matches!(self.error, SignInError::Busy { .. }) || self.error.is_store_unavailable() {
            // RFC 9110 §10.2.3: a retry after one second finds a free slot
            // unless the overload lasts (or the store is back); the pending
            // request was not used.
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
        }
        res
    }
}

/// Title of the page for a refused logout message.
pub const SIGN_OUT_FAILED_TITLE: &str = "Sign-out request refused";
/// Text of the page for a refused logout message.
pub const SIGN_OUT_FAILED_TEXT: &str = "This sign-out request could not be verified, so \
                                        nothing was changed. If you meant to sign out, use \
                                        the Sign out button of the application.";

/// Title of the fixed failure page.
pub const FAILED_TITLE: &str = "Sign-in failed";
/// Text of the fixed failure page.
pub const FAILED_TEXT: &str = "We could not sign you in. Please try again. If it keeps \
                               happening, contact your administrator and give them the \
                               reference below.";

/// Title of the page shown when the login state store is unreachable.
pub const UNAVAILABLE_TITLE: &str = "Sign-in temporarily unavailable";
/// Text of that page: nothing was accepted, and trying again later works.
pub const UNAVAILABLE_TEXT: &str = "Sign-in is unavailable for a moment: we cannot check \
                                    logins safely right now, so none is accepted. Please try \
                                    again in a minute. If it keeps happening, contact your \
                                    administrator and give them the reference below.";

#[cfg(test)]
mod tests {
    use super::*;
    use samlsp::TrackingError;

    fn tracking(e: TrackingError) -> SignInError {
        SignInError::Saml(samlsp::Error::Tracking(e))
    }

    #[test]
    fn an_unreachable_store_is_a_503_that_says_so() {
        let e = tracking(TrackingError::Unavailable {
            reason: "redis did not answer within 1s".into(),
        });
        assert!(e.is_store_unavailable());
        assert_eq!(e.kind(), "store_unavailable");
        let f = SignInFailure::log(e, "acs", None);
        assert_eq!(f.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let res = f.error_response();
        assert_eq!(
            res.headers().get(actix_web::http::header::RETRY_AFTER),
            Some(&actix_web::http::header::HeaderValue::from_static("1"))
        );
    }

    /// The application's database out of reach ([`crate::MapError::Unavailable`])
    /// is the same 503; any other mapper fault stays the 500.
    #[test]
    fn an_unreachable_application_database_is_a_503_other_mapper_faults_a_500() {
        let e = SignInError::MapperUnavailable("PostgreSQL: connection refused".into());
        assert!(e.is_store_unavailable());
        assert_eq!(e.kind(), "mapper_unavailable");
        let f = SignInFailure::log(e, "acs", None);
        assert_eq!(f.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            f.error_response()
                .headers()
                .contains_key(actix_web::http::header::RETRY_AFTER)
        );
        let f = SignInFailure::log(SignInError::Mapper("constraint".into()), "acs", None);
        assert_eq!(f.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !f.error_response()
                .headers()
                .contains_key(actix_web::http::header::RETRY_AFTER)
        );
    }

    #[test]
    fn other_store_refusals_stay_sign_in_failures() {
        let e = tracking(TrackingError::Full {
            store: "replay cache",
            capacity: 1,
        });
        assert!(!e.is_store_unavailable());
        assert_eq!(e.kind(), "tracking");
        let f = SignInFailure::log(e, "acs", None);
        assert_eq!(f.status_code(), StatusCode::BAD_REQUEST);
        assert!(
            !f.error_response()
                .headers()
                .contains_key(actix_web::http::header::RETRY_AFTER)
        );
    }
}
