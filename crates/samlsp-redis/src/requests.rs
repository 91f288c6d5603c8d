//! Pending AuthnRequests in Redis (SAML Profiles §4.1.4.3: a response is
//! bound to the request it answers).

use chrono::{DateTime, Utc};
use samlsp::{PendingRequest, RelayStateToken, RequestStore, TrackingError};

use crate::connection::RedisConnection;
use crate::keys::Namespace;
use crate::ttl_millis;

/// Longest record read back: a record is a few hundred bytes plus at most
/// 4 KiB of application state, percent-encoded (up to three times longer).
const MAX_RECORD_BYTES: usize = 16 * 1024;

/// A [`RequestStore`] in Redis, shared by every instance of a deployment.
///
/// - `insert`: `SET key record NX PX ttl`: refuses a duplicate token, and
///   Redis forgets the request when it expires.
/// - `peek`: `GET`.
/// - `take`: `GETDEL` (Redis 6.2+), atomic: of two instances taking one
///   token at the same time exactly one gets the request.
///
/// The expiry is counted from the `now` the core passes (its injected
/// clock), not from Redis's clock, and `peek`/`take` check it again, so a
/// skew between the app's and Redis's clocks cannot extend a request.
#[derive(Debug, Clone)]
pub struct RedisRequestStore {
    conn: RedisConnection,
    namespace: Namespace,
}

impl RedisRequestStore {
    /// The store of deployment `namespace` on `conn`.
    pub fn new(conn: RedisConnection, namespace: Namespace) -> Self {
        RedisRequestStore { conn, namespace }
    }

    fn decode(
        value: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        let Some(record) = value else { return Ok(None) };
        if record.len() > MAX_RECORD_BYTES {
            return Err(TrackingError::Corrupt);
        }
        let request = PendingRequest::from_record(&record)?;
        Ok((now < request.expires_at()).then_some(request))
    }
}

impl RequestStore for RedisRequestStore {
    fn insert(&self, request: PendingRequest, now: DateTime<Utc>) -> Result<(), TrackingError> {
        let key = self.namespace.request_key(request.relay_state());
        let mut cmd = redis::cmd("SET");
        cmd.arg(&key)
            .arg(request.to_record())
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(request.expires_at(), now));
        // `OK` when set, nil when the key already exists.
        let set: Option<String> = self.conn.query(cmd)?;
        match set {
            Some(_) => Ok(()),
            None => Err(TrackingError::Duplicate),
        }
    }

    fn peek(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        let mut cmd = redis::cmd("GET");
        cmd.arg(self.namespace.request_key(relay_state));
        Self::decode(self.conn.query(cmd)?, now)
    }

    fn take(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        let mut cmd = redis::cmd("GETDEL");
        cmd.arg(self.namespace.request_key(relay_state));
        Self::decode(self.conn.query(cmd)?, now)
    }
}
