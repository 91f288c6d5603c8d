//! Request tracking and replay protection (SAML Profiles §4.1.4.3, §4.1.4.5).
//!
//! - [`RequestStore`]: every AuthnRequest this SP sends is remembered under its
//!   opaque RelayState token until it expires, and can be *taken* exactly
//!   once. A response is bound to the request through it.
//! - [`BrowserBinding`]: the RelayState travels through the IdP and can be
//!   copied, so it does not prove which browser started the login. The HTTP
//!   layer gives the starting browser a random secret (a cookie) and stores
//!   its hash with the request; [`RequestStore::peek`] lets it compare the
//!   secret the posting browser presents *before* the take-once, so a
//!   response posted from another browser (login CSRF) is refused without
//!   consuming the real user's pending request.
//! - [`ReplayCache`]: the ID of every accepted assertion is remembered until
//!   the assertion could no longer be accepted anyway; a second use is refused.
//!
//! Both traits take `now` and return `Result`, so a shared store (Redis with
//! `SET NX PX` and `GETDEL`) can implement them for several app instances;
//! [`PendingRequest::to_record`] gives a flat encoding for such a store. The
//! in-memory implementations here are bounded and suit one process.
//!
//! # How long replay protection holds, and what bounds it
//!
//! An assertion ID is kept until the assertion's effective NotOnOrAfter (the
//! earlier of Conditions and the bearer SubjectConfirmationData) plus the
//! clock skew: exactly the window in which verification would accept the
//! same assertion again, so a replay inside it is always refused. What the
//! IdP writes cannot stretch that window without limit: the verifier refuses
//! an assertion issued in the future or living longer than the SP's maximum
//! assertion lifetime (default 2 hours, see
//! [`crate::sp::DEFAULT_MAX_ASSERTION_LIFETIME_MINUTES`]), so every entry
//! expires by `now + max lifetime + 2 * skew`.
//!
//! The trade-off is between IdPs and cache room: a longer maximum lifetime
//! admits IdPs with long-lived assertions (Entra ID, AD FS: about an hour)
//! but keeps each entry longer, so a cache of fixed size absorbs fewer logins
//! per window before it fails closed; a shorter one frees room sooner but
//! refuses such IdPs. [`MemoryReplayCache`] adds a quota per IdP so that one
//! IdP filling its share makes only its own logins fail.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::binding::{url_decode, url_encode};
use crate::error::TrackingError;
use crate::expiring::ExpiringMap;
use crate::ids::{EntityId, RequestId, Url};
use crate::sync::lock;
use crate::time::format_instant;

/// Longest application state kept with a pending request.
pub const MAX_APP_STATE_BYTES: usize = 4096;

/// The opaque RelayState this SP sends with an AuthnRequest: 160 random bits,
/// base64url (27 characters, inside the 80-byte limit of SAML Bindings §3.4.3).
/// It is a lookup key, never a URL, so RelayState cannot be an open redirect.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RelayStateToken(String);

impl RelayStateToken {
    /// Random bytes in a token.
    pub const RANDOM_BYTES: usize = 20;

    pub(crate) fn from_random(bytes: &[u8]) -> Self {
        RelayStateToken(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as the browser sent it back: `None` unless it has the shape
    /// of one this SP issues ([`Self::RANDOM_BYTES`] in unpadded base64url),
    /// so a store is never queried with anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        // 20 bytes are 27 characters: checked before decoding anything.
        if s.len() != Self::RANDOM_BYTES.div_ceil(3) * 4 - 1 {
            return None;
        }
        match engine.decode(s) {
            Ok(bytes) if bytes.len() == Self::RANDOM_BYTES => Some(RelayStateToken(s.to_owned())),
            _ => None,
        }
    }

    /// The token as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RelayStateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A bearer secret while the request is pending.
        f.write_str("RelayStateToken([redacted])")
    }
}

/// The SHA-256 of a secret held by the browser that started a login.
///
/// A hash, not the secret: whoever can read the request store (a shared
/// Redis, a dump of [`PendingRequest::to_record`]) learns nothing they could
/// present as the browser's secret. The secret is random (at least 128 bits,
/// from the HTTP layer's random source), so the hash cannot be inverted by
/// guessing, and no server key has to be provisioned or rotated (an HMAC of
/// the RelayState would need one shared by every instance).
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserBinding([u8; 32]);

