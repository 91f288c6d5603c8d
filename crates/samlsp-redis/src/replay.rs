//! Used assertion IDs in Redis (SAML Profiles §4.1.4.5: an assertion is
//! accepted once).

use chrono::{DateTime, Utc};
use samlsp::{EntityId, ReplayCache, ReplayCheck, TrackingError};

use crate::connection::RedisConnection;
use crate::keys::Namespace;
use crate::ttl_millis;

/// A [`ReplayCache`] in Redis, shared by every instance of a deployment:
/// `SET key 1 NX PX ttl` is the atomic check-and-insert (set: first use;
/// nil: the key exists, a replay), on any instance.
///
/// The entry lives until the `expires_at` the core computes: the
/// assertion's effective NotOnOrAfter plus the clock skew, the whole window
/// in which verification would accept it again (counted from the core's
/// `now`, at least one second). Redis must keep it that long: run it with
/// `maxmemory-policy noeviction` (an evicted entry would allow a replay);
/// a full Redis then answers `OOM` and logins are refused, never accepted
/// unprotected. Unlike [`samlsp::MemoryReplayCache`] there is no quota per
/// IdP: size `maxmemory` for the login rate (about 200 bytes an entry).
#[derive(Debug, Clone)]
pub struct RedisReplayCache {
    conn: RedisConnection,
    namespace: Namespace,
}

impl RedisReplayCache {
    /// The cache of deployment `namespace` on `conn`.
    pub fn new(conn: RedisConnection, namespace: Namespace) -> Self {
        RedisReplayCache { conn, namespace }
    }
}

impl ReplayCache for RedisReplayCache {
    fn check_and_insert(
        &self,
        issuer: &EntityId,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ReplayCheck, TrackingError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.namespace.replay_key(issuer, assertion_id))
            .arg("1")
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(expires_at, now));
        let set: Option<String> = self.conn.query(cmd)?;
        Ok(match set {
            Some(_) => ReplayCheck::FirstUse,
            None => ReplayCheck::Replay,
        })
    }
}
