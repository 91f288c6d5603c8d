#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Request tracking and replay protection through
//! `ServiceProvider::consume_response`: a replayed assertion and a reused
//! request are refused; stores are bounded and atomic.
//!
//! Fixtures: testdata/sp/gen.py (responses to the request built with the
//! counting random source below).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use samlsp::ReplayCheck;
use samlsp::TrustedKeys;
use samlsp::{
    Binding, EntityId, Error, IdentityProvider, MemoryReplayCache, MemoryRequestStore,
    OutboundError, PendingRequest, ProtocolError, RandomSource, RelayStateToken, ReplayCache,
    RequestStore, ServiceProvider, TrackingError, Url,
};

const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
const REQUEST_ID: &str = "_000102030405060708090a0b0c0d0e0f10111213";
const RELAY_STATE: &str = "FBUWFxgZGhscHR4fICEiIyQlJic";

fn read(rel: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn posted(rel: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(read(rel))
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    t("2026-01-01T00:01:00Z")
}

#[derive(Default)]
struct Counter(AtomicU8);

impl RandomSource for Counter {
    fn fill(&self, buf: &mut [u8]) -> Result<(), OutboundError> {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }
}

fn sp(allow_unsolicited: bool) -> ServiceProvider {
    let keys = TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt")).unwrap();
    let idp = IdentityProvider::new(EntityId::new(IDP).unwrap(), keys)
        .unwrap()
        .sso_endpoint(
            Binding::HttpRedirect,
            Url::new("https://idp.example.com/sso").unwrap(),
        )
        .allow_unsolicited(allow_unsolicited);
    ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
        .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
        .idp(idp)
        .build()
        .unwrap()
}

/// Sends the AuthnRequest the fixtures answer and stores it.
fn start_login(
    sp: &ServiceProvider,
    store: &dyn RequestStore,
    at: DateTime<Utc>,
) -> PendingRequest {
    let p = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .app_state("/reports?year=2026")
        .build(at, &Counter::default())
        .unwrap();
    assert_eq!(p.pending().id().as_str(), REQUEST_ID);
    assert_eq!(p.pending().relay_state().as_str(), RELAY_STATE);
    store.insert(p.pending().clone(), at).unwrap();
    p.pending().clone()
}

#[test]
fn a_solicited_login_consumes_its_request() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    start_login(&sp, &store, t("2026-01-01T00:00:00Z"));
    let login = sp
        .consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store,
            &replay,
        )
        .unwrap();
    assert_eq!(login.assertion().name_id().value(), "alice@example.com");
    assert_eq!(login.request().unwrap().id().as_str(), REQUEST_ID);
    assert_eq!(
        login.request().unwrap().app_state(),
        Some("/reports?year=2026")
    );
    assert_eq!(login.unsolicited_relay_state(), None);
    assert!(store.is_empty());
    assert_eq!(replay.len(), 1);
}

#[test]
fn a_request_id_is_usable_once() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    start_login(&sp, &store, t("2026-01-01T00:00:00Z"));
    let consume = |file: &str| {
        sp.consume_response(&posted(file), Some(RELAY_STATE), now(), &store, &replay)
            .map(|l| l.assertion().id().to_owned())
    };
    assert_eq!(
        consume("testdata/sp/solicited.xml").unwrap(),
        "_assertion_sp_1"
    );
    // A second, differently identified assertion answering the same request.
    assert_eq!(
        consume("testdata/sp/solicited-second.xml"),
        Err(ProtocolError::UnknownInResponseTo {
            found: REQUEST_ID.into()
        }
        .into())
    );
}

#[test]
fn the_same_response_twice_is_a_replay() {
    // Unsolicited, so that only the replay cache stands between the two.
    let sp = sp(true);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    let consume = || {
        sp.consume_response(
            &posted("testdata/sp/unsolicited.xml"),
            Some("/deep/link"),
            now(),
            &store,
            &replay,
        )
    };
    let first = consume().unwrap();
    assert!(first.request().is_none());
    assert_eq!(first.unsolicited_relay_state(), Some("/deep/link"));
    assert_eq!(
        consume().map(|_| ()),
        Err(ProtocolError::Replay {
            id: "_assertion_sp_3".into()
        }
        .into())
    );
    // Even when the same request is stored again, the assertion stays used.
    let store2 = MemoryRequestStore::default();
    start_login(&sp, &store2, t("2026-01-01T00:00:00Z"));
    let replay2 = MemoryReplayCache::default();
    sp.consume_response(
        &posted("testdata/sp/solicited.xml"),
        Some(RELAY_STATE),
        now(),
        &store2,
        &replay2,
    )
    .unwrap();
    start_login(&sp, &store2, t("2026-01-01T00:00:00Z"));
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store2,
            &replay2,
        )
        .map(|_| ()),
        Err(ProtocolError::Replay {
            id: "_assertion_sp_1".into()
        }
        .into())
    );
}

