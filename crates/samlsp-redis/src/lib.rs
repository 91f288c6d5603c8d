//! Redis-backed [`samlsp::RequestStore`], [`samlsp::ReplayCache`] and
//! [`samlsp::SessionRegistry`], so that several instances of a service
//! provider behind a load balancer share their login state: a login started
//! on one instance can be answered on another, an assertion used on one is
//! refused as a replay on every other, and an IdP's LogoutRequest received
//! by one ends the sessions made on any. The core crate stays free of any
//! Redis dependency.
//!
//! ```no_run
//! use std::sync::Arc;
//! use samlsp_redis::{
//!     Namespace, RedisConnection, RedisReplayCache, RedisRequestStore, RedisSessionRegistry,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let conn = RedisConnection::open("redis://127.0.0.1:6379", samlsp_redis::DEFAULT_TIMEOUT)?;
//! let ns = Namespace::new("visitors-prod")?;
//! let requests = Arc::new(RedisRequestStore::new(conn.clone(), ns.clone()));
//! let replay = Arc::new(RedisReplayCache::new(conn.clone(), ns.clone()));
//! let sessions = Arc::new(RedisSessionRegistry::new(conn, ns));
//! // samlsp_actix::Saml::builder(mapper).request_store(requests)
//! //     .replay_cache(replay).session_registry(sessions)
//! # let _ = (requests, replay, sessions); Ok(()) }
//! ```
//!
//! # Failing closed
//!
//! Every failure (Redis down, slow, out of memory, read-only replica) is a
//! [`RedisStoreError`], which the core sees as
//! [`samlsp::TrackingError::Unavailable`]: the login is refused, never
//! accepted without its pending request or replay check. Each command is
//! bounded by a timeout ([`DEFAULT_TIMEOUT`]), so a stopped Redis costs a
//! login at most that long. The connection is made at the first command
//! (the application starts while Redis is down) and remade after a failure
//! by the client's connection manager, so logins work again, without a
//! restart, as soon as Redis answers.
//!
//! # Why an async client behind a synchronous bridge
//!
//! The core's traits are synchronous: verification is CPU-bound and runs on
//! a blocking thread, and a trait that stays synchronous keeps every
//! in-memory or SQL store simple. The client is the `redis` crate's async
//! `ConnectionManager` (the client actix-session's Redis session store
//! uses, so an application has one Redis client, not two): one multiplexed
//! connection pipelines the commands of every thread (no pool to size),
//! and it reconnects by itself. It runs on a single background thread with
//! its own small Tokio runtime; a trait call hands it the command and
//! waits on a channel with a deadline ([`connection`] says why no other
//! runtime will do). A synchronous pool (r2d2) would need one connection
//! per concurrent caller and its own reconnection policy, for the same
//! blocking wait. The wait is short (one round trip on a local network)
//! but it does block the calling thread, up to the timeout while Redis is
//! unreachable: `samlsp-actix` therefore makes every store call on actix's
//! blocking pool, never on a worker that serves other requests.
//!
//! # Keys
//!
//! Namespaced per deployment and per IdP; see [`Namespace`] for the
//! layout. Entries expire by themselves (`PX`), so nothing needs cleaning.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connection;
mod error;
mod keys;
mod registry;
mod replay;
mod requests;

use chrono::{DateTime, Utc};

pub use connection::{DEFAULT_TIMEOUT, RedisConnection};
pub use error::RedisStoreError;
pub use keys::{InvalidNamespace, MAX_NAMESPACE_BYTES, Namespace};
pub use registry::{MAX_TAKEN, RedisSessionRegistry};
pub use replay::RedisReplayCache;
pub use requests::RedisRequestStore;

/// Milliseconds from `now` until `expires_at`, at least one second (Redis
/// refuses a zero expiry, and an entry must outlive the call that made it).
pub(crate) fn ttl_millis(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (expires_at - now).num_milliseconds().max(1000)
}
