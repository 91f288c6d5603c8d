//! Differential C14N against libxml2: thousands of generated,
//! namespace-heavy documents and subsets, canonicalized by samlsp and by
//! libxml2 (through lxml, `tests/tools/c14n_oracle.py`), must agree byte for
//! byte. `SAMLSP_C14N_DOCS` raises the count for one-off long runs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;

use samlsp::internal::xml::c14n::{Method, canonicalize};
use samlsp::internal::xml::{Limits, parse};
use samlsp_tests::{python, repo_file, run};
use serde_json::Value;

const DEFAULT_DOCS: usize = 2_000;

#[test]
fn samlsp_c14n_matches_libxml2_on_generated_documents() {
    let count: usize = std::env::var("SAMLSP_C14N_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_DOCS);
    let seed = std::env::var("SAMLSP_C14N_SEED").unwrap_or_else(|_| "20261122".into());
    let out = run(Command::new(python())
        .arg(repo_file("tests/tools/c14n_oracle.py"))
        .args(["--count", &count.to_string(), "--seed", &seed]));
    let text = String::from_utf8(out).unwrap();
    let mut docs = 0;
    let mut cases = 0;
    let mut exclusive_with_prefixes = 0;
    let mut failures = Vec::new();
    let mut differing = 0;
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let doc_text = v["doc"].as_str().unwrap();
        let doc = parse(doc_text.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("generated document rejected: {e}\n{doc_text}"));
        docs += 1;
        for case in v["cases"].as_array().unwrap() {
            let index = case["element"].as_u64().unwrap() as usize;
            let prefixes: Vec<&str> = case["prefixes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            let method = match case["method"].as_str().unwrap() {
                "exc" => {
                    if !prefixes.is_empty() {
                        exclusive_with_prefixes += 1;
                    }
                    Method::exclusive_with_prefix_list(&prefixes.join(" "))
                }
                "inc" => Method::Inclusive,
                other => panic!("unknown method {other}"),
            };
            let el = doc.elements().nth(index).expect("element index in range");
            let mut got = Vec::new();
            canonicalize(el, &method, None, &mut got);
            let expected = case["expected"].as_str().unwrap();
            if got != expected.as_bytes() {
                differing += 1;
            }
            if got != expected.as_bytes() && failures.len() < 5 {
                failures.push(format!(
                    "doc: {doc_text}\nmethod: {method:?} element {index}\nexpected: {expected}\ngot:      {}",
                    String::from_utf8_lossy(&got)
                ));
            }
            cases += 1;
        }
    }
    assert_eq!(docs, count, "oracle produced {docs} documents");
    assert!(
        exclusive_with_prefixes > 0,
        "no InclusiveNamespaces cases generated"
    );
    assert!(
        differing == 0,
        "{differing} of {cases} cases differ; first ones:\n{}",
        failures.join("\n\n")
    );
    println!("{docs} documents, {cases} subsets: identical to libxml2");
}