#[test]
fn unsolicited_is_refused_unless_allowed() {
    let sp = sp(false);
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/unsolicited.xml"),
            None,
            now(),
            &MemoryRequestStore::default(),
            &MemoryReplayCache::default(),
        )
        .map(|_| ()),
        Err(ProtocolError::UnsolicitedNotAllowed.into())
    );
}

#[test]
fn allowing_unsolicited_does_not_accept_an_answer_to_an_unknown_request() {
    // crewjam/saml PR #659: IdP-initiated login must not switch off
    // InResponseTo checks.
    let sp = sp(true);
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some("not-a-token"),
            now(),
            &MemoryRequestStore::default(),
            &MemoryReplayCache::default(),
        )
        .map(|_| ()),
        Err(ProtocolError::UnknownInResponseTo {
            found: REQUEST_ID.into()
        }
        .into())
    );
}

#[test]
fn an_expired_request_cannot_be_answered() {
    let sp =
        ServiceProvider::builder(EntityId::new("https://sp.example.org/saml/metadata").unwrap())
            .acs_url(Url::new("https://sp.example.org/saml/acs").unwrap())
            .idp(
                IdentityProvider::new(
                    EntityId::new(IDP).unwrap(),
                    TrustedKeys::from_certificate_pem(&read("testdata/keys/idp-rsa2048.crt"))
                        .unwrap(),
                )
                .unwrap()
                .sso_endpoint(
                    Binding::HttpRedirect,
                    Url::new("https://idp.example.com/sso").unwrap(),
                ),
            )
            .request_lifetime(Duration::minutes(1))
            .build()
            .unwrap();
    let store = MemoryRequestStore::default();
    let p = start_login(&sp, &store, t("2025-12-31T23:59:00Z"));
    assert_eq!(p.expires_at(), t("2026-01-01T00:00:00Z"));
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store,
            &MemoryReplayCache::default(),
        )
        .map(|_| ()),
        Err(ProtocolError::UnknownInResponseTo {
            found: REQUEST_ID.into()
        }
        .into())
    );
}

#[test]
fn a_failed_attempt_still_consumes_the_request() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    start_login(&sp, &store, t("2026-01-01T00:00:00Z"));
    let tampered = String::from_utf8(read("testdata/sp/solicited.xml"))
        .unwrap()
        .replace("alice@example.com", "admin@example.com");
    let tampered = base64::engine::general_purpose::STANDARD.encode(tampered);
    assert!(matches!(
        sp.consume_response(&tampered, Some(RELAY_STATE), now(), &store, &replay),
        Err(Error::Signature(_))
    ));
    assert!(matches!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store,
            &replay
        ),
        Err(Error::Protocol(ProtocolError::UnknownInResponseTo { .. }))
    ));
    assert!(replay.is_empty());
}

#[derive(Default)]
struct Recording(Mutex<Vec<DateTime<Utc>>>);

