//! The application's state, built once from the configuration: the store,
//! the SAML service providers (one shared, one per `own_sp` IdP), and the
//! clock.

use std::sync::Arc;

use chrono::Utc;
use samlsp::{EntityId, SpKeyPair, Url};
use samlsp_actix::{
    Clock, IdpConfig, IdpOptions, IdpSource, MemorySessionStore, MetadataLocation, Saml,
    SessionSecret, SessionSettings, SpSettings, TenantConfig,
};

use crate::config::{Config, IdpSettings, KeyFiles, MetadataSource};
use crate::directory::Runner;
use crate::sessions::{SessionBackend, SessionStoreUnreachable};
use crate::signin::JitMapper;
use crate::store::{Store, StoreError};

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
    /// The deployment's Redis, when configured (pending logins, used
    /// assertions and the Single Logout session registry live there, shared
    /// by every instance).
    pub redis: Option<samlsp_redis::RedisConnection>,
    /// Directory sync runs (uploads, the scheduler, the command).
    pub sync: Runner,
    /// Prometheus metrics (served on the internal listener).
    pub metrics: Arc<crate::metrics::Metrics>,
    clock: ClockFn,
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
        },
    }
}

impl AppState {
    /// Opens the store, writes the configured organizations, configures SAML (URL metadata is
    /// loaded later by [`Saml::refresh`]).
    pub fn build(config: Config, clock: Option<Clock>) -> Result<Self, BuildError> {
        let clock: Clock = clock.unwrap_or_else(|| Arc::new(Utc::now));
        let store = Store::open(&config.server.database)?;
        store.sync_orgs(&config.orgs, clock())?;
        store.set_audit_cap(config.audit.max_events_per_org)?;
        let metrics = Arc::new(crate::metrics::Metrics::new(store.error_counter()));
        let observer = Arc::new(crate::audit::AuditObserver::new(
            &config,
            store.clone(),
            metrics.clone(),
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

        let mapper = Arc::new(JitMapper::new(&config, store.clone(), clock.clone()));
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
        Ok(AppState {
            config: Arc::new(config),
            sync: Runner::new(store.clone(), clock.clone()),
            store,
            saml,
            redis,
            metrics,
            clock: ClockFn(clock),
        })
    }

    /// The organization slug of a connection (IdP slug).
    pub fn org_of(&self, idp_slug: &str) -> Option<&str> {
        self.config.org_of(idp_slug).map(|o| o.slug.as_str())
    }

    /// The injected clock.
    pub fn clock(&self) -> Clock {
        self.clock.0.clone()
    }

    /// The injected clock's time.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        (self.clock.0)()
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
