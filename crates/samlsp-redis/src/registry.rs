//! The Single Logout session registry in Redis (SAML Core 2.0 §3.7.3.1:
//! an IdP's LogoutRequest ends the sessions of its subject), so a
//! LogoutRequest received by one instance ends the sessions made on any.
//!
//! Keys, under `samlsp:<namespace>:slo:`:
//! - `subj:<sha256(subject key)>`: a hash, one field per local session ID,
//!   valued `<expiry in ms> <SessionIndex>` (`<expiry>` alone when the
//!   assertion had none); the key expires with its last session;
//! - `sess:<local session ID>`: the subject hash's key (for `forget`),
//!   expiring with the session;
//! - `revoked:<local session ID>`: an ended session, until its latest end.
//!
//! `register`, `take` and `forget` are Lua scripts: Redis runs a script
//! atomically, so two instances taking one subject's sessions at once never
//! both get a session, and a registration is never half written. The
//! expiries in the hash are counted in the core's clock (`now` is passed
//! in); Redis's own TTLs are relative to it, so clock skew between the app
//! and Redis neither extends nor shortens an entry.

use chrono::{DateTime, Utc};
use samlsp::{LocalSessionId, SessionRegistry, SessionSubject, TrackingError};

use crate::connection::RedisConnection;
use crate::keys::{Namespace, hex};
use crate::ttl_millis;

/// Most sessions one `take` returns: a subject with more live sessions than
/// this (one person signed in on a thousand browsers) keeps the rest until
/// the next logout or their expiry.
pub const MAX_TAKEN: usize = 1000;

/// KEYS[1] session key, KEYS[2] subject key; ARGV[1] session ID, ARGV[2]
/// hash value, ARGV[3] TTL in ms. 0: the session is already registered.
const REGISTER: &str = r"
if not redis.call('SET', KEYS[1], KEYS[2], 'NX', 'PX', ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1
";

/// KEYS[1] subject key; ARGV[1] now in ms, ARGV[2] session-key prefix,
/// ARGV[3] most to return, ARGV[4..] SessionIndex values (none: all).
/// Returns the session IDs taken; drops expired entries on the way.
const TAKE: &str = r"
local now, prefix, most = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local wanted = {}
for i = 4, #ARGV do wanted[ARGV[i]] = true end
local all = #ARGV < 4
local entries = redis.call('HGETALL', KEYS[1])
local taken = {}
for i = 1, #entries, 2 do
  local sid, v = entries[i], entries[i + 1]
  local sp = string.find(v, ' ', 1, true)
  local exp = tonumber(sp and string.sub(v, 1, sp - 1) or v)
  local idx = sp and string.sub(v, sp + 1) or nil
  if exp == nil or exp <= now then
    redis.call('HDEL', KEYS[1], sid)
  elseif #taken < most and (all or (idx ~= nil and wanted[idx])) then
    redis.call('HDEL', KEYS[1], sid)
    redis.call('DEL', prefix .. sid)
    taken[#taken + 1] = sid
  end
end
return taken
";

/// KEYS[1] session key; ARGV[1] session ID.
const FORGET: &str = r"
local subject = redis.call('GET', KEYS[1])
if subject then redis.call('HDEL', subject, ARGV[1]) end
redis.call('DEL', KEYS[1])
return 1
";

/// A [`SessionRegistry`] in Redis, shared by every instance of a
/// deployment.
///
/// Revocation marks are plain keys with their expiry: Redis must keep them
/// (`maxmemory-policy noeviction`, as for the replay cache: an evicted mark
/// would bring an ended session back); a full Redis refuses the write and
/// the logout is reported failed. [`SessionRegistry::is_revoked`] is one
/// `EXISTS`; when Redis cannot answer it is an error, which `samlsp-actix`
/// treats as "ended" (fail closed: everyone appears signed out until Redis
/// is back).
#[derive(Debug, Clone)]
pub struct RedisSessionRegistry {
    conn: RedisConnection,
    namespace: Namespace,
}

impl RedisSessionRegistry {
    /// The registry of deployment `namespace` on `conn`.
    pub fn new(conn: RedisConnection, namespace: Namespace) -> Self {
        RedisSessionRegistry { conn, namespace }
    }

    fn prefix(&self) -> String {
        format!("samlsp:{}:slo:", self.namespace.as_str())
    }

    fn subject_key(&self, subject: &SessionSubject) -> String {
        format!(
            "{}subj:{}",
            self.prefix(),
            hex(&openssl::sha::sha256(subject.key().as_bytes()))
        )
    }

    fn session_key(&self, session: &LocalSessionId) -> String {
        // The ID is base64url (no `:`), checked by its type.
        format!("{}sess:{}", self.prefix(), session.as_str())
    }

    fn revoked_key(&self, session: &LocalSessionId) -> String {
        format!("{}revoked:{}", self.prefix(), session.as_str())
    }
}

impl SessionRegistry for RedisSessionRegistry {
    fn register(
        &self,
        subject: &SessionSubject,
        session_index: Option<&str>,
        session: &LocalSessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError> {
        let expiry = expires_at.timestamp_millis().to_string();
        let value = match session_index {
            Some(i) => format!("{expiry} {i}"),
            None => expiry,
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(REGISTER)
            .arg(2)
            .arg(self.session_key(session))
            .arg(self.subject_key(subject))
            .arg(session.as_str())
            .arg(value)
            .arg(ttl_millis(expires_at, now));
        let set: i64 = self.conn.query(cmd)?;
        if set == 1 {
            Ok(())
        } else {
            Err(TrackingError::Duplicate)
        }
    }

    fn take(
        &self,
        subject: &SessionSubject,
        session_indexes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalSessionId>, TrackingError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(TAKE)
            .arg(1)
            .arg(self.subject_key(subject))
            .arg(now.timestamp_millis())
            .arg(format!("{}sess:", self.prefix()))
            .arg(MAX_TAKEN);
        for i in session_indexes {
            cmd.arg(i);
        }
        let ids: Vec<String> = self.conn.query(cmd)?;
        // Only IDs of the shape this registry stores; anything else is not
        // ours (written by hand, or corrupt) and names no session.
        Ok(ids
            .iter()
            .filter_map(|s| LocalSessionId::parse(s))
            .collect())
    }

    fn forget(&self, session: &LocalSessionId, _now: DateTime<Utc>) -> Result<(), TrackingError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(FORGET)
            .arg(1)
            .arg(self.session_key(session))
            .arg(session.as_str());
        let _: i64 = self.conn.query(cmd)?;
        Ok(())
    }

    fn revoke(
        &self,
        session: &LocalSessionId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.revoked_key(session))
            .arg("1")
            .arg("PX")
            .arg(ttl_millis(until, now));
        let _: String = self.conn.query(cmd)?;
        Ok(())
    }

    fn is_revoked(
        &self,
        session: &LocalSessionId,
        _now: DateTime<Utc>,
    ) -> Result<bool, TrackingError> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.revoked_key(session));
        let n: i64 = self.conn.query(cmd)?;
        Ok(n > 0)
    }
}
