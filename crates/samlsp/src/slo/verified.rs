//! What verification of a logout message yields: proof types, built only
//! by [`super::inbound`], the one place their NameID, SessionIndex and
//! status can be read from.

use chrono::{DateTime, Utc};

use super::error::LogoutError;
use crate::assertion::NameId;
use crate::binding::Binding;
use crate::error::Error;
use crate::ids::EntityId;
use crate::session_registry::{LocalSessionId, SessionRegistry, SessionSubject};
use crate::tracking::PendingRequest;

/// A logout message as it reached this SP's SingleLogoutService.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloMessage<'a> {
    /// HTTP-Redirect: the raw query string (after `?`, without `#...`),
    /// exactly as received: the signature covers these bytes.
    Redirect {
        /// The query string.
        query: &'a str,
    },
    /// HTTP-POST with `SAMLRequest` (form-decoded).
    PostRequest {
        /// The base64 `SAMLRequest`.
        saml_request: &'a str,
        /// `RelayState`, if sent.
        relay_state: Option<&'a str>,
    },
    /// HTTP-POST with `SAMLResponse` (form-decoded).
    PostResponse {
        /// The base64 `SAMLResponse`.
        saml_response: &'a str,
        /// `RelayState`, if sent.
        relay_state: Option<&'a str>,
    },
}

/// What [`crate::ServiceProvider::receive_logout`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum ReceivedLogout {
    /// The IdP asks to end sessions.
    Request(VerifiedLogoutRequest),
    /// The IdP answers our LogoutRequest.
    Response(VerifiedLogoutResponse),
}

/// A LogoutRequest whose signature, issuer, destination, time window and
/// ID (against replay) were checked. Only the verifier builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogoutRequest {
    pub(super) id: String,
    pub(super) issuer: EntityId,
    pub(super) name_id: NameId,
    pub(super) session_indexes: Vec<String>,
    pub(super) relay_state: Option<String>,
    pub(super) binding: Binding,
}

impl VerifiedLogoutRequest {
    /// The request's ID (the InResponseTo of our answer).
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The IdP that sent it (the verified Issuer).
    pub fn issuer(&self) -> &EntityId {
        &self.issuer
    }
    /// The subject whose sessions end.
    pub fn name_id(&self) -> &NameId {
        &self.name_id
    }
    /// The IdP sessions to end; empty means every session of the subject
    /// (SAML Core 2.0 §3.7.3.1).
    pub fn session_indexes(&self) -> &[String] {
        &self.session_indexes
    }
    /// The RelayState to echo.
    pub fn relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }
    /// The binding it arrived by.
    pub fn binding(&self) -> Binding {
        self.binding
    }
    /// The registry key of the subject.
    pub fn subject(&self) -> SessionSubject {
        SessionSubject::new(
            self.issuer.clone(),
            self.name_id.value(),
            self.name_id.format(),
        )
    }
    /// Takes the local sessions this request ends from `registry`: those
    /// of its subject with one of its SessionIndex values, or all of the
    /// subject's when it names none. None at all is
    /// [`LogoutError::UnknownPrincipal`]: nothing is ended.
    pub fn end_sessions(
        &self,
        registry: &dyn SessionRegistry,
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalSessionId>, Error> {
        let ended = registry.take(&self.subject(), &self.session_indexes, now)?;
        if ended.is_empty() {
            return Err(LogoutError::UnknownPrincipal.into());
        }
        Ok(ended)
    }
}

/// The IdP's status for our LogoutRequest (SAML Core 2.0 §3.7.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutStatus {
    /// Logged out at the IdP (and, as far as it knows, everywhere).
    Success,
    /// Logged out at the IdP, but not at every other SP
    /// (`urn:oasis:names:tc:SAML:2.0:status:PartialLogout`).
    PartialLogout,
    /// The IdP did not log the user out.
    Failed {
        /// Top-level StatusCode (clipped).
        code: String,
        /// Second-level StatusCode (clipped).
        second_level: Option<String>,
    },
}

/// A LogoutResponse to one of our LogoutRequests: signature, issuer,
/// destination, InResponseTo (the pending request, taken once) checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogoutResponse {
    pub(super) issuer: EntityId,
    pub(super) status: LogoutStatus,
    pub(super) request: PendingRequest,
}

impl VerifiedLogoutResponse {
    /// The IdP that answered.
    pub fn issuer(&self) -> &EntityId {
        &self.issuer
    }
    /// What the IdP did.
    pub fn status(&self) -> &LogoutStatus {
        &self.status
    }
    /// The LogoutRequest it answers (with its application state).
    pub fn request(&self) -> &PendingRequest {
        &self.request
    }
}
