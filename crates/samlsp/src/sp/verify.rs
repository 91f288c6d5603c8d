//! Verifying a `samlp:Response` delivered by the HTTP-POST binding
//! (SAML Bindings §3.5, Web Browser SSO Profile, SAML Profiles §4.1.4).
//!
//! The response is parsed once; the assertion to trust is found by strict
//! position (a direct child of the root `samlp:Response`, exactly one), its
//! signature (or the Response's) is verified on that very element, and the
//! [`Assertion`] is read through the resulting proof.

use chrono::{DateTime, Utc};

use crate::assertion::{Assertion, Expectations, SAML_NS, check_in_response_to, check_issuer};
use crate::dsig::{self, DSIG_NS};
use crate::error::{EncodingError, Error, ProtocolError, clip};
use crate::ids::{EntityId, RequestId};
use crate::sp::{IdentityProvider, ServiceProvider};
use crate::xml::{self, ElementRef};
use crate::xmlenc::Ciphertext;

/// SAML 2.0 protocol namespace.
pub const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// Top-level success status (SAML Core §3.2.2.2).
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// What the SP knows about the request this response should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestContext<'a> {
    /// A request with this ID is pending (found, e.g., through RelayState).
    Pending {
        /// The AuthnRequest ID.
        request_id: &'a RequestId,
        /// The IdP the request was sent to, when known: the response must come
        /// from it.
        idp: Option<&'a EntityId>,
    },
    /// No request is pending: only an unsolicited response can be accepted,
    /// and only from an IdP that allows them.
    Unsolicited,
}

/// Decodes the base64 value of a posted `SAMLResponse` (whitespace and line
/// breaks tolerated). The POST binding carries no DEFLATE (Bindings §3.5.4):
/// a compressed payload is refused, never inflated.
pub fn decode_post_value(value: &str, max_bytes: usize) -> Result<Vec<u8>, EncodingError> {
    if value.len() > max_bytes.saturating_mul(4) / 3 + 8 {
        return Err(EncodingError::TooLarge {
            size: value.len(),
            limit: max_bytes,
        });
    }
    let bytes = crate::util::decode_base64_lenient(value).ok_or(EncodingError::NotBase64)?;
    if bytes.is_empty() {
        return Err(EncodingError::Empty);
    }
    if looks_deflated(&bytes) {
        return Err(EncodingError::Compressed);
    }
    Ok(bytes)
}

/// True when `bytes` is not XML text but a raw DEFLATE stream whose first
/// inflated bytes are markup. Only 64 output bytes are ever produced, to
/// classify the error; the payload is not processed.
fn looks_deflated(bytes: &[u8]) -> bool {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'<') | Some(0xEF)) {
        return false;
    }
    let mut out = [0u8; 64];
    let mut inflater = flate2::Decompress::new(false);
    match inflater.decompress(bytes, &mut out, flate2::FlushDecompress::None) {
        Ok(_) => {
            let produced = usize::try_from(inflater.total_out()).unwrap_or(0);
            out.iter()
                .take(produced)
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|&b| b == b'<')
        }
        Err(_) => false,
    }
}

impl ServiceProvider {
    /// Verifies a posted `SAMLResponse` value (base64) at time `now`.
    ///
    /// Replay and `ForceAuthn` freshness need the pending request and a
    /// replay cache: [`ServiceProvider::consume_response`] checks them on top
    /// of this.
    pub fn verify_response(
        &self,
        saml_response: &str,
        now: DateTime<Utc>,
        ctx: RequestContext<'_>,
    ) -> Result<Assertion, Error> {
        let xml = decode_post_value(saml_response, self.inner.limits.max_input_bytes)?;
        self.verify_response_xml(&xml, now, ctx)
    }

