//! Writes what the cluster load benchmark (`perf/cluster-load.sh`) posts: a demo
//! configuration with one organization whose IdP is the test IdP key
//! (`testdata/keys/idp-rsa2048.*`), that IdP's metadata, and `count` distinct
//! IdP-initiated responses signed by it, one form body a line
//! (`SAMLResponse=…&RelayState=%2Fme`). Each response has its own assertion ID
//! (so with replay protection on, each is accepted once), valid for 15 minutes
//! from now; 50 users take turns.
//!
//! `acs-load-bodies PUBLIC_URL COUNT OUT_DIR`
//!
//! Signing (RSA-2048 private key) costs about a millisecond a response: this
//! runs before the measurement, on every CPU.
// A benchmark tool run by hand or by the script: a failure stops it with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;

use base64::Engine as _;
use samlsp::internal::binding::url_encode;
use samlsp::internal::time::format_instant;
use samlsp_tests::signer::{SignOptions, SigningKey, sign};

const IDP: &str = "https://idp.load.test/saml";
const KEY: &str = "testdata/keys/idp-rsa2048.key";
const CERT: &str = "testdata/keys/idp-rsa2048.crt";
const USERS: usize = 50;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, public, count, out] = args.as_slice() else {
        eprintln!("usage: acs-load-bodies PUBLIC_URL COUNT OUT_DIR");
        std::process::exit(2);
    };
    let public = public.trim_end_matches('/');
    let count: usize = count.parse().expect("COUNT is a number");
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).unwrap();

    let cert_pem = samlsp_tests::read_repo_file(CERT);
    let der = openssl::x509::X509::from_pem(&cert_pem)
        .unwrap()
        .to_der()
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    std::fs::write(
        out.join("idp-metadata.xml"),
        format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
             xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{IDP}\">\
             <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
             <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
             <md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" \
             Location=\"{IDP}/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>"
        ),
    )
    .unwrap();
    std::fs::write(
        out.join("visitor.toml"),
        format!(
            "[server]\npublic_url = \"{public}\"\ndatabase = \"visitor.sqlite3\"\nlog = \"warn\"\n\n\
             [[org]]\nslug = \"load\"\nname = \"Load Test Inc\"\ndomains = [\"load.test\"]\n\
             locations = [\"HQ\"]\n\n\
             [[idp]]\nslug = \"load\"\norg = \"load\"\nname = \"Load IdP\"\n\
             metadata_file = \"idp-metadata.xml\"\nbinding = \"post\"\nallow_idp_initiated = true\n"
        ),
    )
    .unwrap();

    let key = SigningKey::from_repo_pem(KEY);
    let acs = format!("{public}/saml/acs");
    let audience = format!("{public}/saml/metadata");
    let now = chrono::Utc::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bodies: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (key, acs, audience, cert_pem) = (&key, &acs, &audience, &cert_pem);
                s.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| body(i, now, key, acs, audience, cert_pem))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut f = std::io::BufWriter::new(std::fs::File::create(out.join("bodies.txt")).unwrap());
    for line in bodies.iter().flatten() {
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    println!(
        "acs-load-bodies: {count} signed responses in {}",
        out.display()
    );
}

fn body(
    i: usize,
    now: chrono::DateTime<chrono::Utc>,
    key: &SigningKey,
    acs: &str,
    audience: &str,
    cert_pem: &[u8],
) -> String {
    let t = format_instant;
    let user = i % USERS;
    let aid = format!("_load-a{i:08}-{}", now.timestamp());
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_load-r{i:08}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" Destination=\"{acs}\">\
         <saml:Issuer>{IDP}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion ID=\"{aid}\" Version=\"2.0\" IssueInstant=\"{now}\">\
         <saml:Issuer>{IDP}</saml:Issuer><!--SIG:{aid}-->\
         <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\">\
         load-user-{user}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData NotOnOrAfter=\"{exp}\" Recipient=\"{acs}\"/>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
         <saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"s-{aid}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>\
         urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
         </saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
         <saml:AttributeStatement>\
         <saml:Attribute Name=\"email\"><saml:AttributeValue>user{user}@load.test</saml:AttributeValue></saml:Attribute>\
         <saml:Attribute Name=\"firstName\"><saml:AttributeValue>User</saml:AttributeValue></saml:Attribute>\
         <saml:Attribute Name=\"lastName\"><saml:AttributeValue>N{user}</saml:AttributeValue></saml:Attribute>\
         </saml:AttributeStatement></saml:Assertion></samlp:Response>",
        now = t(now),
        nb = t(now - chrono::Duration::seconds(2)),
        exp = t(now + chrono::Duration::minutes(15)),
    );
    let signed = sign(
        &xml,
        &aid,
        key,
        &SignOptions {
            key_info_cert: Some(cert_pem.to_vec()),
            ..SignOptions::default()
        },
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(signed);
    format!("SAMLResponse={}&RelayState=%2Fme", url_encode(&b64))
}