impl BrowserBinding {
    /// Shortest secret accepted: 128 bits (as for request IDs, SAML Core
    /// §1.3.4).
    pub const MIN_SECRET_BYTES: usize = 16;

    /// The binding for `secret`; `None` when it is shorter than
    /// [`BrowserBinding::MIN_SECRET_BYTES`].
    pub fn from_secret(secret: &[u8]) -> Option<Self> {
        (secret.len() >= Self::MIN_SECRET_BYTES)
            .then(|| BrowserBinding(openssl::sha::sha256(secret)))
    }

    /// True when `presented` is the secret this binding was made from
    /// (compared in constant time).
    pub fn matches(&self, presented: &[u8]) -> bool {
        openssl::memcmp::eq(&openssl::sha::sha256(presented), &self.0)
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(BrowserBinding(out))
    }
}

impl std::fmt::Debug for BrowserBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserBinding(sha256)")
    }
}

/// What a pending request asked for: the answer must be of the same kind,
/// so a LogoutResponse cannot consume a login's request or the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestKind {
    /// An AuthnRequest (SAML Core 2.0 §3.4.1), answered by a Response.
    #[default]
    Authn,
    /// A LogoutRequest (SAML Core 2.0 §3.7.1), answered by a LogoutResponse.
    Logout,
}

impl RequestKind {
    fn as_record(self) -> &'static str {
        match self {
            RequestKind::Authn => "authn",
            RequestKind::Logout => "logout",
        }
    }
}

/// A request (AuthnRequest or LogoutRequest) this SP sent and has not yet
/// seen answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    pub(crate) id: RequestId,
    pub(crate) idp: EntityId,
    pub(crate) acs_url: Url,
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) relay_state: RelayStateToken,
    pub(crate) app_state: Option<String>,
    pub(crate) browser: Option<BrowserBinding>,
    /// The request carried `ForceAuthn="true"` (SAML Core §3.4.1).
    pub(crate) force_authn: bool,
    /// AuthnRequest or LogoutRequest.
    pub(crate) kind: RequestKind,
}

