//! `samlsp keygen` writes key files atomically with mode 0600 and never
//! through a symbolic link.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("samlsp-keygen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// Everything in the directory (no temporary files left behind).
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keygen(key: &Path, cert: &Path, force: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_samlsp"));
    c.args(["keygen", "--type", "p256", "--subject", "CN=sp.example.org"])
        .arg("--key-out")
        .arg(key)
        .arg("--cert-out")
        .arg(cert);
    if force {
        c.arg("--force");
    }
    c.output().unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn force_over_a_world_readable_file_leaves_mode_0600() {
    let d = Scratch::new("force");
    let (key, cert) = (d.path("sp.key"), d.path("sp.crt"));
    std::fs::write(&key, b"old key").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&cert, b"old cert").unwrap();

    let o = keygen(&key, &cert, false);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("exists (use --force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&key).unwrap(), b"old key", "untouched");

    let o = keygen(&key, &cert, true);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&cert), 0o644);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{pem}");
    assert_eq!(d.names(), ["sp.crt", "sp.key"], "no temporary files left");
}

#[test]
fn new_key_is_0600() {
    let d = Scratch::new("new");
    let (key, cert) = (d.path("sp.key"), d.path("sp.crt"));
    let o = keygen(&key, &cert, false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(d.names(), ["sp.crt", "sp.key"]);
}

#[test]
fn symlinked_key_path_refused_even_with_force() {
    let d = Scratch::new("symlink");
    let target = d.path("elsewhere");
    std::fs::write(&target, b"someone else's file").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let key = d.path("sp.key");
    std::os::unix::fs::symlink(&target, &key).unwrap();
    // A dangling link too: creating through it would make a file wherever
    // it points.
    let dangling = d.path("dangling.key");
    std::os::unix::fs::symlink(d.path("nowhere"), &dangling).unwrap();

    for (k, force) in [(&key, true), (&key, false), (&dangling, true)] {
        let o = keygen(k, &d.path("sp.crt"), force);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("is a symbolic link; refusing to write through it"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"someone else's file");
    assert_eq!(mode(&target), 0o644);
    assert!(!d.path("nowhere").exists());
    assert!(
        std::fs::symlink_metadata(&key)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn symlinked_certificate_path_refused() {
    let d = Scratch::new("symlink-cert");
    let target = d.path("elsewhere");
    std::fs::write(&target, b"x").unwrap();
    let cert = d.path("sp.crt");
    std::os::unix::fs::symlink(&target, &cert).unwrap();
    let o = keygen(&d.path("sp.key"), &cert, true);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&target).unwrap(), b"x");
    assert!(!d.path("sp.key").exists(), "no key without its certificate");
}
