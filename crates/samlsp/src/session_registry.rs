//! Which local sessions belong to which IdP session, and which local
//! sessions were ended: what an IdP-initiated LogoutRequest needs.
//!
//! A LogoutRequest from the IdP names a subject (NameID) and, usually, the
//! IdP's SessionIndex values; it does not name our session, and it often
//! arrives without our cookie: server to server (Keycloak's back-channel
//! logout), or as a cross-site POST that a `SameSite=Lax` cookie does not
//! follow. So at sign-in the application records
//! `(IdP entity ID, NameID, SessionIndex) → local session ID`
//! ([`SessionRegistry::register`]); the logout takes the matching entries
//! ([`SessionRegistry::take`]) and marks those local sessions ended
//! ([`SessionRegistry::revoke`]), and whatever reads the session checks
//! [`SessionRegistry::is_revoked`] at every request, so an ended session
//! is dead at its next request wherever its cookie is.
//!
//! The trait lives in the core, beside [`crate::RequestStore`] and
//! [`crate::ReplayCache`], because it needs nothing from a web framework and
//! a shared store (Redis) implements all three the same way: small, `Send +
//! Sync`, `now` passed in, every entry with an expiry. The keys are typed:
//! [`SessionSubject`] is built from a verified [`crate::Assertion`] or a
//! [`crate::VerifiedLogoutRequest`] only, and [`LocalSessionId`] is random.
//!
//! Matching (SAML Core 2.0 §3.7.3.1): the subject is the IdP's entity ID, the
//! NameID value and its Format (absent and `unspecified` are the same); the
//! NameID's qualifiers are not compared, because the IdP's entity ID already
//! scopes the value. A LogoutRequest with SessionIndex values ends the
//! sessions of that subject with one of those values; without any, every
//! session of that subject at that IdP.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::assertion::Assertion;
use crate::error::{OutboundError, TrackingError};
use crate::expiring::ExpiringMap;
use crate::ids::EntityId;
use crate::sp::RandomSource;
use crate::sync::lock;

/// The unspecified NameID format (SAML Core 2.0 §8.3.1), the meaning of an
/// absent Format.
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// The ID of one local session: 160 random bits, base64url. The session
/// state carries it; the registry maps IdP sessions to it. It is not the
/// session cookie: knowing it lets no one in.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LocalSessionId(String);

impl LocalSessionId {
    /// Random bytes in an ID.
    pub const RANDOM_BYTES: usize = 20;

    /// A new random ID.
    pub fn generate(rng: &dyn RandomSource) -> Result<Self, OutboundError> {
        let mut bytes = [0u8; Self::RANDOM_BYTES];
        rng.fill(&mut bytes)?;
        Ok(LocalSessionId(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// An ID as stored (session state, a shared registry): `None` unless it
    /// has the shape [`LocalSessionId::generate`] gives.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != Self::RANDOM_BYTES.div_ceil(3) * 4 - 1 {
            return None;
        }
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s) {
            Ok(b) if b.len() == Self::RANDOM_BYTES => Some(LocalSessionId(s.to_owned())),
            _ => None,
        }
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LocalSessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalSessionId({})", self.0)
    }
}

/// Whose session it is at the IdP: the IdP's entity ID, the NameID value
/// and its Format. Built only from verified data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionSubject {
    idp: EntityId,
    name_id: String,
    format: String,
}

impl SessionSubject {
    pub(crate) fn new(idp: EntityId, name_id: &str, format: Option<&str>) -> Self {
        SessionSubject {
            idp,
            name_id: name_id.to_owned(),
            format: format.unwrap_or(UNSPECIFIED).to_owned(),
        }
    }

    /// The subject of a verified sign-in.
    pub fn of(assertion: &Assertion) -> Self {
        let n = assertion.name_id();
        Self::new(assertion.issuer().clone(), n.value(), n.format())
    }

    /// The IdP's entity ID.
    pub fn idp(&self) -> &EntityId {
        &self.idp
    }

    /// The NameID value.
    pub fn name_id(&self) -> &str {
        &self.name_id
    }

    /// The NameID Format (`unspecified` when the IdP gave none).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// One string for a store key: the three parts percent-encoded and
    /// joined by spaces, so no two subjects share a key.
    pub fn key(&self) -> String {
        use crate::binding::url_encode;
        format!(
            "{} {} {}",
            url_encode(self.idp.as_str()),
            url_encode(&self.format),
            url_encode(&self.name_id)
        )
    }
}

