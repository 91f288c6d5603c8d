//! HTTP-Redirect binding (SAML Bindings 2.0 §3.4): DEFLATE + base64 + URL
//! encoding, and the query-string signature of §3.4.4.1.
//!
//! The signature covers the octets `SAMLRequest=v&RelayState=v&SigAlg=v` (or
//! `SAMLResponse=...`), each `v` exactly as it appears in the URL. Outbound we
//! sign the string we then put in the URL; inbound we verify over the values
//! *as received*, never re-encoded (re-encoding breaks IdPs that use lowercase
//! hex or encode more characters, and is what samael got wrong).

use super::{MessageKind, base64_decode_lenient, deflate, inflate_bounded, url_decode, url_encode};
use crate::dsig::{AlgorithmPolicy, SignatureAlgorithm, TrustedKeys};
use crate::error::{BindingError, Error, OutboundError};
use crate::keys::{SpKeyPair, b64};

/// Longest RelayState a sender may use (SAML Bindings §3.4.3).
pub const MAX_RELAY_STATE_BYTES: usize = 80;

/// Builds the URL of an HTTP-Redirect message to `endpoint`: the message is
/// DEFLATE-compressed, base64-encoded and URL-encoded; when `key` is given,
/// `SigAlg` and `Signature` are added over the exact query octets
/// (Bindings §3.4.4.1).
pub(crate) fn encode(
    endpoint: &str,
    kind: MessageKind,
    xml: &str,
    relay_state: Option<&str>,
    key: Option<&SpKeyPair>,
) -> Result<String, Error> {
    if let Some(rs) = relay_state {
        if rs.len() > MAX_RELAY_STATE_BYTES {
            return Err(OutboundError::RelayStateTooLong { size: rs.len() }.into());
        }
    }
    let mut query = String::with_capacity(xml.len());
    query.push_str(kind.parameter());
    query.push('=');
    query.push_str(&url_encode(&b64(&deflate(xml.as_bytes()))));
    if let Some(rs) = relay_state {
        query.push_str("&RelayState=");
        query.push_str(&url_encode(rs));
    }
    if let Some(key) = key {
        query.push_str("&SigAlg=");
        query.push_str(&url_encode(key.signature_algorithm().uri()));
        let signature = key.sign(query.as_bytes())?;
        query.push_str("&Signature=");
        query.push_str(&url_encode(&b64(&signature)));
    }
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{sep}{query}"))
}

/// The signature parameters of a received message, with the octets they sign.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QuerySignature {
    sig_alg: String,
    value: Vec<u8>,
    signed_octets: String,
}

/// A decoded HTTP-Redirect message whose signature (if any) is not yet
/// checked. Read the XML through [`RedirectMessage::verify`] unless the
/// message is meant to be unsigned; the raw accessor says so in its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectMessage {
    kind: MessageKind,
    xml: Vec<u8>,
    relay_state: Option<String>,
    signature: Option<QuerySignature>,
}

/// A redirect message whose query-string signature verified with a trusted
/// key. Only [`RedirectMessage::verify`] builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRedirect {
    message: RedirectMessage,
    algorithm: SignatureAlgorithm,
    key_index: usize,
}

impl VerifiedRedirect {
    /// `SAMLRequest` or `SAMLResponse`.
    pub fn kind(&self) -> MessageKind {
        self.message.kind
    }
    /// The inflated XML (parse it with [`crate::xml::parse`]).
    pub fn xml(&self) -> &[u8] {
        &self.message.xml
    }
    /// RelayState, URL-decoded.
    pub fn relay_state(&self) -> Option<&str> {
        self.message.relay_state.as_deref()
    }
    /// The algorithm that verified.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }
    /// Index of the trusted key that verified.
    pub fn key_index(&self) -> usize {
        self.key_index
    }
}

/// Query parameters the binding defines, raw (still URL-encoded).
#[derive(Default)]
struct RawParams<'q> {
    request: Option<&'q str>,
    response: Option<&'q str>,
    relay_state: Option<&'q str>,
    sig_alg: Option<&'q str>,
    signature: Option<&'q str>,
}

fn set<'q>(
    slot: &mut Option<&'q str>,
    value: &'q str,
    name: &'static str,
) -> Result<(), BindingError> {
    if slot.replace(value).is_some() {
        return Err(BindingError::DuplicateParameter(name));
    }
    Ok(())
}

