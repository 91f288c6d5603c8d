//! The inputs of the `hostile` bench (see `benches/hostile.rs`): what an
//! unauthenticated sender can POST, generated at any size, and the `samlsp`
//! verification they go through. Shared with the `icount` program, which
//! counts the instructions each costs (`icount hostile:<shape>:<KB>`), so the
//! growth with size is read exactly whatever the machine's load.

#![allow(dead_code)] // each program uses a different subset

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};

pub const IDP: &str = "https://idp.example.com/saml2/idp/metadata";
pub const SP: &str = "https://sp.example.org/saml/metadata";
pub const ACS: &str = "https://sp.example.org/saml/acs";
pub const REQUEST_ID: &str = "_req_hostile";
pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Every element the generators write carries at least this many bytes, so the
/// shapes have the same density at every size and a 1 MB input stays within
/// the default element limit (10,000).
pub const MIN_ELEMENT_BYTES: usize = 112;

/// The C14N the bogus signature selects for the Response.
#[derive(Clone, Copy)]
pub enum Selects {
    Inclusive,
    Exclusive {
        prefix_list_names: usize,
    },
    /// Exc-C14N with a PrefixList a quarter of the input long.
    ExclusiveLongList,
    Unsigned,
}

pub struct Shape {
    pub name: &'static str,
    pub what: &'static str,
    pub selects: Selects,
    /// Appends block number `n` of hostile content to `out`, for an input of
    /// `size` bytes.
    block: fn(out: &mut String, n: usize, size: usize),
}

pub fn pad(out: &mut String, start: usize) {
    // Text, not an attribute: it is the cheapest thing to parse and C14N, so
    // the padding never adds cost of its own.
    let len = out.len() - start;
    if len < MIN_ELEMENT_BYTES {
        out.extend(std::iter::repeat_n('.', MIN_ELEMENT_BYTES - len));
    }
}

/// `levels` nested elements, each declaring `decls` prefixes of its own (all
/// distinct: the worst case for a canonicalizer that searches what is in scope)
/// and toggling the default namespace.
pub fn nested_ns(out: &mut String, n: usize, levels: usize, decls: usize) {
    for d in 0..levels {
        let start = out.len();
        let first = d * decls;
        out.push_str(&format!(
            "<p{first}:e p{}:a=\"{n}\"",
            first + decls.min(2) - 1
        ));
        for i in first..first + decls {
            out.push_str(&format!(" xmlns:p{i}=\"urn:x:{i}\""));
        }
        out.push_str(if d % 2 == 0 {
            " xmlns=\"urn:x:d\">"
        } else {
            " xmlns=\"\">"
        });
        pad(out, start);
    }
    for d in (0..levels).rev() {
        out.push_str(&format!("</p{}:e>", d * decls));
    }
}

pub fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "minimal",
            what: "no hostile content (about 1 KB whatever the size asked): the fixed cost of one \
                   bogus-signed Response, C14N 1.0 selected",
            selects: Selects::Inclusive,
            block: |_, _, _| {},
        },
        Shape {
            name: "ns_issue_shape",
            what: "the reported shape: blocks of up to 60 nested elements x 62 xmlns each (3,720 in scope; \
                   fewer levels where one block would not fit: 6 at 10 KB, 43 at 70 KB), C14N 1.0 selected",
            selects: Selects::Inclusive,
            block: |out, n, size| nested_ns(out, n, (size / 1600).clamp(1, 60), 62),
        },
        Shape {
            name: "ns_nested",
            what: "blocks of 13 nested elements x 9 xmlns each (119 in scope with the Response's, all distinct), C14N 1.0 selected",
            selects: Selects::Inclusive,
            block: |out, n, _| nested_ns(out, n, 13, 8),
        },
        Shape {
            name: "ns_wide",
            what: "2 nested elements x 61 xmlns, then 100 children each in scope of 122, C14N 1.0 selected",
            selects: Selects::Inclusive,
            block: |out, n, _| {
                out.push_str("<w:o xmlns:w=\"urn:w\">");
                for d in 0..2 {
                    out.push_str("<p0:e");
                    for i in 0..61 {
                        out.push_str(&format!(" xmlns:p{i}=\"urn:y:{d}:{i}:{n}\""));
                    }
                    out.push('>');
                }
                for i in 0..100 {
                    let start = out.len();
                    out.push_str(&format!("<p{}:c p{}:a=\"{i}\">", i % 61, (i + 1) % 61));
                    pad(out, start);
                    out.push_str(&format!("</p{}:c>", i % 61));
                }
                out.push_str("</p0:e></p0:e></w:o>");
            },
        },
        Shape {
            name: "deep",
            what: "blocks of 58 nested elements (the depth limit is 64), C14N 1.0 selected",
            selects: Selects::Inclusive,
            block: |out, _, _| {
                for _ in 0..58 {
                    let start = out.len();
                    out.push_str("<d:e xmlns:d=\"urn:d\" xml:lang=\"en\">");
                    pad(out, start);
                }
                out.push_str(&"</d:e>".repeat(58));
            },
        },
        Shape {
            name: "wide",
            what: "flat siblings with 8 prefixed attributes each, Exc-C14N selected",
            selects: Selects::Exclusive {
                prefix_list_names: 0,
            },
            block: |out, n, _| {
                let start = out.len();
                out.push_str("<q0:e");
                for i in 0..8 {
                    out.push_str(&format!(" xmlns:q{i}=\"urn:q{i}\" q{i}:a=\"{n}\""));
                }
                out.push_str("/>");
                pad(out, start);
            },
        },
        Shape {
            name: "prefix_list_long",
            what: "Exc-C14N with a PrefixList a quarter of the input long (500 names at 10 KB, \
                   50,000 at 1 MB) over the ns_nested blocks",
            selects: Selects::ExclusiveLongList,
            block: |out, n, _| nested_ns(out, n, 13, 8),
        },
        Shape {
            name: "prefix_list_64",
            what: "Exc-C14N with a PrefixList of 63 names and #default (the limit) over the ns_nested blocks",
            selects: Selects::Exclusive {
                prefix_list_names: 63,
            },
            block: |out, n, _| nested_ns(out, n, 13, 8),
        },
        Shape {
            name: "unsigned_ns_nested",
            what: "no signature anywhere: parse and structure checks only, the ns_nested blocks",
            selects: Selects::Unsigned,
            block: |out, n, _| nested_ns(out, n, 13, 8),
        },
    ]
}

