//! Why a Single Logout message was refused or could not be made.

use chrono::{DateTime, Utc};

/// A Single Logout failure (SAML Core 2.0 §3.7, SAML Profiles §4.4).
///
/// Attacker-supplied strings are clipped and printed with `{:?}` like every
/// other error of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutError {
    /// The root element is not a LogoutRequest or LogoutResponse.
    #[error("root element {name:?} in namespace {namespace:?} is not a samlp:{expected}")]
    NotALogoutMessage {
        /// What was expected (`LogoutRequest or LogoutResponse`, ...).
        expected: &'static str,
        /// The root's namespace (clipped).
        namespace: String,
        /// The root's local name (clipped).
        name: String,
    },
    /// A malformed message.
    #[error("malformed {element}: {reason}")]
    Structure {
        /// The element.
        element: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// No Issuer: SAML Profiles §4.4.4.1 and §4.4.4.2 require it.
    #[error("the logout message has no Issuer (SAML Profiles §4.4.4)")]
    MissingIssuer,
    /// The Issuer is not a configured IdP (or not the one the request went to).
    #[error("issuer {found:?} is not a configured identity provider")]
    UnknownIssuer {
        /// The claimed issuer (clipped).
        found: String,
    },
    /// Neither an enveloped signature (HTTP-POST) nor a query-string
    /// signature (HTTP-Redirect): SAML Profiles §4.4.4.1 requires logout
    /// messages to be authenticated, and nothing else can.
    #[error("the logout message is not signed (SAML Profiles §4.4.4)")]
    Unsigned,
    /// A signed message without Destination (SAML Bindings §3.4.5.2, §3.5.5.2).
    #[error("a signed logout message must carry Destination (SAML Bindings §3.4.5.2)")]
    MissingDestination,
    /// Destination is not one of this SP's SingleLogoutService URLs: the
    /// message was meant for someone else.
    #[error("Destination {found:?} is not one of this SP's SingleLogoutService URLs")]
    Destination {
        /// The Destination (clipped).
        found: String,
    },
    /// A timestamp attribute is not an xs:dateTime.
    #[error("{field} is not a valid xs:dateTime")]
    Timestamp {
        /// Which attribute.
        field: &'static str,
    },
    /// IssueInstant is later than now plus the clock skew.
    #[error("the logout message was issued at {issue_instant}, in the future (now {now})")]
    IssuedInFuture {
        /// IssueInstant.
        issue_instant: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// IssueInstant is more than 10 minutes old (plus the skew).
    #[error("the logout message was issued at {issue_instant}, too long ago (now {now})")]
    TooOld {
        /// IssueInstant.
        issue_instant: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// The LogoutRequest's NotOnOrAfter has passed (SAML Core §3.7.1).
    #[error("the LogoutRequest expired at {not_on_or_after} (now {now})")]
    Expired {
        /// NotOnOrAfter.
        not_on_or_after: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    /// The LogoutRequest names its subject by EncryptedID or BaseID, which
    /// this SP does not read; it never guesses a subject.
    #[error("the LogoutRequest identifies its subject by {0}, which is not supported")]
    UnsupportedIdentifier(&'static str),
    /// A LogoutRequest with this ID from this IdP was already accepted.
    #[error("the LogoutRequest {id:?} was already used (replay)")]
    Replay {
        /// The ID (clipped).
        id: String,
    },
    /// A LogoutResponse whose RelayState names no LogoutRequest this SP has
    /// pending: never sent, already answered, or expired.
    #[error("the LogoutResponse answers no pending LogoutRequest of this SP")]
    UnknownRequest,
    /// The RelayState names a pending AuthnRequest: a LogoutResponse never
    /// answers it.
    #[error("the RelayState names a pending AuthnRequest, not a LogoutRequest")]
    NotALogoutRequest,
    /// InResponseTo is not the ID of the pending LogoutRequest.
    #[error("a LogoutResponse to request {expected:?} carries InResponseTo {found:?}")]
    InResponseTo {
        /// The pending request's ID.
        expected: String,
        /// What the response says (clipped).
        found: Option<String>,
    },
    /// The verified LogoutRequest names a subject with no session here.
    #[error("no session of this SP belongs to the subject the LogoutRequest names")]
    UnknownPrincipal,
    /// The IdP publishes no SingleLogoutService for HTTP-Redirect or HTTP-POST.
    #[error("the IdP has no SingleLogoutService endpoint for HTTP-Redirect or HTTP-POST")]
    NoIdpEndpoint,
    /// This SP has no SingleLogoutService URL: the IdP would have nowhere to
    /// answer.
    #[error("this SP has no SingleLogoutService URL configured")]
    NoSpEndpoint,
    /// Logout messages must be signed, and this SP has no signing key.
    #[error("this SP has no signing key; logout messages must be signed")]
    SigningKeyRequired,
}

impl LogoutError {
    /// A stable short name for logs and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            LogoutError::NotALogoutMessage { .. } | LogoutError::Structure { .. } => {
                "logout_malformed"
            }
            LogoutError::MissingIssuer | LogoutError::UnknownIssuer { .. } => "unknown_issuer",
            LogoutError::Unsigned => "not_signed",
            LogoutError::MissingDestination | LogoutError::Destination { .. } => "destination",
            LogoutError::Timestamp { .. } => "logout_malformed",
            LogoutError::IssuedInFuture { .. } => "not_yet_valid",
            LogoutError::TooOld { .. } | LogoutError::Expired { .. } => "expired",
            LogoutError::UnsupportedIdentifier(_) => "unsupported_identifier",
            LogoutError::Replay { .. } => "replay",
            LogoutError::UnknownRequest | LogoutError::NotALogoutRequest => {
                "unknown_logout_request"
            }
            LogoutError::InResponseTo { .. } => "in_response_to",
            LogoutError::UnknownPrincipal => "unknown_principal",
            LogoutError::NoIdpEndpoint | LogoutError::NoSpEndpoint => "no_slo_endpoint",
            LogoutError::SigningKeyRequired => "config",
        }
    }
}
