//! What the application configures: tenants (one service provider each),
//! their identity providers and where those come from.

use std::path::PathBuf;
use std::sync::Arc;

use samlsp::{
    Binding, EntityId, IdentityProvider, ServiceProviderBuilder, SpKeyPair, TrustedKeys, Url,
};

/// Extra settings applied to the core builder each time a tenant's service
/// provider is (re)built: clock skew, algorithm policy, request lifetime, ...
pub type CustomizeSp = Arc<dyn Fn(ServiceProviderBuilder) -> ServiceProviderBuilder + Send + Sync>;

/// The service provider of one tenant: what stays fixed while IdP metadata
/// comes and goes.
#[derive(Clone)]
pub struct SpSettings {
    pub(crate) entity_id: EntityId,
    pub(crate) acs_url: Url,
    pub(crate) slo_url: Option<Url>,
    pub(crate) signing_key: Option<SpKeyPair>,
    pub(crate) encryption_key: Option<SpKeyPair>,
    pub(crate) customize: Option<CustomizeSp>,
}

impl std::fmt::Debug for SpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpSettings")
            .field("entity_id", &self.entity_id)
            .field("acs_url", &self.acs_url)
            .field("slo_url", &self.slo_url)
            .field("signing_key", &self.signing_key)
            .field("encryption_key", &self.encryption_key)
            .field("customize", &self.customize.as_ref().map(|_| "fn"))
            .finish()
    }
}

impl SpSettings {
    /// An SP with its entity ID and its ACS URL (which must be this crate's
    /// `POST …/saml/acs` route of the tenant, as the browser reaches it).
    pub fn new(entity_id: EntityId, acs_url: Url) -> Self {
        SpSettings {
            entity_id,
            acs_url,
            slo_url: None,
            signing_key: None,
            encryption_key: None,
            customize: None,
        }
    }

    /// The SingleLogoutService URL (this crate's `GET|POST …/saml/slo` of
    /// the tenant, as the IdP reaches it), published in metadata for
    /// HTTP-Redirect and HTTP-POST. Default: the ACS URL with its last
    /// segment `acs` replaced by `slo`; none when the ACS URL does not end
    /// in `/acs` (then Single Logout is off: sign-out is local only).
    pub fn slo_url(mut self, url: Url) -> Self {
        self.slo_url = Some(url);
        self
    }

    /// The SingleLogoutService URL in effect (see [`SpSettings::slo_url`]).
    pub fn effective_slo_url(&self) -> Option<Url> {
        if let Some(u) = &self.slo_url {
            return Some(u.clone());
        }
        let base = self.acs_url.as_str().strip_suffix("/acs")?;
        Url::new(format!("{base}/slo")).ok()
    }

    /// The key that signs AuthnRequests (and is published in metadata).
    pub fn signing_key(mut self, key: SpKeyPair) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// The RSA key IdPs encrypt assertions to.
    pub fn encryption_key(mut self, key: SpKeyPair) -> Self {
        self.encryption_key = Some(key);
        self
    }

    /// Further core settings, applied at every rebuild.
    pub fn customize(mut self, f: CustomizeSp) -> Self {
        self.customize = Some(f);
        self
    }

    /// The entity ID.
    pub fn entity_id(&self) -> &EntityId {
        &self.entity_id
    }

    /// The ACS URL.
    pub fn acs_url(&self) -> &Url {
        &self.acs_url
    }
}

/// Where an IdP's metadata is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataLocation {
    /// Fetched over HTTP(S) by the refresher (Keycloak's
    /// `/realms/<realm>/protocol/saml/descriptor`).
    Url(String),
    /// A file, re-read by the refresher.
    File(PathBuf),
    /// A fixed document.
    Bytes(Vec<u8>),
}

/// How an IdP is known.
#[derive(Debug, Clone)]
pub enum IdpSource {
    /// Configured in code.
    Static(IdentityProvider),
    /// From metadata, refreshed in the background.
    Metadata {
        /// Where.
        location: MetadataLocation,
        /// Which entity to pick (required for aggregates).
        entity_id: Option<String>,
        /// When set, the metadata must be signed by one of these keys.
        pinned: Option<TrustedKeys>,
    },
}

