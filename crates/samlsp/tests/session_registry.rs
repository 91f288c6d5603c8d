#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
//! The in-memory session registry: entries expire with their session,
//! `take` removes what it returns, revocation marks hold until their time,
//! bounds never drop a live revocation.

use chrono::{DateTime, Utc};
use samlsp::{
    LocalSessionId, MemorySessionRegistry, OutboundError, RandomSource, SessionRegistry,
    SessionSubject, TrackingError,
};

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

#[test]
fn subject_keys_keep_the_parts_apart() {
    let idp = samlsp::EntityId::new("https://idp.example.com").unwrap();
    let s = |n: &str, f: Option<&str>| samlsp::internal::session_registry::subject(&idp, n, f);
    // Absent Format is unspecified (SAML Core 2.0 §8.3.1).
    assert_eq!(
        s("a", None),
        s(
            "a",
            Some("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
        )
    );
    assert_ne!(s("a b", None).key(), s("a", Some("b")).key());
    assert_ne!(s("a", None).key(), s("a ", None).key());
}

#[test]
fn ids_parse_only_in_the_shape_generated() {
    let id = sid(7);
    assert_eq!(id.as_str().len(), 27);
    assert_eq!(LocalSessionId::parse(id.as_str()), Some(id.clone()));
    for bad in [
        "",
        "short",
        &format!("{}A", id.as_str()),
        "!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    ] {
        assert_eq!(LocalSessionId::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn take_by_session_index_or_all_and_only_once() {
    let r = MemorySessionRegistry::new(10);
    let (a, b) = (subject("alice"), subject("bob"));
    r.register(&a, Some("i1"), &sid(1), t(100), t(0)).unwrap();
    r.register(&a, Some("i2"), &sid(2), t(100), t(0)).unwrap();
    r.register(&b, Some("i1"), &sid(3), t(100), t(0)).unwrap();
    assert_eq!(
        r.register(&b, None, &sid(3), t(100), t(0)),
        Err(TrackingError::Duplicate)
    );
    assert_eq!(r.take(&a, &["i1".into()], t(1)).unwrap(), vec![sid(1)]);
    assert_eq!(r.take(&a, &["i1".into()], t(1)).unwrap(), vec![]);
    assert_eq!(r.take(&a, &[], t(1)).unwrap(), vec![sid(2)]);
    assert_eq!(r.take(&b, &[], t(1)).unwrap(), vec![sid(3)]);
    assert!(r.is_empty());
}

#[test]
fn entries_expire_with_their_session_and_can_be_forgotten() {
    let r = MemorySessionRegistry::new(10);
    let a = subject("alice");
    r.register(&a, None, &sid(1), t(50), t(0)).unwrap();
    r.register(&a, None, &sid(2), t(100), t(0)).unwrap();
    r.forget(&sid(2), t(1)).unwrap();
    assert_eq!(
        r.take(&a, &[], t(50)).unwrap(),
        vec![],
        "sid 1 expired at 50"
    );
    assert!(r.is_empty());
}

#[test]
fn revocation_holds_until_its_time_and_is_never_dropped_when_full() {
    let r = MemorySessionRegistry::new(2);
    r.revoke(&sid(1), t(100), t(0)).unwrap();
    r.revoke(&sid(2), t(200), t(0)).unwrap();
    assert!(r.is_revoked(&sid(1), t(99)).unwrap());
    assert!(!r.is_revoked(&sid(3), t(99)).unwrap());
    assert_eq!(
        r.revoke(&sid(3), t(300), t(50)),
        Err(TrackingError::Full {
            store: "session revocation list",
            capacity: 2
        })
    );
    assert!(r.is_revoked(&sid(1), t(99)).unwrap(), "still marked");
    // Once sid 1's mark expires there is room again.
    r.revoke(&sid(3), t(300), t(100)).unwrap();
    assert!(!r.is_revoked(&sid(1), t(100)).unwrap());
    assert!(r.is_revoked(&sid(3), t(250)).unwrap());
}

#[test]
fn a_full_registry_drops_the_session_closest_to_its_end() {
    let r = MemorySessionRegistry::new(2);
    let a = subject("alice");
    r.register(&a, Some("soon"), &sid(1), t(10), t(0)).unwrap();
    r.register(&a, Some("late"), &sid(2), t(100), t(0)).unwrap();
    r.register(&a, Some("new"), &sid(3), t(50), t(1)).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r.take(&a, &["soon".into()], t(2)).unwrap(), vec![]);
    let mut all = r.take(&a, &[], t(2)).unwrap();
    all.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    let mut expected = vec![sid(2), sid(3)];
    expected.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(all, expected);
}
