//! `samlsp decode`: a SAMLRequest/SAMLResponse value, a whole HTTP-Redirect
//! URL or query string, or an HTTP-POST form body, to indented XML. Nothing is
//! verified; DEFLATE is inflated with a bound, and the XML must pass the same
//! hardened parser as any inbound message before it is printed.

use std::process::ExitCode;

use samlsp::internal::binding::{
    RedirectMessage, base64_decode_lenient, inflate_bounded, query_pairs, url_decode,
};
use samlsp::internal::xml::{Limits, parse};

use crate::read_input;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A file holding the value, URL or form body; `-` for standard input; or
    /// the value itself (anything that is not an existing file).
    #[arg(value_name = "INPUT | FILE | -")]
    input: String,
    /// Largest inflated or decoded message accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_bytes: usize,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("samlsp decode: {msg}");
    ExitCode::from(1)
}

fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    base64_decode_lenient(s).map_err(|e| e.to_string())
}

/// True when the bytes start (after whitespace or a BOM) with markup.
fn looks_like_xml(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}

/// A base64 value that is XML (HTTP-POST) or DEFLATE (HTTP-Redirect).
fn decode_value(value: &str, max: usize) -> Result<(Vec<u8>, &'static str), String> {
    let bytes = base64_decode(value)?;
    if bytes.len() > max {
        return Err(format!("the value decodes to more than {max} bytes"));
    }
    if looks_like_xml(&bytes) {
        return Ok((bytes, "base64 (HTTP-POST encoding)"));
    }
    let xml = inflate_bounded(&bytes, max).map_err(|e| e.to_string())?;
    Ok((xml, "base64 + DEFLATE (HTTP-Redirect encoding)"))
}

fn decode_text(text: &str, max: usize) -> Result<(Vec<u8>, Vec<String>), String> {
    let t = text.trim();
    let mut notes = Vec::new();
    if looks_like_xml(t.as_bytes()) {
        notes.push("input: XML".to_owned());
        return Ok((t.as_bytes().to_vec(), notes));
    }
    let has_param = t.contains("SAMLRequest=") || t.contains("SAMLResponse=");
    let is_url = t.starts_with("http://") || t.starts_with("https://") || t.contains('?');
    if has_param && is_url {
        let m = RedirectMessage::decode_url(t, max).map_err(|e| e.to_string())?;
        notes.push(format!(
            "input: HTTP-Redirect URL carrying {}",
            m.kind().parameter()
        ));
        if let Some(rs) = m.unverified_relay_state() {
            notes.push(format!("RelayState: {rs:?}"));
        }
        if let Some(alg) = m.sig_alg() {
            notes.push(format!("SigAlg: {alg} (signature NOT verified)"));
        }
        return Ok((m.unverified_xml().to_vec(), notes));
    }
    if has_param {
        // A form body (HTTP-POST) or a bare query string (HTTP-Redirect).
        let mut message = None;
        for (k, v) in query_pairs(t) {
            let v = url_decode(v).ok_or_else(|| format!("{k} is not valid URL encoding"))?;
            match k {
                "SAMLRequest" | "SAMLResponse" => message = Some((k.to_owned(), v)),
                "RelayState" => notes.push(format!("RelayState: {v:?}")),
                "SigAlg" => notes.push(format!("SigAlg: {v} (signature NOT verified)")),
                _ => {}
            }
        }
        let (k, v) = message.ok_or("no SAMLRequest or SAMLResponse value")?;
        let (xml, how) = decode_value(&v, max)?;
        notes.insert(0, format!("input: form parameters, {k} is {how}"));
        return Ok((xml, notes));
    }
    let value = if t.contains('%') {
        url_decode(t).ok_or("the value is not valid URL encoding")?
    } else {
        t.to_owned()
    };
    let (xml, how) = decode_value(&value, max)?;
    notes.push(format!("input: {how}"));
    Ok((xml, notes))
}

