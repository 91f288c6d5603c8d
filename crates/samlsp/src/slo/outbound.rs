//! What this SP sends: a LogoutRequest to start a logout at the IdP (SAML
//! Core 2.0 §3.7.1, SAML Profiles §4.4.4.1) and the LogoutResponse to an
//! IdP's LogoutRequest (§3.7.2, §4.4.4.2). Both are always signed: over the
//! query string for HTTP-Redirect (SAML Bindings §3.4.4.1), enveloped for
//! HTTP-POST (§3.5.4); ADFS and Entra ID refuse unsigned ones, and Profiles
//! §4.4.4.1 requires it.

use chrono::{DateTime, Duration, Utc};

use super::error::LogoutError;
use super::verified::VerifiedLogoutRequest;
use super::{LOGOUT_REQUEST_VALIDITY_SECONDS, PENDING_LOGOUT_SECONDS, SAML_NS, SAMLP_NS};
use crate::binding::{Binding, MessageKind, PostForm, redirect};
use crate::error::{Error, OutboundError, clip};
use crate::ids::{EntityId, Url};
use crate::keys::{SpKeyPair, b64};
use crate::sp::authn_request::new_id_and_token;
use crate::sp::{OutboundMessage, RandomSource, ServiceProvider};
use crate::time::format_instant;
use crate::tracking::{MAX_APP_STATE_BYTES, PendingRequest, RequestKind};
use crate::xmlwriter::XmlWriter;

/// Status codes (SAML Core 2.0 §3.2.2.2).
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
const RESPONDER: &str = "urn:oasis:names:tc:SAML:2.0:status:Responder";
const UNKNOWN_PRINCIPAL: &str = "urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal";

/// Who to log out at the IdP: the NameID exactly as the IdP asserted it
/// (value, Format, qualifiers; ADFS and Entra ID refuse a LogoutRequest
/// whose NameID differs) and the IdP's SessionIndex from the sign-in.
/// The application keeps these with its session and gives them back here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutSubject {
    name_id: String,
    format: Option<String>,
    name_qualifier: Option<String>,
    sp_name_qualifier: Option<String>,
    session_index: Option<String>,
}

impl LogoutSubject {
    /// The NameID value and Format of the sign-in.
    pub fn new(name_id: impl Into<String>, format: Option<String>) -> Self {
        LogoutSubject {
            name_id: name_id.into(),
            format,
            name_qualifier: None,
            sp_name_qualifier: None,
            session_index: None,
        }
    }
    /// The NameID's `NameQualifier` and `SPNameQualifier`, as asserted.
    pub fn qualifiers(mut self, name: Option<String>, sp_name: Option<String>) -> Self {
        self.name_qualifier = name;
        self.sp_name_qualifier = sp_name;
        self
    }
    /// The `SessionIndex` of the sign-in's AuthnStatement.
    pub fn session_index(mut self, index: Option<String>) -> Self {
        self.session_index = index;
        self
    }
}

/// A LogoutRequest ready to send, and the pending request to remember
/// (take-once, like an AuthnRequest's: [`crate::RequestStore`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedLogoutRequest {
    pending: PendingRequest,
    xml: String,
    binding: Binding,
    message: OutboundMessage,
}

impl PreparedLogoutRequest {
    /// What to put in the request store.
    pub fn pending(&self) -> &PendingRequest {
        &self.pending
    }
    /// The XML as sent (HTTP-POST: with its signature; HTTP-Redirect:
    /// without, the query string carries it).
    pub fn xml(&self) -> &str {
        &self.xml
    }
    /// The binding used.
    pub fn binding(&self) -> Binding {
        self.binding
    }
    /// The message to send.
    pub fn message(&self) -> &OutboundMessage {
        &self.message
    }
    /// Pending request and message, by value.
    pub fn into_parts(self) -> (PendingRequest, OutboundMessage) {
        (self.pending, self.message)
    }
}

/// How this SP answers a verified LogoutRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutReply {
    /// The sessions it names are ended.
    Success,
    /// No session of ours belongs to the subject (Requester /
    /// UnknownPrincipal, SAML Core 2.0 §3.2.2.2).
    UnknownPrincipal,
    /// The sessions could not be ended (Responder).
    Failed,
}