impl PendingRequest {
    /// AuthnRequest or LogoutRequest.
    pub fn kind(&self) -> RequestKind {
        self.kind
    }
    /// The request ID (the response's InResponseTo).
    pub fn id(&self) -> &RequestId {
        &self.id
    }
    /// The IdP the request went to.
    pub fn idp(&self) -> &EntityId {
        &self.idp
    }
    /// The URL of this SP the answer is sent to: the ACS URL of an
    /// AuthnRequest, the SingleLogoutService URL of a LogoutRequest.
    pub fn acs_url(&self) -> &Url {
        &self.acs_url
    }
    /// `IssueInstant` of the request.
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }
    /// When the request stops being answerable.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    /// The RelayState token sent with it (the store key).
    pub fn relay_state(&self) -> &RelayStateToken {
        &self.relay_state
    }
    /// Application data stored with the request (e.g. the page to return to),
    /// as the application gave it.
    pub fn app_state(&self) -> Option<&str> {
        self.app_state.as_deref()
    }
    /// The browser this request is bound to, if the HTTP layer bound it.
    pub fn browser_binding(&self) -> Option<&BrowserBinding> {
        self.browser.as_ref()
    }
    /// Binds the request to the browser holding `binding`'s secret (set it
    /// before inserting the request in the store).
    pub fn bind_to_browser(mut self, binding: BrowserBinding) -> Self {
        self.browser = Some(binding);
        self
    }

    /// Whether the request asked the IdP to authenticate afresh
    /// (`ForceAuthn`): the answer's `AuthnInstant` must then not be older than
    /// the request (checked by [`crate::ServiceProvider::consume_response`]).
    pub fn force_authn(&self) -> bool {
        self.force_authn
    }

    /// A one-line text encoding for shared stores: space-separated fields,
    /// the application state percent-encoded, the browser binding in hex,
    /// then `force` when the request carried ForceAuthn, then the kind
    /// (`authn` or `logout`).
    /// Round-trips through [`PendingRequest::from_record`].
    pub fn to_record(&self) -> String {
        format!(
            "v3 {} {} {} {} {} {} {} {} {} {}",
            self.id,
            self.idp,
            self.acs_url,
            self.issued_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self.relay_state.0,
            self.app_state
                .as_deref()
                .map_or_else(|| "-".to_owned(), |s| format!("={}", url_encode(s))),
            self.browser
                .as_ref()
                .map_or_else(|| "-".to_owned(), BrowserBinding::to_hex),
            if self.force_authn { "force" } else { "-" },
            self.kind.as_record(),
        )
    }

    /// Parses [`PendingRequest::to_record`] output (and the records of
    /// earlier versions: `v1` has no browser binding and no ForceAuthn, `v1`
    /// and `v2` only AuthnRequests).
    pub fn from_record(record: &str) -> Result<Self, TrackingError> {
        let f: Vec<&str> = record.split(' ').collect();
        let (id, idp, acs, issued, expires, rs, app, browser, force, kind) = match f.as_slice() {
            ["v1", id, idp, acs, issued, expires, rs, app] => {
                (id, idp, acs, issued, expires, rs, app, "-", "-", "authn")
            }
            ["v2", id, idp, acs, issued, expires, rs, app, b, force] => {
                (id, idp, acs, issued, expires, rs, app, *b, *force, "authn")
            }
            ["v3", id, idp, acs, issued, expires, rs, app, b, force, kind] => {
                (id, idp, acs, issued, expires, rs, app, *b, *force, *kind)
            }
            _ => return Err(TrackingError::Corrupt),
        };
        let kind = match kind {
            "authn" => RequestKind::Authn,
            "logout" => RequestKind::Logout,
            _ => return Err(TrackingError::Corrupt),
        };
        let browser = match browser {
            "-" => None,
            hex => Some(BrowserBinding::from_hex(hex).ok_or(TrackingError::Corrupt)?),
        };
        let force_authn = match force {
            "force" => true,
            "-" => false,
            _ => return Err(TrackingError::Corrupt),
        };
        let time = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| TrackingError::Corrupt)
        };
        let app_state = match *app {
            "-" => None,
            a => Some(
                a.strip_prefix('=')
                    .and_then(url_decode)
                    .ok_or(TrackingError::Corrupt)?,
            ),
        };
        Ok(PendingRequest {
            id: RequestId::new(*id).map_err(|_| TrackingError::Corrupt)?,
            idp: EntityId::new(*idp).map_err(|_| TrackingError::Corrupt)?,
            acs_url: Url::new(*acs).map_err(|_| TrackingError::Corrupt)?,
            issued_at: time(issued)?,
            expires_at: time(expires)?,
            relay_state: RelayStateToken((*rs).to_owned()),
            app_state,
            browser,
            force_authn,
            kind,
        })
    }
}

/// Where pending AuthnRequests wait for their response.
///
/// Contract: `insert` keeps the request until `request.expires_at()`; `take`
/// returns it at most once (atomically: two concurrent takes of one key
/// cannot both succeed) and never after it expired; `peek` reads without
/// removing. Peek-then-take is safe without a lock: keys are random and
/// `insert` refuses a duplicate, so a key never names a second request, and
/// if someone else takes it in between, the later take finds nothing.
pub trait RequestStore: Send + Sync {
    /// Remembers a pending request under its RelayState token.
    fn insert(&self, request: PendingRequest, now: DateTime<Utc>) -> Result<(), TrackingError>;
    /// The request stored under `relay_state`, if it is there and not
    /// expired at `now`, left in place (Redis: `GET`). For checks that must
    /// not consume it, such as the [`BrowserBinding`].
    fn peek(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError>;
    /// Removes and returns the request stored under `relay_state`, if it is
    /// there and not expired at `now`.
    fn take(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError>;
}

/// Outcome of [`ReplayCache::check_and_insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayCheck {
    /// Not seen before; now recorded.
    FirstUse,
    /// Already recorded: a replay.
    Replay,
}

/// Remembers used assertion IDs (SAML Profiles §4.1.4.5).
///
/// Contract: `check_and_insert` is atomic (check and insert cannot be
/// interleaved by another caller) and keeps the entry until `expires_at`.
pub trait ReplayCache: Send + Sync {
    /// Records `(issuer, assertion_id)` until `expires_at`, or reports that it
    /// is already recorded.
    fn check_and_insert(
        &self,
        issuer: &EntityId,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ReplayCheck, TrackingError>;
}

/// A bounded in-memory [`RequestStore`] (one process).
///
/// When full, expired entries are dropped first, then the request closest to
/// expiry: a flood of logins can make old pending logins fail, never make
/// memory grow.
#[derive(Debug)]
pub struct MemoryRequestStore {
    capacity: usize,
    inner: Mutex<ExpiringMap<DateTime<Utc>, PendingRequest>>,
}

impl MemoryRequestStore {
    /// 10,000 pending requests: about 3 MB, and more logins in flight than a
    /// single instance serves within the 30-minute default lifetime.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A store holding at most `capacity` requests (at least 1).
    pub fn new(capacity: usize) -> Self {
        MemoryRequestStore {
            capacity: capacity.max(1),
            inner: Mutex::new(ExpiringMap::new()),
        }
    }

