//! AuthnRequest (SAML Core §3.4.1) for the Web Browser SSO Profile (SAML
//! Profiles §4.1.4.1), sent by HTTP-Redirect or HTTP-POST.
//!
//! ```no_run
//! # use samlsp::{EntityId, MemoryRequestStore, OsRandom, OutboundMessage, RequestStore, ServiceProvider};
//! # fn f(sp: &ServiceProvider, store: &MemoryRequestStore, idp: &EntityId) -> Result<(), samlsp::Error> {
//! let now = chrono::Utc::now();
//! let prepared = sp
//!     .authn_request(idp)?
//!     .force_authn(true)
//!     .build(now, &OsRandom)?;
//! store.insert(prepared.pending().clone(), now)?;
//! match prepared.message() {
//!     OutboundMessage::Redirect { url } => { /* 302 to url */ }
//!     OutboundMessage::Post(form) => { /* 200 with form.to_html() */ }
//! }
//! # Ok(()) }
//! ```

use chrono::{DateTime, Utc};

use crate::binding::{Binding, MessageKind, PostForm, redirect};
use crate::error::{Error, OutboundError, clip};
use crate::ids::{EntityId, RequestId, Url};
use crate::keys::b64;
use crate::sp::{IdentityProvider, ServiceProvider};
use crate::time::format_instant;
use crate::tracking::{MAX_APP_STATE_BYTES, PendingRequest, RelayStateToken};
use crate::xmlwriter::XmlWriter;

/// SAML 2.0 protocol namespace.
const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace.
const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// Random bytes in a request ID: 160 bits, so that the probability of two IDs
/// colliding stays far below 2^-128 (SAML Core §1.3.4) for any realistic
/// number of requests (samael used 32 bits).
pub const REQUEST_ID_RANDOM_BYTES: usize = 20;

/// Where randomness comes from: a CSPRNG in production, a fixed sequence in
/// tests. Injected so that the IDs and RelayState tokens a test expects can be
/// pinned, and so a deployment can choose its generator.
pub trait RandomSource: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError>;
}

/// OpenSSL's CSPRNG (`RAND_bytes`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError> {
        openssl::rand::rand_bytes(buf).map_err(|_| OutboundError::Random)
    }
}

/// `Comparison` of a RequestedAuthnContext (SAML Core §3.3.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthnContextComparison {
    /// The default.
    #[default]
    Exact,
    /// `minimum`: at least as strong as one of the classes.
    Minimum,
    /// `maximum`: as strong as possible without exceeding one of the classes.
    Maximum,
    /// `better`: stronger than any of the classes.
    Better,
}

impl AuthnContextComparison {
    fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Minimum => "minimum",
            Self::Maximum => "maximum",
            Self::Better => "better",
        }
    }
}

/// `samlp:RequestedAuthnContext` with `AuthnContextClassRef`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthnContext {
    comparison: AuthnContextComparison,
    class_refs: Vec<String>,
}

impl RequestedAuthnContext {
    /// Requests these class references (e.g.
    /// `urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport`).
    pub fn new(
        comparison: AuthnContextComparison,
        class_refs: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        RequestedAuthnContext {
            comparison,
            class_refs: class_refs.into_iter().map(Into::into).collect(),
        }
    }
}

/// How the request reaches the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
pub enum OutboundMessage {
    /// Send a `302 Found` with this `Location`.
    Redirect {
        /// The IdP SSO URL with `SAMLRequest`, `RelayState` (and `SigAlg`,
        /// `Signature`).
        url: String,
    },
    /// Send `200 OK` with the auto-submitting form ([`PostForm::to_html`]).
    Post(PostForm),
}

/// An AuthnRequest ready to send, and what to remember about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedAuthnRequest {
    pending: PendingRequest,
    xml: String,
    binding: Binding,
    message: OutboundMessage,
}

