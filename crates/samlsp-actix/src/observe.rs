//! The outcome of every sign-in attempt, handed to the application: so it
//! can keep failure traces and an audit log per organization, and count
//! outcomes, without parsing logs.
//!
//! A [`SignInObserver`] (set with [`crate::SamlBuilder::observer`]) is
//! awaited before the ACS or login route answers, so what it records is
//! there when the browser arrives at the next page. What it is given holds
//! no SAML message, assertion, attribute value or key: a failure has its
//! code, the error's message (attacker-chosen values clipped and escaped by
//! the core), a remediation and the correlation ID the browser shows.
//!
//! **Attribution.** A failure is attributed to a connection (IdP) with the
//! best evidence there is, named by [`Attribution`]: a verified assertion;
//! else the pending request of this browser's login; else the Issuer the
//! response *claims* (unverified: anyone can post a response naming any
//! configured IdP, so an application that keeps traces per organization
//! must bound them, and should show the attribution).
//!
//! **Sign-out.** [`SignInObserver::logout_failed`] gets each failed step of
//! Single Logout ([`FailedLogout`]), attributed the same way: a failure to
//! start ours by the session being ended, the IdP's answer by our pending
//! LogoutRequest (or, verified, by its Issuer), a LogoutRequest from the
//! IdP by its verified Issuer, else by the signed-in session of the
//! browser that brought it ([`Attribution::Session`]); a refused
//! back-channel message names no connection.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// The future a [`SignInObserver`] returns.
pub type ObserveFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Receives every sign-in outcome. Keep it quick: the route answers after
/// it. Errors are the observer's to log; it cannot change the outcome.
pub trait SignInObserver: Send + Sync + 'static {
    /// A sign-in (or login request) failed.
    fn failed<'a>(&'a self, failure: &'a FailedSignIn) -> ObserveFuture<'a>;
    /// A sign-in succeeded (session started).
    fn succeeded<'a>(&'a self, success: &'a SucceededSignIn) -> ObserveFuture<'a>;
    /// A step of Single Logout failed. The default does nothing (the log
    /// line is written either way).
    ///
    /// Awaited before `…/saml/slo` answers; for a failure to start our
    /// LogoutRequest ([`LogoutStep::Start`], in [`crate::start_logout`],
    /// which is not async) it runs on the actix runtime just after the
    /// answer.
    fn logout_failed<'a>(&'a self, failure: &'a FailedLogout) -> ObserveFuture<'a> {
        let _ = failure;
        Box::pin(async {})
    }
}

/// How a failure was tied to a connection (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribution {
    /// The assertion verified: its Issuer is that IdP. (Sign-out: the
    /// logout message verified, or, when ours could not be started, the
    /// session being ended was made by a verified sign-in through it.)
    Verified,
    /// The login this browser started (the pending request its RelayState
    /// names) was sent to that IdP.
    PendingRequest,
    /// The response names that IdP as Issuer; not verified.
    ClaimedIssuer,
    /// The login link named that connection.
    LoginLink,
    /// Sign-out only: the browser's signed-in session was made through
    /// that connection; the message itself is not verified (anyone can
    /// make a signed-in browser fetch a logout URL).
    Session,
}

impl Attribution {
    /// Stable short name (`verified`, `pending_request`, `claimed_issuer`,
    /// `login_link`).
    pub fn as_str(self) -> &'static str {
        match self {
            Attribution::Verified => "verified",
            Attribution::PendingRequest => "pending_request",
            Attribution::ClaimedIssuer => "claimed_issuer",
            Attribution::LoginLink => "login_link",
            Attribution::Session => "session",
        }
    }
}

/// A failed sign-in, as an application may record it. Built only by this
/// crate's routes.
#[derive(Debug, Clone)]
pub struct FailedSignIn {
    pub(crate) at: DateTime<Utc>,
    pub(crate) correlation_id: String,
    pub(crate) route: &'static str,
    pub(crate) tenant: Option<String>,
    pub(crate) connection: Option<(String, Attribution)>,
    pub(crate) code: &'static str,
    pub(crate) reason: String,
    pub(crate) remediation: String,
    pub(crate) verification: Option<Duration>,
}

