//! The Redis session registry against a real redis-server, with the
//! contract of the in-memory one: take by SessionIndex or all, once, across
//! instances and concurrently; entries expire with their session; forget;
//! revocation marks hold until their time; Redis down is an error (the
//! caller fails closed), and it works again when Redis is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use samlsp::{
    LocalSessionId, OutboundError, RandomSource, SessionRegistry, SessionSubject, TrackingError,
};
use samlsp_redis::{Namespace, RedisConnection, RedisSessionRegistry};
use samlsp_tests::redis_server::RedisServer;

const TIMEOUT: Duration = Duration::from_millis(300);

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 + s, 0).unwrap()
}

struct Fixed(u8);
impl RandomSource for Fixed {
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError> {
        buf.fill(self.0);
        Ok(())
    }
}

fn sid(n: u8) -> LocalSessionId {
    LocalSessionId::generate(&Fixed(n)).unwrap()
}

fn subject(name: &str) -> SessionSubject {
    let idp = samlsp::EntityId::new("https://idp.example.com").unwrap();
    samlsp::internal::session_registry::subject(&idp, name, None)
}

/// Two instances (own connections) of one deployment.
fn instances(server: &RedisServer, ns: &str) -> (RedisSessionRegistry, RedisSessionRegistry) {
    let ns = Namespace::new(ns).unwrap();
    let open = || RedisConnection::open(&server.url(), TIMEOUT).unwrap();
    (
        RedisSessionRegistry::new(open(), ns.clone()),
        RedisSessionRegistry::new(open(), ns),
    )
}

fn sorted(mut v: Vec<LocalSessionId>) -> Vec<LocalSessionId> {
    v.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    v
}

#[test]
fn take_by_session_index_or_all_once_across_instances() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "take");
    let (alice, bob) = (subject("alice"), subject("bob"));
    a.register(&alice, Some("i1"), &sid(1), t(100), t(0))
        .unwrap();
    a.register(&alice, Some("i 2"), &sid(2), t(100), t(0))
        .unwrap();
    b.register(&bob, Some("i1"), &sid(3), t(100), t(0)).unwrap();
    b.register(&alice, None, &sid(4), t(100), t(0)).unwrap();
    assert_eq!(
        a.register(&bob, None, &sid(3), t(100), t(0)),
        Err(TrackingError::Duplicate)
    );
    assert_eq!(b.take(&alice, &["i1".into()], t(1)).unwrap(), vec![sid(1)]);
    assert_eq!(a.take(&alice, &["i1".into()], t(1)).unwrap(), vec![]);
    // A SessionIndex with a space is matched whole; one without an index
    // is ended only by a LogoutRequest naming no index.
    assert_eq!(a.take(&alice, &["i".into()], t(1)).unwrap(), vec![]);
    assert_eq!(a.take(&alice, &["i 2".into()], t(1)).unwrap(), vec![sid(2)]);
    assert_eq!(a.take(&alice, &[], t(1)).unwrap(), vec![sid(4)]);
    assert_eq!(b.take(&bob, &[], t(1)).unwrap(), vec![sid(3)]);
    assert_eq!(a.take(&bob, &[], t(1)).unwrap(), vec![]);
}

#[test]
fn concurrent_takes_end_each_session_once() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "race");
    let regs = [Arc::new(a), Arc::new(b)];
    let alice = subject("alice");
    for n in 1..=20 {
        regs[0]
            .register(&alice, None, &sid(n), t(100), t(0))
            .unwrap();
    }
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let r = Arc::clone(&regs[i % 2]);
            let s = alice.clone();
            std::thread::spawn(move || r.take(&s, &[], t(1)).unwrap())
        })
        .collect();
    let all: Vec<LocalSessionId> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert_eq!(sorted(all), sorted((1..=20).map(sid).collect()));
}

#[test]
fn entries_expire_with_their_session_and_can_be_forgotten() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "expire");
    let alice = subject("alice");
    a.register(&alice, None, &sid(1), t(50), t(0)).unwrap();
    a.register(&alice, None, &sid(2), t(100), t(0)).unwrap();
    a.register(&alice, None, &sid(3), t(100), t(0)).unwrap();
    b.forget(&sid(2), t(1)).unwrap();
    b.forget(&sid(9), t(1)).unwrap(); // unknown: nothing to do
    assert_eq!(
        a.take(&alice, &[], t(50)).unwrap(),
        vec![sid(3)],
        "sid 1 expired at 50, sid 2 forgotten"
    );
    // A forgotten session can be registered again (its key is gone).
    a.register(&alice, None, &sid(2), t(100), t(60)).unwrap();
}

#[test]
fn revocation_holds_until_its_time_on_every_instance() {
    let server = RedisServer::start();
    let (a, b) = instances(&server, "revoke");
    a.revoke(&sid(1), t(100), t(0)).unwrap();
    assert!(b.is_revoked(&sid(1), t(1)).unwrap());
    assert!(!b.is_revoked(&sid(2), t(1)).unwrap());
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("samlsp:revoke:slo:revoked:{}", sid(1).as_str());
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut raw).unwrap();
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
}

#[test]
fn redis_down_is_an_error_and_recovers() {
    let mut server = RedisServer::start();
    let (a, _) = instances(&server, "fault");
    let alice = subject("alice");
    a.register(&alice, None, &sid(1), t(100), t(0)).unwrap();
    server.stop();
    for r in [
        a.register(&alice, None, &sid(2), t(100), t(1)).err(),
        a.take(&alice, &[], t(1)).err(),
        a.forget(&sid(1), t(1)).err(),
        a.revoke(&sid(1), t(100), t(1)).err(),
        a.is_revoked(&sid(1), t(1)).err(),
    ] {
        assert!(
            matches!(r, Some(TrackingError::Unavailable { .. })),
            "{r:?}"
        );
    }
    server.resume();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while a.revoke(&sid(1), t(100), t(2)).is_err() {
        assert!(std::time::Instant::now() < deadline, "no recovery");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(a.is_revoked(&sid(1), t(3)).unwrap());
}
