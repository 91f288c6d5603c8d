//! Messages to people: a host told that their visitor checked in, a
//! provisioned user invited to sign in, an organization's admins told that
//! an IdP certificate expires soon or its metadata cannot be refreshed
//! ([`notices`]).
//!
//! Why an outbox rather than sending from the request: a slow or failing
//! mail server must never block or fail a check-in, and a restart must not
//! lose a message. So a message is rendered and queued
//! ([`crate::store::Outgoing`]) in the same transaction as the change that
//! causes it, and the [`Worker`] delivers what is due through a
//! [`Notifier`], retrying with exponential backoff on the injected clock.
//!
//! [`Notifier`] is the one seam to the outside: [`SmtpNotifier`] (the
//! `lettre` crate: SMTP, STARTTLS, credentials) today; an SMS gateway or a
//! chat webhook would be another implementation.
//!
//! - [`compose`]: the texts (plain and HTML), built from stored values,
//!   HTML-escaped, subjects kept to one line;
//! - [`invite`]: the invitation rule (policy per organization, JIT users
//!   never invited), for whatever creates users (SCIM, directory sync,
//!   an upload).

pub mod compose;
pub mod invite;
pub mod notices;
mod smtp;
mod worker;

pub use invite::{Invitation, SignInLinks, invite_user, invite_users};
pub use smtp::SmtpNotifier;
pub use worker::{Backoff, RunReport, Worker};

/// One message to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The address it goes to.
    pub to: String,
    /// One line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Why a message was not delivered (this attempt). Never holds a
/// credential: the SMTP client's errors name the step and the server's
/// reply, not what was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// The message could not be built (a bad address, say): retrying will
    /// not help.
    #[error("message refused: {0}")]
    Invalid(String),
    /// The server refused the message for good (an SMTP 5xx reply, RFC 5321
    /// §4.2.1): retrying will not help.
    #[error("message rejected: {0}")]
    Rejected(String),
    /// The server could not be reached, or refused for now (4xx).
    #[error("delivery failed: {0}")]
    Transport(String),
}

impl NotifyError {
    /// Worth another attempt later.
    pub fn is_transient(&self) -> bool {
        matches!(self, NotifyError::Transport(_))
    }
}

/// Delivers a message somewhere (email, SMS, a chat webhook). Called from
/// the blocking pool: it may block for up to its own timeout.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// Delivers `m`, or says why not.
    fn send(&self, m: &Email) -> Result<(), NotifyError>;
}
