//! [`Saml`]: the shared state behind the routes: tenants and their current
//! service provider, request store, replay cache, the user mapper, and the
//! metadata refresh that rebuilds a tenant's SP when an IdP's metadata
//! changes.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
pub(crate) use samlsp::internal::sync::read;
use samlsp::internal::sync::{lock, write};
use samlsp::{
    IdentityProvider, MemoryReplayCache, MemoryRequestStore, MemorySessionRegistry, MetadataCache,
    MetadataSource, OsRandom, RandomSource, ReplayCache, RequestStore, ServiceProvider,
    SessionRegistry,
};

use crate::config::{IdpConfig, IdpSource, MetadataLocation, TenantConfig, valid_slug};
use crate::observe::SignInObserver;
use crate::refresh::{EarlyOutcome, EarlyRefresh, MetadataFetcher};
use crate::return_to::ReturnTo;
use crate::user::UserMapper;

/// The clock: an input, so tests can pin time (expiry, NotOnOrAfter) instead
/// of waiting for it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Configuration mistakes found when building [`Saml`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No tenant configured.
    #[error("no tenant configured")]
    NoTenant,
    /// Two tenants share a slug, or two default tenants.
    #[error("two tenants share the slug {0:?}")]
    DuplicateTenant(String),
    /// A slug with characters other than ASCII letters, digits, `-`, `_`.
    #[error("invalid slug {0:?} (use ASCII letters, digits, '-' and '_')")]
    InvalidSlug(String),
    /// A tenant without IdPs.
    #[error("tenant {0:?} has no identity provider")]
    NoIdp(String),
    /// Two IdPs of one tenant share a slug.
    #[error("two identity providers of one tenant share the slug {0:?}")]
    DuplicateIdp(String),
    /// The default return path is not a path on this site.
    #[error("the default return path {0:?} is not a path on this site")]
    BadReturnPath(String),
    /// [`Saml::put_idp`] or [`Saml::remove_idp`] named a tenant that is not
    /// configured.
    #[error("no tenant {0:?} is configured")]
    NoSuchTenant(String),
    /// The core refused the configuration.
    #[error("tenant {tenant:?}: {error}")]
    Core {
        /// Tenant label.
        tenant: String,
        /// The core's error.
        error: samlsp::Error,
    },
}

/// How one IdP's current configuration is held.
#[derive(Debug)]
pub(crate) struct IdpState {
    pub(crate) config: IdpConfig,
    /// The IdP as the SP uses it (options applied), when known.
    pub(crate) current: RwLock<Option<IdentityProvider>>,
    /// Metadata refresh bookkeeping (metadata sources only).
    pub(crate) cache: Option<Mutex<MetadataState>>,
}

#[derive(Debug)]
pub(crate) struct MetadataState {
    pub(crate) cache: MetadataCache,
    pub(crate) last_bytes: Vec<u8>,
    /// After a failed fetch (the core cache only sees parse failures).
    pub(crate) retry_at: Option<DateTime<Utc>>,
    /// Early fetches after signatures by an unknown key: the IdP may have
    /// rotated its key, so fetch now instead of waiting for cacheDuration
    /// (Keycloak publishes none: the default would be hours).
    pub(crate) early: EarlyRefresh,
    /// Outcomes for the status API ([`Saml::idp_status`]).
    pub(crate) history: crate::health::RefreshHistory,
}

#[derive(Debug)]
pub(crate) struct TenantState {
    pub(crate) config: TenantConfig,
    /// Read once per request ([`TenantState::idps`], a snapshot: no lock
    /// is held across verification); written by [`Saml::put_idp`] and
    /// [`Saml::remove_idp`].
    pub(crate) idps: RwLock<Vec<Arc<IdpState>>>,
    pub(crate) sp: RwLock<Option<ServiceProvider>>,
    /// Held while the IdP list changes and the SP is rebuilt (list read,
    /// build, write), so two changes or rebuilds (a refresh, a connection
    /// added) cannot lose one another or leave an older list's SP.
    pub(crate) rebuilding: Mutex<()>,
}

