//! [`Notifier`] over SMTP, with the `lettre` crate (a maintained client:
//! STARTTLS, implicit TLS, AUTH, header encoding), blocking, one
//! connection per message (the outbox batches are small).

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::{Email, Notifier, NotifyError};
use crate::config::{MailConfig, SmtpTls};

/// How long one SMTP exchange may take before the attempt fails (and is
/// retried later): a mail server that hangs must not hold the worker.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends through the configured SMTP server.
pub struct SmtpNotifier {
    transport: SmtpTransport,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: only the server is shown.
        f.debug_struct("SmtpNotifier")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl SmtpNotifier {
    /// A client for `[mail]`. Fails only on a bad `from` or TLS set-up.
    pub fn new(c: &MailConfig) -> Result<Self, NotifyError> {
        let from: Mailbox = c
            .from
            .parse()
            .map_err(|e| NotifyError::Invalid(format!("mail from: {e}")))?;
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned())
                .map_err(|e| NotifyError::Invalid(format!("TLS set-up: {e}")))
        };
        let tls = match c.tls {
            SmtpTls::Starttls => Tls::Required(tls(&c.smtp_host)?),
            SmtpTls::Tls => Tls::Wrapper(tls(&c.smtp_host)?),
            SmtpTls::None => Tls::None,
        };
        let mut b = SmtpTransport::builder_dangerous(c.smtp_host.clone())
            .port(c.smtp_port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &c.credentials {
            b = b.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(SmtpNotifier {
            transport: b.build(),
            from,
            server: format!("{}:{}", c.smtp_host, c.smtp_port),
        })
    }
}

/// The MIME message: plain text and HTML alternatives (RFC 2046 §5.1.4).
pub(super) fn message(from: &Mailbox, m: &Email) -> Result<Message, NotifyError> {
    let to: Mailbox =
        m.to.parse()
            .map_err(|e| NotifyError::Invalid(format!("recipient: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        // Compose made it one line already; lettre encodes it besides.
        .subject(super::compose::one_line(&m.subject, 200))
        .multipart(MultiPart::alternative_plain_html(
            m.text.clone(),
            m.html.clone(),
        ))
        .map_err(|e| NotifyError::Invalid(e.to_string()))
}

impl Notifier for SmtpNotifier {
    fn send(&self, m: &Email) -> Result<(), NotifyError> {
        let msg = message(&self.from, m)?;
        self.transport.send(&msg).map(|_| ()).map_err(|e| {
            let why = format!("{}: {e}", self.server);
            if e.is_permanent() {
                NotifyError::Rejected(why)
            } else {
                NotifyError::Transport(why)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn headers_cannot_be_injected() {
        let from: Mailbox = "Visitors <v@acme.test>".parse().unwrap();
        let m = Email {
            to: "bob@acme.test".into(),
            subject: "Hi\r\nBcc: all@acme.test".into(),
            text: "t".into(),
            html: "<p>h</p>".into(),
        };
        let raw = String::from_utf8(message(&from, &m).unwrap().formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !headers
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("bcc")),
            "{headers}"
        );
        assert!(
            headers.contains("Subject: Hi Bcc: all@acme.test"),
            "{headers}"
        );
        // A recipient with a line break is no address.
        let bad = Email {
            to: "bob@acme.test\r\nBcc: x@y.test".into(),
            ..m
        };
        assert!(matches!(message(&from, &bad), Err(NotifyError::Invalid(_))));
    }
}