/// Where local sessions are found by IdP session, and where ended sessions
/// are remembered. See the module documentation.
///
/// Contract: every entry expires at the `expires_at` given (the local
/// session's own end, so nothing outlives what it describes); `take`
/// removes what it returns (two concurrent logouts cannot both end the
/// same entry); `revoke` keeps the mark until `until`.
pub trait SessionRegistry: Send + Sync {
    /// Records that local session `session` belongs to `subject`'s IdP
    /// session `session_index` (none when the assertion carried none).
    fn register(
        &self,
        subject: &SessionSubject,
        session_index: Option<&str>,
        session: &LocalSessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError>;

    /// Removes and returns the live local sessions of `subject` whose
    /// SessionIndex is one of `session_indexes`; every session of `subject`
    /// when `session_indexes` is empty (SAML Core 2.0 §3.7.3.1).
    fn take(
        &self,
        subject: &SessionSubject,
        session_indexes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalSessionId>, TrackingError>;

    /// Forgets `session` (it ended locally: nothing to find any more).
    fn forget(&self, session: &LocalSessionId, now: DateTime<Utc>) -> Result<(), TrackingError>;

    /// Marks `session` ended until `until` (its latest possible end).
    fn revoke(
        &self,
        session: &LocalSessionId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError>;

    /// True when `session` was ended by [`SessionRegistry::revoke`].
    fn is_revoked(
        &self,
        session: &LocalSessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, TrackingError>;
}

#[derive(Debug)]
struct Entry {
    session_index: Option<String>,
    session: String,
}

#[derive(Debug, Default)]
struct Registry {
    /// Subject key → its sessions.
    by_subject: HashMap<String, Vec<Entry>>,
    /// Local session ID → subject key, by expiry.
    by_session: ExpiringMap<DateTime<Utc>, String>,
    /// Ended local sessions, by expiry of the mark.
    revoked: ExpiringMap<DateTime<Utc>, ()>,
}

impl Registry {
    fn unlink(&mut self, session: &str, subject_key: &str) {
        if let Some(list) = self.by_subject.get_mut(subject_key) {
            list.retain(|e| e.session != session);
            if list.is_empty() {
                self.by_subject.remove(subject_key);
            }
        }
    }

    fn purge(&mut self, now: DateTime<Utc>) {
        let mut expired = Vec::new();
        self.by_session
            .purge_with_keys(now, |session, subject| expired.push((session, subject)));
        for (session, subject) in expired {
            self.unlink(&session, &subject);
        }
        self.revoked.purge(now);
    }
}

/// A bounded in-memory [`SessionRegistry`] (one process).
///
/// When full of live entries, registering a session drops the one closest
/// to its end: that session can then only end locally or by expiry, never
/// by an IdP logout, so size it for the sessions one instance holds
/// (about 200 bytes each). Revocation marks are never dropped while live:
/// forgetting one would bring an ended session back, so when the marks
/// fill the store, `revoke` fails ([`TrackingError::Full`]) and the caller
/// reports the logout as failed.
#[derive(Debug)]
pub struct MemorySessionRegistry {
    capacity: usize,
    inner: Mutex<Registry>,
}

impl MemorySessionRegistry {
    /// 100,000 sessions and as many revocation marks: about 40 MB at most.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A registry holding at most `capacity` sessions and `capacity`
    /// revocation marks (at least 1 each).
    pub fn new(capacity: usize) -> Self {
        MemorySessionRegistry {
            capacity: capacity.max(1),
            inner: Mutex::new(Registry::default()),
        }
    }

    /// Sessions registered (expired ones included until the next purge).
    pub fn len(&self) -> usize {
        lock(&self.inner).by_session.len()
    }

    /// True when no session is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemorySessionRegistry {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl SessionRegistry for MemorySessionRegistry {
    fn register(
        &self,
        subject: &SessionSubject,
        session_index: Option<&str>,
        session: &LocalSessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError> {
        let mut r = lock(&self.inner);
        r.purge(now);
        if r.by_session.contains_key(session.as_str()) {
            return Err(TrackingError::Duplicate);
        }
        while r.by_session.len() >= self.capacity {
            let Some((sid, subject_key)) = r.by_session.pop_oldest() else {
                break;
            };
            r.unlink(&sid, &subject_key);
        }
        let key = subject.key();
        r.by_session
            .insert(session.as_str().to_owned(), expires_at, key.clone());
        r.by_subject.entry(key).or_default().push(Entry {
            session_index: session_index.map(str::to_owned),
            session: session.as_str().to_owned(),
        });
        Ok(())
    }

    fn take(
        &self,
        subject: &SessionSubject,
        session_indexes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalSessionId>, TrackingError> {
        let mut r = lock(&self.inner);
        r.purge(now);
        let key = subject.key();
        let Some(list) = r.by_subject.remove(&key) else {
            return Ok(Vec::new());
        };
        let (taken, kept): (Vec<Entry>, Vec<Entry>) = list.into_iter().partition(|e| {
            session_indexes.is_empty()
                || e.session_index
                    .as_ref()
                    .is_some_and(|i| session_indexes.contains(i))
        });
        if !kept.is_empty() {
            r.by_subject.insert(key, kept);
        }
        let mut out = Vec::with_capacity(taken.len());
        for e in taken {
            r.by_session.remove(&e.session);
            out.push(LocalSessionId(e.session));
        }
        Ok(out)
    }

    fn forget(&self, session: &LocalSessionId, now: DateTime<Utc>) -> Result<(), TrackingError> {
        let mut r = lock(&self.inner);
        r.purge(now);
        if let Some((_, subject_key)) = r.by_session.remove(session.as_str()) {
            r.unlink(session.as_str(), &subject_key);
        }
        Ok(())
    }

    fn revoke(
        &self,
        session: &LocalSessionId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), TrackingError> {
        let mut r = lock(&self.inner);
        r.purge(now);
        if !r.revoked.contains_key(session.as_str()) && r.revoked.len() >= self.capacity {
            return Err(TrackingError::Full {
                store: "session revocation list",
                capacity: self.capacity,
            });
        }
        r.revoked
            .insert(session.as_str().to_owned(), until.max(now), ());
        Ok(())
    }

    fn is_revoked(
        &self,
        session: &LocalSessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, TrackingError> {
        Ok(lock(&self.inner)
            .revoked
            .get_live(session.as_str(), now)
            .is_some())
    }
}