impl ReplayCache for Recording {
    fn check_and_insert(
        &self,
        _issuer: &EntityId,
        _id: &str,
        expires_at: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<ReplayCheck, TrackingError> {
        self.0.lock().unwrap().push(expires_at);
        Ok(ReplayCheck::FirstUse)
    }
}

#[test]
fn assertion_ids_are_kept_until_not_on_or_after_plus_skew() {
    let sp = sp(true);
    let rec = Recording::default();
    sp.consume_response(
        &posted("testdata/sp/unsolicited.xml"),
        None,
        now(),
        &MemoryRequestStore::default(),
        &rec,
    )
    .unwrap();
    assert_eq!(
        *rec.0.lock().unwrap(),
        vec![t("2026-01-01T00:05:00Z") + Duration::seconds(60)]
    );
}

struct Down;

impl RequestStore for Down {
    fn insert(&self, _: PendingRequest, _: DateTime<Utc>) -> Result<(), TrackingError> {
        Err(TrackingError::Unavailable {
            reason: "connection refused".into(),
        })
    }
    fn peek(
        &self,
        _: &RelayStateToken,
        _: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        Err(TrackingError::Unavailable {
            reason: "connection refused".into(),
        })
    }
    fn take(
        &self,
        _: &RelayStateToken,
        _: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        Err(TrackingError::Unavailable {
            reason: "connection refused".into(),
        })
    }
}

#[test]
fn store_failures_surface_and_fail_closed() {
    let sp = sp(true);
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &Down,
            &MemoryReplayCache::default(),
        )
        .map(|_| ()),
        Err(TrackingError::Unavailable {
            reason: "connection refused".into()
        }
        .into())
    );
    let full = MemoryReplayCache::new(1);
    full.check_and_insert(
        &EntityId::new("https://x.example").unwrap(),
        "y",
        t("2026-01-02T00:00:00Z"),
        now(),
    )
    .unwrap();
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/unsolicited.xml"),
            None,
            now(),
            &MemoryRequestStore::default(),
            &full,
        )
        .map(|_| ()),
        Err(TrackingError::Full {
            store: "replay cache",
            capacity: 1
        }
        .into())
    );
}