    /// Live entries (expired ones included until the next purge).
    pub fn len(&self) -> usize {
        lock(&self.inner).len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryRequestStore {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl RequestStore for MemoryRequestStore {
    fn insert(&self, request: PendingRequest, now: DateTime<Utc>) -> Result<(), TrackingError> {
        let mut inner = lock(&self.inner);
        let key = request.relay_state.0.clone();
        inner.purge(now);
        if inner.contains_key(&key) {
            return Err(TrackingError::Duplicate);
        }
        while inner.len() >= self.capacity {
            inner.evict_oldest();
        }
        let expires = request.expires_at;
        inner.insert(key, expires, request);
        Ok(())
    }

    fn peek(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        let inner = lock(&self.inner);
        Ok(inner.get_live(relay_state.as_str(), now).cloned())
    }

    fn take(
        &self,
        relay_state: &RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingRequest>, TrackingError> {
        let mut inner = lock(&self.inner);
        Ok(match inner.remove(relay_state.as_str()) {
            Some((expires, request)) if now < expires => Some(request),
            _ => None,
        })
    }
}

/// A bounded in-memory [`ReplayCache`] (one process), with a quota per IdP.
///
/// When full of unexpired entries it refuses new ones
/// ([`TrackingError::Full`]): forgetting a live entry would allow a replay, so
/// it fails closed. So that one IdP (one tenant, or one compromised IdP key)
/// cannot make every other IdP's logins fail that way, each issuer may hold at
/// most [`MemoryReplayCache::quota_per_idp`] entries; over it, only that
/// issuer's logins are refused ([`TrackingError::IdpQuotaFull`]).
///
/// The trade-off: an entry stays until the assertion's NotOnOrAfter plus the
/// skew (the whole window in which the assertion would be accepted), and the
/// SP refuses assertions living longer than its maximum lifetime, so an entry
/// lives at most that lifetime plus twice the skew (about 2 hours by default).
/// A quota of `q` therefore lets one IdP complete about `q` logins per
/// lifetime window before its own logins fail closed; a smaller maximum
/// lifetime (most IdPs issue 5-minute assertions) raises that rate. The
/// guarantee that other IdPs keep working holds while fewer than
/// `capacity / quota` IdPs are at their quota: size `capacity` for the number
/// of tenants (about 150 bytes per entry).
#[derive(Debug)]
pub struct MemoryReplayCache {
    capacity: usize,
    quota_per_idp: usize,
    inner: Mutex<ReplayEntries>,
}

#[derive(Debug)]
struct ReplayEntries {
    /// `issuer \n assertion ID` -> issuer (entity IDs hold no whitespace).
    entries: ExpiringMap<DateTime<Utc>, String>,
    per_issuer: HashMap<String, usize>,
}

impl MemoryReplayCache {
    /// 100,000 assertion IDs: about 15 MB, each IdP a quarter of it. An ID is
    /// kept for the assertion's lifetime plus the skew: with 5-minute
    /// assertions (Okta, Keycloak) one IdP can sustain about 60 logins per
    /// second before its quota fills; with Entra ID's or AD FS's one-hour
    /// assertions about 6.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A cache holding at most `capacity` IDs (at least 1), each IdP at most
    /// a quarter of them (at least 1): it takes four IdPs at their quota to
    /// fill it.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        MemoryReplayCache {
            capacity,
            quota_per_idp: (capacity / 4).max(1),
            inner: Mutex::new(ReplayEntries {
                entries: ExpiringMap::new(),
                per_issuer: HashMap::new(),
            }),
        }
    }

    /// Sets the most entries one issuer may hold (clamped to 1 ..= capacity).
    pub fn with_quota_per_idp(mut self, quota: usize) -> Self {
        self.quota_per_idp = quota.clamp(1, self.capacity);
        self
    }

    /// The most entries one issuer may hold.
    pub fn quota_per_idp(&self) -> usize {
        self.quota_per_idp
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        lock(&self.inner).entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl ReplayCache for MemoryReplayCache {
    fn check_and_insert(
        &self,
        issuer: &EntityId,
        assertion_id: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ReplayCheck, TrackingError> {
        let issuer = issuer.as_str();
        let key = format!("{issuer}\n{assertion_id}");
        let mut guard = lock(&self.inner);
        let inner = &mut *guard;
        let per_issuer = &mut inner.per_issuer;
        inner.entries.purge_with(now, |owner| {
            if let Some(n) = per_issuer.get_mut(&owner) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_issuer.remove(&owner);
                }
            }
        });
        if inner.entries.contains_key(&key) {
            return Ok(ReplayCheck::Replay);
        }
        let held = inner.per_issuer.get(issuer).copied().unwrap_or(0);
        if held >= self.quota_per_idp {
            return Err(TrackingError::IdpQuotaFull {
                quota: self.quota_per_idp,
            });
        }
        if inner.entries.len() >= self.capacity {
            return Err(TrackingError::Full {
                store: "replay cache",
                capacity: self.capacity,
            });
        }
        inner
            .entries
            .insert(key, expires_at.max(now), issuer.to_owned());
        *inner.per_issuer.entry(issuer.to_owned()).or_insert(0) += 1;
        Ok(ReplayCheck::FirstUse)
    }
}

/// Formats for logs: `id@idp issued ...`.
impl std::fmt::Display for PendingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} to {} at {}",
            self.id,
            self.idp,
            format_instant(self.issued_at)
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + s, 0).unwrap()
    }

