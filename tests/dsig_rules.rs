//! One named test per signature rule: each rejection asserts its
//! exact error; acceptance covers RSA, ECDSA and both C14N methods; a property
//! test flips every byte of a signed element.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::danger::DangerousAlgorithms as _;
use samlsp::internal::dsig::{
    AlgorithmPolicy, DsigError, KeyError, TrustedKey, TrustedKeys, verify,
};
use samlsp::internal::xml::{Document, Limits, parse};
use samlsp_tests::read_repo_file;
use samlsp_tests::signer::{self, SignOptions, SigningKey, sign};

const DOC: &str = r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://idp.example.com</saml:Issuer><!--SIG:_a1--><saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject></saml:Assertion>"#;

fn idp_key() -> SigningKey {
    SigningKey::from_repo_pem("testdata/keys/idp-rsa2048.key")
}

fn trusted(cert: &str) -> TrustedKeys {
    TrustedKeys::from_certificate_pem(&read_repo_file(cert)).unwrap()
}

fn idp_keys() -> TrustedKeys {
    trusted("testdata/keys/idp-rsa2048.crt")
}

fn check(xml: &str) -> Result<(), DsigError> {
    check_with(xml, &idp_keys(), &AlgorithmPolicy::strict())
}

fn assertion(doc: &Document) -> samlsp::internal::xml::ElementRef<'_> {
    doc.elements()
        .find(|e| e.local_name() == "Assertion")
        .unwrap()
}

fn check_with(xml: &str, keys: &TrustedKeys, policy: &AlgorithmPolicy) -> Result<(), DsigError> {
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    verify(assertion(&doc), keys, policy).map(|_| ())
}

fn signed(opts: SignOptions) -> String {
    sign(DOC, "_a1", &idp_key(), &opts)
}

#[test]
fn accepts_rsa_sha256_exclusive_c14n() {
    let xml = signed(SignOptions::default());
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    let s = verify(assertion(&doc), &idp_keys(), &AlgorithmPolicy::strict()).unwrap();
    assert_eq!(s.key_index(), 0);
    assert_eq!(s.element().attr("ID"), Some("_a1"));
}

#[test]
fn accepts_ecdsa_p256_sha256() {
    let xml = sign(
        DOC,
        "_a1",
        &SigningKey::from_repo_pem("testdata/keys/idp-p256.key"),
        &SignOptions {
            signature_method: signer::ECDSA_SHA256.into(),
            ..Default::default()
        },
    );
    check_with(
        &xml,
        &trusted("testdata/keys/idp-p256.crt"),
        &AlgorithmPolicy::strict(),
    )
    .unwrap();
}

#[test]
fn accepts_inclusive_c14n_with_enveloped_transform_only() {
    let xml = signed(SignOptions {
        c14n_method: signer::C14N_10.into(),
        transforms: vec![signer::ENVELOPED.into()],
        ..Default::default()
    });
    check(&xml).unwrap();
}

#[test]
fn accepts_with_rollover_key_set_in_any_order() {
    let keys = TrustedKeys::new(vec![
        TrustedKey::from_certificate_pem(&read_repo_file("testdata/keys/idp-rsa3072.crt")).unwrap(),
        TrustedKey::from_certificate_pem(&read_repo_file("testdata/keys/idp-rsa2048.crt")).unwrap(),
    ])
    .unwrap();
    let xml = signed(SignOptions::default());
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        verify(assertion(&doc), &keys, &AlgorithmPolicy::strict())
            .unwrap()
            .key_index(),
        1
    );
}

#[test]
fn rejects_missing_signature() {
    assert_eq!(
        check(&signer::strip_markers(DOC)),
        Err(DsigError::NoSignature)
    );
}

#[test]
fn rejects_signature_in_foreign_namespace() {
    let xml = signed(SignOptions::default()).replace(
        "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"",
        "xmlns:ds=\"urn:not-dsig\"",
    );
    assert_eq!(check(&xml), Err(DsigError::NoSignature));
}

#[test]
fn rejects_two_signatures() {
    let xml = signed(SignOptions::default());
    let start = xml.find("<ds:Signature").unwrap();
    let end = xml.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = xml[start..end].to_string();
    let doubled = format!("{}{}{}", &xml[..end], sig, &xml[end..]);
    assert_eq!(
        check(&doubled),
        Err(DsigError::MultipleSignatures { count: 2 })
    );
}

#[test]
fn rejects_element_without_id() {
    let xml = signed(SignOptions::default()).replacen(" ID=\"_a1\"", "", 1);
    assert_eq!(check(&xml), Err(DsigError::MissingId));
}

