//! Why a sign-in failed, for the person who can fix it: a stable code and a
//! remediation text built from the error's typed fields and the
//! configuration this layer knows (our entity ID, our ACS URL, the IdP's
//! name and entity ID).
//!
//! These go to the operator's log and to an application's admin console,
//! never to the browser, which sees only [`crate::FAILED_TEXT`] and a
//! correlation ID (whoever posts a response may be probing which check
//! fails). Values the message carried are clipped and quoted with Rust's
//! `{:?}` escaping (newlines, control and bidirectional-formatting
//! characters escaped); a page that shows the text must still HTML-escape it.

use samlsp::{DecryptionError as Dec, DsigError as D, EncodingError as Enc, Error as E, ErrorCode};

use crate::error::SignInError;

/// What a remediation may say about the configuration of the tenant and
/// the IdP the failure is attributed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemediationContext {
    /// Our entity ID (the Audience the IdP must send).
    pub sp_entity_id: String,
    /// Our ACS URL (the Destination and Recipient the IdP must send).
    pub acs_url: String,
    /// The IdP's display name, when the failure is attributed to one.
    pub idp_name: Option<String>,
    /// The IdP's entity ID as configured, when known.
    pub idp_entity_id: Option<String>,
}

/// Longest quoted value in a remediation, in characters: an entity ID or
/// URL of a real IdP fits (Entra ID's are under 80); anything longer is
/// clipped, so a remediation stays a few hundred characters.
const MAX_QUOTED: usize = 120;

/// A value from the message (attacker-chosen until verified): clipped and
/// `{:?}`-quoted.
fn q(s: &str) -> String {
    let clipped: String = s.chars().take(MAX_QUOTED).collect();
    if clipped.len() < s.len() {
        format!("{clipped:?}…")
    } else {
        format!("{clipped:?}")
    }
}

impl RemediationContext {
    fn idp(&self) -> String {
        match (&self.idp_name, &self.idp_entity_id) {
            (Some(n), Some(e)) => format!("the IdP {} ({})", q(n), q(e)),
            (Some(n), None) => format!("the IdP {}", q(n)),
            (None, Some(e)) => format!("the IdP {}", q(e)),
            (None, None) => "the IdP".to_owned(),
        }
    }
    fn sp(&self) -> String {
        q(&self.sp_entity_id)
    }
    fn acs(&self) -> String {
        q(&self.acs_url)
    }
}

/// The codes of this layer's own failures (those of [`SignInError::Saml`]
/// are the core's, [`samlsp::error_codes`]).
pub fn sign_in_error_codes() -> &'static [ErrorCode] {
    const fn c(code: &'static str, summary: &'static str) -> ErrorCode {
        ErrorCode {
            code,
            layer: "sign-in",
            summary,
        }
    }
    const CODES: &[ErrorCode] = &[
        c(
            "unknown_idp",
            "the login link names an IdP this tenant does not have",
        ),
        c(
            "idp_not_chosen",
            "the login link names no IdP and the tenant has several",
        ),
        c("idp_unavailable", "the IdP's metadata has not loaded (yet)"),
        c(
            "tenant_unavailable",
            "no IdP of the tenant has usable metadata",
        ),
        c(
            "malformed_request",
            "the ACS post or login query is not well-formed",
        ),
        c(
            "issuer_not_in_tenant",
            "the verified Issuer is not an IdP of this tenant",
        ),
        c(
            "refused",
            "the application refused this person (its own reason code is logged)",
        ),
        c(
            "user_mapping_failed",
            "the application's user mapping failed (a database error?)",
        ),
        c(
            "user_mapping_unavailable",
            "the application's database is unreachable for now (answered 503)",
        ),
        c("session_failed", "the session could not be written"),
        c(
            "browser_mismatch",
            "the response was posted by another browser than the one that started the sign-in",
        ),
        c("busy", "too many responses are being verified at once"),
        c(
            "connection_not_enabled",
            "a real sign-in through a connection that takes test sign-ins only",
        ),
        c(
            "verification_aborted",
            "the verification task did not complete",
        ),
        c(
            "logout_refused",
            "the IdP answered our LogoutRequest with an error status",
        ),
    ];
    CODES
}

