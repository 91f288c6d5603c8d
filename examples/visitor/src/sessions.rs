//! Where session state lives: this process's memory (the default), or the
//! deployment's Redis (`VISITOR_REDIS_URL`) through actix-session's Redis
//! store, so a session made on one instance is valid on every other.
//!
//! Over Redis, every call is bounded by a timeout, and an unreachable Redis
//! fails closed: a session that cannot be read is no session (the visitor is
//! asked to sign in; the sign-in is refused while the login state store is
//! down too), and one that cannot be written is answered 503 by
//! [`unavailable_page`], never as if it had been saved.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{
    LoadError, RedisSessionStore, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use samlsp_actix::MemorySessionStore;

use crate::config::{RedisNamespace, RedisUrl};

/// Longest wait for one session read or write in Redis.
pub const REDIS_SESSION_TIMEOUT: Duration = Duration::from_secs(1);

type State = HashMap<String, String>;
type Ttl = actix_web::cookie::time::Duration;

/// The session store chosen by configuration.
#[derive(Clone)]
pub enum SessionBackend {
    /// In this process (bounded); sessions end when it stops.
    Memory(MemorySessionStore),
    /// In Redis, under `samlsp:<namespace>:session:`.
    Redis(RedisSessionStore),
}

impl std::fmt::Debug for SessionBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SessionBackend::Memory(_) => "SessionBackend::Memory",
            SessionBackend::Redis(_) => "SessionBackend::Redis",
        })
    }
}

/// Why the Redis session store could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the session store in Redis within {0:?}; is Redis running?")]
pub struct SessionStoreUnreachable(Duration);

impl SessionBackend {
    /// Connects to `url` (waits at most `wait`: actix-session's store needs
    /// a first connection; later failures it survives).
    pub async fn redis(
        url: &RedisUrl,
        namespace: &RedisNamespace,
        wait: Duration,
    ) -> Result<Self, SessionStoreUnreachable> {
        let prefix = format!("samlsp:{}:session:", namespace.namespace().as_str());
        let build = RedisSessionStore::builder(url.expose())
            .cache_keygen(move |key| format!("{prefix}{key}"))
            .build();
        match tokio::time::timeout(wait, build).await {
            Ok(Ok(store)) => Ok(SessionBackend::Redis(store)),
            _ => Err(SessionStoreUnreachable(wait)),
        }
    }
}

/// The Redis failure as the log and the error chain see it (never the URL
/// or a key: actix-session's errors carry neither).
fn down(what: &str) -> anyhow::Error {
    anyhow::anyhow!("session store in Redis unavailable ({what})")
}

impl SessionStore for SessionBackend {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        match self {
            SessionBackend::Memory(m) => m.load(session_key).await,
            SessionBackend::Redis(r) => {
                match tokio::time::timeout(REDIS_SESSION_TIMEOUT, r.load(session_key)).await {
                    Ok(Ok(state)) => Ok(state),
                    Ok(Err(LoadError::Deserialization(e))) => Err(LoadError::Deserialization(e)),
                    // Unreadable is signed out: fail closed, not 500.
                    Ok(Err(LoadError::Other(_))) | Err(_) => {
                        tracing::error!(
                            "session store in Redis unavailable: treating the request as signed out"
                        );
                        Ok(None)
                    }
                }
            }
        }
    }

    async fn save(&self, state: State, ttl: &Ttl) -> Result<SessionKey, SaveError> {
        match self {
            SessionBackend::Memory(m) => m.save(state, ttl).await,
            SessionBackend::Redis(r) => {
                match tokio::time::timeout(REDIS_SESSION_TIMEOUT, r.save(state, ttl)).await {
                    Ok(Ok(k)) => Ok(k),
                    Ok(Err(SaveError::Serialization(e))) => Err(SaveError::Serialization(e)),
                    Ok(Err(SaveError::Other(_))) => Err(SaveError::Other(down("save"))),
                    Err(_) => Err(SaveError::Other(down("save timed out"))),
                }
            }
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &Ttl,
    ) -> Result<SessionKey, UpdateError> {
        match self {
            SessionBackend::Memory(m) => m.update(key, state, ttl).await,
            SessionBackend::Redis(r) => {
                match tokio::time::timeout(REDIS_SESSION_TIMEOUT, r.update(key, state, ttl)).await {
                    Ok(Ok(k)) => Ok(k),
                    Ok(Err(UpdateError::Serialization(e))) => Err(UpdateError::Serialization(e)),
                    Ok(Err(UpdateError::Other(_))) => Err(UpdateError::Other(down("update"))),
                    Err(_) => Err(UpdateError::Other(down("update timed out"))),
                }
            }
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Ttl) -> Result<(), anyhow::Error> {
        match self {
            SessionBackend::Memory(m) => m.update_ttl(key, ttl).await,
            SessionBackend::Redis(r) => {
                match tokio::time::timeout(REDIS_SESSION_TIMEOUT, r.update_ttl(key, ttl)).await {
                    Ok(Ok(())) => Ok(()),
                    _ => Err(down("expiry update")),
                }
            }
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        match self {
            SessionBackend::Memory(m) => m.delete(key).await,
            SessionBackend::Redis(r) => {
                match tokio::time::timeout(REDIS_SESSION_TIMEOUT, r.delete(key)).await {
                    Ok(Ok(())) => Ok(()),
                    _ => Err(down("delete")),
                }
            }
        }
    }
}

/// Middleware (`from_fn`, wrapped outside the session middleware): a
/// request that failed because its session could not be written to Redis
/// is answered with a 503 page saying so (with `Retry-After`), not an
/// opaque 500; any other outcome passes through unchanged.
pub async fn unavailable_page(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse> {
    use actix_web::error::InternalError;
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
        .map_err(|e| {
            let session = e.as_error::<InternalError<SaveError>>().is_some()
                || e.as_error::<InternalError<UpdateError>>().is_some()
                || e.as_error::<InternalError<anyhow::Error>>().is_some();
            if session {
                tracing::error!(reason = %e, "session not saved: answered 503");
                SessionUnavailable.into()
            } else {
                e
            }
        })
}

/// The session could not be saved (Redis unreachable).
#[derive(Debug, thiserror::Error)]
#[error("the session store is unavailable")]
struct SessionUnavailable;

impl actix_web::ResponseError for SessionUnavailable {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let mut page = samlsp_actix::html::page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "<p>Sessions cannot be saved right now. Please try again in a minute.</p>\n\
             <p><a href=\"/\">Back to the start page</a></p>",
        );
        page.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("5"),
        );
        page
    }
}
