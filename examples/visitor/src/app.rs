//! The application's state, built once from the configuration: the store,
//! the SAML service providers (one shared, one per `own_sp` IdP), the
//! clock and the random generator (both injectable), and the reception's
//! rate limits.

use std::sync::Arc;

use chrono::Utc;
use samlsp::{EntityId, SpKeyPair, Url};
use samlsp_actix::{
    Clock, HttpFetcher, IdpConfig, IdpOptions, IdpSource, MemorySessionStore, MetadataFetcher,
    MetadataLocation, Saml, SessionSecret, SessionSettings, SpSettings, TenantConfig,
};

use crate::config::{Config, IdpSettings, KeyFiles, MetadataSource};
use crate::connections::registry::{self, Entry, Registry};
use crate::directory::Runner;
use crate::notify::SignInLinks;
use crate::reception::RateLimiter;
use crate::sessions::{SessionBackend, SessionStoreUnreachable};
use crate::signin::JitMapper;
use crate::store::{ConnectionRow, Store, StoreError};

/// Longest wait for one Redis command (a login makes three or four).
pub const REDIS_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1000);

/// Everything the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The configuration it was built from.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The SAML routes' state.
    pub saml: Saml,
    /// Rate limits of the reception pages.
    pub limits: Arc<ReceptionLimits>,
    /// The deployment's Redis, when configured (pending logins, used
    /// assertions and the Single Logout session registry live there, shared
    /// by every instance).
    pub redis: Option<samlsp_redis::RedisConnection>,
    /// Directory sync runs (uploads, the scheduler, the command).
    pub sync: Runner,
    /// Prometheus metrics (served on the internal listener).
    pub metrics: Arc<crate::metrics::Metrics>,
    clock: ClockFn,
    fetcher: FetcherFn,
    /// Console connections' organizations and attribute names.
    pub connections: Registry,
    random: RandomFn,
}

/// How often an instance compares its console connections with the
/// database ([`AppState::sync_connections`]): the longest a connection
/// deleted through another instance keeps working here.
pub const CONNECTION_SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// What [`AppState::sync_connections`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionSync {
    /// Connections (re)loaded: new or changed in the database.
    pub loaded: usize,
    /// Connections taken out: deleted from the database.
    pub unloaded: usize,
}

/// Fetches IdP metadata for connections added by URL in the console.
#[derive(Clone)]
struct FetcherFn(Arc<dyn MetadataFetcher + Send + Sync>);

impl std::fmt::Debug for FetcherFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fetcher")
    }
}

/// Rate limits of the reception (kiosk) pages.
#[derive(Debug)]
pub struct ReceptionLimits {
    /// Requests per kiosk: a visitor types a few searches; a script
    /// walking the alphabet is stopped after the burst.
    pub per_kiosk: RateLimiter<i64>,
    /// Kiosk token attempts per peer address.
    pub token_attempts: RateLimiter<String>,
}

impl Default for ReceptionLimits {
    fn default() -> Self {
        ReceptionLimits {
            per_kiosk: RateLimiter::new(60, 2),
            token_attempts: RateLimiter::new(10, 30),
        }
    }
}

/// Fills a buffer with random bytes.
pub type Random = Arc<dyn Fn(&mut [u8]) -> Result<(), String> + Send + Sync>;

#[derive(Clone)]
struct RandomFn(Random);

impl std::fmt::Debug for RandomFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Random")
    }
}

#[derive(Clone)]
struct ClockFn(Clock);