impl PreparedAuthnRequest {
    /// What to put in the [`crate::tracking::RequestStore`].
    pub fn pending(&self) -> &PendingRequest {
        &self.pending
    }
    /// The request XML as sent (for the POST binding, with its signature; for
    /// Redirect, without: the query string carries it).
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

/// Options of one AuthnRequest; start with [`ServiceProvider::authn_request`].
#[derive(Debug, Clone)]
pub struct AuthnRequestBuilder<'sp> {
    sp: &'sp ServiceProvider,
    idp: &'sp IdentityProvider,
    force_authn: bool,
    is_passive: bool,
    authn_context: Option<RequestedAuthnContext>,
    name_id_format: Option<String>,
    allow_create: bool,
    binding: Option<Binding>,
    acs_url: Option<Url>,
    app_state: Option<String>,
}

impl ServiceProvider {
    /// Starts an AuthnRequest to the configured IdP `idp_entity_id`. An IdP
    /// that wants signed requests while this SP has no signing key is a
    /// [`crate::ConfigError::SigningKeyRequired`].
    pub fn authn_request(
        &self,
        idp_entity_id: &EntityId,
    ) -> Result<AuthnRequestBuilder<'_>, Error> {
        let idp = self
            .idp(idp_entity_id)
            .ok_or_else(|| OutboundError::UnknownIdp {
                entity_id: clip(idp_entity_id.as_str()),
            })?;
        if idp.want_authn_requests_signed && self.inner.signing_key.is_none() {
            return Err(crate::error::ConfigError::SigningKeyRequired {
                entity_id: idp.entity_id.to_string(),
            }
            .into());
        }
        Ok(AuthnRequestBuilder {
            sp: self,
            idp,
            force_authn: false,
            is_passive: false,
            authn_context: None,
            name_id_format: None,
            allow_create: true,
            binding: None,
            acs_url: None,
            app_state: None,
        })
    }
}

/// A fresh request (or response) ID and RelayState token from `rng`.
pub(crate) fn new_id_and_token(
    rng: &dyn RandomSource,
) -> Result<(RequestId, RelayStateToken), Error> {
    let mut random = [0u8; REQUEST_ID_RANDOM_BYTES + RelayStateToken::RANDOM_BYTES];
    rng.fill(&mut random)?;
    let (id_bytes, token_bytes) = random.split_at(REQUEST_ID_RANDOM_BYTES);
    // xs:ID is an NCName: it must not start with a digit.
    let hex: String = id_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let id = RequestId::new(format!("_{hex}")).map_err(crate::error::ConfigError::from)?;
    Ok((id, RelayStateToken::from_random(token_bytes)))
}

impl<'sp> AuthnRequestBuilder<'sp> {
    /// `ForceAuthn="true"`: the IdP must authenticate the user afresh.
    pub fn force_authn(mut self, force: bool) -> Self {
        self.force_authn = force;
        self
    }
    /// `IsPassive="true"`: the IdP must not interact with the user.
    pub fn is_passive(mut self, passive: bool) -> Self {
        self.is_passive = passive;
        self
    }
    /// Adds `RequestedAuthnContext`.
    pub fn requested_authn_context(mut self, ctx: RequestedAuthnContext) -> Self {
        self.authn_context = Some(ctx);
        self
    }
    /// `NameIDPolicy/@Format` (default: the IdP's setting, else the SP's,
    /// else none).
    pub fn name_id_format(mut self, format: impl Into<String>) -> Self {
        self.name_id_format = Some(format.into());
        self
    }
    /// `NameIDPolicy/@AllowCreate` (default true).
    pub fn allow_create(mut self, allow: bool) -> Self {
        self.allow_create = allow;
        self
    }
    /// The binding (default: the IdP's preference, else HTTP-Redirect when
    /// the IdP offers it, else HTTP-POST).
    pub fn binding(mut self, binding: Binding) -> Self {
        self.binding = Some(binding);
        self
    }
    /// The ACS URL the response should go to (default: the first configured);
    /// must be one of the SP's.
    pub fn acs_url(mut self, url: Url) -> Self {
        self.acs_url = Some(url);
        self
    }
    /// Application data to keep with the pending request (at most 4 KiB),
    /// returned by [`crate::Login::request`].
    pub fn app_state(mut self, state: impl Into<String>) -> Self {
        self.app_state = Some(state.into());
        self
    }