    /// Verifies a response given as raw XML bytes (already base64-decoded).
    pub fn verify_response_xml(
        &self,
        xml_bytes: &[u8],
        now: DateTime<Utc>,
        ctx: RequestContext<'_>,
    ) -> Result<Assertion, Error> {
        let doc = xml::parse(xml_bytes, &self.inner.limits)?;
        let root = doc.root();

        // SAML Core §3.2.2: the root is samlp:Response, by namespace URI.
        if !root.is(SAMLP_NS, "Response") {
            return Err(ProtocolError::NotAResponse {
                namespace: clip(root.namespace().unwrap_or("")),
                name: clip(root.local_name()),
            }
            .into());
        }
        let version = root.attr("Version").unwrap_or("");
        if version != "2.0" {
            return Err(ProtocolError::Version {
                found: clip(version),
            }
            .into());
        }
        let parts = ResponseParts::read(root)?;

        // Pick the IdP: the one the request went to, else the Issuer's (which is
        // only a lookup key until its signature verifies).
        let idp = self.select_idp(&parts, ctx)?;
        if let Some(issuer) = parts.issuer {
            check_issuer(issuer, &idp.entity_id, "Response")?;
        }

        // A Response signature, when present, must verify (never skipped).
        let signed_response = match parts.signature {
            Some(_) => Some(dsig::verify(root, &idp.keys, &self.inner.policy)?),
            None => None,
        };

        // SAML Bindings §3.5.5.2: Destination required on a signed Response,
        // and when present it must be where we received it.
        match root.attr("Destination") {
            Some(d) if !self.inner.acs_urls.iter().any(|u| u.as_str() == d) => {
                return Err(ProtocolError::Destination { found: clip(d) }.into());
            }
            None if signed_response.is_some() => {
                return Err(ProtocolError::MissingDestination.into());
            }
            _ => {}
        }

        check_status(parts.status)?;

        // Exactly one assertion (CVE-2022-41912: one signed, another read).
        // An EncryptedAssertion (SAML Core §2.3.4) is decrypted into a document
        // of its own, parsed by the same hardened parser; it lives as long as
        // the proof read from it.
        let decrypted: xml::Document;
        let mut encryption_cover = None;
        let assertion_el = match (parts.assertions.as_slice(), parts.encrypted.as_slice()) {
            ([one], []) => *one,
            ([], []) => return Err(ProtocolError::NoAssertion.into()),
            ([], [enc]) => {
                if self.inner.decryption_keys.is_empty() {
                    return Err(ProtocolError::EncryptedAssertionUnsupported.into());
                }
                // Verified above, before any decryption: only a signature
                // over the ciphertext lets CBC content through.
                encryption_cover = signed_response.as_ref().and_then(|sr| sr.narrow(*enc));
                let ciphertext = match encryption_cover {
                    Some(cover) => Ciphertext::Signed(cover),
                    None => Ciphertext::Unsigned(*enc),
                };
                let plaintext = crate::xmlenc::decrypt_element(
                    ciphertext,
                    &self.inner.decryption_keys,
                    &self.inner.decryption_policy,
                )?;
                decrypted = xml::parse(&plaintext, &self.inner.limits)?;
                check_no_stray_messages(&decrypted)?;
                decrypted.root()
            }
            (a, e) => {
                return Err(ProtocolError::MultipleAssertions {
                    count: a.len() + e.len(),
                }
                .into());
            }
        };

        // The assertion must be covered: by its own signature (which must
        // verify), or by the Response's (for an encrypted one: the Response
        // signature over the EncryptedAssertion). When both exist both were
        // verified.
        let has_own_signature = assertion_el
            .children_named(DSIG_NS, "Signature")
            .next()
            .is_some();
        let signed_assertion = if has_own_signature {
            dsig::verify(assertion_el, &idp.keys, &self.inner.policy)?
        } else {
            match (&encryption_cover, &signed_response) {
                (Some(cover), _) => cover.carry_to_decrypted(assertion_el),
                (None, Some(sr)) => sr.narrow(assertion_el).ok_or(ProtocolError::NotSigned)?,
                (None, None) => return Err(ProtocolError::NotSigned.into()),
            }
        };

        let request_id = match ctx {
            RequestContext::Pending { request_id, .. } => Some(request_id.as_str()),
            RequestContext::Unsolicited => None,
        };
        // SAML Profiles §4.1.4.2/§4.1.5: unsolicited only when allowed; a
        // response naming a request we do not hold is refused either way.
        check_in_response_to(root.attr("InResponseTo"), request_id)?;
        if request_id.is_none() && !idp.allow_unsolicited {
            return Err(ProtocolError::UnsolicitedNotAllowed.into());
        }

        let exp = Expectations {
            idp: &idp.entity_id,
            sp: &self.inner.entity_id,
            acs_urls: &self.inner.acs_urls,
            request_id,
            now,
            skew: self.inner.clock_skew,
            max_lifetime: self.inner.max_assertion_lifetime,
        };
        Ok(Assertion::from_signed(&signed_assertion, &exp)?)
    }

    fn select_idp(
        &self,
        parts: &ResponseParts<'_>,
        ctx: RequestContext<'_>,
    ) -> Result<&IdentityProvider, Error> {
        if let RequestContext::Pending { idp: Some(id), .. } = ctx {
            return self.idp(id).ok_or_else(|| {
                ProtocolError::UnknownIssuer {
                    found: clip(id.as_str()),
                }
                .into()
            });
        }
        let issuer = parts.claimed_issuer();
        self.idp_claimed(&issuer).ok_or_else(|| {
            ProtocolError::UnknownIssuer {
                found: clip(&issuer),
            }
            .into()
        })
    }
}

