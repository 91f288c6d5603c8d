//! Helpers shared by the core crate's integration tests: repository paths, a
//! scratch directory, and the `xmlsec1` cross-check.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under the repository root.
pub fn path(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Reads a file under the repository root.
pub fn read(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A fresh file path in a directory of its own under the system temp dir.
pub fn tmp(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "samlsp-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// `xmlsec1 --verify` of `xml` with the certificate `cert` (repository path),
/// `ID` registered as the ID attribute of `id_element` (`ns:Local`). xmlsec1
/// must be installed (scripts/test-deps.sh): a missing tool fails the test.
pub fn xmlsec1_verify(xml: &[u8], cert: &str, id_element: &str) {
    let file = tmp("signed.xml");
    std::fs::write(&file, xml).unwrap();
    let out = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(path(cert))
        .args(["--id-attr:ID", id_element])
        .arg(&file)
        .output()
        .expect("xmlsec1 is required (scripts/test-deps.sh)");
    assert!(
        out.status.success(),
        "xmlsec1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
