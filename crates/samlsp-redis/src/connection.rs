//! The bridge between the core's synchronous store traits and the async
//! Redis client: one background thread runs a small Tokio runtime that owns
//! the connection; a caller hands it a command and waits, with a deadline,
//! on a channel.
//!
//! Why not call the async client from the caller's runtime: the core calls
//! the stores from actix's worker threads (each a single-threaded Tokio
//! runtime, where `block_on` is refused) and from its blocking pool (where
//! a worker's runtime does not drive I/O). Spawning onto a runtime of our
//! own and waiting on a plain channel works from either, and never panics.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue};

use crate::error::RedisStoreError;

/// Default time one Redis command may take, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);

/// A shared connection to one Redis server, reconnecting by itself. Cheap
/// to clone; the background thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct RedisConnection {
    shared: Arc<Shared>,
}

struct Shared {
    handle: tokio::runtime::Handle,
    client: redis::Client,
    /// Made at the first command (the app may start before Redis), then
    /// kept: the manager reconnects after failures on its own.
    manager: tokio::sync::Mutex<Option<ConnectionManager>>,
    timeout: Duration,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The runtime is dropped by its own thread once this arrives (a
        // runtime must not be dropped from async code).
        let tx = match self.stop.lock() {
            Ok(mut stop) => stop.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(tx) = tx {
            let _ = tx.send(());
        }
    }
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it may hold a password.
        f.debug_struct("RedisConnection")
            .field("timeout", &self.shared.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// A connection to `url` (`redis://[user:password@]host:port[/db]`,
    /// `rediss://` for TLS is not built in), each command bounded by
    /// `timeout` (at least 10 ms). Nothing is sent until the first command:
    /// the application can start while Redis is down, and its logins are
    /// refused until Redis is back.
    pub fn open(url: &str, timeout: Duration) -> Result<Self, RedisStoreError> {
        let client = redis::Client::open(url)
            .map_err(|_| RedisStoreError::InvalidUrl("not a redis:// or unix:// URL"))?;
        let timeout = timeout.max(Duration::from_millis(10));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| RedisStoreError::Stopped)?;
        let handle = runtime.handle().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("samlsp-redis".into())
            .spawn(move || {
                // Drives every spawned command until the last handle goes.
                let _ = runtime.block_on(rx);
            })
            .map_err(|_| RedisStoreError::Stopped)?;
        Ok(RedisConnection {
            shared: Arc::new(Shared {
                handle,
                client,
                manager: tokio::sync::Mutex::new(None),
                timeout,
                stop: Mutex::new(Some(tx)),
            }),
        })
    }

    /// The per-command timeout.
    pub fn timeout(&self) -> Duration {
        self.shared.timeout
    }

    /// Runs `cmd` and waits at most the timeout for its answer.
    pub(crate) fn query<T>(&self, cmd: Cmd) -> Result<T, RedisStoreError>
    where
        T: FromRedisValue + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let timeout = shared.timeout;
        let (tx, rx) = mpsc::sync_channel(1);
        self.shared.handle.spawn(async move {
            let run = async {
                let mut conn = shared.connection().await?;
                cmd.query_async::<T>(&mut conn)
                    .await
                    .map_err(|e| RedisStoreError::from_redis(&e, timeout))
            };
            let outcome = tokio::time::timeout(timeout, run)
                .await
                .unwrap_or(Err(RedisStoreError::Timeout(timeout)));
            let _ = tx.send(outcome);
        });
        // A little longer than the task's own deadline, so its answer (a
        // timeout included) normally wins; this one covers a stalled thread.
        match rx.recv_timeout(timeout + Duration::from_millis(50)) {
            Ok(outcome) => outcome,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(RedisStoreError::Timeout(timeout)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(RedisStoreError::Stopped),
        }
    }
}

impl Shared {
    async fn connection(&self) -> Result<ConnectionManager, RedisStoreError> {
        let mut slot = self.manager.lock().await;
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            // The first connection is tried once per command; later
            // reconnections are the manager's, in the background.
            .set_number_of_retries(1)
            .set_max_delay(500);
        let m = ConnectionManager::new_with_config(self.client.clone(), config)
            .await
            .map_err(|e| RedisStoreError::from_redis(&e, self.timeout))?;
        *slot = Some(m.clone());
        Ok(m)
    }
}