pub fn transform(selects: Selects, size: usize) -> String {
    match selects {
        Selects::Inclusive => format!("<ds:Transform Algorithm=\"{C14N_10}\"/>"),
        Selects::ExclusiveLongList => transform(
            Selects::Exclusive {
                prefix_list_names: size / 4 / 5,
            },
            size,
        ),
        Selects::Exclusive { prefix_list_names } if prefix_list_names > 0 => {
            let list: Vec<String> = (0..prefix_list_names).map(|i| format!("p{i}")).collect();
            format!(
                "<ds:Transform Algorithm=\"{EXC_C14N}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC_C14N}\" PrefixList=\"#default {}\"/></ds:Transform>",
                list.join(" ")
            )
        }
        _ => format!("<ds:Transform Algorithm=\"{EXC_C14N}\"/>"),
    }
}

/// A Response of at most `size` bytes of XML (within one block of it).
pub fn hostile_response(shape: &Shape, size: usize) -> String {
    let signature = match shape.selects {
        Selects::Unsigned => String::new(),
        selects => format!(
            "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
             <ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
             <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
             <ds:Reference URI=\"#_hostile\"><ds:Transforms>\
             <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>{}\
             </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
             <ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo>\
             <ds:SignatureValue>{}</ds:SignatureValue></ds:Signature>",
            transform(selects, size),
            STANDARD.encode([7u8; 32]),
            STANDARD.encode([9u8; 256]),
        ),
    };
    let head = format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" xmlns:saml=\"{SAML}\" ID=\"_hostile\" Version=\"2.0\" \
         IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"{ACS}\" InResponseTo=\"{REQUEST_ID}\">\
         <saml:Issuer>{IDP}</saml:Issuer>{signature}<samlp:Extensions>"
    );
    let tail = format!(
        "</samlp:Extensions><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>\
         </samlp:Status><saml:Assertion ID=\"_a\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">\
         <saml:Issuer>{IDP}</saml:Issuer></saml:Assertion></samlp:Response>"
    );
    let mut out = head;
    let mut block = String::new();
    let mut n = 0;
    loop {
        block.clear();
        (shape.block)(&mut block, n, size);
        if block.is_empty() {
            break;
        }
        if out.len() + block.len() + tail.len() > size && n > 0 {
            break;
        }
        out.push_str(&block);
        n += 1;
    }
    out.push_str(&tail);
    out
}

pub fn sp() -> samlsp::ServiceProvider {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/keys/idp-rsa2048.crt"
    ))
    .expect("testdata/keys/idp-rsa2048.crt");
    let keys = samlsp::TrustedKeys::from_certificate_pem(&pem).expect("IdP cert");
    let idp = samlsp::IdentityProvider::new(samlsp::EntityId::new(IDP).expect("entity ID"), keys)
        .expect("IdP");
    samlsp::ServiceProvider::builder(samlsp::EntityId::new(SP).expect("SP entity ID"))
        .acs_url(samlsp::Url::new(ACS).expect("ACS URL"))
        .idp(idp)
        .build()
        .expect("SP")
}

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30)
        .single()
        .expect("time")
}

/// One verification as the ACS does it; the error, for the report.
pub fn verify(sp: &samlsp::ServiceProvider, b64: &str) -> String {
    let ctx = samlsp::RequestContext::Pending {
        request_id: &samlsp::RequestId::new(REQUEST_ID).unwrap(),
        idp: None,
    };
    match sp.verify_response(b64, now(), ctx) {
        Ok(_) => panic!("a hostile input verified"),
        Err(e) => format!("{e:?}"),
    }
}

pub fn sizes_kb() -> Vec<usize> {
    std::env::var("HOSTILE_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100, 1000])
}

pub fn inputs() -> Vec<(String, usize, String)> {
    let mut all = Vec::new();
    for shape in shapes() {
        let sizes = if shape.name == "minimal" {
            vec![1]
        } else {
            sizes_kb()
        };
        for kb in sizes {
            let xml = hostile_response(&shape, kb * 1000);
            let b64 = STANDARD.encode(xml.as_bytes());
            all.push((format!("{}/{kb}KB", shape.name), xml.len(), b64));
        }
    }
    all
}
