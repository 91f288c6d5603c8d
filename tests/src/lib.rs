//! Test support shared by the cross-crate suites: paths, the Python oracle, and
//! a small test IdP signer.
//!
//! The signer exists so tests can make a response, change exactly one thing and
//! sign it again. It uses the crate's own C14N; the `dsig_interop` suite proves
//! separately that signatures made by xmlsec1 (an independent implementation)
//! verify, so the two cannot silently agree on a wrong canonical form.
#![warn(missing_docs)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod corpus;
pub mod redis_server;
pub mod signer;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A file under the repository root.
pub fn repo_file(rel: &str) -> PathBuf {
    repo_root().join(rel)
}

/// Reads a file under the repository root.
pub fn read_repo_file(rel: &str) -> Vec<u8> {
    let p = repo_file(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The Python interpreter with lxml and xmlsec (installed by
/// `scripts/test-deps.sh`). Missing tooling is a failure, never a skip.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("SAMLSP_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_file(".venv/bin/python3");
    assert!(
        venv.exists(),
        "{} is missing: run scripts/test-deps.sh (the README's test command does)",
        venv.display()
    );
    venv
}

/// Runs a command and returns stdout, failing the test on a non-zero exit.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (run scripts/test-deps.sh)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Parses an RFC 3339 instant.
pub fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}