    fn req(token: &str, expires: i64) -> PendingRequest {
        PendingRequest {
            id: RequestId::new("_abc").unwrap(),
            idp: EntityId::new("https://idp.example.com").unwrap(),
            acs_url: Url::new("https://sp.example.org/acs").unwrap(),
            issued_at: t(0),
            expires_at: t(expires),
            relay_state: RelayStateToken(token.to_owned()),
            app_state: Some("/return?a=1 b&c".to_owned()),
            browser: None,
            force_authn: false,
            kind: RequestKind::Authn,
        }
    }

    #[test]
    fn record_round_trip() {
        let r = req("tok", 60);
        assert_eq!(PendingRequest::from_record(&r.to_record()).unwrap(), r);
        let mut none = r.clone();
        none.app_state = None;
        assert_eq!(
            PendingRequest::from_record(&none.to_record()).unwrap(),
            none
        );
        let mut forced = r.clone();
        forced.force_authn = true;
        assert_eq!(
            PendingRequest::from_record(&forced.to_record()).unwrap(),
            forced
        );
        // Records written before browser binding and ForceAuthn were tracked
        // (v1: two fields fewer) still load, unbound and not forced.
        for plain in [&r, &none] {
            let v1 = plain.to_record().replacen("v3 ", "v1 ", 1);
            let v1 = v1.strip_suffix(" - - authn").unwrap();
            assert_eq!(PendingRequest::from_record(v1).unwrap(), *plain);
            let v2 = plain.to_record().replacen("v3 ", "v2 ", 1);
            let v2 = v2.strip_suffix(" authn").unwrap();
            assert_eq!(PendingRequest::from_record(v2).unwrap(), *plain);
        }
        let mut logout = r.clone();
        logout.kind = RequestKind::Logout;
        assert_eq!(
            PendingRequest::from_record(&logout.to_record()).unwrap(),
            logout
        );
        let bad_kind = logout.to_record().replacen(" logout", " other", 1);
        assert_eq!(
            PendingRequest::from_record(&bad_kind),
            Err(TrackingError::Corrupt)
        );
        assert_eq!(
            PendingRequest::from_record("v2 a b"),
            Err(TrackingError::Corrupt)
        );
        let bad_force = r.to_record().replacen(" - - authn", " - yes authn", 1);
        assert_eq!(
            PendingRequest::from_record(&bad_force),
            Err(TrackingError::Corrupt)
        );
        let bound = r.bind_to_browser(BrowserBinding::from_secret(&[7; 16]).unwrap());
        let back = PendingRequest::from_record(&bound.to_record()).unwrap();
        assert_eq!(back, bound);
        assert!(back.browser_binding().unwrap().matches(&[7; 16]));
        assert!(!back.browser_binding().unwrap().matches(&[8; 16]));
        let bad = bound
            .to_record()
            .replace(&bound.browser.as_ref().unwrap().to_hex(), "zz");
        assert_eq!(
            PendingRequest::from_record(&bad),
            Err(TrackingError::Corrupt)
        );
    }