#[test]
fn rejects_duplicate_id_anywhere_in_document() {
    let xml = signed(SignOptions::default());
    let wrapped = format!("<w:root xmlns:w=\"urn:w\"><w:decoy ID=\"_a1\"/>{xml}</w:root>");
    assert_eq!(
        check(&wrapped),
        Err(DsigError::DuplicateId { id: "_a1".into() })
    );
}

#[test]
fn rejects_confusable_id_attribute_reusing_the_value() {
    let xml = signed(SignOptions::default());
    let wrapped = format!("<w:root xmlns:w=\"urn:w\"><w:decoy Id=\"_a1\"/>{xml}</w:root>");
    assert_eq!(
        check(&wrapped),
        Err(DsigError::DuplicateId { id: "_a1".into() })
    );
}

#[test]
fn rejects_object_in_signature() {
    let xml = signed(SignOptions {
        extra_in_signature: "<ds:Object><x/></ds:Object>".into(),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::Structure {
            reason: "ds:Object is not allowed in a SAML signature"
        })
    );
}

#[test]
fn rejects_signature_without_signed_info() {
    let xml = DOC.replace(
        "<!--SIG:_a1-->",
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>",
    );
    assert_eq!(
        check(&xml),
        Err(DsigError::Structure {
            reason: "Signature must start with SignedInfo"
        })
    );
}

#[test]
fn rejects_with_comments_canonicalization() {
    let xml = signed(SignOptions {
        c14n_method: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments".into(),
        ..Default::default()
    });
    assert!(matches!(
        check(&xml),
        Err(DsigError::UnsupportedCanonicalization { .. })
    ));
}

#[test]
fn rejects_unknown_signature_algorithm() {
    let xml = signed(SignOptions {
        signature_method: "http://www.w3.org/2000/09/xmldsig#dsa-sha1".into(),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::UnsupportedSignatureAlgorithm {
            algorithm: "http://www.w3.org/2000/09/xmldsig#dsa-sha1".into()
        })
    );
}

#[test]
fn rejects_md5_digest() {
    let xml = signed(SignOptions {
        digest_method: "http://www.w3.org/2001/04/xmldsig-more#md5".into(),
        ..Default::default()
    });
    assert!(matches!(
        check(&xml),
        Err(DsigError::UnsupportedDigestAlgorithm { .. })
    ));
}

#[test]
fn rejects_rsa_sha1_by_default_and_accepts_it_under_danger() {
    let xml = signed(SignOptions {
        signature_method: signer::RSA_SHA1.into(),
        digest_method: signer::SHA1.into(),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::DisabledAlgorithm {
            algorithm: signer::RSA_SHA1.into()
        })
    );
    check_with(
        &xml,
        &idp_keys(),
        &AlgorithmPolicy::strict().danger_allow_sha1(),
    )
    .unwrap();
}

#[test]
fn rejects_sha1_digest_under_sha256_signature() {
    let xml = signed(SignOptions {
        digest_method: signer::SHA1.into(),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::DisabledAlgorithm {
            algorithm: signer::SHA1.into()
        })
    );
}

#[test]
fn rejects_hmac_keyed_with_the_idp_certificate() {
    // Algorithm confusion (GHSA-c27r-x354-4m68): HMAC keyed with public bytes.
    let cert = read_repo_file("testdata/keys/idp-rsa2048.crt");
    let xml = sign(
        DOC,
        "_a1",
        &SigningKey::Hmac(cert.clone()),
        &SignOptions {
            signature_method: signer::HMAC_SHA256.into(),
            ..Default::default()
        },
    );
    assert_eq!(
        check(&xml),
        Err(DsigError::DisabledAlgorithm {
            algorithm: signer::HMAC_SHA256.into()
        })
    );
    // Under danger, only the configured secret verifies, never the cert bytes.
    let policy = AlgorithmPolicy::strict().danger_hmac_secret(b"configured secret".to_vec());
    assert_eq!(
        check_with(&xml, &idp_keys(), &policy),
        Err(DsigError::SignatureInvalid)
    );
    let good = sign(
        DOC,
        "_a1",
        &SigningKey::Hmac(b"configured secret".to_vec()),
        &SignOptions {
            signature_method: signer::HMAC_SHA256.into(),
            ..Default::default()
        },
    );
    check_with(&good, &idp_keys(), &policy).unwrap();
}

