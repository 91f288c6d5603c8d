//! What the IdP sends: a LogoutRequest (IdP-initiated logout, or the IdP
//! propagating a logout started elsewhere) and the LogoutResponse to ours.
//!
//! Both must be signed by a key of the IdP they name (SAML Profiles
//! §4.4.4): HTTP-Redirect by the query-string signature, verified over the
//! parameters exactly as they arrived (SAML Bindings §3.4.4.1: never
//! re-encoded, so an IdP writing `%2f` instead of `%2F` verifies);
//! HTTP-POST by an enveloped signature on the root element. Everything the
//! application can read (NameID, SessionIndex, status) is read from the
//! verified document into [`VerifiedLogoutRequest`] or
//! [`VerifiedLogoutResponse`], which only this module builds.

use chrono::{DateTime, Duration, Utc};

use super::error::LogoutError;
use super::verified::{
    LogoutStatus, ReceivedLogout, SloMessage, VerifiedLogoutRequest, VerifiedLogoutResponse,
};
use super::{MAX_MESSAGE_AGE_SECONDS, SAML_NS, SAMLP_NS};
use crate::assertion::{NameId, check_issuer};
use crate::binding::{Binding, MessageKind, RedirectMessage};
use crate::dsig::{self, DSIG_NS};
use crate::error::{BindingError, Error, clip};
use crate::sp::verify::{check_no_stray_messages, decode_post_value};
use crate::sp::{IdentityProvider, ServiceProvider};
use crate::time::parse_instant;
use crate::tracking::{
    PendingRequest, RelayStateToken, ReplayCache, ReplayCheck, RequestKind, RequestStore,
};
use crate::xml::{self, ElementRef};

/// The decoded message, not yet trusted.
struct Decoded {
    kind: MessageKind,
    xml: Vec<u8>,
    relay_state: Option<String>,
    binding: Binding,
    redirect: Option<RedirectMessage>,
}

fn decode(msg: SloMessage<'_>, max_bytes: usize) -> Result<Decoded, Error> {
    Ok(match msg {
        SloMessage::Redirect { query } => {
            let m = RedirectMessage::decode(query, max_bytes)?;
            Decoded {
                kind: m.kind(),
                xml: m.unverified_xml().to_vec(),
                relay_state: m.unverified_relay_state().map(str::to_owned),
                binding: Binding::HttpRedirect,
                redirect: Some(m),
            }
        }
        SloMessage::PostRequest {
            saml_request,
            relay_state,
        } => Decoded {
            kind: MessageKind::Request,
            xml: decode_post_value(saml_request, max_bytes)?,
            relay_state: relay_state.map(str::to_owned),
            binding: Binding::HttpPost,
            redirect: None,
        },
        SloMessage::PostResponse {
            saml_response,
            relay_state,
        } => Decoded {
            kind: MessageKind::Response,
            xml: decode_post_value(saml_response, max_bytes)?,
            relay_state: relay_state.map(str::to_owned),
            binding: Binding::HttpPost,
            redirect: None,
        },
    })
}

/// Issuer?, Signature?, Extensions?, then the rest: the header of every
/// SAML protocol message (SAML Core 2.0 §3.2.1, §3.2.2), strictly ordered.
struct Header<'d> {
    issuer: Option<ElementRef<'d>>,
    signature: Option<ElementRef<'d>>,
    rest: Vec<ElementRef<'d>>,
}

fn header<'d>(root: ElementRef<'d>, element: &'static str) -> Result<Header<'d>, LogoutError> {
    let structure = |reason| LogoutError::Structure { element, reason };
    if root.has_non_whitespace_text() {
        return Err(structure("character data in the message"));
    }
    let mut h = Header {
        issuer: None,
        signature: None,
        rest: Vec::new(),
    };
    let mut extensions = false;
    for child in root.children() {
        match (child.namespace(), child.local_name()) {
            (Some(SAML_NS), "Issuer")
                if h.issuer.is_none()
                    && h.signature.is_none()
                    && !extensions
                    && h.rest.is_empty() =>
            {
                h.issuer = Some(child);
            }
            (Some(DSIG_NS), "Signature")
                if h.signature.is_none() && !extensions && h.rest.is_empty() =>
            {
                h.signature = Some(child);
            }
            (Some(SAMLP_NS), "Extensions") if !extensions && h.rest.is_empty() => extensions = true,
            (Some(SAML_NS), "Issuer")
            | (Some(DSIG_NS), "Signature")
            | (Some(SAMLP_NS), "Extensions") => {
                return Err(structure(
                    "Issuer, Signature or Extensions repeated or out of order",
                ));
            }
            _ => h.rest.push(child),
        }
    }
    Ok(h)
}

