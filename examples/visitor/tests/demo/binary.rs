//! The `visitor` binary itself on PostgreSQL: it starts (the store's
//! start-up work runs inside `actix_web::main`), migrates, serves, and its
//! `scim-token` command writes to the same database.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// `GET path` on 127.0.0.1:port: the status line's code, or `None` when
/// nothing answers.
fn status_of(port: u16, path: &str) -> Option<u16> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[::core::prelude::v1::test]
fn the_binary_starts_and_serves_on_postgres() {
    let url = test_postgres::fresh_database_url();
    let dir =
        samlsp_tests::repo_root().join(format!("target/visitor-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("visitor.toml");
    std::fs::write(&file, config_toml()).unwrap();
    let port = free_port();
    let visitor = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_visitor"));
        c.arg("--config")
            .arg(&file)
            .args(args)
            .env("VISITOR_DATABASE_URL", &url)
            .env("VISITOR_BIND", format!("127.0.0.1:{port}"))
            .env("VISITOR_LOG", "warn");
        c
    };
    let mut server = visitor(&[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let healthy = loop {
        if status_of(port, "/healthz") == Some(200) {
            break true;
        }
        if let Ok(Some(_)) = server.try_wait() {
            break false;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = visitor(&["scim-token", "acme", "--label", "t"])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let mut log = String::new();
    if let Some(mut e) = server.stderr.take() {
        let _ = e.read_to_string(&mut log);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(healthy, "the server did not serve /healthz:\n{log}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("vscim_"));
    // Both wrote to the PostgreSQL database: the organizations and the token.
    let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    let orgs: i64 = c
        .query_one(
            "SELECT count(*) FROM organizations WHERE slug <> 'default'",
            &[],
        )
        .unwrap()
        .get(0);
    let tokens: i64 = c
        .query_one("SELECT count(*) FROM scim_tokens", &[])
        .unwrap()
        .get(0);
    assert_eq!((orgs, tokens), (3, 1));
}