/// Per-IdP behaviour layered over what metadata says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdpOptions {
    /// Accept IdP-initiated (unsolicited) responses from this IdP. Off by
    /// default: such a response is not bound to a browser that asked for it,
    /// so anyone can make a victim's browser post theirs (login CSRF).
    pub allow_idp_initiated: bool,
    /// AuthnRequest binding (default: HTTP-Redirect when offered).
    pub binding: Option<Binding>,
    /// NameID format to ask for.
    pub name_id_format: Option<String>,
    /// Ask the IdP to authenticate afresh (`ForceAuthn`).
    pub force_authn: bool,
    /// Overrides the metadata's `WantAuthnRequestsSigned` (Keycloak's
    /// descriptor always says `true`, whatever the client requires).
    pub want_signed_requests: Option<bool>,
    /// Only test sign-ins (see [`crate::TestedLogin`]): a connection being
    /// set up. A real sign-in, SP- or IdP-initiated, is refused with
    /// [`crate::SignInError::ConnectionNotEnabled`].
    pub test_only: bool,
    /// While [`IdpOptions::test_only`], also take IdP-initiated test
    /// sign-ins, and land them at this path (a path on this site): the
    /// test button of many IdPs is IdP-initiated (Microsoft Entra ID's
    /// "Test this application", Keycloak's IdP-initiated SSO URL, an Okta
    /// app tile), and so are some misconfigurations one wants to see
    /// (Keycloak sends the Audience of the client the admin typed, which
    /// an SP-initiated request, found by our entity ID, never reaches).
    ///
    /// The response is verified as any other. It then becomes a test
    /// ([`crate::TestedLogin`] in the browser's session, no user mapping,
    /// no session made) only when this browser is signed in here already
    /// (an application can then show the report to the admin who set the
    /// connection up, and to nobody else); otherwise it is refused with
    /// [`crate::SignInError::ConnectionNotEnabled`], like any real
    /// sign-in through a connection being set up. Its RelayState is
    /// ignored. Without `test_only` this does nothing: an enabled
    /// connection takes IdP-initiated sign-ins only with
    /// [`IdpOptions::allow_idp_initiated`].
    ///
    /// Like any IdP-initiated response, such a test is not bound to the
    /// browser that posts it: whoever can get the IdP to sign a response
    /// for this SP can make a signed-in browser post it. That yields a
    /// report (with that person's NameID) in that browser's session, and
    /// nothing else: no session, no user mapping.
    pub idp_initiated_test_landing: Option<String>,
}

impl IdpOptions {
    /// Whether the core accepts unsolicited responses from this IdP: for
    /// real sign-ins, or for IdP-initiated tests while being set up.
    pub(crate) fn accepts_unsolicited(&self) -> bool {
        self.allow_idp_initiated || (self.test_only && self.idp_initiated_test_landing.is_some())
    }
}

/// One identity provider of a tenant.
#[derive(Debug, Clone)]
pub struct IdpConfig {
    /// Short name used in URLs (`/saml/login?idp=acme`): ASCII letters,
    /// digits, `-` and `_`.
    pub slug: String,
    /// Name on the sign-in button ("Acme Corp").
    pub display_name: String,
    /// Where it comes from.
    pub source: IdpSource,
    /// Behaviour.
    pub options: IdpOptions,
}

/// A tenant: one service provider and its IdPs. The default tenant (no slug)
/// is mounted at `/saml/…`, others at `/t/<slug>/saml/…`.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// `None` for the default tenant.
    pub slug: Option<String>,
    /// The SP.
    pub sp: SpSettings,
    /// Its IdPs (at least one).
    pub idps: Vec<IdpConfig>,
}

impl TenantConfig {
    /// The path prefix of this tenant's SAML routes.
    pub fn base_path(&self) -> String {
        base_path(self.slug.as_deref())
    }
}

pub(crate) fn base_path(slug: Option<&str>) -> String {
    match slug {
        None => "/saml".to_owned(),
        Some(s) => format!("/t/{s}/saml"),
    }
}

pub(crate) fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