#[test]
fn rejects_hmac_output_length() {
    let xml = sign(
        DOC,
        "_a1",
        &SigningKey::Hmac(b"s".to_vec()),
        &SignOptions {
            signature_method: signer::HMAC_SHA1.into(),
            extra_in_signature_method: "<ds:HMACOutputLength>8</ds:HMACOutputLength>".into(),
            ..Default::default()
        },
    );
    assert_eq!(check(&xml), Err(DsigError::HmacOutputLength));
}

#[test]
fn rejects_two_references() {
    let xml = signed(SignOptions {
        extra_in_signed_info: "<ds:Reference URI=\"#_a1\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>".into(),
        ..Default::default()
    });
    assert_eq!(check(&xml), Err(DsigError::ReferenceCount { count: 2 }));
}

#[test]
fn rejects_reference_to_another_element() {
    let xml = signed(SignOptions {
        reference_uri: Some("#_other".into()),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::ReferenceUri {
            expected: "#_a1".into(),
            found: "#_other".into()
        })
    );
}

#[test]
fn rejects_whole_document_and_xpointer_references() {
    for uri in ["", "#xpointer(/)", "#xpointer(id('_a1'))"] {
        let xml = signed(SignOptions {
            reference_uri: Some(uri.into()),
            ..Default::default()
        });
        assert!(
            matches!(check(&xml), Err(DsigError::ReferenceUri { .. })),
            "{uri}"
        );
    }
}

#[test]
fn rejects_xslt_transform() {
    let xml = signed(SignOptions {
        transforms: vec![
            signer::ENVELOPED.into(),
            "http://www.w3.org/TR/1999/REC-xslt-19991116".into(),
        ],
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::UnsupportedTransform {
            algorithm: "http://www.w3.org/TR/1999/REC-xslt-19991116".into()
        })
    );
}

#[test]
fn rejects_xpath_transform() {
    let xml = signed(SignOptions {
        transforms: vec![
            "http://www.w3.org/TR/1999/REC-xpath-19991116".into(),
            signer::ENVELOPED.into(),
        ],
        ..Default::default()
    });
    assert!(matches!(
        check(&xml),
        Err(DsigError::UnsupportedTransform { .. })
    ));
}

#[test]
fn rejects_three_transforms() {
    let xml = signed(SignOptions {
        transforms: vec![
            signer::ENVELOPED.into(),
            signer::EXC_C14N.into(),
            signer::EXC_C14N.into(),
        ],
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::TransformChain {
            reason: "more than two transforms"
        })
    );
}

#[test]
fn rejects_missing_enveloped_transform() {
    let xml = signed(SignOptions {
        transforms: vec![signer::EXC_C14N.into()],
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::TransformChain {
            reason: "the first transform must be enveloped-signature"
        })
    );
}

#[test]
fn rejects_retrieval_method_in_key_info() {
    let xml = signed(SignOptions {
        extra_in_key_info: "<ds:RetrievalMethod URI=\"http://169.254.169.254/latest/meta-data/\"/>"
            .into(),
        ..Default::default()
    });
    assert_eq!(
        check(&xml),
        Err(DsigError::UnsupportedKeyInfo {
            element: "RetrievalMethod".into()
        })
    );
}

#[test]
fn rejects_digest_value_that_is_not_base64() {
    let xml = signed(SignOptions::default());
    let start = xml.find("<ds:DigestValue>").unwrap() + "<ds:DigestValue>".len();
    let end = xml.find("</ds:DigestValue>").unwrap();
    let bad = format!("{}!!!!{}", &xml[..start], &xml[end..]);
    assert_eq!(
        check(&bad),
        Err(DsigError::Base64 {
            field: "DigestValue"
        })
    );
}

#[test]
fn rejects_tampered_content() {
    let xml = signed(SignOptions::default()).replace("alice@example.com", "admin@example.com");
    assert_eq!(check(&xml), Err(DsigError::DigestMismatch));
}

#[test]
fn digest_value_comment_cannot_supply_the_digest() {
    // CVE-2025-29775 shape: a comment before the genuine DigestValue. Reading
    // all text (comments skipped) keeps the genuine value, which still matches.
    let xml =
        signed(SignOptions::default()).replace("<ds:DigestValue>", "<ds:DigestValue><!--AAAA-->");
    check(&xml).unwrap();
    let forged = signed(SignOptions::default())
        .replace("alice@example.com", "admin@example.com")
        .replace("<ds:DigestValue>", "<ds:DigestValue><!--AAAA-->");
    assert_eq!(check(&forged), Err(DsigError::DigestMismatch));
}