pub(crate) struct Inner {
    pub(crate) tenants: Vec<TenantState>,
    pub(crate) requests: Arc<dyn RequestStore>,
    pub(crate) replay: Arc<dyn ReplayCache>,
    pub(crate) sessions: Arc<dyn SessionRegistry>,
    pub(crate) mapper: Arc<dyn UserMapper>,
    pub(crate) clock: Clock,
    pub(crate) rng: Arc<dyn RandomSource>,
    pub(crate) default_return: ReturnTo,
    pub(crate) sign_in_path: String,
    pub(crate) signed_out_path: String,
    pub(crate) max_session: Duration,
    /// Verifications in flight (a permit each); never waited on.
    pub(crate) verifications: Arc<tokio::sync::Semaphore>,
    pub(crate) max_verifications: usize,
    /// Wakes the refresher for an early fetch.
    pub(crate) early_wake: tokio::sync::Notify,
    /// Told of every sign-in outcome.
    pub(crate) observer: Option<Arc<dyn SignInObserver>>,
}

/// The SAML side of the application, cheap to clone. Build with
/// [`Saml::builder`], mount with [`crate::configure`].
#[derive(Clone)]
pub struct Saml {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Saml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saml")
            .field(
                "tenants",
                &self
                    .inner
                    .tenants
                    .iter()
                    .map(|t| t.config.base_path())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A configured IdP as the sign-in page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSummary {
    /// Tenant slug (`None`: default tenant).
    pub tenant: Option<String>,
    /// IdP slug.
    pub slug: String,
    /// Button label.
    pub display_name: String,
    /// Entity ID, once known.
    pub entity_id: Option<String>,
    /// Whether it can be used now (metadata loaded).
    pub available: bool,
    /// Whether IdP-initiated sign-in is accepted from it.
    pub idp_initiated: bool,
    /// Takes test sign-ins only ([`crate::IdpOptions::test_only`]): not
    /// for a sign-in page.
    pub test_only: bool,
    /// `…/saml/login?idp=<slug>`; [`IdpSummary::login_href`] adds a return
    /// address.
    pub login_path: String,
}

impl IdpSummary {
    /// The login link, with `return_to` (a local path, checked again by the
    /// login route) percent-encoded into it when given.
    pub fn login_href(&self, return_to: Option<&str>) -> String {
        match return_to {
            Some(r) => format!(
                "{}&return_to={}",
                self.login_path,
                samlsp::internal::binding::url_encode(r)
            ),
            None => self.login_path.clone(),
        }
    }
}

/// Builder for [`Saml`].
pub struct SamlBuilder {
    tenants: Vec<TenantConfig>,
    requests: Option<Arc<dyn RequestStore>>,
    replay: Option<Arc<dyn ReplayCache>>,
    sessions: Option<Arc<dyn SessionRegistry>>,
    mapper: Arc<dyn UserMapper>,
    clock: Option<Clock>,
    rng: Option<Arc<dyn RandomSource>>,
    default_return: String,
    sign_in_path: String,
    signed_out_path: String,
    max_session: Duration,
    max_verifications: Option<usize>,
    observer: Option<Arc<dyn SignInObserver>>,
}

impl std::fmt::Debug for SamlBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlBuilder")
            .field("tenants", &self.tenants)
            .finish_non_exhaustive()
    }
}

impl Saml {
    /// Starts a builder with the application's user mapping.
    pub fn builder(mapper: Arc<dyn UserMapper>) -> SamlBuilder {
        SamlBuilder {
            tenants: Vec::new(),
            requests: None,
            replay: None,
            sessions: None,
            mapper,
            clock: None,
            rng: None,
            default_return: "/".to_owned(),
            sign_in_path: "/".to_owned(),
            signed_out_path: "/".to_owned(),
            max_session: Duration::hours(8),
            max_verifications: None,
            observer: None,
        }
    }
}