    /// Writes, signs and encodes the request at `now` with IDs from `rng`.
    pub fn build(
        self,
        now: DateTime<Utc>,
        rng: &dyn RandomSource,
    ) -> Result<PreparedAuthnRequest, Error> {
        let sp = &self.sp.inner;
        let (binding, destination) = self
            .idp
            .sso_for(self.binding)
            .ok_or(OutboundError::NoSsoEndpoint)?;
        let acs_url = match self.acs_url {
            Some(u) if sp.acs_urls.contains(&u) => u,
            Some(u) => return Err(OutboundError::UnknownAcsUrl(clip(u.as_str())).into()),
            None => sp
                .acs_urls
                .first()
                .cloned()
                .ok_or(crate::error::ConfigError::Missing("ACS URL"))?,
        };
        if let Some(a) = &self.app_state {
            if a.len() > MAX_APP_STATE_BYTES {
                return Err(crate::error::ConfigError::Invalid("app state over 4 KiB").into());
            }
        }

        let (id, relay_state) = new_id_and_token(rng)?;

        let name_id_format = self
            .name_id_format
            .as_deref()
            .or(self.idp.name_id_format.as_deref())
            .or(sp.name_id_format.as_deref());

        let mut w = XmlWriter::new();
        w.start("samlp:AuthnRequest")
            .attr("xmlns:samlp", SAMLP_NS)
            .attr("xmlns:saml", SAML_NS)
            .attr("ID", id.as_str())
            .attr("Version", "2.0")
            .attr("IssueInstant", &format_instant(now))
            .attr("Destination", destination.as_str())
            .attr("AssertionConsumerServiceURL", acs_url.as_str())
            .attr("ProtocolBinding", crate::binding::HTTP_POST);
        if self.force_authn {
            w.attr("ForceAuthn", "true");
        }
        if self.is_passive {
            w.attr("IsPassive", "true");
        }
        w.text_element("saml:Issuer", &[], sp.entity_id.as_str());
        // SAML Core §3.4.1: Issuer, Signature?, Extensions?, Subject?,
        // NameIDPolicy?, Conditions?, RequestedAuthnContext?, Scoping?
        let signature_at = w.position();
        w.start("samlp:NameIDPolicy")
            .attr_opt("Format", name_id_format)
            .attr(
                "AllowCreate",
                if self.allow_create { "true" } else { "false" },
            )
            .end();
        if let Some(ctx) = &self.authn_context {
            w.start("samlp:RequestedAuthnContext")
                .attr("Comparison", ctx.comparison.as_str());
            for c in &ctx.class_refs {
                w.text_element("saml:AuthnContextClassRef", &[], c);
            }
            w.end();
        }
        let unsigned = w.finish();

        let key = if self.sp.signs_authn_requests_to(self.idp) {
            sp.signing_key.as_ref()
        } else {
            None
        };
        let (xml, message) = match binding {
            // Bindings §3.4.4.1: the XML carries no signature; the query does.
            Binding::HttpRedirect => {
                let url = redirect::encode(
                    destination.as_str(),
                    MessageKind::Request,
                    &unsigned,
                    Some(relay_state.as_str()),
                    key,
                )?;
                (unsigned, OutboundMessage::Redirect { url })
            }
            // Bindings §3.5.4: base64 of the (enveloped-signed) XML, no DEFLATE.
            Binding::HttpPost => {
                let xml = match key {
                    Some(k) => k.sign_enveloped(&unsigned, id.as_str(), signature_at)?,
                    None => unsigned,
                };
                let form = PostForm::new(
                    destination.as_str(),
                    MessageKind::Request,
                    b64(xml.as_bytes()),
                    Some(relay_state.as_str()),
                );
                (xml, OutboundMessage::Post(form))
            }
        };
        let pending = PendingRequest {
            id,
            idp: self.idp.entity_id.clone(),
            acs_url,
            issued_at: now,
            expires_at: now + self.sp.request_lifetime(),
            relay_state,
            app_state: self.app_state,
            browser: None,
            force_authn: self.force_authn,
            kind: crate::tracking::RequestKind::Authn,
        };
        Ok(PreparedAuthnRequest {
            pending,
            xml,
            binding,
            message,
        })
    }
}
