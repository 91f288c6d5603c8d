//! SAML HTTP bindings (SAML Bindings 2.0 §3.4 HTTP-Redirect, §3.5 HTTP-POST):
//! encoding outgoing messages and decoding inbound ones.

pub mod post;
pub mod redirect;

use std::io::Write;

use crate::error::EncodingError;

pub use post::PostForm;
pub use redirect::{RedirectMessage, VerifiedRedirect};

/// HTTP-Redirect binding URI (SAML Bindings §3.4).
pub const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// HTTP-POST binding URI (SAML Bindings §3.5).
pub const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// The bindings this crate sends and receives front-channel messages with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binding {
    /// HTTP-Redirect: DEFLATE + base64 in the query string (Bindings §3.4).
    HttpRedirect,
    /// HTTP-POST: base64 in an auto-submitted HTML form (Bindings §3.5).
    HttpPost,
}

impl Binding {
    /// The binding URI.
    pub fn uri(self) -> &'static str {
        match self {
            Binding::HttpRedirect => HTTP_REDIRECT,
            Binding::HttpPost => HTTP_POST,
        }
    }

    /// The binding a URI names, if supported.
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            HTTP_REDIRECT => Some(Binding::HttpRedirect),
            HTTP_POST => Some(Binding::HttpPost),
            _ => None,
        }
    }
}

/// Which kind of SAML message a binding carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// `SAMLRequest`.
    Request,
    /// `SAMLResponse`.
    Response,
}

impl MessageKind {
    /// The form/query parameter name.
    pub fn parameter(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }
}

/// Raw DEFLATE (RFC 1951, no zlib header: SAML Bindings §3.4.4.1).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(data.len() / 2 + 16),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Chunk in which inflate output is produced; the bound is checked after each.
const INFLATE_CHUNK: usize = 16 * 1024;

/// Inflates raw DEFLATE data, stopping as soon as the output would exceed
/// `max_output` bytes: a DEFLATE bomb (ratio up to 1032:1) costs at most
/// `max_output + 16 KiB` of memory and the time to produce it. The stream must
/// end cleanly (no truncation, no trailing garbage).
pub fn inflate_bounded(data: &[u8], max_output: usize) -> Result<Vec<u8>, EncodingError> {
    let mut inflater = flate2::Decompress::new(false);
    let mut out: Vec<u8> = Vec::with_capacity(data.len().saturating_mul(4).min(max_output) + 1);
    loop {
        let before_in = inflater.total_in();
        let before_out = inflater.total_out();
        let consumed = usize::try_from(before_in).map_err(|_| EncodingError::Inflate)?;
        let input = data.get(consumed..).ok_or(EncodingError::Inflate)?;
        if out.len() >= max_output.saturating_add(1) {
            return Err(EncodingError::InflatedTooLarge { limit: max_output });
        }
        let room = (max_output + 1 - out.len()).min(INFLATE_CHUNK);
        out.reserve_exact(room);
        let status = inflater
            .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
            .map_err(|_| EncodingError::Inflate)?;
        if out.len() > max_output {
            return Err(EncodingError::InflatedTooLarge { limit: max_output });
        }
        match status {
            flate2::Status::StreamEnd => {
                let used =
                    usize::try_from(inflater.total_in()).map_err(|_| EncodingError::Inflate)?;
                if used != data.len() {
                    return Err(EncodingError::Inflate);
                }
                return Ok(out);
            }
            _ => {
                if inflater.total_in() == before_in && inflater.total_out() == before_out {
                    // No progress: the input ended before the stream did.
                    return Err(EncodingError::Inflate);
                }
            }
        }
    }
}

/// Percent-encodes every octet except RFC 3986 unreserved characters (the
/// form `application/x-www-form-urlencoded` writers emit for SAML values).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0xf));
        }
    }
    out
}