#[test]
fn take_is_atomic_under_concurrency() {
    let sp = sp(false);
    let store = Arc::new(MemoryRequestStore::default());
    start_login(&sp, store.as_ref(), t("2026-01-01T00:00:00Z"));
    let winners: usize = (0..8)
        .map(|_| {
            let s = Arc::clone(&store);
            std::thread::spawn(move || {
                s.take(&RelayStateToken::parse(RELAY_STATE).unwrap(), now())
                    .unwrap()
                    .is_some()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| usize::from(h.join().unwrap()))
        .sum();
    assert_eq!(winners, 1);

    let cache = Arc::new(MemoryReplayCache::default());
    let firsts: usize = (0..8)
        .map(|_| {
            let c = Arc::clone(&cache);
            std::thread::spawn(move || {
                c.check_and_insert(
                    &EntityId::new(IDP).unwrap(),
                    "_a",
                    t("2026-01-01T00:06:00Z"),
                    now(),
                )
                .unwrap()
                    == ReplayCheck::FirstUse
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| usize::from(h.join().unwrap()))
        .sum();
    assert_eq!(firsts, 1);
}

#[test]
fn pending_requests_round_trip_through_a_record() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let p = start_login(&sp, &store, t("2026-01-01T00:00:00Z"));
    let record = p.to_record();
    assert!(!record.contains('\n'));
    assert_eq!(PendingRequest::from_record(&record).unwrap(), p);
    assert_eq!(
        PendingRequest::from_record("garbage"),
        Err(TrackingError::Corrupt)
    );
}

#[test]
fn the_request_store_is_bounded() {
    let sp = sp(false);
    let store = MemoryRequestStore::new(100);
    for i in 0..1000u32 {
        let p = sp
            .authn_request(&samlsp::EntityId::new(IDP).unwrap())
            .unwrap()
            .build(
                t("2026-01-01T00:00:00Z") + Duration::seconds(i64::from(i)),
                &samlsp::OsRandom,
            )
            .unwrap();
        store
            .insert(p.pending().clone(), t("2026-01-01T00:00:00Z"))
            .unwrap();
    }
    assert_eq!(store.len(), 100);
}

/// Starts the login the fixtures answer, with `ForceAuthn="true"`.
fn start_forced_login(sp: &ServiceProvider, store: &dyn RequestStore, at: DateTime<Utc>) {
    let p = sp
        .authn_request(&samlsp::EntityId::new(IDP).unwrap())
        .unwrap()
        .force_authn(true)
        .build(at, &Counter::default())
        .unwrap();
    assert!(p.xml().contains("ForceAuthn=\"true\""));
    assert!(p.pending().force_authn());
    store.insert(p.pending().clone(), at).unwrap();
}

/// The fixture reports AuthnInstant 00:00:00; a ForceAuthn request sent at
/// 00:01:30 (more than the 60 s skew later) was not honoured.
#[test]
fn force_authn_refuses_an_older_authentication() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    start_forced_login(&sp, &store, t("2026-01-01T00:01:30Z"));
    let r = sp.consume_response(
        &posted("testdata/sp/solicited.xml"),
        Some(RELAY_STATE),
        t("2026-01-01T00:01:40Z"),
        &store,
        &replay,
    );
    assert_eq!(
        r.map(|l| l.assertion().id().to_owned()),
        Err(Error::Protocol(ProtocolError::ForceAuthnNotHonoured {
            authn_instant: t("2026-01-01T00:00:00Z"),
            requested_at: t("2026-01-01T00:01:30Z"),
        }))
    );
    assert!(replay.is_empty(), "a refused assertion is not recorded");
}

/// Within the skew (request 00:00:45, authentication 00:00:00) it is fresh.
#[test]
fn force_authn_accepts_an_authentication_within_the_skew() {
    let sp = sp(false);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    start_forced_login(&sp, &store, t("2026-01-01T00:00:45Z"));
    let login = sp
        .consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store,
            &replay,
        )
        .unwrap();
    assert!(login.request().unwrap().force_authn());
}

/// The unsolicited fixture replayed at the last instant it is still
/// acceptable (its NotOnOrAfter 00:05:00 plus the 60 s skew, minus 1 s): the
/// replay cache still holds it.
#[test]
fn a_replay_at_the_end_of_the_accepted_window_is_refused() {
    let sp = sp(true);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::default();
    let consume = |at| {
        sp.consume_response(
            &posted("testdata/sp/unsolicited.xml"),
            None,
            at,
            &store,
            &replay,
        )
        .map(|l| l.assertion().id().to_owned())
    };
    consume(now()).unwrap();
    assert_eq!(
        consume(t("2026-01-01T00:05:59Z")),
        Err(ProtocolError::Replay {
            id: "_assertion_sp_3".into()
        }
        .into())
    );
    // One second later the assertion itself is refused as expired.
    assert_eq!(
        consume(t("2026-01-01T00:06:00Z")),
        Err(ProtocolError::ConfirmationExpired {
            not_on_or_after: t("2026-01-01T00:05:00Z"),
            now: t("2026-01-01T00:06:00Z"),
        }
        .into())
    );
}

/// Another IdP (tenant) has filled its share of the replay cache: logins
/// from this IdP still succeed; once this IdP fills its own share, only its
/// logins fail.
#[test]
fn one_idp_filling_its_quota_does_not_fail_another_idps_logins() {
    let sp = sp(true);
    let store = MemoryRequestStore::default();
    let replay = MemoryReplayCache::new(8).with_quota_per_idp(3);
    let until = t("2026-01-01T02:00:00Z");
    for i in 0..3 {
        let id = format!("_noisy_{i}");
        assert_eq!(
            replay.check_and_insert(
                &EntityId::new("https://noisy.example").unwrap(),
                &id,
                until,
                now()
            ),
            Ok(ReplayCheck::FirstUse)
        );
    }
    assert_eq!(
        replay.check_and_insert(
            &EntityId::new("https://noisy.example").unwrap(),
            "_noisy_3",
            until,
            now()
        ),
        Err(TrackingError::IdpQuotaFull { quota: 3 })
    );
    sp.consume_response(
        &posted("testdata/sp/unsolicited.xml"),
        None,
        now(),
        &store,
        &replay,
    )
    .unwrap();

    // This IdP at its own quota: its next login fails closed.
    replay
        .check_and_insert(&EntityId::new(IDP).unwrap(), "_x1", until, now())
        .unwrap();
    replay
        .check_and_insert(&EntityId::new(IDP).unwrap(), "_x2", until, now())
        .unwrap();
    start_login(&sp, &store, t("2026-01-01T00:00:00Z"));
    assert_eq!(
        sp.consume_response(
            &posted("testdata/sp/solicited.xml"),
            Some(RELAY_STATE),
            now(),
            &store,
            &replay,
        )
        .map(|_| ()),
        Err(TrackingError::IdpQuotaFull { quota: 3 }.into())
    );
    // Entries expire, and the quota frees with them.
    assert_eq!(
        replay.check_and_insert(
            &EntityId::new("https://noisy.example").unwrap(),
            "_noisy_3",
            until,
            until
        ),
        Ok(ReplayCheck::FirstUse)
    );
}

#[test]
fn the_default_quota_is_a_quarter_of_the_capacity() {
    assert_eq!(MemoryReplayCache::new(100).quota_per_idp(), 25);
    assert_eq!(
        MemoryReplayCache::new(100)
            .with_quota_per_idp(0)
            .quota_per_idp(),
        1
    );
    assert_eq!(
        MemoryReplayCache::new(100)
            .with_quota_per_idp(1000)
            .quota_per_idp(),
        100
    );
}