impl SignInError {
    /// The stable code of this failure: the core's for a refused message
    /// ([`samlsp::Error::code`]), else one of [`sign_in_error_codes`].
    pub fn code(&self) -> &'static str {
        match self {
            SignInError::Saml(e) => e.code(),
            SignInError::UnknownIdp { .. } => "unknown_idp",
            SignInError::IdpNotChosen => "idp_not_chosen",
            SignInError::IdpUnavailable { .. } => "idp_unavailable",
            SignInError::ConnectionNotEnabled { .. } => "connection_not_enabled",
            SignInError::TenantUnavailable => "tenant_unavailable",
            SignInError::MalformedRequest(_) => "malformed_request",
            SignInError::IssuerNotInTenant => "issuer_not_in_tenant",
            SignInError::Refused(_) => "refused",
            SignInError::Mapper(_) => "user_mapping_failed",
            SignInError::MapperUnavailable(_) => "user_mapping_unavailable",
            SignInError::Session(_) => "session_failed",
            SignInError::OtherBrowser(_) => "browser_mismatch",
            SignInError::Busy { .. } => "busy",
            SignInError::VerificationAborted => "verification_aborted",
            SignInError::LogoutRefused { .. } => "logout_refused",
        }
    }

    /// What to change, and where, for an administrator: built from the
    /// error's fields and `ctx` (values from the message clipped and
    /// quoted). Never empty.
    pub fn remediation(&self, ctx: &RemediationContext) -> String {
        let text = self.remediation_text(ctx);
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => text,
        }
    }

    fn remediation_text(&self, ctx: &RemediationContext) -> String {
        let idp = ctx.idp();
        match self {
            SignInError::Saml(e) => saml_remediation(e, ctx),
            SignInError::UnknownIdp { slug } => format!(
                "The sign-in link names the connection {}, which this tenant does not have; \
                 fix the link (the sign-in page lists the configured ones).",
                q(slug)
            ),
            SignInError::IdpNotChosen => "The sign-in link names no connection and several are \
                 configured; add ?idp=<connection> to the link."
                .to_owned(),
            SignInError::IdpUnavailable { .. } | SignInError::TenantUnavailable => format!(
                "The metadata of {idp} has not loaded: check the metadata URL and the IdP's \
                 availability (the console's metadata health shows the last error)."
            ),
            SignInError::ConnectionNotEnabled { .. } => format!(
                "The connection {idp} takes test sign-ins only: run a successful test sign-in \
                 in the console, then enable it."
            ),
            SignInError::MalformedRequest(why) => format!(
                "The request is not a well-formed SAML message ({why}); the IdP must post \
                 SAMLResponse (and RelayState) with the HTTP-POST binding to {}.",
                ctx.acs()
            ),
            SignInError::IssuerNotInTenant => {
                "The configuration changed during the sign-in; start the sign-in again.".to_owned()
            }
            SignInError::Refused(r) => format!(
                "The application refused the person ({}): {} The IdP's assertion was valid.",
                q(r.code),
                r.message
            ),
            SignInError::Mapper(_) | SignInError::Session(_) | SignInError::VerificationAborted => {
                "A fault on our side (database or session store); the operator's log has the \
                 details under the same correlation ID. Retry once it is fixed."
                    .to_owned()
            }
            SignInError::MapperUnavailable(_) => "The application's database could not be \
                 reached (down, restarting or overloaded); nothing was written. The sign-in \
                 works again once it is back."
                .to_owned(),
            SignInError::OtherBrowser(_) => "The response was posted by another browser than \
                 the one that started the sign-in (a blocked or lost cookie, a link opened in \
                 another browser, or a login CSRF attempt). Start the sign-in again in one browser."
                .to_owned(),
            SignInError::LogoutRefused { status } => format!(
                "{idp} answered the sign-out with {}: the person is signed out here, but \
                 maybe not at the IdP or its other applications. Check the IdP's log, and that \
                 it knows our SingleLogoutService URL and signing certificate (our metadata).",
                q(status)
            ),
            SignInError::Busy { limit } => format!(
                "More than {limit} responses were being verified at once; the browser may \
                 retry. If this lasts, raise max_concurrent_verifications or look for a flood."
            ),
        }
    }
}