/// Indents well-formed XML (already accepted by the hardened parser): one
/// element per line, text kept exactly, comments and CDATA kept.
pub fn indent(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + xml.len() / 4);
    let mut depth = 0usize;
    let mut rest = xml;
    let mut last_was_text = false;
    let newline = |out: &mut String, depth: usize| {
        if !out.is_empty() {
            out.push('\n');
        }
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").map_or(r.len(), |i| i + 3);
            let (c, tail) = rest.split_at((4 + end).min(rest.len()));
            newline(&mut out, depth);
            out.push_str(c);
            rest = tail;
            last_was_text = false;
        } else if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").map_or(r.len(), |i| i + 3);
            let (c, tail) = rest.split_at((9 + end).min(rest.len()));
            out.push_str(c);
            rest = tail;
            last_was_text = true;
        } else if rest.starts_with('<') {
            // A tag: find its end outside quoted attribute values.
            let mut quote = None;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, '>') => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let (tag, tail) = rest.split_at(end);
            rest = tail;
            if tag.starts_with("</") {
                depth = depth.saturating_sub(1);
                if !last_was_text {
                    newline(&mut out, depth);
                }
                out.push_str(tag);
                last_was_text = false;
            } else if tag.starts_with("<?") || tag.ends_with("/>") {
                newline(&mut out, depth);
                out.push_str(tag);
                last_was_text = false;
            } else {
                newline(&mut out, depth);
                out.push_str(tag);
                depth += 1;
                last_was_text = false;
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let (text, tail) = rest.split_at(end);
            rest = tail;
            if text.trim().is_empty() {
                continue;
            }
            // Text directly after a start tag stays on its line; the closing
            // tag then follows it directly.
            out.push_str(text);
            last_was_text = true;
        }
    }
    out.push('\n');
    out
}

pub fn run(args: &Args) -> ExitCode {
    let text = if args.input == "-" || std::path::Path::new(&args.input).is_file() {
        match read_input(&args.input) {
            Ok(b) => match String::from_utf8(b) {
                Ok(s) => s,
                Err(_) => return fail("the input is not UTF-8 text"),
            },
            Err(e) => return fail(e),
        }
    } else {
        args.input.clone()
    };
    let (xml, notes) = match decode_text(&text, args.max_bytes) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let limits = Limits {
        max_input_bytes: args.max_bytes,
        ..Limits::default()
    };
    if let Err(e) = parse(&xml, &limits) {
        return fail(format!("the decoded message is not acceptable XML: {e}"));
    }
    for n in notes {
        eprintln!("{n}");
    }
    match std::str::from_utf8(&xml) {
        Ok(s) => {
            print!("{}", indent(s));
            ExitCode::SUCCESS
        }
        Err(_) => fail("the decoded message is not UTF-8"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{decode_text, indent};

    const DEFLATED: &str = "sylOzM0psHIsLcnIC0otLE0tLlGoyM3JK7YCS9gqlRblWeUnFmcWW%2BUl5qYWW5UkWwU7%2BvpYGekZWBUU5ZfkJ%2BfnKCl4utgqxVco6dsBAA%3D%3D";
    const PLAIN_B64: &str = "PHNhbWxwOkF1dGhuUmVxdWVzdCB4bWxuczpzYW1scD0idXJuOm9hc2lzOm5hbWVzOnRjOlNBTUw6Mi4wOnByb3RvY29sIiBJRD0iX3giLz4=";
    const XML: &str =
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_x\"/>";

    #[test]
    fn decodes_every_input_form() {
        let url = format!("https://idp.example.com/sso?SAMLRequest={DEFLATED}&RelayState=abc");
        let (xml, notes) = decode_text(&url, 1 << 20).unwrap();
        assert_eq!(xml, XML.as_bytes());
        assert!(notes.iter().any(|n| n.contains("RelayState: \"abc\"")));
        let (xml, _) = decode_text(&format!("SAMLRequest={DEFLATED}"), 1 << 20).unwrap();
        assert_eq!(xml, XML.as_bytes());
        let body = format!(
            "SAMLResponse={}&RelayState=x",
            PLAIN_B64.replace('=', "%3D")
        );
        let (xml, notes) = decode_text(&body, 1 << 20).unwrap();
        assert_eq!(xml, XML.as_bytes());
        assert!(notes[0].contains("HTTP-POST"));
        assert_eq!(decode_text(PLAIN_B64, 1 << 20).unwrap().0, XML.as_bytes());
        assert_eq!(decode_text(DEFLATED, 1 << 20).unwrap().0, XML.as_bytes());
        assert_eq!(decode_text(XML, 1 << 20).unwrap().0, XML.as_bytes());
        // Bounded inflate.
        assert!(
            decode_text(DEFLATED, 10)
                .unwrap_err()
                .contains("more than 10 bytes")
        );
        assert!(decode_text("%%%", 1 << 20).is_err());
    }

    #[test]
    fn indents() {
        assert_eq!(
            indent("<a x=\"1>2\"><b>t</b><c/><!--k--><d><e/></d></a>"),
            "<a x=\"1>2\">\n  <b>t</b>\n  <c/>\n  <!--k-->\n  <d>\n    <e/>\n  </d>\n</a>\n"
        );
    }
}