impl FailedSignIn {
    /// When (the injected clock).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// The reference the browser was shown.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
    /// `acs` or `login`.
    pub fn route(&self) -> &'static str {
        self.route
    }
    /// The tenant slug (`None`: the default tenant).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    /// The connection (IdP slug) it is attributed to, and on what evidence.
    pub fn connection(&self) -> Option<(&str, Attribution)> {
        self.connection.as_ref().map(|(s, a)| (s.as_str(), *a))
    }
    /// The stable code ([`crate::SignInError::code`]).
    pub fn code(&self) -> &'static str {
        self.code
    }
    /// What failed, in words (the error's message: values from the message
    /// clipped and `{:?}`-escaped; HTML-escape it to show it).
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// What to change ([`crate::SignInError::remediation`]).
    pub fn remediation(&self) -> &str {
        &self.remediation
    }
    /// How long verification took, when it ran.
    pub fn verification(&self) -> Option<Duration> {
        self.verification
    }
}

/// A successful sign-in. Built only by the ACS route.
#[derive(Debug, Clone)]
pub struct SucceededSignIn {
    pub(crate) at: DateTime<Utc>,
    pub(crate) tenant: Option<String>,
    pub(crate) connection: String,
    pub(crate) user_id: String,
    pub(crate) idp_initiated: bool,
    pub(crate) verification: Duration,
}

impl SucceededSignIn {
    /// When (the injected clock).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// The tenant slug (`None`: the default tenant).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    /// The connection (IdP slug).
    pub fn connection(&self) -> &str {
        &self.connection
    }
    /// The application's user ID.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
    /// IdP-initiated (unsolicited).
    pub fn idp_initiated(&self) -> bool {
        self.idp_initiated
    }
    /// How long verification took.
    pub fn verification(&self) -> Duration {
        self.verification
    }
}

/// Which step of Single Logout failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutStep {
    /// Our LogoutRequest could not be sent ([`crate::start_logout`]); the
    /// session here has ended all the same.
    Start,
    /// The IdP's LogoutResponse to ours was refused, or said it failed.
    IdpAnswer,
    /// A LogoutRequest from the IdP was refused, or the sessions it names
    /// could not all be ended.
    IdpRequest,
}

impl LogoutStep {
    /// Stable short name (`start`, `idp_answer`, `idp_request`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutStep::Start => "start",
            LogoutStep::IdpAnswer => "idp_answer",
            LogoutStep::IdpRequest => "idp_request",
        }
    }
}

/// A failed step of Single Logout, as an application may record it. Built
/// only by this crate's routes; like [`FailedSignIn`], it holds no SAML
/// message.
#[derive(Debug, Clone)]
pub struct FailedLogout {
    pub(crate) at: DateTime<Utc>,
    pub(crate) correlation_id: String,
    pub(crate) step: LogoutStep,
    pub(crate) tenant: Option<String>,
    pub(crate) connection: Option<(String, Attribution)>,
    pub(crate) user_id: Option<String>,
    pub(crate) code: &'static str,
    pub(crate) reason: String,
    pub(crate) remediation: String,
}

impl FailedLogout {
    /// When (the injected clock).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }
    /// The reference logged (and shown, when a page was).
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
    /// Which step failed.
    pub fn step(&self) -> LogoutStep {
        self.step
    }
    /// The tenant slug (`None`: the default tenant).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    /// The connection (IdP slug) it is attributed to, and on what evidence.
    pub fn connection(&self) -> Option<(&str, Attribution)> {
        self.connection.as_ref().map(|(s, a)| (s.as_str(), *a))
    }
    /// The application's user whose sign-out it was, when known (a
    /// failure to start ours).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
    /// The stable code ([`crate::SignInError::code`]).
    pub fn code(&self) -> &'static str {
        self.code
    }
    /// What failed, in words (HTML-escape it to show it).
    pub fn reason(&self) -> &str {
        &self.reason
    }
    /// What to change ([`crate::SignInError::remediation`]).
    pub fn remediation(&self) -> &str {
        &self.remediation
    }
}

/// What a route learned on the way, for the observer.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) connection: Option<(String, Attribution)>,
    pub(crate) verification: Option<Duration>,
    pub(crate) success: Option<(String, bool)>,
}

impl Seen {
    /// Keeps the strongest attribution so far (a later, weaker one does
    /// not replace it).
    pub(crate) fn attribute(&mut self, slug: &str, how: Attribution) {
        let rank = |a: Attribution| match a {
            Attribution::Verified => 3,
            Attribution::PendingRequest | Attribution::LoginLink | Attribution::Session => 2,
            Attribution::ClaimedIssuer => 1,
        };
        if self
            .connection
            .as_ref()
            .is_none_or(|(_, a)| rank(*a) < rank(how))
        {
            self.connection = Some((slug.to_owned(), how));
        }
    }
}
