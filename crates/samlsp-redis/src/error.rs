//! Why a Redis operation failed, in words that are safe to log.
//!
//! Nothing here carries the Redis URL (it may hold a password), a key or a
//! stored value: connection failures say only their I/O kind, server errors
//! only their code (`OOM`, `NOAUTH`, `READONLY`, ...).

use std::time::Duration;

use samlsp::TrackingError;

/// A Redis-backed store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// No answer within the configured timeout (Redis stopped, paused, or
    /// unreachable, or the network drops packets).
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection could not be made or was lost (`what`: the I/O kind).
    #[error("redis is unreachable: {what}")]
    Unreachable {
        /// The kind of failure, e.g. `connection refused`.
        what: String,
    },
    /// Redis answered with an error (`code`, e.g. `OOM` when `maxmemory`
    /// is reached under the `noeviction` policy, `NOAUTH`, `READONLY`).
    #[error("redis refused the command ({code})")]
    Refused {
        /// The error code Redis sent.
        code: String,
    },
    /// Redis answered something this crate never writes or asks for.
    #[error("redis answered with an unexpected value")]
    UnexpectedReply,
    /// The background task that talks to Redis is gone (the store is being
    /// dropped, or its thread could not start).
    #[error("the redis connection task is not running")]
    Stopped,
    /// The URL given is not a Redis URL (its text is not repeated: it may
    /// hold a password).
    #[error("the redis URL is not valid ({0})")]
    InvalidUrl(&'static str),
}

impl RedisStoreError {
    pub(crate) fn from_redis(e: &redis::RedisError, timeout: Duration) -> Self {
        if e.is_timeout() {
            return RedisStoreError::Timeout(timeout);
        }
        if let Some(code) = e.code() {
            // Server error codes are short upper-case words; keep only that.
            let code: String = code
                .chars()
                .take(32)
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            return RedisStoreError::Refused { code };
        }
        let what = if e.is_connection_refusal() {
            "connection refused"
        } else if e.is_connection_dropped() {
            "connection dropped"
        } else if e.is_io_error() {
            "I/O error"
        } else {
            "client error"
        };
        RedisStoreError::Unreachable {
            what: what.to_owned(),
        }
    }
}

impl From<RedisStoreError> for TrackingError {
    /// Every failure is "unavailable" to the core, which refuses the login:
    /// without the store there is neither request binding nor replay
    /// protection, so nothing is accepted (fail closed).
    fn from(e: RedisStoreError) -> Self {
        match e {
            RedisStoreError::UnexpectedReply => TrackingError::Corrupt,
            other => TrackingError::Unavailable {
                reason: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_are_kept_short_and_plain() {
        let e = redis::RedisError::from((redis::ErrorKind::ReadOnly, "replica"));
        assert_eq!(
            RedisStoreError::from_redis(&e, Duration::from_secs(1)),
            RedisStoreError::Refused {
                code: "READONLY".into()
            }
        );
        let io =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            RedisStoreError::from_redis(&io, Duration::from_secs(1)),
            RedisStoreError::Unreachable {
                what: "connection refused".into()
            }
        );
    }

    #[test]
    fn every_failure_is_unavailable_or_corrupt_to_the_core() {
        let t: TrackingError = RedisStoreError::Timeout(Duration::from_millis(5)).into();
        assert!(matches!(t, TrackingError::Unavailable { .. }));
        let t: TrackingError = RedisStoreError::UnexpectedReply.into();
        assert_eq!(t, TrackingError::Corrupt);
    }
}