impl ServiceProvider {
    /// A signed LogoutRequest to `idp` for `subject` (SP-initiated Single
    /// Logout, SAML Profiles §4.4.4.1), with `NotOnOrAfter` a few minutes
    /// ahead, sent by `binding` when the IdP offers it (else the IdP's
    /// preferred binding, else HTTP-Redirect, else HTTP-POST). `app_state`
    /// (at most 4 KiB) is kept with the pending request and returned with
    /// the verified LogoutResponse.
    pub fn logout_request(
        &self,
        idp: &EntityId,
        subject: &LogoutSubject,
        binding: Option<Binding>,
        app_state: Option<&str>,
        now: DateTime<Utc>,
        rng: &dyn RandomSource,
    ) -> Result<PreparedLogoutRequest, Error> {
        let idp = self.idp(idp).ok_or_else(|| OutboundError::UnknownIdp {
            entity_id: clip(idp.as_str()),
        })?;
        let key = self.logout_key()?;
        let (binding, destination) = idp.slo_for(binding).ok_or(LogoutError::NoIdpEndpoint)?;
        let own_slo = self.slo_answer_url()?;
        if app_state.is_some_and(|a| a.len() > MAX_APP_STATE_BYTES) {
            return Err(crate::error::ConfigError::Invalid("app state over 4 KiB").into());
        }
        let (id, relay_state) = new_id_and_token(rng)?;

        // SAML Core 2.0 §3.7.1: Issuer, Signature?, Extensions?, NameID,
        // SessionIndex*.
        let mut w = XmlWriter::new();
        w.start("samlp:LogoutRequest")
            .attr("xmlns:samlp", SAMLP_NS)
            .attr("xmlns:saml", SAML_NS)
            .attr("ID", id.as_str())
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(now))
            .attr("Destination", destination.as_str())
            .attr(
                "NotOnOrAfter",
                &format_instant(now + Duration::seconds(LOGOUT_REQUEST_VALIDITY_SECONDS)),
            );
        w.text_element("saml:Issuer", &[], self.entity_id().as_str());
        let signature_at = w.position();
        w.start("saml:NameID")
            .attr_opt("NameQualifier", subject.name_qualifier.as_deref())
            .attr_opt("SPNameQualifier", subject.sp_name_qualifier.as_deref())
            .attr_opt("Format", subject.format.as_deref())
            .text(&subject.name_id)
            .end();
        if let Some(index) = &subject.session_index {
            w.text_element("samlp:SessionIndex", &[], index);
        }
        let unsigned = w.finish();
        let (xml, message) = encode(
            binding,
            destination,
            MessageKind::Request,
            unsigned,
            id.as_str(),
            signature_at,
            Some(relay_state.as_str()),
            key,
        )?;
        let pending = PendingRequest {
            id,
            idp: idp.entity_id.clone(),
            acs_url: own_slo,
            issued_at: now,
            expires_at: now + Duration::seconds(PENDING_LOGOUT_SECONDS),
            relay_state,
            app_state: app_state.map(str::to_owned),
            browser: None,
            force_authn: false,
            kind: RequestKind::Logout,
        };
        Ok(PreparedLogoutRequest {
            pending,
            xml,
            binding,
            message,
        })
    }

    /// The signed LogoutResponse to `request` (SAML Core 2.0 §3.7.2): to
    /// the IdP's SingleLogoutService, by the binding the request came with
    /// when the IdP offers it, with the request's RelayState echoed (SAML
    /// Bindings §3.4.3, §3.5.3).
    pub fn logout_response(
        &self,
        request: &VerifiedLogoutRequest,
        reply: LogoutReply,
        now: DateTime<Utc>,
        rng: &dyn RandomSource,
    ) -> Result<OutboundMessage, Error> {
        let idp = self
            .idp(request.issuer())
            .ok_or_else(|| OutboundError::UnknownIdp {
                entity_id: clip(request.issuer().as_str()),
            })?;
        let key = self.logout_key()?;
        let (binding, destination) = idp
            .slo_for(Some(request.binding()))
            .ok_or(LogoutError::NoIdpEndpoint)?;
        let (id, _) = new_id_and_token(rng)?;
        let (code, second) = match reply {
            LogoutReply::Success => (SUCCESS, None),
            LogoutReply::UnknownPrincipal => (REQUESTER, Some(UNKNOWN_PRINCIPAL)),
            LogoutReply::Failed => (RESPONDER, None),
        };
        // SAML Core 2.0 §3.2.2: Issuer, Signature?, Extensions?, Status.
        let mut w = XmlWriter::new();
        w.start("samlp:LogoutResponse")
            .attr("xmlns:samlp", SAMLP_NS)
            .attr("xmlns:saml", SAML_NS)
            .attr("ID", id.as_str())
            .attr("InResponseTo", request.id())
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(now))
            .attr("Destination", destination.as_str());
        w.text_element("saml:Issuer", &[], self.entity_id().as_str());
        let signature_at = w.position();
        w.start("samlp:Status")
            .start("samlp:StatusCode")
            .attr("Value", code);
        if let Some(s) = second {
            w.start("samlp:StatusCode").attr("Value", s).end();
        }
        w.end().end();
        let unsigned = w.finish();
        let (_, message) = encode(
            binding,
            destination,
            MessageKind::Response,
            unsigned,
            id.as_str(),
            signature_at,
            request.relay_state(),
            key,
        )?;
        Ok(message)
    }

    fn logout_key(&self) -> Result<&SpKeyPair, LogoutError> {
        self.inner
            .signing_key
            .as_ref()
            .ok_or(LogoutError::SigningKeyRequired)
    }

    /// Where the IdP answers: this SP's SingleLogoutService URL.
    fn slo_answer_url(&self) -> Result<Url, LogoutError> {
        self.inner
            .slo
            .first()
            .map(|e| e.location.clone())
            .ok_or(LogoutError::NoSpEndpoint)
    }
}

/// Signs and encodes a message this crate wrote: query-string signature for
/// HTTP-Redirect (the XML carries none, SAML Bindings §3.4.4.1), enveloped
/// signature after the Issuer for HTTP-POST (§3.5.4, SAML Core §5.4.1).
#[allow(clippy::too_many_arguments)]
fn encode(
    binding: Binding,
    destination: &Url,
    kind: MessageKind,
    unsigned: String,
    id: &str,
    signature_at: usize,
    relay_state: Option<&str>,
    key: &SpKeyPair,
) -> Result<(String, OutboundMessage), Error> {
    Ok(match binding {
        Binding::HttpRedirect => {
            let url = redirect::encode(
                destination.as_str(),
                kind,
                &unsigned,
                relay_state,
                Some(key),
            )?;
            (unsigned, OutboundMessage::Redirect { url })
        }
        Binding::HttpPost => {
            let xml = key.sign_enveloped(&unsigned, id, signature_at)?;
            let form = PostForm::new(destination.as_str(), kind, b64(xml.as_bytes()), relay_state);
            (xml, OutboundMessage::Post(form))
        }
    })
}
