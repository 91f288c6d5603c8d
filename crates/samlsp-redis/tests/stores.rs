//! The Redis stores against a real redis-server: take-once and replay
//! refusal across instances, expiry, namespaces, and failing closed while
//! Redis is down, then recovering without a new connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use samlsp::{
    EntityId, PendingRequest, RelayStateToken, ReplayCache, ReplayCheck, RequestStore,
    TrackingError,
};
use samlsp_redis::{Namespace, RedisConnection, RedisReplayCache, RedisRequestStore};
use samlsp_tests::redis_server::RedisServer;

const TIMEOUT: Duration = Duration::from_millis(300);

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + s, 0).unwrap()
}

fn token(c: char) -> RelayStateToken {
    // 27 base64url characters; a final `A` leaves the 2 spare bits zero.
    RelayStateToken::parse(&format!("{}A", c.to_string().repeat(26))).unwrap()
}

fn request(tok: &RelayStateToken, expires: i64) -> PendingRequest {
    PendingRequest::from_record(&format!(
        "v2 _req1 https://idp.example.com https://sp.example.org/acs {} {} {} =%2Fme - -",
        t(0).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        t(expires).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        tok.as_str()
    ))
    .unwrap()
}

/// Two "instances": each its own connection, one deployment namespace.
fn instances(server: &RedisServer, ns: &str) -> (RedisRequestStore, RedisRequestStore) {
    let ns = Namespace::new(ns).unwrap();
    let a = RedisConnection::open(&server.url(), TIMEOUT).unwrap();
    let b = RedisConnection::open(&server.url(), TIMEOUT).unwrap();
    (
        RedisRequestStore::new(a, ns.clone()),
        RedisRequestStore::new(b, ns),
    )
}

#[test]
fn a_request_inserted_on_one_instance_is_taken_once_on_another() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "take");
    let tok = token('A');
    a.insert(request(&tok, 600), t(0)).unwrap();
    assert_eq!(
        a.insert(request(&tok, 600), t(0)),
        Err(TrackingError::Duplicate)
    );
    let peeked = b.peek(&tok, t(1)).unwrap().expect("visible on B");
    assert_eq!(peeked.app_state(), Some("/me"));
    assert!(b.take(&tok, t(1)).unwrap().is_some());
    assert!(a.take(&tok, t(1)).unwrap().is_none(), "taken once");
    assert!(a.peek(&tok, t(1)).unwrap().is_none());
}

#[test]
fn concurrent_takes_yield_the_request_exactly_once() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "race");
    let stores = [Arc::new(a), Arc::new(b)];
    for round in 0..20u8 {
        let c = char::from(b'A' + (round % 26));
        let tok = RelayStateToken::parse(&format!("{c}{round:0>25}A")).unwrap();
        stores[0].insert(request(&tok, 600), t(0)).unwrap();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let s = Arc::clone(&stores[i % 2]);
                let tok = tok.clone();
                std::thread::spawn(move || s.take(&tok, t(1)).unwrap().is_some())
            })
            .collect();
        let won = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|w| *w)
            .count();
        assert_eq!(won, 1, "round {round}");
    }
}

#[test]
fn an_expired_request_is_not_returned() {
    let server = RedisServer::start();
    let (a, _) = instances(&server, "expiry");
    let tok = token('B');
    a.insert(request(&tok, 60), t(0)).unwrap();
    // Redis still holds it (its TTL counts from the real clock), but the
    // core's clock says it expired.
    assert!(a.peek(&tok, t(60)).unwrap().is_none());
    assert!(a.take(&tok, t(61)).unwrap().is_none());
}

#[test]
fn deployments_do_not_see_each_other() {
    let server = RedisServer::start();
    let (prod, _) = instances(&server, "prod");
    let (staging, _) = instances(&server, "staging");
    let tok = token('C');
    prod.insert(request(&tok, 600), t(0)).unwrap();
    assert!(staging.take(&tok, t(1)).unwrap().is_none());
    staging.insert(request(&tok, 600), t(0)).unwrap();
    assert!(prod.take(&tok, t(1)).unwrap().is_some());
}

#[test]
fn a_corrupt_record_is_refused() {
    let server = RedisServer::start();
    let (a, _) = instances(&server, "corrupt");
    let tok = token('D');
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("samlsp:corrupt:req:{}", tok.as_str());
    redis::cmd("SET")
        .arg(&key)
        .arg("v2 garbage")
        .exec(&mut raw)
        .unwrap();
    assert_eq!(a.peek(&tok, t(1)), Err(TrackingError::Corrupt));
    redis::cmd("SET")
        .arg(&key)
        .arg("x".repeat(20_000))
        .exec(&mut raw)
        .unwrap();
    assert_eq!(a.take(&tok, t(1)), Err(TrackingError::Corrupt));
}