fn saml_remediation(e: &E, ctx: &RemediationContext) -> String {
    let idp = ctx.idp();
    match e {
        E::Protocol(p) => protocol::remediation(p, ctx),
        E::Signature(D::UntrustedKey | D::NoKeyForAlgorithm) => format!(
            "{idp} signed with a certificate its metadata (as we have it) does not list: it \
             probably rotated its signing key. Its metadata is fetched again automatically; if \
             this persists, publish the new certificate in the IdP's metadata or update the \
             connection's metadata."
        ),
        E::Signature(D::SignatureInvalid | D::DigestMismatch) => format!(
            "The signature does not verify with the certificate of {idp}: the message was \
             changed after signing (a proxy rewriting it, or tampering), or the IdP signs with \
             another key than its metadata lists. Compare the certificate fingerprints on the \
             console with the IdP's signing certificate."
        ),
        E::Signature(D::NoSignature) => {
            format!("Configure {idp} to sign the assertion (or the whole response).")
        }
        E::Signature(
            D::DisabledAlgorithm { algorithm } | D::UnsupportedSignatureAlgorithm { algorithm },
        ) => format!(
            "{idp} signs with {}; configure it to sign with RSA-SHA256 (or ECDSA-SHA256) and \
             SHA-256 digests.",
            q(algorithm)
        ),
        E::Signature(D::NoTrustedKeys) => {
            format!("No signing certificate of {idp} is configured; load its metadata.")
        }
        E::Signature(_) => "The signature's structure is refused (the shape of XML signature \
             wrapping attacks, or a non-standard signer). If the IdP is genuine, send this code \
             to its vendor; no setting here accepts it."
            .to_owned(),
        E::Decryption(Dec::NoKey) => format!(
            "{idp} encrypts assertions but this SP has no decryption key: turn assertion \
             encryption off at the IdP, or configure the SP's encryption key."
        ),
        E::Decryption(Dec::Failed) => format!(
            "The assertion is encrypted to a key we do not hold: give {idp} the encryption \
             certificate from our current metadata ({}).",
            ctx.sp()
        ),
        E::Decryption(Dec::CbcWithoutSignature) => format!(
            "{idp} encrypts with AES-CBC without signing the response: sign the whole \
             response, or switch the IdP to AES-GCM."
        ),
        E::Decryption(Dec::DisabledAlgorithm { uri } | Dec::UnsupportedAlgorithm { uri }) => {
            format!(
                "{idp} encrypts with {}; configure AES-256-GCM with RSA-OAEP key transport.",
                q(uri)
            )
        }
        E::Decryption(_) => "The encrypted assertion is malformed; send this code to the IdP's \
             vendor."
            .to_owned(),
        E::Xml(_) | E::Encoding(Enc::NotBase64 | Enc::Empty | Enc::Compressed | Enc::Inflate) => {
            format!(
                "The posted value is not a readable SAML response (corrupted on the way, or not \
                 from an IdP). The IdP must post a base64 XML samlp:Response to {}.",
                ctx.acs()
            )
        }
        E::Encoding(_) => "The response is larger than this SP accepts (1 MiB of XML); ask \
             the IdP to send fewer attributes or groups."
            .to_owned(),
        E::Tracking(_) => "Our request store or replay cache is full or unavailable: an \
             operator issue (capacity, or the shared store is down)."
            .to_owned(),
        E::Metadata(_) => {
            format!("The metadata of {idp} is refused; the console's metadata health shows why.")
        }
        E::Logout(_) => format!(
            "A single-logout message from or to {idp} was refused ({}). If it repeats, compare \
             the IdP's single-logout settings (signed logout messages, the \
             SingleLogoutService URL of our metadata) with ours.",
            e.code()
        ),
        E::Config(_) | E::Outbound(_) | E::Binding(_) => "A configuration problem of this \
             application (its log has the detail): fix the connection's settings."
            .to_owned(),
        _ => format!(
            "Refused with code {}; see the list of error codes in the documentation.",
            e.code()
        ),
    }
}

mod protocol;
#[cfg(test)]
mod tests;
