//! Sessions: the cookie settings, the cookie key, and a server-side store.
//!
//! - The cookie is `HttpOnly`, `SameSite=Lax`, `Secure` whenever the site is
//!   served over https, and its content is encrypted and authenticated with
//!   the key (actix-session `CookieContentSecurity::Private`).
//! - The key comes from configuration. Without one a random key is generated
//!   and a warning logged: fine for a dev run, wrong for production (every
//!   restart signs everyone out, and several instances disagree).
//! - [`MemorySessionStore`] keeps session state on the server, so logout
//!   really ends the session (a stolen cookie is dead after it) and renewal
//!   really retires the old ID. actix-session's `CookieSessionStore` cannot
//!   do either: its state lives in the cookie.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, SessionLifecycle};
use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::{Key, SameSite};
use base64::Engine;
use samlsp::internal::expiring::ExpiringMap;
use samlsp::internal::sync::lock;

/// Bytes of key material required: actix's `Key` derives a signing and an
/// encryption key from 64 bytes.
pub const SESSION_SECRET_BYTES: usize = 64;

/// The session cookie key. `Debug` prints nothing secret.
#[derive(Clone)]
pub struct SessionSecret {
    key: Key,
    generated: bool,
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionSecret")
            .field("key", &"[redacted]")
            .field("generated", &self.generated)
            .finish()
    }
}

/// Why a configured session key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionSecretError {
    /// Not base64 (standard or URL-safe, padding optional).
    #[error("the session key is not base64")]
    NotBase64,
    /// Fewer than 64 bytes after decoding.
    #[error("the session key has {0} bytes; at least 64 are required")]
    TooShort(usize),
    /// All bytes equal (a zero-filled or placeholder key).
    #[error("the session key is a constant byte repeated; generate a random one")]
    Constant,
}

impl SessionSecret {
    /// From base64 (e.g. `openssl rand -base64 64`). Refuses short keys and
    /// placeholder keys (one byte repeated, such as all zeroes).
    pub fn from_base64(value: &str) -> Result<Self, SessionSecretError> {
        let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        let trimmed = compact.trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
            .map_err(|_| SessionSecretError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// From raw bytes (at least 64, not one byte repeated).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionSecretError> {
        if bytes.len() < SESSION_SECRET_BYTES {
            return Err(SessionSecretError::TooShort(bytes.len()));
        }
        if bytes.iter().all(|b| Some(b) == bytes.first()) {
            return Err(SessionSecretError::Constant);
        }
        let key = Key::try_from(bytes).map_err(|_| SessionSecretError::TooShort(bytes.len()))?;
        Ok(SessionSecret {
            key,
            generated: false,
        })
    }

    /// A random key for this process only, with a loud warning in the log.
    pub fn generate_ephemeral() -> Self {
        tracing::warn!(
            "no session key configured: generated a random one for this process. \
             Everyone is signed out at every restart and several instances cannot \
             share sessions. Set a 64-byte base64 key (openssl rand -base64 64) for \
             anything but a local dev run."
        );
        SessionSecret {
            key: Key::generate(),
            generated: true,
        }
    }

    /// True when [`SessionSecret::generate_ephemeral`] made it.
    pub fn is_generated(&self) -> bool {
        self.generated
    }
}

/// Cookie and lifetime settings of the session.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// The cookie key.
    pub secret: SessionSecret,
    /// Set `Secure` on the cookie. [`SessionSettings::for_site`] derives it
    /// from the public URL: on whenever the site is https.
    pub secure: bool,
    /// Cookie name.
    pub cookie_name: String,
    /// Idle lifetime of session state on the server.
    pub idle_timeout: chrono::Duration,
}

impl SessionSettings {
    /// Settings for a site served at `public_url`: `Secure` when it is https.
    pub fn for_site(secret: SessionSecret, public_url: &str) -> Self {
        SessionSettings {
            secret,
            secure: public_url.to_ascii_lowercase().starts_with("https://"),
            cookie_name: "id".to_owned(),
            idle_timeout: chrono::Duration::hours(8),
        }
    }

