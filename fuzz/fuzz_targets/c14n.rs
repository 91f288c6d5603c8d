//! Input = `<prefix list>\n<document>`. Canonicalizes every element (Exc-C14N with that
//! InclusiveNamespaces PrefixList, and C14N 1.0), and asserts that the root's Exc-C14N
//! output re-parses and canonicalizes to the same bytes (idempotence).
#![no_main]
use libfuzzer_sys::fuzz_target;
use samlsp::internal::xml::c14n::{Method, canonicalize};
use samlsp::internal::xml::{Limits, parse};

/// Limits for re-parsing canonical output: Exc-C14N repeats namespace declarations
/// on every element that uses them and merges text split by comments, so an input
/// within the default limits can legitimately produce output beyond them.
fn roomy() -> Limits {
    Limits {
        max_input_bytes: usize::MAX,
        max_attributes: usize::MAX,
        max_text_bytes: usize::MAX,
        max_namespaces_in_scope: usize::MAX,
        ..Limits::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let (list, xml) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let Ok(list) = std::str::from_utf8(list) else {
        return;
    };
    let Ok(doc) = parse(xml, &Limits::default()) else {
        return;
    };
    let exclusive = Method::exclusive_with_prefix_list(list);
    let mut out = Vec::new();
    for el in doc.elements() {
        out.clear();
        canonicalize(el, &exclusive, None, &mut out);
        out.clear();
        canonicalize(el, &Method::Inclusive, None, &mut out);
    }
    for method in [exclusive, Method::Inclusive] {
        let mut first = Vec::new();
        canonicalize(doc.root(), &method, None, &mut first);
        let again = parse(&first, &roomy()).unwrap_or_else(|e| {
            panic!(
                "{method:?} output does not re-parse: {e}\n{}",
                String::from_utf8_lossy(&first)
            )
        });
        let mut second = Vec::new();
        canonicalize(again.root(), &method, None, &mut second);
        assert_eq!(
            String::from_utf8_lossy(&first),
            String::from_utf8_lossy(&second),
            "{method:?} not idempotent"
        );
    }
});