impl std::fmt::Debug for ClockFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Why the app could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The database could not be opened or migrated.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The SAML configuration was refused.
    #[error("{0}")]
    Saml(#[from] samlsp_actix::SetupError),
    /// A key or certificate could not be read.
    #[error("{what}: {reason}")]
    Key {
        /// Which key.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// An SP identifier is not valid.
    #[error("{0}")]
    Identifier(#[from] samlsp::InvalidIdentifier),
    /// The Redis URL was refused by the client (never repeated: it may hold
    /// a password).
    #[error("redis_url: {0}")]
    Redis(#[from] samlsp_redis::RedisStoreError),
}

fn read_key(files: Option<&KeyFiles>, what: &'static str) -> Result<Option<SpKeyPair>, BuildError> {
    let Some(f) = files else { return Ok(None) };
    let err = |reason: String| BuildError::Key { what, reason };
    let key = std::fs::read(&f.key).map_err(|e| err(format!("{}: {e}", f.key.display())))?;
    let cert = std::fs::read(&f.cert).map_err(|e| err(format!("{}: {e}", f.cert.display())))?;
    SpKeyPair::from_pem(&key, &cert)
        .map(Some)
        .map_err(|e| err(e.to_string()))
}

/// The library's view of one configured IdP.
fn idp_config(i: &IdpSettings) -> IdpConfig {
    let location = match &i.metadata {
        MetadataSource::Url(u) => MetadataLocation::Url(u.clone()),
        MetadataSource::File(f) => MetadataLocation::File(f.clone()),
        MetadataSource::Xml(x) => MetadataLocation::Bytes(x.clone().into_bytes()),
    };
    IdpConfig {
        slug: i.slug.clone(),
        display_name: i.name.clone(),
        source: IdpSource::Metadata {
            location,
            entity_id: i.entity_id.clone(),
            pinned: None,
        },
        options: IdpOptions {
            allow_idp_initiated: i.allow_idp_initiated,
            binding: i.binding.map(|b| b.binding()),
            name_id_format: i.name_id_format.clone(),
            force_authn: false,
            want_signed_requests: i.want_signed_requests,
            test_only: false,
            idp_initiated_test_landing: None,
        },
    }
}

impl AppState {
    /// Opens the store, writes the configured organizations, configures SAML (URL metadata is
    /// loaded later by [`Saml::refresh`]).
    pub fn build(config: Config, clock: Option<Clock>) -> Result<Self, BuildError> {
        let clock: Clock = clock.unwrap_or_else(|| Arc::new(Utc::now));
        let store = Store::connect(&config.server)?;
        store.sync_orgs(&config.orgs, clock())?;
        store.set_audit_cap(config.audit.max_events_per_org)?;
        store.set_unverified_audit_cap(config.audit.max_unverified_events_per_org)?;
        let metrics = Arc::new(crate::metrics::Metrics::new(store.error_counter()));
        let connections = Registry::default();
        let observer = Arc::new(crate::audit::AuditObserver::new(
            &config,
            store.clone(),
            metrics.clone(),
            connections.clone(),
        ));

        let signing = read_key(config.sp.signing.as_ref(), "sp signing key")?;
        let encryption = read_key(config.sp.encryption.as_ref(), "sp encryption key")?;
        let public = &config.server.public_url;
        let sp_settings = |entity: String, acs: String| -> Result<SpSettings, BuildError> {
            let mut s = SpSettings::new(EntityId::new(entity)?, Url::new(acs)?);
            if let Some(k) = &signing {
                s = s.signing_key(k.clone());
            }
            if let Some(k) = &encryption {
                s = s.encryption_key(k.clone());
            }
            Ok(s)
        };

        let mapper = Arc::new(JitMapper::new(
            &config,
            store.clone(),
            clock.clone(),
            connections.clone(),
        ));
        let mut builder = Saml::builder(mapper)
            .observer(observer)
            .clock(clock.clone())
            .sign_in_path("/")
            .default_return("/me");
        let (own, shared): (Vec<&IdpSettings>, Vec<&IdpSettings>) =
            config.idps.iter().partition(|i| i.own_sp);
        if !shared.is_empty() {
            builder = builder.tenant(TenantConfig {
                slug: None,
                sp: sp_settings(config.sp_entity_id(), format!("{public}/saml/acs"))?,
                idps: shared.into_iter().map(idp_config).collect(),
            });
        }
        for i in own {
            builder = builder.tenant(TenantConfig {
                slug: Some(i.slug.clone()),
                sp: sp_settings(
                    format!("{public}/t/{}/saml/metadata", i.slug),
                    format!("{public}/t/{}/saml/acs", i.slug),
                )?,
                idps: vec![idp_config(i)],
            });
        }
        // Several instances: the pending requests and the replay cache must
        // be shared, or a login started on one instance fails on another
        // and an assertion used on one can be replayed on another.
        let redis = match &config.server.redis_url {
            Some(url) => {
                let conn = samlsp_redis::RedisConnection::open(url.expose(), REDIS_TIMEOUT)?;
                let ns = config.server.redis_namespace.namespace().clone();
                builder = builder
                    .request_store(Arc::new(samlsp_redis::RedisRequestStore::new(
                        conn.clone(),
                        ns.clone(),
                    )))
                    .replay_cache(Arc::new(samlsp_redis::RedisReplayCache::new(
                        conn.clone(),
                        ns.clone(),
                    )))
                    // An IdP's LogoutRequest reaches one instance and must
                    // end the sessions made on any.
                    .session_registry(Arc::new(samlsp_redis::RedisSessionRegistry::new(
                        conn.clone(),
                        ns,
                    )));
                Some(conn)
            }
            None => None,
        };
        let saml = builder.build()?;
        let mut state = AppState {
            config: Arc::new(config),
            sync: Runner::new(store.clone(), clock.clone()),
            store,
            saml,
            limits: Arc::new(ReceptionLimits::default()),
            redis,
            metrics,
            clock: ClockFn(clock),
            fetcher: FetcherFn(Arc::new(HttpFetcher::default())),
            connections,
            random: RandomFn(Arc::new(|buf: &mut [u8]| {
                openssl::rand::rand_bytes(buf).map_err(|e| e.to_string())
            })),
        };
        // People a directory run creates are invited, per their
        // organization's policy, to its sign-in.
        state.sync = state.sync.clone().with_invitations(state.sign_in_links());
        for (org, row) in state.store.all_connections()? {
            state.load_connection(&org, &row);
        }
        Ok(state)
    }

    /// Puts a console connection into the SAML layer (test sign-ins only
    /// until enabled) and the registry. A connection that cannot be
    /// loaded (metadata expired since it was added) is logged and left
    /// out; its page says why.
    pub fn load_connection(&self, org: &str, row: &ConnectionRow) {
        let Some(preset) = crate::connections::presets::by_key(&row.preset) else {
            tracing::error!(connection_id = row.id, preset = %row.preset, "unknown preset");
            return;
        };
        self.connections.insert(
            registry::slug(row.id),
            Entry {
                org: org.to_owned(),
                names: registry::names(&preset),
                version: registry::version(org, row),
            },
        );
        if let Err(e) = self.saml.put_idp(None, registry::idp_config(row, &preset)) {
            tracing::error!(connection_id = row.id, reason = %e, "connection not loaded");
        }
    }

    /// Brings this instance's console connections in line with the
    /// database: loads the ones added or changed elsewhere, unloads the
    /// deleted ones. Several instances share one database; each keeps its
    /// own running SAML layer, changed at once only by its own console
    /// requests, so without this a connection deleted through one instance
    /// would keep signing people in through another until it restarted.
    /// Run every few seconds ([`CONNECTION_SYNC_EVERY`]).
    pub fn sync_connections(&self) -> Result<ConnectionSync, StoreError> {
        let rows = self.store.all_connections()?;
        let mut loaded = self.connections.versions();
        let mut out = ConnectionSync::default();
        for (org, row) in &rows {
            let slug = registry::slug(row.id);
            if loaded.remove(&slug) != Some(registry::version(org, row)) {
                self.load_connection(org, row);
                out.loaded += 1;
            }
        }
        for slug in loaded.keys() {
            if let Some(id) = registry::id_of(slug) {
                self.unload_connection(id);
                out.unloaded += 1;
            }
        }
        Ok(out)
    }

    /// Runs [`AppState::sync_connections`] every `every`, on the blocking
    /// pool (the store is synchronous), for good.
    pub fn spawn_connection_sync(&self, every: std::time::Duration) {
        let state = self.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(every);
            loop {
                tick.tick().await;
                let s = state.clone();
                match actix_web::web::block(move || s.sync_connections()).await {
                    Ok(Ok(c)) if c != ConnectionSync::default() => tracing::info!(
                        loaded = c.loaded,
                        unloaded = c.unloaded,
                        "connections changed by another instance taken over"
                    ),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(reason = %e, "connections not compared"),
                    Err(e) => tracing::warn!(reason = %e, "connections not compared"),
                }
            }
        });
    }

    /// Takes a deleted console connection out of the SAML layer and the
    /// registry: sign-ins through it fail from now on, and sessions made
    /// through it end at their next request (they name no organization).
    pub fn unload_connection(&self, id: i64) {
        let slug = registry::slug(id);
        self.connections.remove(&slug);
        if let Err(e) = self.saml.remove_idp(None, &slug) {
            tracing::error!(connection_id = id, reason = %e, "connection not unloaded");
        }
    }

    /// The organization slug of a connection (IdP slug).
    pub fn org_of(&self, idp_slug: &str) -> Option<String> {
        match self.config.org_of(idp_slug) {
            Some(o) => Some(o.slug.clone()),
            None => self.connections.get(idp_slug).map(|e| e.org),
        }
    }

    /// Replaces the metadata fetcher (default: HTTP(S), see
    /// [`HttpFetcher`]); tests serve metadata without a network.
    pub fn with_fetcher(mut self, fetcher: Arc<dyn MetadataFetcher + Send + Sync>) -> Self {
        self.fetcher = FetcherFn(fetcher);
        self
    }

    /// The metadata fetcher for connections added by URL.
    pub fn fetcher(&self) -> &(dyn MetadataFetcher + Send + Sync) {
        self.fetcher.0.as_ref()
    }

    /// The injected clock.
    pub fn clock(&self) -> Clock {
        self.clock.0.clone()
    }

    /// The injected clock's time.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        (self.clock.0)()
    }

    /// Another random generator (tests).
    pub fn with_random(mut self, r: Random) -> Self {
        self.random = RandomFn(r);
        self
    }

    /// Other rate limits (tests).
    pub fn with_limits(mut self, l: ReceptionLimits) -> Self {
        self.limits = Arc::new(l);
        self
    }

    /// 32 random bytes from the injected generator.
    pub fn random_32(&self) -> Result<[u8; 32], String> {
        let mut b = [0u8; 32];
        (self.random.0)(&mut b)?;
        Ok(b)
    }

    /// Where a user of each organization signs in: its first connection's
    /// login, else the sign-in page (absolute URLs, for invitations).
    pub fn sign_in_links(&self) -> SignInLinks {
        let public = self.config.server.public_url.as_str();
        let idps = self.saml.identity_providers();
        let by_org = self
            .config
            .orgs
            .iter()
            .filter_map(|o| {
                let first = self
                    .config
                    .idps
                    .iter()
                    .filter(|i| i.org == o.slug)
                    .find_map(|i| idps.iter().find(|s| s.slug == i.slug))?;
                Some((
                    o.slug.clone(),
                    format!("{public}{}", first.login_href(None)),
                ))
            })
            .collect();
        SignInLinks::new(by_org, format!("{public}/"))
    }

    /// The session store: the deployment's Redis when configured (waits at
    /// most `wait` for it), else this process's memory.
    pub async fn session_backend(
        &self,
        wait: std::time::Duration,
    ) -> Result<SessionBackend, SessionStoreUnreachable> {
        match &self.config.server.redis_url {
            Some(url) => {
                SessionBackend::redis(url, &self.config.server.redis_namespace, wait).await
            }
            None => Ok(SessionBackend::Memory(MemorySessionStore::default())),
        }
    }

    /// Session settings: the configured key, else a random one (the
    /// library warns); `Secure` when the public URL is https.
    pub fn session_settings(&self) -> SessionSettings {
        let secret = match &self.config.server.session_key {
            Some(k) => k.secret(),
            None => SessionSecret::generate_ephemeral(),
        };
        SessionSettings::for_site(secret, self.config.server.public_url.as_str())
    }
}