impl SamlBuilder {
    /// Adds a tenant.
    pub fn tenant(mut self, tenant: TenantConfig) -> Self {
        self.tenants.push(tenant);
        self
    }
    /// Where pending AuthnRequests wait (default: in memory, bounded). Use a
    /// shared store when several instances serve the ACS.
    pub fn request_store(mut self, store: Arc<dyn RequestStore>) -> Self {
        self.requests = Some(store);
        self
    }
    /// Used assertion IDs (default: in memory, bounded).
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }
    /// Which local sessions belong to which IdP session, and which were
    /// ended by an IdP's LogoutRequest (default: in memory, bounded). Use a
    /// shared registry when several instances serve the same sessions.
    pub fn session_registry(mut self, registry: Arc<dyn SessionRegistry>) -> Self {
        self.sessions = Some(registry);
        self
    }
    /// Where the browser goes after signing out, with `?logout=<outcome>`
    /// added (see [`crate::LogoutOutcome`]); default `/`.
    pub fn signed_out_path(mut self, path: impl Into<String>) -> Self {
        self.signed_out_path = path.into();
        self
    }
    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Randomness for request IDs and RelayState tokens (default: OpenSSL).
    pub fn rng(mut self, rng: Arc<dyn RandomSource>) -> Self {
        self.rng = Some(rng);
        self
    }
    /// Where to go after sign-in when nothing (valid) was asked for.
    pub fn default_return(mut self, path: impl Into<String>) -> Self {
        self.default_return = path.into();
        self
    }
    /// The application's sign-in page (where [`crate::SignedIn`] sends
    /// anonymous visitors).
    pub fn sign_in_path(mut self, path: impl Into<String>) -> Self {
        self.sign_in_path = path.into();
        self
    }
    /// Longest session after one sign-in (default 8 hours; the IdP's
    /// `SessionNotOnOrAfter` shortens it).
    pub fn max_session(mut self, d: Duration) -> Self {
        self.max_session = d;
        self
    }

    /// Most ACS responses verified at the same time (at least 1; default
    /// twice the CPUs). Verification runs on the blocking thread pool; a
    /// response arriving when this many are in flight is answered 503 with
    /// `Retry-After` at once, so a flood of costly posts (signed or not)
    /// takes at most this many threads and never queues without bound.
    pub fn max_concurrent_verifications(mut self, n: usize) -> Self {
        self.max_verifications = Some(n.max(1));
        self
    }

    /// Told of every sign-in outcome, failed or not (failure traces, audit
    /// log, metrics); see [`crate::SignInObserver`].
    pub fn observer(mut self, observer: Arc<dyn SignInObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Checks the configuration and loads every IdP that does not need the
    /// network (static, file, bytes). URL metadata is loaded by
    /// [`Saml::refresh`] (call it once before serving) and the refresher.
    pub fn build(self) -> Result<Saml, SetupError> {
        if self.tenants.is_empty() {
            return Err(SetupError::NoTenant);
        }
        let default_return = ReturnTo::parse(&self.default_return)
            .ok_or_else(|| SetupError::BadReturnPath(self.default_return.clone()))?;
        ReturnTo::parse(&self.sign_in_path)
            .ok_or_else(|| SetupError::BadReturnPath(self.sign_in_path.clone()))?;
        if ReturnTo::parse(&self.signed_out_path).is_none() || self.signed_out_path.contains('?') {
            return Err(SetupError::BadReturnPath(self.signed_out_path.clone()));
        }
        let clock: Clock = self.clock.unwrap_or_else(|| Arc::new(Utc::now));
        let now = clock();
        let mut seen = Vec::new();
        let mut tenants = Vec::new();
        for t in self.tenants {
            let label = t.slug.clone().unwrap_or_else(|| "default".to_owned());
            if let Some(s) = &t.slug {
                if !valid_slug(s) {
                    return Err(SetupError::InvalidSlug(s.clone()));
                }
            }
            if seen.contains(&t.slug) {
                return Err(SetupError::DuplicateTenant(label));
            }
            seen.push(t.slug.clone());
            if t.idps.is_empty() {
                return Err(SetupError::NoIdp(label));
            }
            let mut idps: Vec<Arc<IdpState>> = Vec::new();
            for idp in &t.idps {
                if !valid_slug(&idp.slug) {
                    return Err(SetupError::InvalidSlug(idp.slug.clone()));
                }
                if idps.iter().any(|i| i.config.slug == idp.slug) {
                    return Err(SetupError::DuplicateIdp(idp.slug.clone()));
                }
                idps.push(Arc::new(IdpState::new(idp.clone(), now)));
            }
            let state = TenantState {
                config: t,
                idps: RwLock::new(idps),
                sp: RwLock::new(None),
                rebuilding: Mutex::new(()),
            };
            // A tenant whose IdPs all need the network starts without an SP.
            if state.idps().iter().any(|i| read(&i.current).is_some()) {
                state.rebuild().map_err(|error| SetupError::Core {
                    tenant: label,
                    error,
                })?;
            }
            tenants.push(state);
        }
        // Twice the CPUs: verification is CPU-bound, and the factor two covers
        // the short waits on the request store and replay cache inside it.
        let max_verifications = self.max_verifications.unwrap_or_else(|| {
            2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        Ok(Saml {
            inner: Arc::new(Inner {
                verifications: Arc::new(tokio::sync::Semaphore::new(max_verifications)),
                max_verifications,
                tenants,
                requests: self
                    .requests
                    .unwrap_or_else(|| Arc::new(MemoryRequestStore::default())),
                replay: self
                    .replay
                    .unwrap_or_else(|| Arc::new(MemoryReplayCache::default())),
                sessions: self
                    .sessions
                    .unwrap_or_else(|| Arc::new(MemorySessionRegistry::default())),
                mapper: self.mapper,
                clock,
                rng: self.rng.unwrap_or_else(|| Arc::new(OsRandom)),
                default_return,
                sign_in_path: self.sign_in_path,
                signed_out_path: self.signed_out_path,
                max_session: self.max_session,
                early_wake: tokio::sync::Notify::new(),
                observer: self.observer,
            }),
        })
    }
}

impl IdpState {
    pub(crate) fn new(config: IdpConfig, now: DateTime<Utc>) -> Self {
        let mut current = None;
        let mut cache = None;
        match &config.source {
            IdpSource::Static(idp) => current = Some(apply_options(idp.clone(), &config)),
            IdpSource::Metadata {
                location,
                entity_id,
                pinned,
            } => {
                let mut c = MetadataCache::new(entity_id.as_deref(), pinned.clone());
                let mut last_bytes = Vec::new();
                let core_source = match location {
                    MetadataLocation::Url(_) => None,
                    MetadataLocation::File(p) => Some(MetadataSource::File(p.clone())),
                    MetadataLocation::Bytes(b) => Some(MetadataSource::Bytes(b.clone())),
                };
                if let Some(src) = core_source {
                    match c
                        .refresh_from(&src, now)
                        .map_err(|e| e.to_string())
                        .and_then(|md| {
                            samlsp::IdentityProvider::from_metadata(&md).map_err(|e| e.to_string())
                        }) {
                        Ok(idp) => {
                            current = Some(apply_options(idp, &config));
                            if let MetadataLocation::Bytes(b) = location {
                                last_bytes = b.clone();
                            }
                        }
                        Err(e) => tracing::error!(
                            idp = %config.slug,
                            reason = %e,
                            "IdP metadata could not be loaded; sign-in with this IdP is unavailable until it can"
                        ),
                    }
                }
                cache = Some(Mutex::new(MetadataState {
                    cache: c,
                    last_bytes,
                    retry_at: None,
                    early: EarlyRefresh::default(),
                    history: crate::health::RefreshHistory::default(),
                }));
            }
        }
        IdpState {
            config,
            current: RwLock::new(current),
            cache,
        }
    }
}

/// The signing keys an IdP is trusted with, as comparable bytes (the
/// certificate, or the public key when configured without one).
fn key_fingerprints(idp: Option<&IdentityProvider>) -> Vec<Vec<u8>> {
    idp.map(|idp| {
        idp.keys()
            .keys()
            .iter()
            .map(|k| k.certificate_der().map(<[u8]>::to_vec).unwrap_or_default())
            .collect()
    })
    .unwrap_or_default()
}

/// Whether `idp` trusts a key that `before` did not have.
fn brings_new_key(before: &[Vec<u8>], idp: &IdentityProvider) -> bool {
    key_fingerprints(Some(idp))
        .iter()
        .any(|k| !before.contains(k))
}

/// Applies the per-IdP options on top of what metadata (or code) says.
fn apply_options(idp: IdentityProvider, config: &IdpConfig) -> IdentityProvider {
    let o = &config.options;
    let mut idp = idp.allow_unsolicited(o.accepts_unsolicited());
    if let Some(b) = o.binding {
        idp = idp.preferred_binding(b);
    }
    if let Some(f) = &o.name_id_format {
        idp = idp.name_id_format(f.clone());
    }
    if let Some(w) = o.want_signed_requests {
        idp = idp.want_authn_requests_signed(w);
    }
    idp
}

impl TenantState {
    pub(crate) fn label(&self) -> &str {
        self.config.slug.as_deref().unwrap_or("default")
    }

    /// Rebuilds the SP from the IdPs known now (or drops it when none is).
    pub(crate) fn rebuild(&self) -> Result<(), samlsp::Error> {
        let _one_at_a_time = lock(&self.rebuilding);
        self.rebuild_locked()
    }

    /// [`TenantState::rebuild`], the caller holding `rebuilding`.
    pub(crate) fn rebuild_locked(&self) -> Result<(), samlsp::Error> {
        let idps: Vec<IdentityProvider> = self
            .idps()
            .iter()
            .filter_map(|i| read(&i.current))
            .collect();
        if idps.is_empty() {
            write(&self.sp, None);
            return Ok(());
        }
        let mut b = self.core_builder();
        for idp in idps {
            b = b.idp(idp);
        }
        let sp = b.build()?;
        write(&self.sp, Some(sp));
        Ok(())
    }

    /// The core builder with this tenant's SP settings, before any IdP.
    fn core_builder(&self) -> samlsp::ServiceProviderBuilder {
        let s = &self.config.sp;
        let mut b = ServiceProvider::builder(s.entity_id.clone()).acs_url(s.acs_url.clone());
        if let Some(slo) = s.effective_slo_url() {
            // One URL for both directions and both bindings (SAML Metadata
            // §2.2.2: no ResponseLocation, so answers come here too).
            b = b
                .slo_url(samlsp::Binding::HttpRedirect, slo.clone())
                .slo_url(samlsp::Binding::HttpPost, slo);
        }
        if let Some(k) = &s.signing_key {
            b = b.signing_key(k.clone());
        }
        if let Some(k) = &s.encryption_key {
            b = b.encryption_key(k.clone());
        }
        if let Some(f) = &s.customize {
            b = f(b);
        }
        b
    }

    pub(crate) fn sp(&self) -> Option<ServiceProvider> {
        read(&self.sp)
    }

    /// The IdPs now (a snapshot).
    pub(crate) fn idps(&self) -> Vec<Arc<IdpState>> {
        read(&self.idps)
    }

    pub(crate) fn idp_by_slug(&self, slug: &str) -> Option<Arc<IdpState>> {
        self.idps().into_iter().find(|i| i.config.slug == slug)
    }

    pub(crate) fn idp_by_entity_id(&self, entity_id: &str) -> Option<Arc<IdpState>> {
        self.idps()
            .into_iter()
            .find(|i| read(&i.current).is_some_and(|idp| idp.entity_id().as_str() == entity_id))
    }

    /// SP metadata: from the SP when there is one, else from the settings
    /// (so an IdP admin can be given metadata before the IdP is reachable).
    pub(crate) fn metadata_xml(&self) -> Result<String, samlsp::Error> {
        let opts = samlsp::MetadataOptions::new();
        match self.sp() {
            Some(sp) => sp.metadata(&opts),
            None => self.core_builder().metadata(&opts),
        }
    }
}

/// What one refresh pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// IdPs whose metadata was fetched and accepted (`tenant/slug`).
    pub updated: Vec<String>,
    /// IdPs fetched but unchanged.
    pub unchanged: Vec<String>,
    /// IdPs whose refresh failed (the last good copy stays), with the reason.
    pub failed: Vec<(String, String)>,
}

impl Saml {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// The application's sign-in page.
    pub fn sign_in_path(&self) -> &str {
        &self.inner.sign_in_path
    }

    /// Every configured IdP, for a sign-in page.
    pub fn identity_providers(&self) -> Vec<IdpSummary> {
        let mut out = Vec::new();
        for t in &self.inner.tenants {
            for i in &t.idps() {
                let current = read(&i.current);
                out.push(IdpSummary {
                    tenant: t.config.slug.clone(),
                    slug: i.config.slug.clone(),
                    display_name: i.config.display_name.clone(),
                    entity_id: current.as_ref().map(|c| c.entity_id().to_string()),
                    available: current.is_some() && t.sp().is_some(),
                    idp_initiated: i.config.options.allow_idp_initiated,
                    test_only: i.config.options.test_only,
                    login_path: format!("{}/login?idp={}", t.config.base_path(), i.config.slug),
                });
            }
        }
        out
    }

    /// The current service provider of a tenant (`None`: the default one).
    pub fn service_provider(&self, tenant: Option<&str>) -> Option<ServiceProvider> {
        self.inner
            .tenants
            .iter()
            .find(|t| t.config.slug.as_deref() == tenant)
            .and_then(TenantState::sp)
    }

    /// Asks for an early fetch of one IdP's metadata (on its backoff
    /// schedule, see [`crate::refresh`]): called when a response naming
    /// `entity_id` as Issuer was signed by a key we do not trust, the symptom
    /// of a rotated IdP key. Wakes the refresher when the fetch is due now.
    pub(crate) fn request_early_refresh(&self, tenant: &TenantState, entity_id: &str) {
        let Some(idp) = tenant.idp_by_entity_id(entity_id) else {
            return;
        };
        let Some(state) = idp.cache.as_ref() else {
            return;
        };
        let now = self.now();
        let due = lock(state).early.request(now);
        tracing::info!(
            tenant = tenant.label(),
            idp = %entity_id,
            due_now = due,
            "signature by an unknown key: early IdP metadata fetch requested"
        );
        if due {
            self.inner.early_wake.notify_one();
        }
    }

    /// One refresh pass over metadata-sourced IdPs: fetches those that are
    /// due (per `cacheDuration`, or never loaded), keeps the last good copy
    /// when a fetch or parse fails, and rebuilds the tenant's SP when an IdP
    /// changed. Errors are logged and reported, never fatal.
    pub async fn refresh(&self, fetcher: &dyn MetadataFetcher) -> RefreshReport {
        let mut report = RefreshReport::default();
        for t in &self.inner.tenants {
            let idps = t.idps();
            let mut changed: Vec<(&IdpState, Option<IdentityProvider>)> = Vec::new();
            for i in &idps {
                let (IdpSource::Metadata { location, .. }, Some(state)) =
                    (&i.config.source, &i.cache)
                else {
                    continue;
                };
                let label = format!("{}/{}", t.label(), i.config.slug);
                let now = self.now();
                let (due, early) = {
                    let mut s = lock(state);
                    // Never loaded (or expired): every pass. Otherwise when
                    // cacheDuration says so, and not before a failed fetch's
                    // retry time; or early, after an unknown-key signature
                    // (on its backoff schedule).
                    let early = s.early.take_due(now);
                    let due = early
                        || s.cache.current(now).is_none()
                        || (s.cache.needs_refresh(now) && s.retry_at.is_none_or(|r| now >= r));
                    (due, early)
                };
                if !due {
                    continue;
                }
                let keys_before = key_fingerprints(read(&i.current).as_ref());
                let fetched = match location {
                    MetadataLocation::Url(url) => fetcher.fetch(url).await,
                    MetadataLocation::File(p) => MetadataSource::File(p.clone())
                        .load(samlsp::Limits::metadata().max_input_bytes)
                        .map_err(|e| e.to_string()),
                    MetadataLocation::Bytes(b) => Ok(b.clone()),
                };
                let now = self.now();
                let outcome = {
                    let mut s = lock(state);
                    match fetched {
                        Err(e) => {
                            // Keep the copy; retry later.
                            s.retry_at = Some(now + Duration::seconds(MetadataCache::RETRY_DELAY));
                            Err(e)
                        }
                        Ok(bytes) => match s.cache.update(&bytes, now) {
                            Err(e) => Err(e.to_string()),
                            Ok(md) => {
                                s.retry_at = None;
                                if bytes == s.last_bytes && read(&i.current).is_some() {
                                    Ok(None)
                                } else {
                                    s.last_bytes = bytes;
                                    Ok(Some(md))
                                }
                            }
                        },
                    }
                };
                let outcome = outcome
                    .map(|changed| changed.map(|md| samlsp::IdentityProvider::from_metadata(&md)));
                let early_outcome = match &outcome {
                    Err(_) => EarlyOutcome::Failed,
                    Ok(Some(Ok(idp))) if brings_new_key(&keys_before, idp) => EarlyOutcome::NewKey,
                    Ok(_) => EarlyOutcome::Unchanged,
                };
                if early_outcome == EarlyOutcome::NewKey {
                    lock(state).early.reset();
                }
                {
                    let mut s = lock(state);
                    match &outcome {
                        Err(reason) => s.history.failed(now, reason),
                        Ok(Some(Err(e))) => s.history.failed(now, &e.to_string()),
                        // A new key on an IdP that had keys: a rollover.
                        Ok(_) => s.history.succeeded(
                            now,
                            early_outcome == EarlyOutcome::NewKey && !keys_before.is_empty(),
                        ),
                    }
                }
                if early {
                    let next = lock(state).early.not_before();
                    tracing::info!(
                        idp = %label,
                        outcome = ?early_outcome,
                        keys_before = keys_before.len(),
                        next_early_fetch_not_before = ?next,
                        "early IdP metadata fetch"
                    );
                }
                match outcome {
                    Err(reason) => {
                        let expired = {
                            let s = lock(state);
                            s.cache.last_success().is_some() && s.cache.current(now).is_none()
                        };
                        if expired && read(&i.current).is_some() {
                            // Past its validUntil and not renewed: stop
                            // trusting its keys.
                            tracing::error!(idp = %label, "IdP metadata expired; IdP disabled");
                            let previous = read(&i.current);
                            write(&i.current, None);
                            changed.push((i, previous));
                        }
                        let kept = read(&i.current).is_some();
                        tracing::warn!(
                            idp = %label,
                            reason = %reason,
                            kept_last_good_copy = kept,
                            "IdP metadata refresh failed"
                        );
                        report.failed.push((label, reason));
                    }
                    Ok(None) => report.unchanged.push(label),
                    Ok(Some(idp)) => match idp {
                        Ok(idp) => {
                            tracing::info!(
                                idp = %label,
                                entity_id = %idp.entity_id(),
                                keys = idp.keys().keys().len(),
                                "IdP metadata loaded"
                            );
                            crate::health::warn_expiring(&label, &idp, now);
                            let previous = read(&i.current);
                            write(&i.current, Some(apply_options(idp, &i.config)));
                            changed.push((i, previous));
                            report.updated.push(label);
                        }
                        Err(e) => {
                            tracing::warn!(idp = %label, reason = %e, "IdP metadata unusable");
                            report.failed.push((label, e.to_string()));
                        }
                    },
                }
            }
            if !changed.is_empty() {
                if let Err(e) = t.rebuild() {
                    tracing::error!(
                        tenant = t.label(),
                        reason = %e,
                        "service provider could not be rebuilt with the new metadata; \
                         keeping the previous one"
                    );
                    for (i, previous) in changed {
                        write(&i.current, previous);
                    }
                }
            }
        }
        report
    }
}