impl ServiceProvider {
    /// The configured IdP a posted response *claims* to come from (the
    /// Response's Issuer, else its Assertion's), without verifying anything.
    ///
    /// For decisions that grant nothing and cannot wait for trust: which
    /// IdP's metadata to fetch again after a signature by an unknown key, or
    /// what to log. Never for authorization: anyone can write any Issuer.
    pub fn unverified_issuer(&self, saml_response: &str) -> Option<&IdentityProvider> {
        let bytes = decode_post_value(saml_response, self.inner.limits.max_input_bytes).ok()?;
        let doc = xml::parse(&bytes, &self.inner.limits).ok()?;
        let root = doc.root();
        if !root.is(SAMLP_NS, "Response") {
            return None;
        }
        let issuer = ResponseParts::read(root).ok()?.claimed_issuer();
        self.idp_claimed(&issuer)
    }
}

/// The Response's children, read strictly by schema (SAML Core 2.0 §3.2.2,
/// §3.3.3): Issuer?, Signature?, Extensions?, Status, (Assertion |
/// EncryptedAssertion)*, in that order.
struct ResponseParts<'d> {
    issuer: Option<ElementRef<'d>>,
    signature: Option<ElementRef<'d>>,
    status: ElementRef<'d>,
    assertions: Vec<ElementRef<'d>>,
    encrypted: Vec<ElementRef<'d>>,
}

/// Position of a Response child in the schema sequence (SAML Core 2.0 §3.2.2
/// StatusResponseType, §3.3.3 Response); `None` for anything else.
fn response_child_rank(el: ElementRef<'_>) -> Option<u8> {
    Some(match (el.namespace()?, el.local_name()) {
        (SAML_NS, "Issuer") => 0,
        (DSIG_NS, "Signature") => 1,
        (SAMLP_NS, "Extensions") => 2,
        (SAMLP_NS, "Status") => 3,
        (SAML_NS, "Assertion" | "EncryptedAssertion") => 4,
        _ => return None,
    })
}

impl<'d> ResponseParts<'d> {
    /// The Issuer the response names: the Response's (optional, SAML
    /// Profiles §4.1.4.2), else the first Assertion's. A lookup key only.
    fn claimed_issuer(&self) -> std::borrow::Cow<'d, str> {
        let issuer_el = self.issuer.or_else(|| {
            self.assertions
                .first()
                .and_then(|a| a.children_named(SAML_NS, "Issuer").next())
        });
        issuer_el.and_then(|i| i.text_cow()).unwrap_or_default()
    }

    fn read(root: ElementRef<'d>) -> Result<Self, ProtocolError> {
        let structure = |reason| ProtocolError::Structure {
            element: "Response",
            reason,
        };
        if root.has_non_whitespace_text() {
            return Err(structure("character data in Response"));
        }
        let mut issuer = None;
        let mut signature = None;
        let mut status = None;
        let mut extensions = 0;
        let mut assertions = Vec::new();
        let mut encrypted = Vec::new();
        let mut last_rank = 0;
        for child in root.children() {
            match (child.namespace(), child.local_name()) {
                (Some(SAML_NS), "Issuer") if issuer.is_none() => issuer = Some(child),
                (Some(DSIG_NS), "Signature") if signature.is_none() => signature = Some(child),
                (Some(SAMLP_NS), "Extensions") if extensions == 0 => extensions += 1,
                (Some(SAMLP_NS), "Status") if status.is_none() => status = Some(child),
                (Some(SAML_NS), "Assertion") => assertions.push(child),
                (Some(SAML_NS), "EncryptedAssertion") => encrypted.push(child),
                (Some(SAML_NS), "Issuer") => return Err(structure("more than one Issuer")),
                (Some(DSIG_NS), "Signature") => {
                    return Err(ProtocolError::Structure {
                        element: "Response",
                        reason: "more than one Signature",
                    });
                }
                (Some(SAMLP_NS), "Status") => return Err(structure("more than one Status")),
                (Some(SAMLP_NS), "Extensions") => {
                    return Err(structure("more than one Extensions"));
                }
                _ => return Err(structure("unexpected child element")),
            }
            // Every arm above that continues is a ranked element.
            let rank = response_child_rank(child).unwrap_or(u8::MAX);
            if rank < last_rank {
                return Err(structure("children out of schema order"));
            }
            last_rank = rank;
        }
        check_no_stray_messages(root.document())?;
        Ok(ResponseParts {
            issuer,
            signature,
            status: status.ok_or(structure("no Status"))?,
            assertions,
            encrypted,
        })
    }
}