impl RedirectMessage {
    /// Decodes the query string of a received redirect (the part after `?`,
    /// without `#fragment`). `max_xml_bytes` bounds the inflated message
    /// (a DEFLATE bomb fails as soon as it is exceeded). Parameters other than
    /// the binding's are ignored; the binding's own must not repeat.
    pub fn decode(query: &str, max_xml_bytes: usize) -> Result<Self, Error> {
        // Base64 of DEFLATE output, percent-encoded: a generous bound that
        // still stops a multi-megabyte query before any work.
        let limit = max_xml_bytes.saturating_mul(3).max(16 * 1024);
        if query.len() > limit {
            return Err(BindingError::QueryTooLarge {
                size: query.len(),
                limit,
            }
            .into());
        }
        let mut p = RawParams::default();
        for (name, value) in super::query_pairs(query) {
            match name {
                "SAMLRequest" => set(&mut p.request, value, "SAMLRequest")?,
                "SAMLResponse" => set(&mut p.response, value, "SAMLResponse")?,
                "RelayState" => set(&mut p.relay_state, value, "RelayState")?,
                "SigAlg" => set(&mut p.sig_alg, value, "SigAlg")?,
                "Signature" => set(&mut p.signature, value, "Signature")?,
                _ => {}
            }
        }
        let (kind, raw_message) = match (p.request, p.response) {
            (Some(r), None) => (MessageKind::Request, r),
            (None, Some(r)) => (MessageKind::Response, r),
            (Some(_), Some(_)) => return Err(BindingError::RequestAndResponse.into()),
            (None, None) => {
                return Err(BindingError::MissingParameter("SAMLRequest or SAMLResponse").into());
            }
        };
        let decoded =
            url_decode(raw_message).ok_or(BindingError::PercentEncoding(kind.parameter()))?;
        let deflated = base64_decode_lenient(&decoded)?;
        let xml = inflate_bounded(&deflated, max_xml_bytes)?;
        let relay_state = p
            .relay_state
            .map(|r| url_decode(r).ok_or(BindingError::PercentEncoding("RelayState")))
            .transpose()?;

        let signature = match (p.sig_alg, p.signature) {
            (None, None) => None,
            (Some(alg), Some(sig)) => {
                let sig_alg = url_decode(alg).ok_or(BindingError::PercentEncoding("SigAlg"))?;
                let sig_b64 = url_decode(sig).ok_or(BindingError::PercentEncoding("Signature"))?;
                let value =
                    base64_decode_lenient(&sig_b64).map_err(|_| BindingError::SignatureEncoding)?;
                // Bindings §3.4.4.1: the octets signed, in this order, with
                // the values as they appear in the URL.
                let mut signed_octets = format!("{}={raw_message}", kind.parameter());
                if let Some(rs) = p.relay_state {
                    signed_octets.push_str("&RelayState=");
                    signed_octets.push_str(rs);
                }
                signed_octets.push_str("&SigAlg=");
                signed_octets.push_str(alg);
                Some(QuerySignature {
                    sig_alg,
                    value,
                    signed_octets,
                })
            }
            _ => return Err(BindingError::IncompleteSignature.into()),
        };
        Ok(RedirectMessage {
            kind,
            xml,
            relay_state,
            signature,
        })
    }

    /// Decodes a whole URL (`https://host/path?query#fragment`).
    pub fn decode_url(url: &str, max_xml_bytes: usize) -> Result<Self, Error> {
        let without_fragment = url.split_once('#').map_or(url, |(u, _)| u);
        let query = without_fragment
            .split_once('?')
            .map_or(without_fragment, |(_, q)| q);
        Self::decode(query, max_xml_bytes)
    }

    /// `SAMLRequest` or `SAMLResponse`.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// True when `SigAlg` and `Signature` are present.
    pub fn is_signed(&self) -> bool {
        self.signature.is_some()
    }

    /// `SigAlg`, URL-decoded, when present.
    pub fn sig_alg(&self) -> Option<&str> {
        self.signature.as_ref().map(|s| s.sig_alg.as_str())
    }

    /// RelayState, URL-decoded (unauthenticated unless the message verifies).
    pub fn unverified_relay_state(&self) -> Option<&str> {
        self.relay_state.as_deref()
    }

    /// The inflated XML, *unverified*: for `samlsp decode` and for messages
    /// whose XML carries its own signature.
    pub fn unverified_xml(&self) -> &[u8] {
        &self.xml
    }

    /// Verifies the query-string signature (Bindings §3.4.4.1) with one of
    /// `keys` and returns proof. An unsigned message is refused.
    pub fn verify(
        self,
        keys: &TrustedKeys,
        policy: &AlgorithmPolicy,
    ) -> Result<VerifiedRedirect, Error> {
        let sig = self.signature.as_ref().ok_or(BindingError::Unsigned)?;
        let algorithm = SignatureAlgorithm::from_uri(&sig.sig_alg).map_err(|_| {
            BindingError::UnsupportedSigAlg {
                found: crate::error::clip(&sig.sig_alg),
            }
        })?;
        if matches!(
            algorithm,
            SignatureAlgorithm::HmacSha1 | SignatureAlgorithm::HmacSha256
        ) {
            return Err(BindingError::UnsupportedSigAlg {
                found: crate::error::clip(&sig.sig_alg),
            }
            .into());
        }
        policy
            .check_signature(algorithm)
            .map_err(|_| BindingError::DisabledSigAlg {
                found: crate::error::clip(&sig.sig_alg),
            })?;
        if keys.is_empty() {
            return Err(BindingError::NoTrustedKeys.into());
        }
        let key_index = keys
            .keys()
            .iter()
            .position(|k| {
                crate::dsig::verify_with_key(algorithm, k, sig.signed_octets.as_bytes(), &sig.value)
            })
            .ok_or(BindingError::SignatureInvalid)?;
        Ok(VerifiedRedirect {
            message: self,
            algorithm,
            key_index,
        })
    }
}
