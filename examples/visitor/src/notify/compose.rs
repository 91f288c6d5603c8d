//! The messages' texts. Every value in them comes from people (visitor
//! names, companies, host names), so the HTML part escapes each one with
//! the library's escaper (the pages' too), and the subject, a header, is
//! kept to one line of printable characters: a name with a line break
//! cannot add a header (`Bcc:`) even before `lettre` encodes it
//! (RFC 5322 §2.2: a header field ends at CRLF).

use chrono::{DateTime, Utc};
use samlsp_actix::html::escape_into;

use crate::store::{CheckedIn, OutboxKind, Outgoing, User};

/// Longest subject kept (RFC 5322 §2.1.1 asks for lines under 78
/// characters; a subject is folded, but a short one reads better).
const MAX_SUBJECT_CHARS: usize = 120;

/// `s` on one line: control characters (CR, LF, tab…) become spaces, runs
/// of spaces one, at most `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut space = false;
    for c in s.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if space || out.is_empty() {
                continue;
            }
            space = true;
        } else {
            space = false;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.chars().take(max).collect()
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out);
    out
}

/// The host's notification of a check-in at `now`.
pub fn check_in(c: &CheckedIn, now: DateTime<Utc>) -> Outgoing {
    let time = now.format("%H:%M UTC");
    let visitor = one_line(&c.visitor_name, 100);
    let company = one_line(&c.company, 100);
    let from = if company.is_empty() {
        String::new()
    } else {
        format!(" ({company})")
    };
    let html_from = if company.is_empty() {
        String::new()
    } else {
        format!(" ({})", esc(&company))
    };
    Outgoing {
        kind: OutboxKind::CheckIn,
        user_id: c.host_id,
        visit_id: Some(c.visit_id),
        recipient: c.host_email.clone(),
        subject: one_line(
            &format!("Your visitor {visitor} has arrived at {}", c.location),
            MAX_SUBJECT_CHARS,
        ),
        text: format!(
            "Hello {host},\n\n{visitor}{from} checked in at {location} at {time}.\n\
             Please come to reception.\n\n-- Visitors\n",
            host = one_line(&c.host_name, 100),
            location = one_line(&c.location, 100),
        ),
        html: format!(
            "<p>Hello {host},</p><p><strong>{visitor}</strong>{html_from} checked in at \
             {location} at {time}.</p><p>Please come to reception.</p><p>-- Visitors</p>",
            host = esc(&c.host_name),
            visitor = esc(&visitor),
            location = esc(&c.location),
        ),
        not_before: now,
    }
}

/// The invitation of `user` of the organization `org_name`, to sign in at
/// `sign_in_url`, not sent before `not_before`.
pub fn invitation(
    user: &User,
    org_name: &str,
    sign_in_url: &str,
    not_before: DateTime<Utc>,
) -> Outgoing {
    let name = one_line(&user.display_name, 100);
    let org = one_line(org_name, 100);
    Outgoing {
        kind: OutboxKind::Invite,
        user_id: user.id,
        visit_id: None,
        recipient: user.email.clone(),
        subject: one_line(
            &format!("You can now sign in to Visitors with your {org} account"),
            MAX_SUBJECT_CHARS,
        ),
        text: format!(
            "Hello {name},\n\nYou can now sign in to Visitors with your company account:\n\
             {sign_in_url}\n\nThere you pre-register your visitors, and reception tells you \
             when they arrive.\n\n-- Visitors\n"
        ),
        html: format!(
            "<p>Hello {name},</p><p>You can now sign in to Visitors with your company account: \
             <a href=\"{url}\">{url}</a></p><p>There you pre-register your visitors, and \
             reception tells you when they arrive.</p><p>-- Visitors</p>",
            name = esc(&name),
            url = esc(sign_in_url),
        ),
        not_before,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(name: &str) -> CheckedIn {
        CheckedIn {
            visit_id: 1,
            visitor_name: name.into(),
            company: "Evil <Corp>".into(),
            host_id: 2,
            host_name: "Bob".into(),
            host_email: "bob@acme.test".into(),
            location: "HQ".into(),
            new: true,
        }
    }

    #[test]
    fn a_line_break_in_a_name_adds_no_header() {
        let m = check_in(&arrival("Mallory\r\nBcc: all@acme.test\n"), Utc::now());
        assert!(!m.subject.contains(['\r', '\n']), "{:?}", m.subject);
        assert_eq!(
            m.subject,
            "Your visitor Mallory Bcc: all@acme.test has arrived at HQ"
        );
    }

    #[test]
    fn html_escapes_every_value() {
        let m = check_in(&arrival("<script>x</script>"), Utc::now());
        assert!(
            !m.html.contains("<script>") && !m.html.contains("<Corp>"),
            "{}",
            m.html
        );
        assert!(m.html.contains("&lt;script&gt;"), "{}", m.html);
        assert!(
            m.text.contains("<script>x</script> (Evil <Corp>)"),
            "{}",
            m.text
        );
    }

    #[test]
    fn one_line_bounds_and_collapses() {
        assert_eq!(one_line("  a\t\tb \u{85} c  ", 10), "a b c");
        assert_eq!(one_line(&"x".repeat(500), 120).len(), 120);
    }
}
