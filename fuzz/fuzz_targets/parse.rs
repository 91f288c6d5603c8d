//! Untrusted bytes -> hardened parser; on success, every canonicalization of the tree.
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlsp::internal::xml::c14n::{Method, canonicalize, canonicalize_document};
use samlsp::internal::xml::{Limits, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = parse(data, &Limits::default()) else {
        return;
    };
    let mut out = Vec::new();
    canonicalize_document(&doc, &Method::exclusive(), &mut out);
    out.clear();
    canonicalize_document(&doc, &Method::Inclusive, &mut out);
    let exclusive = Method::exclusive();
    for el in doc.elements() {
        out.clear();
        canonicalize(el, &exclusive, None, &mut out);
    }
});