fn instant(
    el: ElementRef<'_>,
    attr: &str,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, LogoutError> {
    el.attr(attr)
        .map(|v| parse_instant(v).ok_or(LogoutError::Timestamp { field }))
        .transpose()
}

impl ServiceProvider {
    /// Verifies a logout message received at this SP's SingleLogoutService:
    /// a LogoutRequest from an IdP (its ID recorded in `replay`, so it is
    /// accepted once), or a LogoutResponse to a LogoutRequest of ours (the
    /// pending request taken from `requests` by RelayState, once, even if
    /// verification then fails).
    pub fn receive_logout(
        &self,
        msg: SloMessage<'_>,
        now: DateTime<Utc>,
        requests: &dyn RequestStore,
        replay: &dyn ReplayCache,
    ) -> Result<ReceivedLogout, Error> {
        let d = decode(msg, self.inner.limits.max_input_bytes)?;
        // A LogoutResponse answers a request of ours: take it first, so it is
        // used once whatever happens next, and so the IdP it went to, not the
        // message, decides whose key must have signed.
        let pending = match d.kind {
            MessageKind::Request => None,
            MessageKind::Response => {
                let token = d
                    .relay_state
                    .as_deref()
                    .and_then(RelayStateToken::parse)
                    .ok_or(LogoutError::UnknownRequest)?;
                let p = requests
                    .take(&token, now)?
                    .ok_or(LogoutError::UnknownRequest)?;
                if p.kind != RequestKind::Logout {
                    return Err(LogoutError::NotALogoutRequest.into());
                }
                Some(p)
            }
        };
        let doc = xml::parse(&d.xml, &self.inner.limits)?;
        let root = doc.root();
        let expected = match d.kind {
            MessageKind::Request => "LogoutRequest",
            MessageKind::Response => "LogoutResponse",
        };
        if !root.is(SAMLP_NS, expected) {
            return Err(LogoutError::NotALogoutMessage {
                expected,
                namespace: clip(root.namespace().unwrap_or("")),
                name: clip(root.local_name()),
            }
            .into());
        }
        let h = header(root, expected)?;
        let issuer_el = h.issuer.ok_or(LogoutError::MissingIssuer)?;
        let idp = self.logout_idp(issuer_el, pending.as_ref())?;
        check_issuer(issuer_el, &idp.entity_id, expected)?;

        // The signature, on the very bytes read below.
        match (&d.redirect, h.signature) {
            (Some(m), _) => {
                // The enveloped Signature, if any, is ignored: the query
                // signature covers the whole deflated message.
                m.clone()
                    .verify(&idp.keys, &self.inner.policy)
                    .map_err(|e| match e {
                        Error::Binding(BindingError::Unsigned) => LogoutError::Unsigned.into(),
                        other => other,
                    })?;
            }
            (None, Some(_)) => {
                dsig::verify(root, &idp.keys, &self.inner.policy)?;
            }
            (None, None) => return Err(LogoutError::Unsigned.into()),
        }
        check_no_stray_messages(&doc)?;

        // SAML Bindings §3.4.5.2 / §3.5.5.2: a signed message names where it
        // was sent; it must be here.
        match root.attr("Destination") {
            None => return Err(LogoutError::MissingDestination.into()),
            Some(dest) if !self.inner.slo.iter().any(|e| e.location.as_str() == dest) => {
                return Err(LogoutError::Destination { found: clip(dest) }.into());
            }
            Some(_) => {}
        }
        if root.attr("Version") != Some("2.0") {
            return Err(crate::error::ProtocolError::Version {
                found: clip(root.attr("Version").unwrap_or("")),
            }
            .into());
        }
        let id = root
            .attr("ID")
            .ok_or(LogoutError::Structure {
                element: expected,
                reason: "no ID",
            })?
            .to_owned();
        let issued =
            instant(root, "IssueInstant", "IssueInstant")?.ok_or(LogoutError::Structure {
                element: expected,
                reason: "no IssueInstant",
            })?;
        let skew = self.inner.clock_skew.duration();
        if issued > now + skew {
            return Err(LogoutError::IssuedInFuture {
                issue_instant: issued,
                now,
            }
            .into());
        }
        let oldest_valid = issued + Duration::seconds(MAX_MESSAGE_AGE_SECONDS);
        if now >= oldest_valid + skew {
            return Err(LogoutError::TooOld {
                issue_instant: issued,
                now,
            }
            .into());
        }

        match pending {
            None => {
                let request = read_request(root, &h.rest)?;
                let mut keep_until = oldest_valid;
                if let Some(t) = request.not_on_or_after {
                    if now >= t + skew {
                        return Err(LogoutError::Expired {
                            not_on_or_after: t,
                            now,
                        }
                        .into());
                    }
                    keep_until = keep_until.min(t);
                }
                // Accepted once: the ID is kept for as long as the time checks
                // above would accept the message.
                match replay.check_and_insert(&idp.entity_id, &id, keep_until + skew, now)? {
                    ReplayCheck::FirstUse => {}
                    ReplayCheck::Replay => {
                        return Err(LogoutError::Replay { id: clip(&id) }.into());
                    }
                }
                Ok(ReceivedLogout::Request(VerifiedLogoutRequest {
                    id,
                    issuer: idp.entity_id.clone(),
                    name_id: request.name_id,
                    session_indexes: request.session_indexes,
                    relay_state: d.relay_state,
                    binding: d.binding,
                }))
            }
            Some(request) => {
                let found = root.attr("InResponseTo");
                if found != Some(request.id.as_str()) {
                    return Err(LogoutError::InResponseTo {
                        expected: request.id.to_string(),
                        found: found.map(clip),
                    }
                    .into());
                }
                let status = read_status(&h.rest)?;
                Ok(ReceivedLogout::Response(VerifiedLogoutResponse {
                    issuer: idp.entity_id.clone(),
                    status,
                    request,
                }))
            }
        }
    }

    /// The IdP whose key must have signed: the one our request went to, or
    /// the configured IdP the Issuer names.
    fn logout_idp(
        &self,
        issuer: ElementRef<'_>,
        pending: Option<&PendingRequest>,
    ) -> Result<&IdentityProvider, LogoutError> {
        let claimed = issuer.text().unwrap_or_default();
        let id = pending.map_or(claimed.as_str(), |p| p.idp.as_str());
        self.idp_claimed(id)
            .ok_or_else(|| LogoutError::UnknownIssuer {
                found: clip(&claimed),
            })
    }
}

struct RequestParts {
    name_id: NameId,
    session_indexes: Vec<String>,
    not_on_or_after: Option<DateTime<Utc>>,
}

/// SAML Core 2.0 §3.7.1: (BaseID | NameID | EncryptedID), SessionIndex*.
fn read_request(
    root: ElementRef<'_>,
    rest: &[ElementRef<'_>],
) -> Result<RequestParts, LogoutError> {
    let structure = |reason| LogoutError::Structure {
        element: "LogoutRequest",
        reason,
    };
    let (first, indexes) = rest.split_first().ok_or(structure("no NameID"))?;
    let name_id = match (first.namespace(), first.local_name()) {
        (Some(SAML_NS), "NameID") => {
            NameId::read(*first).map_err(|_| structure("empty or not text NameID"))?
        }
        (Some(SAML_NS), "EncryptedID") => {
            return Err(LogoutError::UnsupportedIdentifier("EncryptedID"));
        }
        (Some(SAML_NS), "BaseID") => return Err(LogoutError::UnsupportedIdentifier("BaseID")),
        _ => {
            return Err(structure(
                "the first element after the header is not a NameID",
            ));
        }
    };
    let mut session_indexes = Vec::new();
    for el in indexes {
        if !el.is(SAMLP_NS, "SessionIndex") {
            return Err(structure("unexpected element after the NameID"));
        }
        let text = el
            .text()
            .ok_or(structure("SessionIndex with element content"))?;
        session_indexes.push(text);
    }
    Ok(RequestParts {
        name_id,
        session_indexes,
        not_on_or_after: instant(root, "NotOnOrAfter", "NotOnOrAfter")?,
    })
}

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const PARTIAL: &str = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout";

/// SAML Core 2.0 §3.2.2: exactly one Status after the header.
fn read_status(rest: &[ElementRef<'_>]) -> Result<LogoutStatus, LogoutError> {
    let structure = |reason| LogoutError::Structure {
        element: "LogoutResponse",
        reason,
    };
    let status = match rest {
        [one] if one.is(SAMLP_NS, "Status") => *one,
        _ => return Err(structure("not exactly one Status after the header")),
    };
    let code_el = status
        .children_named(SAMLP_NS, "StatusCode")
        .next()
        .ok_or(structure("no StatusCode"))?;
    let code = code_el.attr("Value").unwrap_or("");
    let second = code_el
        .children_named(SAMLP_NS, "StatusCode")
        .next()
        .and_then(|c| c.attr("Value"));
    Ok(match (code, second) {
        (_, Some(PARTIAL)) => LogoutStatus::PartialLogout,
        (SUCCESS, _) => LogoutStatus::Success,
        (c, s) => LogoutStatus::Failed {
            code: clip(c),
            second_level: s.map(clip),
        },
    })
}
