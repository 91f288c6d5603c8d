//! `[mail]`: the SMTP server the demo's notifications and invitations go
//! through. Without it messages stay queued (nothing is lost) until a
//! server is configured.
//!
//! Environment: `VISITOR_SMTP_HOST`, `VISITOR_SMTP_PORT`, `VISITOR_SMTP_TLS`,
//! `VISITOR_SMTP_USERNAME`, `VISITOR_SMTP_PASSWORD` (prefer it to the file),
//! `VISITOR_MAIL_FROM`, `VISITOR_SMTP_RETRY_SECS`.

use std::fmt;

use serde::Deserialize;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// STARTTLS, required: a server that does not offer it is refused
    /// (RFC 3207), so credentials never cross in clear.
    Starttls,
    /// TLS from the first byte ("implicit TLS", RFC 8314 §3.3, port 465).
    Tls,
    /// None: only for a server on this machine (a local sink or relay).
    None,
}

/// The SMTP password. `Debug` and `Display` never show it.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct SmtpPassword(String);

impl From<String> for SmtpPassword {
    fn from(s: String) -> Self {
        SmtpPassword(s)
    }
}

impl SmtpPassword {
    /// The password, for the SMTP client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `[mail]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawMail")]
pub struct MailConfig {
    /// SMTP server host name.
    pub smtp_host: String,
    /// Port (default: 587 with STARTTLS, 465 with TLS, 25 without).
    pub smtp_port: u16,
    /// Protection of the connection.
    pub tls: SmtpTls,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, SmtpPassword)>,
    /// The `From:` address, e.g. `Visitors <visitors@example.com>`.
    pub from: String,
    /// Delay before the first retry of a failed delivery (doubled after
    /// each further failure, see [`crate::notify::Backoff`]).
    pub retry_after: std::time::Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMail {
    smtp_host: String,
    #[serde(default)]
    smtp_port: Option<u16>,
    #[serde(default)]
    tls: Option<SmtpTls>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<SmtpPassword>,
    from: String,
    #[serde(default)]
    retry_secs: Option<u64>,
}

/// Longest first retry delay accepted: an hour (the backoff's cap).
const MAX_RETRY_SECS: u64 = 3600;

impl TryFrom<RawMail> for MailConfig {
    type Error = String;
    fn try_from(r: RawMail) -> Result<Self, String> {
        let tls = r.tls.unwrap_or(SmtpTls::Starttls);
        if r.smtp_host.trim().is_empty() {
            return Err("mail: smtp_host is empty".into());
        }
        if tls == SmtpTls::None && !is_loopback(&r.smtp_host) {
            return Err(format!(
                "mail: tls = \"none\" is only for a server on this machine, not {:?}",
                r.smtp_host
            ));
        }
        let credentials = match (r.username, r.password) {
            (None, None) => None,
            (Some(u), Some(p)) => Some((u, p)),
            _ => return Err("mail: set both username and password, or neither".into()),
        };
        if r.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!("mail: from {:?} is not an email address", r.from));
        }
        let default_port = match tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        };
        let retry_secs = r.retry_secs.unwrap_or(30);
        if !(1..=MAX_RETRY_SECS).contains(&retry_secs) {
            return Err(format!("mail: retry_secs must be 1 to {MAX_RETRY_SECS}"));
        }
        Ok(MailConfig {
            smtp_host: r.smtp_host,
            smtp_port: r.smtp_port.unwrap_or(default_port),
            tls,
            credentials,
            from: r.from,
            retry_after: std::time::Duration::from_secs(retry_secs),
        })
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(toml_text: &str) -> Result<MailConfig, String> {
        toml::from_str::<MailConfig>(toml_text).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn defaults_and_refusals() {
        let m = parse("smtp_host = \"smtp.example.com\"\nfrom = \"v@example.com\"").unwrap();
        assert_eq!((m.smtp_port, m.tls), (587, SmtpTls::Starttls));
        assert_eq!(m.retry_after.as_secs(), 30);
        let m = parse(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = 2526\ntls = \"none\"\nfrom = \"V <v@x.test>\"",
        )
        .unwrap();
        assert_eq!((m.smtp_port, m.tls), (2526, SmtpTls::None));
        for (text, why) in [
            (
                "smtp_host = \"smtp.example.com\"\ntls = \"none\"\nfrom = \"v@x.test\"",
                "only for a server on this machine",
            ),
            (
                "smtp_host = \"h\"\nusername = \"u\"\nfrom = \"v@x.test\"",
                "set both username and password",
            ),
            (
                "smtp_host = \"h\"\nfrom = \"not an address\"",
                "is not an email address",
            ),
            (
                "smtp_host = \" \"\nfrom = \"v@x.test\"",
                "smtp_host is empty",
            ),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let m = parse(
            "smtp_host = \"h\"\nusername = \"u\"\npassword = \"hunter2-secret\"\nfrom = \"v@x.test\"",
        )
        .unwrap();
        let shown = format!("{m:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