    /// The middleware: `HttpOnly`, `SameSite=Lax`, `Secure` per
    /// [`SessionSettings::secure`], content encrypted, state in `store`.
    pub fn middleware<S: SessionStore>(&self, store: S) -> SessionMiddleware<S> {
        let ttl = actix_web::cookie::time::Duration::seconds(self.idle_timeout.num_seconds());
        SessionMiddleware::builder(store, self.secret.key.clone())
            .cookie_name(self.cookie_name.clone())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(self.secure)
            .cookie_path("/".to_owned())
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(SessionLifecycle::BrowserSession(
                BrowserSession::default().state_ttl(ttl),
            ))
            .build()
    }
}

type State = HashMap<String, String>;

/// Server-side session state in this process's memory, bounded.
///
/// Clones share the same map (one per `HttpServer`, shared by all workers).
/// When full, expired entries go first, then the entry closest to expiry.
#[derive(Debug, Clone)]
pub struct MemorySessionStore {
    inner: Arc<Mutex<ExpiringMap<Instant, State>>>,
    capacity: usize,
}

impl MemorySessionStore {
    /// 100,000 sessions: a few hundred bytes each, tens of MB at most.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A store holding at most `capacity` sessions (at least 1).
    pub fn new(capacity: usize) -> Self {
        MemorySessionStore {
            inner: Arc::new(Mutex::new(ExpiringMap::new())),
            capacity: capacity.max(1),
        }
    }

    /// Live sessions (expired ones included until evicted).
    pub fn len(&self) -> usize {
        lock(&self.inner).len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn put(&self, key: String, state: State, ttl: &TimeDuration) {
        let mut map = lock(&self.inner);
        let now = Instant::now();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.purge(now);
            while map.len() >= self.capacity {
                map.evict_oldest();
            }
        }
        map.insert(key, expires_at(now, ttl), state);
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

type TimeDuration = actix_web::cookie::time::Duration;

fn expires_at(now: Instant, ttl: &TimeDuration) -> Instant {
    let secs = u64::try_from(ttl.whole_seconds()).unwrap_or(0);
    now + std::time::Duration::from_secs(secs)
}

impl SessionStore for MemorySessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let mut map = lock(&self.inner);
        let key = session_key.as_ref();
        if let Some(state) = map.get_live(key, Instant::now()) {
            return Ok(Some(state.clone()));
        }
        // Expired (or never there): forget it now rather than at eviction.
        map.remove(key);
        Ok(None)
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        ttl: &TimeDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = generate_session_key();
        self.put(key.as_ref().to_owned(), session_state, ttl);
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        ttl: &TimeDuration,
    ) -> Result<SessionKey, UpdateError> {
        let known = {
            lock(&self.inner)
                .get_live(session_key.as_ref(), Instant::now())
                .is_some()
        };
        if known {
            self.put(session_key.as_ref().to_owned(), session_state, ttl);
            Ok(session_key)
        } else {
            // The state expired or was deleted meanwhile: a new key, never
            // a resurrection of the old one.
            let key = generate_session_key();
            self.put(key.as_ref().to_owned(), session_state, ttl);
            Ok(key)
        }
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &TimeDuration,
    ) -> Result<(), anyhow::Error> {
        lock(&self.inner).set_expiry(session_key.as_ref(), expires_at(Instant::now(), ttl));
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        lock(&self.inner).remove(session_key.as_ref());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert_eq!(
            SessionSecret::from_bytes(&[0u8; 64]).err(),
            Some(SessionSecretError::Constant)
        );
        assert_eq!(
            SessionSecret::from_bytes(&[7u8; 32]).err(),
            Some(SessionSecretError::TooShort(32))
        );
        assert_eq!(
            SessionSecret::from_base64("not base64!").err(),
            Some(SessionSecretError::NotBase64)
        );
        let bytes: Vec<u8> = (0u8..64).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let s = SessionSecret::from_base64(&b64).map(|s| s.is_generated());
        assert_eq!(s, Ok(false));
        assert!(!format!("{:?}", SessionSecret::from_bytes(&bytes)).contains("key: Key"));
    }
}