/// SAML 1.1 assertion namespace: its assertions are refused out of place too.
const SAML1_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";

/// The name of an assertion or SAML protocol message (SAML Core 2.0 §2.3.3,
/// §2.3.4, §3.2–§3.8), for the element kinds that must never appear anywhere
/// but at the one trusted position.
fn message_name(el: ElementRef<'_>) -> Option<&'static str> {
    Some(match (el.namespace()?, el.local_name()) {
        (SAML_NS, "Assertion") | (SAML1_NS, "Assertion") => "Assertion",
        (SAML_NS, "EncryptedAssertion") => "EncryptedAssertion",
        (SAMLP_NS, name) => match name {
            "Response" => "Response",
            "ArtifactResponse" => "ArtifactResponse",
            "LogoutResponse" => "LogoutResponse",
            "ManageNameIDResponse" => "ManageNameIDResponse",
            "NameIDMappingResponse" => "NameIDMappingResponse",
            "AuthnRequest" => "AuthnRequest",
            "ArtifactResolve" => "ArtifactResolve",
            "LogoutRequest" => "LogoutRequest",
            "ManageNameIDRequest" => "ManageNameIDRequest",
            "NameIDMappingRequest" => "NameIDMappingRequest",
            "AssertionIDRequest" => "AssertionIDRequest",
            "SubjectQuery" => "SubjectQuery",
            "AuthnQuery" => "AuthnQuery",
            "AttributeQuery" => "AttributeQuery",
            "AuthzDecisionQuery" => "AuthzDecisionQuery",
            _ => return None,
        },
        _ => return None,
    })
}

/// One assertion per document: refuses any assertion, encrypted assertion or
/// SAML protocol message below the root of `doc` other than an assertion that
/// is a direct child of the root when the root is a Response (the one trusted
/// position, SAML Core 2.0 §3.3.3). `Extensions` and `StatusDetail` may hold any
/// foreign-namespace element, `Advice` may hold assertions (§2.6.1) and
/// `ds:Object` anything, so schema validation would not catch a twin there;
/// but an application, a proxy or a log pipeline may read the wrong one
/// (signature wrapping, SAML Raider XSW7/XSW8). Also applied to a decrypted
/// assertion, whose root is the trusted position.
///
/// One pass over the document's elements in document order (the first
/// misplaced one is reported), each visited once: the cost is linear in the
/// element count, already capped by [`xml::Limits::max_elements`].
pub(crate) fn check_no_stray_messages(doc: &xml::Document) -> Result<(), ProtocolError> {
    let root = doc.root();
    let root_is_response = root.is(SAMLP_NS, "Response");
    // The namespaces of the messages, as this document numbers them: an
    // element in another one is passed over after comparing numbers.
    let known = [
        doc.namespace_id(SAML_NS),
        doc.namespace_id(SAMLP_NS),
        doc.namespace_id(SAML1_NS),
    ];
    for (el, parent) in doc.elements_below_root() {
        match el.namespace_id() {
            Some(ns) if known.contains(&Some(ns)) => {}
            _ => continue,
        }
        if let Some(element) = message_name(el) {
            let trusted = parent == root
                && root_is_response
                && matches!(element, "Assertion" | "EncryptedAssertion")
                && el.namespace() == Some(SAML_NS);
            if !trusted {
                return Err(ProtocolError::MisplacedMessage {
                    element,
                    parent: clip(parent.local_name()),
                });
            }
        }
    }
    Ok(())
}

/// SAML Core §3.2.2.2: the top-level StatusCode must be Success; otherwise the
/// error carries the codes and the message for the operator.
fn check_status(status: ElementRef<'_>) -> Result<(), ProtocolError> {
    let code_el =
        status
            .children_named(SAMLP_NS, "StatusCode")
            .next()
            .ok_or(ProtocolError::Structure {
                element: "Status",
                reason: "no StatusCode",
            })?;
    let code = code_el.attr("Value").unwrap_or("");
    if code == STATUS_SUCCESS {
        return Ok(());
    }
    let second_level = code_el
        .children_named(SAMLP_NS, "StatusCode")
        .next()
        .and_then(|c| c.attr("Value"))
        .map(clip);
    let message = status
        .children_named(SAMLP_NS, "StatusMessage")
        .next()
        .and_then(|m| m.text())
        .map(|m| clip(&m));
    Err(ProtocolError::Status {
        code: clip(code),
        second_level,
        message,
    })
}
