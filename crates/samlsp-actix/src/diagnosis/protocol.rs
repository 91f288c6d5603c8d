//! Remediations for SAML Core and profile rule failures
//! ([`samlsp::ProtocolError`]): most name a setting at the IdP, with the
//! value it sent and the one we need.

use samlsp::ProtocolError as P;

use super::{RemediationContext, q};

pub(super) fn remediation(p: &P, ctx: &RemediationContext) -> String {
    let idp = ctx.idp();
    let (sp, acs) = (ctx.sp(), ctx.acs());
    let clock = "Check that the IdP's clock and this server's are set by NTP; a response \
                 that took minutes to arrive (a stuck browser tab) also does this.";
    match p {
        P::Audience { found } if found.is_empty() => format!(
            "{idp} sends an empty Audience; set it (the application's Entity ID or Identifier \
             at the IdP) to our entity ID {sp}."
        ),
        P::Audience { found } => format!(
            "{idp} sends Audience {}; set it (the application's Entity ID or Identifier at the \
             IdP) to our entity ID {sp}.",
            q(found)
        ),
        P::NoAudienceRestriction => format!(
            "{idp} sends no AudienceRestriction; configure the application there with our \
             entity ID {sp} as its audience."
        ),
        P::Destination { found } => format!(
            "{idp} addresses its responses to {}; set the ACS (Reply) URL there to {acs}.",
            q(found)
        ),
        P::MissingDestination => {
            format!("{idp} signs the response without a Destination; set its ACS URL to {acs}.")
        }
        P::Recipient { found } => format!(
            "{idp} names the recipient {}; set the ACS (Reply) URL there to {acs}.",
            q(found)
        ),
        P::UnknownIssuer { found } => format!(
            "The response names the Issuer {}, which is not a configured IdP. If it is this \
             organization's IdP, its entity ID changed: update the connection's metadata{}.",
            q(found),
            ctx.idp_entity_id
                .as_deref()
                .map(|e| format!(" (it expects {})", q(e)))
                .unwrap_or_default()
        ),
        P::Issuer {
            found, expected, ..
        } => format!(
            "The assertion's Issuer is {}, not {}; the IdP uses two entity IDs, or the \
             connection's metadata belongs to another IdP.",
            q(found),
            q(expected)
        ),
        P::NotSigned => format!(
            "Configure {idp} to sign the assertion (or the whole response); unsigned \
             assertions are never accepted."
        ),
        P::Status {
            code,
            second_level,
            message,
        } => format!(
            "{idp} answered with an error instead of signing the person in: {}{}{}. Check the \
             person's assignment to this application at the IdP, and the IdP's log.",
            q(code),
            second_level
                .as_deref()
                .map(|s| format!(" / {}", q(s)))
                .unwrap_or_default(),
            message
                .as_deref()
                .map(|m| format!(": {}", q(m)))
                .unwrap_or_default()
        ),
        P::NotYetValid { not_before: t, now }
        | P::IssuedInFuture {
            issue_instant: t,
            now,
        } => {
            format!("The assertion is dated {t}, after our time {now}. {clock}")
        }
        P::Expired {
            not_on_or_after: t,
            now,
        }
        | P::ConfirmationExpired {
            not_on_or_after: t,
            now,
        } => {
            format!("The assertion was valid until {t}; it arrived at {now}. {clock}")
        }
        P::LifetimeTooLong { max_seconds, .. } => format!(
            "{idp} issues assertions valid for longer than {max_seconds} s; shorten their \
             lifetime at the IdP (minutes are enough)."
        ),
        P::UnsolicitedNotAllowed => format!(
            "The sign-in was started at {idp} (IdP-initiated), which is off for this \
             connection. Start sign-in from this application, or enable IdP-initiated sign-in \
             for the connection (such responses are not bound to a browser: login CSRF risk)."
        ),
        P::UnknownInResponseTo { .. } | P::InResponseTo { .. } => "The response answers a \
             request we do not have pending: it came after the request expired, was posted \
             twice (back button), or was meant for another service provider. Start the sign-in \
             again; if it always happens, check that the IdP sends the response to our ACS URL."
            .to_owned(),
        P::Replay { .. } => "This assertion was already used once (the back button, a double \
             submit, or a replayed capture). Start the sign-in again."
            .to_owned(),
        P::EncryptedAssertionUnsupported => format!(
            "{idp} encrypts assertions but this SP has no decryption key: turn assertion \
             encryption off at the IdP, or configure the SP's encryption key."
        ),
        P::NoSubject | P::NoNameId => format!(
            "Configure {idp} to send a Subject with a NameID (a persistent or email NameID)."
        ),
        P::NoAuthnStatement => format!("Configure {idp} to send an AuthnStatement."),
        P::ForceAuthnNotHonoured { .. } => format!(
            "We asked {idp} for a fresh sign-in and it reused an old one; allow ForceAuthn for \
             this application at the IdP."
        ),
        P::MultipleAssertions { .. } | P::MisplacedMessage { .. } => "The response has an \
             assertion where none belongs, or several (the shape of signature wrapping \
             attacks). If the IdP is genuine, send this code to its vendor."
            .to_owned(),
        _ => format!(
            "The response breaks a rule of the SAML standard ({}); if the IdP is genuine, send \
             this code to its vendor: no setting here accepts it.",
            p.code()
        ),
    }
}