#[test]
fn replays_are_refused_on_every_instance_and_per_issuer() {
    let server = RedisServer::start();
    let ns = Namespace::new("replay").unwrap();
    let a = RedisReplayCache::new(
        RedisConnection::open(&server.url(), TIMEOUT).unwrap(),
        ns.clone(),
    );
    let b = RedisReplayCache::new(RedisConnection::open(&server.url(), TIMEOUT).unwrap(), ns);
    let idp = EntityId::new("https://idp.example.com").unwrap();
    let other = EntityId::new("https://other.example.com").unwrap();
    assert_eq!(
        a.check_and_insert(&idp, "_a1", t(300), t(0)),
        Ok(ReplayCheck::FirstUse)
    );
    assert_eq!(
        b.check_and_insert(&idp, "_a1", t(300), t(1)),
        Ok(ReplayCheck::Replay)
    );
    assert_eq!(
        a.check_and_insert(&idp, "_a1", t(300), t(2)),
        Ok(ReplayCheck::Replay)
    );
    assert_eq!(
        b.check_and_insert(&other, "_a1", t(300), t(2)),
        Ok(ReplayCheck::FirstUse)
    );
    // The entry lives the whole window the core asked for.
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("samlsp:replay:replay:*")
        .query(&mut raw)
        .unwrap();
    assert_eq!(keys.len(), 2);
    let ttl: i64 = redis::cmd("PTTL").arg(&keys[0]).query(&mut raw).unwrap();
    assert!(ttl > 290_000 && ttl <= 300_000, "{ttl}");
}

fn assert_unavailable<T: std::fmt::Debug>(r: Result<T, TrackingError>) {
    match r {
        Err(TrackingError::Unavailable { reason }) => {
            assert!(!reason.contains("redis://"), "{reason}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[test]
fn redis_down_fails_closed_and_recovers_without_a_new_connection() {
    let mut server = RedisServer::start();
    let (a, b) = instances(&server, "fault");
    let replay = RedisReplayCache::new(
        RedisConnection::open(&server.url(), TIMEOUT).unwrap(),
        Namespace::new("fault").unwrap(),
    );
    let idp = EntityId::new("https://idp.example.com").unwrap();
    let tok = token('E');
    a.insert(request(&tok, 600), t(0)).unwrap();
    assert_eq!(
        replay.check_and_insert(&idp, "_x", t(300), t(0)),
        Ok(ReplayCheck::FirstUse)
    );

    server.stop();
    let started = std::time::Instant::now();
    assert_unavailable(a.insert(request(&token('F'), 600), t(1)));
    assert_unavailable(b.peek(&tok, t(1)));
    assert_unavailable(b.take(&tok, t(1)));
    // Never "first use" without Redis: the replay check fails, it does not pass.
    assert_unavailable(replay.check_and_insert(&idp, "_y", t(300), t(1)));
    // Each failure is bounded by the timeout (and a refused connection is
    // reported at once).
    assert!(started.elapsed() < 4 * (TIMEOUT + Duration::from_millis(100)));

    server.resume(); // empty: no persistence in tests
    // Each connection finds Redis again by itself (no restart, no new store).
    let tok2 = token('G');
    eventually(|| a.insert(request(&tok2, 600), t(2)));
    eventually(|| b.peek(&tok2, t(2)));
    assert!(b.take(&tok2, t(3)).unwrap().is_some());
    let first = eventually(|| replay.check_and_insert(&idp, "_z", t(300), t(3)));
    assert_eq!(first, ReplayCheck::FirstUse);
}

/// Retries `f` until it succeeds, for at most 10 s.
fn eventually<T>(mut f: impl FnMut() -> Result<T, TrackingError>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) => assert!(std::time::Instant::now() < deadline, "no recovery: {e}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_app_started_before_redis_works_once_redis_is_up() {
    let mut server = RedisServer::start();
    let url = server.url();
    server.stop();
    let (a, _) = {
        let ns = Namespace::new("late").unwrap();
        let c = RedisConnection::open(&url, TIMEOUT).unwrap();
        (RedisRequestStore::new(c, ns), ())
    };
    assert_unavailable(a.peek(&token('H'), t(0)));
    server.resume();
    assert!(eventually(|| a.peek(&token('H'), t(0))).is_none());
}

#[test]
fn bad_urls_do_not_echo_the_url() {
    let e = RedisConnection::open("http://user:s3cret@host/", TIMEOUT).unwrap_err();
    assert!(!e.to_string().contains("s3cret"), "{e}");
}
