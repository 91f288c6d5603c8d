//! The whole ACS step: take the pending request, verify, record the
//! assertion ID.

use chrono::{DateTime, Utc};

use super::ServiceProvider;
use super::verify::RequestContext;
use crate::assertion::Assertion;
use crate::error::{Error, ProtocolError, clip};
use crate::tracking::{PendingRequest, RelayStateToken, ReplayCache, ReplayCheck, RequestStore};

/// A successful login: the verified assertion and the request it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    assertion: Assertion,
    request: Option<PendingRequest>,
    unsolicited_relay_state: Option<String>,
}

impl Login {
    /// The verified assertion.
    pub fn assertion(&self) -> &Assertion {
        &self.assertion
    }
    /// The request this response answered; `None` for an unsolicited
    /// (IdP-initiated) response.
    pub fn request(&self) -> Option<&PendingRequest> {
        self.request.as_ref()
    }
    /// For an unsolicited response, the RelayState the IdP sent: chosen by
    /// whoever started the flow, so never redirect to it unchecked.
    pub fn unsolicited_relay_state(&self) -> Option<&str> {
        self.unsolicited_relay_state.as_deref()
    }
    /// The assertion, consuming the login.
    pub fn into_assertion(self) -> Assertion {
        self.assertion
    }
}

impl ServiceProvider {
    /// Verifies a posted `SAMLResponse` and consumes its request and its
    /// assertion ID: the full ACS step.
    ///
    /// 1. The pending request is *taken* from `requests` by the posted
    ///    RelayState (so it answers once, even if verification then fails).
    /// 2. Without one, the response is treated as unsolicited: accepted only
    ///    from an IdP that allows it, and only without InResponseTo (a response
    ///    to a request we no longer hold is refused, not "unsolicited").
    /// 3. [`ServiceProvider::verify_response`] applies every rule; when the
    ///    request had `ForceAuthn`, the AuthnInstant must not be before the
    ///    request's IssueInstant minus the clock skew.
    /// 4. The assertion ID is recorded in `replay` until the assertion's
    ///    NotOnOrAfter plus the clock skew (after that the time checks refuse
    ///    it anyway); a second use is [`ProtocolError::Replay`].
    pub fn consume_response(
        &self,
        saml_response: &str,
        relay_state: Option<&str>,
        now: DateTime<Utc>,
        requests: &dyn RequestStore,
        replay: &dyn ReplayCache,
    ) -> Result<Login, Error> {
        let pending = match relay_state {
            // Anything not shaped like one of our tokens names no request.
            Some(rs) => match RelayStateToken::parse(rs) {
                Some(token) => requests.take(&token, now)?,
                None => None,
            },
            None => None,
        };
        if pending
            .as_ref()
            .is_some_and(|p| p.kind != crate::tracking::RequestKind::Authn)
        {
            return Err(ProtocolError::NotAnAuthnRequest.into());
        }
        let ctx = match &pending {
            Some(p) => RequestContext::Pending {
                request_id: &p.id,
                idp: Some(&p.idp),
            },
            None => RequestContext::Unsolicited,
        };
        let assertion = self.verify_response(saml_response, now, ctx)?;
        // SAML Core §3.4.1: ForceAuthn asks the IdP to authenticate the user
        // afresh, so an answer reporting an older authentication (a session
        // the IdP reused) does not give what was asked for. The request's
        // IssueInstant minus the skew is the earliest fresh AuthnInstant.
        if let Some(p) = pending.as_ref().filter(|p| p.force_authn) {
            let earliest = p.issued_at - self.clock_skew().duration();
            if assertion.authn_instant() < earliest {
                return Err(ProtocolError::ForceAuthnNotHonoured {
                    authn_instant: assertion.authn_instant(),
                    requested_at: p.issued_at,
                }
                .into());
            }
        }
        // The whole window in which the assertion would be accepted: its
        // effective NotOnOrAfter plus the skew. The verifier refused any
        // assertion living longer than the maximum lifetime, so this is at
        // most IssueInstant + max lifetime + skew.
        let keep_until = assertion.not_on_or_after() + self.clock_skew().duration();
        match replay.check_and_insert(assertion.issuer(), assertion.id(), keep_until, now)? {
            ReplayCheck::FirstUse => {}
            ReplayCheck::Replay => {
                return Err(ProtocolError::Replay {
                    id: clip(assertion.id()),
                }
                .into());
            }
        }
        let unsolicited_relay_state = match pending {
            Some(_) => None,
            None => relay_state.map(str::to_owned),
        };
        Ok(Login {
            assertion,
            request: pending,
            unsolicited_relay_state,
        })
    }
}