#[test]
fn rejects_signature_by_an_untrusted_key_with_its_certificate_in_key_info() {
    let xml = sign(
        DOC,
        "_a1",
        &SigningKey::from_repo_pem("testdata/keys/attacker-rsa2048.key"),
        &SignOptions {
            key_info_cert: Some(read_repo_file("testdata/keys/attacker-rsa2048.crt")),
            ..Default::default()
        },
    );
    assert_eq!(check(&xml), Err(DsigError::UntrustedKey));
}

#[test]
fn rejects_ecdsa_signature_when_only_rsa_keys_are_trusted() {
    let xml = sign(
        DOC,
        "_a1",
        &SigningKey::from_repo_pem("testdata/keys/idp-p256.key"),
        &SignOptions {
            signature_method: signer::ECDSA_SHA256.into(),
            ..Default::default()
        },
    );
    assert_eq!(check(&xml), Err(DsigError::NoKeyForAlgorithm));
}

#[test]
fn rejects_when_no_key_is_trusted() {
    let xml = signed(SignOptions::default());
    assert_eq!(
        check_with(&xml, &TrustedKeys::default(), &AlgorithmPolicy::strict()),
        Err(DsigError::NoTrustedKeys)
    );
}

#[test]
fn refuses_to_trust_a_1024_bit_rsa_key() {
    assert_eq!(
        TrustedKey::from_certificate_pem(&read_repo_file("testdata/keys/idp-rsa1024.crt"))
            .unwrap_err(),
        KeyError::WeakRsaKey { bits: 1024 }
    );
}