fn hex_digit(n: u8) -> char {
    char::from(
        b"0123456789ABCDEF"
            .get(usize::from(n & 0xf))
            .copied()
            .unwrap_or(b'0'),
    )
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` either
/// case). `None` on a malformed escape or invalid UTF-8.
pub fn url_decode(s: &str) -> Option<String> {
    decode_escapes(s, true)
}

/// Decodes `%XX` escapes only (RFC 3986 §2.1), as in a URL path, where `+`
/// is itself. `None` on a malformed escape or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    decode_escapes(s, false)
}

/// The `name=value` pairs of a query string or form body, still encoded, in
/// order; empty parts (`a=1&&b=2`) are skipped and a pair without `=` has an
/// empty value. Signature checks over a redirect need the values as sent, so
/// this does not decode.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// Why a query string or form body was refused by [`form_params`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// A malformed `%` escape or a value that is not UTF-8 once decoded.
    BadEncoding,
    /// A parameter given twice: which one counts is ambiguous, so neither.
    Repeated,
}

impl FormError {
    /// The reason in words, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            FormError::BadEncoding => "bad percent-encoding",
            FormError::Repeated => "repeated parameter",
        }
    }
}

/// Decoded `name=value` pairs of a query string or form body
/// (`application/x-www-form-urlencoded`), refusing a repeated name.
pub fn form_params(query: &str) -> Result<Vec<(String, String)>, FormError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in query_pairs(query) {
        let k = url_decode(k).ok_or(FormError::BadEncoding)?;
        let v = url_decode(v).ok_or(FormError::BadEncoding)?;
        if out.iter().any(|(x, _)| *x == k) {
            return Err(FormError::Repeated);
        }
        out.push((k, v));
    }
    Ok(out)
}

fn decode_escapes(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| char::from(*c).to_digit(16))?;
                let lo = bytes.get(i + 2).and_then(|c| char::from(*c).to_digit(16))?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Decodes standard base64, ignoring whitespace (line breaks some IdPs
/// insert).
pub fn base64_decode_lenient(s: &str) -> Result<Vec<u8>, EncodingError> {
    match crate::util::decode_base64_lenient(s) {
        Some(bytes) if bytes.is_empty() => Err(EncodingError::Empty),
        Some(bytes) => Ok(bytes),
        None => Err(EncodingError::NotBase64),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn deflate_round_trip() {
        let data = b"<samlp:AuthnRequest/>".repeat(100);
        let z = deflate(&data);
        assert_eq!(inflate_bounded(&z, data.len()).unwrap(), data);
        assert_eq!(
            inflate_bounded(&z, data.len() - 1),
            Err(EncodingError::InflatedTooLarge {
                limit: data.len() - 1
            })
        );
    }

    #[test]
    fn bomb_fails_fast() {
        let data = vec![b'a'; 16 * 1024 * 1024];
        let z = deflate(&data);
        assert!(z.len() < 100 * 1024);
        let t = std::time::Instant::now();
        assert_eq!(
            inflate_bounded(&z, 1024 * 1024),
            Err(EncodingError::InflatedTooLarge { limit: 1024 * 1024 })
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn truncated_and_trailing() {
        let z = deflate(b"<a>hello hello hello</a>");
        assert_eq!(
            inflate_bounded(&z[..z.len() - 2], 1000),
            Err(EncodingError::Inflate)
        );
        let mut extra = z.clone();
        extra.extend_from_slice(b"junk");
        assert_eq!(inflate_bounded(&extra, 1000), Err(EncodingError::Inflate));
        assert_eq!(
            inflate_bounded(b"not deflate at all", 1000),
            Err(EncodingError::Inflate)
        );
    }

    #[test]
    fn url_coding() {
        assert_eq!(url_encode("a b+/=~"), "a%20b%2B%2F%3D~");
        assert_eq!(url_decode("a%20b%2b%2F+c").unwrap(), "a b+/ c");
        assert_eq!(url_decode("%zz"), None);
        assert_eq!(url_decode("%4"), None);
    }
}