    #[test]
    fn relay_state_tokens_parse_only_in_the_shape_issued() {
        let issued = RelayStateToken::from_random(&[7; RelayStateToken::RANDOM_BYTES]);
        assert_eq!(
            RelayStateToken::parse(issued.as_str()),
            Some(issued.clone())
        );
        let long = format!("{}A", issued.as_str());
        let padded = format!("{}=", &issued.as_str()[..26]);
        for bad in [
            "",
            "abc",
            long.as_str(),
            padded.as_str(),
            "https://evil.example/xxxxxxx",
        ] {
            assert_eq!(RelayStateToken::parse(bad), None, "{bad:?}");
        }
        // 27 characters whose last one carries bits past the 20 bytes.
        let mut trailing = issued.as_str()[..26].to_owned();
        trailing.push('B');
        assert_eq!(RelayStateToken::parse(&trailing), None);
    }

    #[test]
    fn browser_binding_needs_128_bits() {
        assert!(BrowserBinding::from_secret(&[1; 15]).is_none());
        assert!(BrowserBinding::from_secret(&[1; 16]).is_some());
    }

    fn tok(s: &str) -> RelayStateToken {
        RelayStateToken(s.to_owned())
    }

    #[test]
    fn peek_leaves_the_request() {
        let s = MemoryRequestStore::new(10);
        s.insert(req("a", 60), t(0)).unwrap();
        assert!(s.peek(&tok("a"), t(1)).unwrap().is_some());
        assert!(s.peek(&tok("a"), t(1)).unwrap().is_some());
        assert!(s.peek(&tok("a"), t(60)).unwrap().is_none(), "expired");
        assert!(s.take(&tok("a"), t(1)).unwrap().is_some());
        assert!(s.peek(&tok("a"), t(1)).unwrap().is_none());
    }

    #[test]
    fn take_once_and_expiry() {
        let s = MemoryRequestStore::new(10);
        s.insert(req("a", 60), t(0)).unwrap();
        s.insert(req("b", 60), t(0)).unwrap();
        assert_eq!(s.insert(req("a", 60), t(0)), Err(TrackingError::Duplicate));
        assert!(s.take(&tok("a"), t(1)).unwrap().is_some());
        assert!(s.take(&tok("a"), t(1)).unwrap().is_none());
        assert!(s.take(&tok("b"), t(60)).unwrap().is_none());
    }

    #[test]
    fn request_store_is_bounded() {
        let s = MemoryRequestStore::new(3);
        for i in 0..10 {
            s.insert(req(&format!("k{i}"), 100 + i), t(0)).unwrap();
        }
        assert_eq!(s.len(), 3);
        assert!(s.take(&tok("k0"), t(1)).unwrap().is_none());
        assert!(s.take(&tok("k9"), t(1)).unwrap().is_some());
    }

    #[test]
    fn replay_cache() {
        let c = MemoryReplayCache::new(2).with_quota_per_idp(2);
        let i = &EntityId::new("https://idp").unwrap();
        let other = &EntityId::new("https://other").unwrap();
        assert_eq!(
            c.check_and_insert(i, "a", t(10), t(0)),
            Ok(ReplayCheck::FirstUse)
        );
        assert_eq!(
            c.check_and_insert(i, "a", t(10), t(5)),
            Ok(ReplayCheck::Replay)
        );
        assert_eq!(
            c.check_and_insert(other, "a", t(10), t(5)),
            Ok(ReplayCheck::FirstUse)
        );
        assert!(matches!(
            c.check_and_insert(i, "b", t(10), t(5)),
            Err(TrackingError::Full { .. })
        ));
        // After expiry the slot frees up.
        assert_eq!(
            c.check_and_insert(i, "b", t(20), t(10)),
            Ok(ReplayCheck::FirstUse)
        );
    }
}