#[test]
fn refuses_to_trust_an_unsupported_curve() {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    let group = EcGroup::from_curve_name(Nid::SECP256K1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let pem = key.public_key_to_pem().unwrap();
    assert_eq!(
        TrustedKey::from_public_key_pem(&pem).unwrap_err(),
        KeyError::UnsupportedCurve
    );
}

#[test]
fn narrowing_stays_inside_the_signed_element() {
    let xml = format!(
        "<w:root xmlns:w=\"urn:w\"><w:outside/>{}</w:root>",
        signed(SignOptions::default())
    );
    let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
    let s = verify(assertion(&doc), &idp_keys(), &AlgorithmPolicy::strict()).unwrap();
    let subject = s
        .element()
        .children()
        .find(|c| c.local_name() == "Subject")
        .unwrap();
    assert!(s.narrow(subject).is_some());
    let outside = doc.root().children().next().unwrap();
    assert!(s.narrow(outside).is_none());
    let signature = s
        .element()
        .children()
        .find(|c| c.local_name() == "Signature")
        .unwrap();
    assert!(s.narrow(signature).is_none());
    let signed_info = signature.children().next().unwrap();
    assert!(s.narrow(signed_info).is_none());
}

/// Property: every single-byte change inside the signed element (content,
/// digest, SignatureValue, SignedInfo) is rejected. Exhaustive over positions;
/// the replacement always changes the information content (a non-space byte
/// replaces a space, a different letter or digit replaces a letter or digit).
#[test]
fn every_single_byte_change_is_rejected() {
    for opts in [
        SignOptions::default(),
        SignOptions {
            c14n_method: signer::C14N_10.into(),
            transforms: vec![signer::ENVELOPED.into()],
            ..Default::default()
        },
    ] {
        let xml = signed(opts);
        check(&xml).unwrap();
        let bytes = xml.as_bytes();
        let start = xml.find("<saml:Assertion").unwrap();
        let end = xml.len();
        let mut tried = 0;
        for i in start..end {
            let b = bytes[i];
            let replacement = match b {
                b'a'..=b'y' | b'A'..=b'Y' | b'0'..=b'8' => b + 1,
                b'z' | b'Z' | b'9' => b - 1,
                _ => b'x',
            };
            let mut mutated = bytes.to_vec();
            mutated[i] = replacement;
            let rejected = match parse(&mutated, &Limits::default()) {
                Err(_) => true,
                Ok(doc) => match doc.elements().find(|e| e.local_name() == "Assertion") {
                    None => true,
                    Some(a) => verify(a, &idp_keys(), &AlgorithmPolicy::strict()).is_err(),
                },
            };
            assert!(
                rejected,
                "byte {i} ({:?} -> {:?}) accepted",
                b as char, replacement as char
            );
            tried += 1;
        }
        assert!(tried > 1000, "only {tried} positions");
    }
}

/// Puts an `InclusiveNamespaces` with `list` in the SignedInfo's
/// CanonicalizationMethod of a signed document (which breaks its signature).
fn with_signed_info_prefix_list(list: &str) -> String {
    signed(SignOptions::default()).replacen(
        &format!("<ds:CanonicalizationMethod Algorithm=\"{}\"/>", signer::EXC_C14N),
        &format!(
            "<ds:CanonicalizationMethod Algorithm=\"{0}\"><ec:InclusiveNamespaces xmlns:ec=\"{0}\" PrefixList=\"{list}\"/></ds:CanonicalizationMethod>",
            signer::EXC_C14N
        ),
        1,
    )
}

#[test]
fn rejects_prefix_list_naming_too_many_prefixes() {
    let names = |n: usize| {
        (0..n)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // At the limit the list is accepted and verification goes on (to the
    // signature, which the inserted element broke).
    assert_eq!(
        check(&with_signed_info_prefix_list(&names(64))),
        Err(DsigError::SignatureInvalid)
    );
    assert_eq!(
        check(&with_signed_info_prefix_list(&names(65))),
        Err(DsigError::PrefixListTooManyNames {
            count: 65,
            limit: 64
        })
    );
}

#[test]
fn rejects_prefix_list_over_the_byte_limit() {
    // Two names of 512 bytes and a space: 1,025 bytes.
    let list = format!("{} {}", "a".repeat(512), "b".repeat(512));
    assert_eq!(
        check(&with_signed_info_prefix_list(&list)),
        Err(DsigError::PrefixListTooLong {
            bytes: 1025,
            limit: 1024
        })
    );
    assert_eq!(
        check(&with_signed_info_prefix_list(&list[..1024])),
        Err(DsigError::SignatureInvalid)
    );
}

#[test]
fn prefix_list_limits_come_from_the_limits_the_document_was_parsed_under() {
    let xml = with_signed_info_prefix_list("xs xsi saml");
    let limits = Limits {
        max_prefix_list_names: 2,
        ..Limits::default()
    };
    let doc = parse(xml.as_bytes(), &limits).unwrap();
    assert_eq!(
        verify(assertion(&doc), &idp_keys(), &AlgorithmPolicy::strict()).map(|_| ()),
        Err(DsigError::PrefixListTooManyNames { count: 3, limit: 2 })
    );
}

#[test]
fn rejects_prefix_list_in_a_reference_transform_over_the_limit() {
    let list = (0..65)
        .map(|i| format!("p{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let xml = signed(SignOptions::default()).replacen(
        &format!("<ds:Transform Algorithm=\"{}\"/>", signer::EXC_C14N),
        &format!(
            "<ds:Transform Algorithm=\"{0}\"><ec:InclusiveNamespaces xmlns:ec=\"{0}\" PrefixList=\"{list}\"/></ds:Transform>",
            signer::EXC_C14N
        ),
        1,
    );
    assert_eq!(
        check(&xml),
        Err(DsigError::PrefixListTooManyNames {
            count: 65,
            limit: 64
        })
    );
}

#[test]
fn rejects_inclusive_namespaces_with_content() {
    let xml = signed(SignOptions::default()).replacen(
        &format!("<ds:CanonicalizationMethod Algorithm=\"{}\"/>", signer::EXC_C14N),
        &format!(
            "<ds:CanonicalizationMethod Algorithm=\"{0}\"><ec:InclusiveNamespaces xmlns:ec=\"{0}\" PrefixList=\"xs\"><ec:x/></ec:InclusiveNamespaces></ds:CanonicalizationMethod>",
            signer::EXC_C14N
        ),
        1,
    );
    assert_eq!(
        check(&xml),
        Err(DsigError::Structure {
            reason: "InclusiveNamespaces must be empty"
        })
    );
}

#[test]
fn signature_value_is_checked_before_the_reference_digest() {
    // Content tampered (the digest would not match) *and* a SignatureValue
    // that no trusted key made: the signature is reported, because the
    // signed element is canonicalized and digested only after SignedInfo's
    // signature verified.
    let xml = signed(SignOptions::default()).replace("alice@example.com", "admin@example.com");
    let start = xml.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let end = xml.find("</ds:SignatureValue>").unwrap();
    let bogus = format!("{}{}{}", &xml[..start], "AAAA".repeat(64), &xml[end..]);
    assert_eq!(check(&bogus), Err(DsigError::SignatureInvalid));
    // With the genuine signature value the digest is what fails.
    assert_eq!(check(&xml), Err(DsigError::DigestMismatch));
}
