//! SCIM throughput of the demo app: user creates and filtered GETs per
//! second against the release `visitor` binary on loopback, as Entra ID's
//! provisioning sends them (Entra asks gallery apps for at least 25
//! requests per second).
//!
//! ```sh
//! cargo build --release -p samlsp-visitor
//! cargo run --release --manifest-path perf/Cargo.toml --bin scim
//! ```
//!
//! Starts the binary on a fresh database (a temporary directory) with one
//! organization, makes a token with `visitor scim-token`, then runs two
//! bounded phases, each from `SCIM_BENCH_CLIENTS` keep-alive connections:
//! `SCIM_BENCH_USERS` creates (`POST /Users`), then as many
//! `GET /Users?filter=userName eq "…"` lookups of those users. Prints
//! requests per second and latency percentiles per phase; stops the demo.
//!
//! Environment: `VISITOR_BIN` (default `<repo>/target/release/visitor`),
//! `SCIM_BENCH_PORT` (8298), `SCIM_BENCH_USERS` (2000), `SCIM_BENCH_CLIENTS` (4).
//! A plain HTTP/1.1 client over `TcpStream` (no dependency): it sends
//! fixed requests and reads `Content-Length` bodies, nothing more.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// One request; the status and body.
    fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.writer.write_all(req.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; length];
        self.reader.read_exact(&mut buf)?;
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }
}

/// Runs `n` requests from `clients` connections; `make(i)` gives request
/// `i` and `check` its expected answer. Wall time and every latency.
fn phase(
    port: u16,
    token: &str,
    n: usize,
    clients: usize,
    make: fn(usize) -> (&'static str, String, String),
    check: fn(u16, &str) -> bool,
) -> (Duration, Vec<Duration>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let token = token.to_owned();
            std::thread::spawn(move || {
                let mut conn = Conn::open(port).expect("connect");
                let mut lat = Vec::new();
                for i in (c..n).step_by(clients) {
                    let (method, path, body) = make(i);
                    let t = Instant::now();
                    let (status, text) = conn.call(method, &path, &token, &body).expect("request");
                    lat.push(t.elapsed());
                    assert!(check(status, &text), "{method} {path}: {status} {text}");
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for h in handles {
        all.extend(h.join().expect("client thread"));
    }
    (start.elapsed(), all)
}

fn report(name: &str, wall: Duration, mut lat: Vec<Duration>) {
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{name:<22} {:>6} requests in {:>6.2} s: {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = std::env::var("VISITOR_BIN")
        .map_or_else(|_| repo.join("target/release/visitor"), PathBuf::from);
    let port: u16 = env_or("SCIM_BENCH_PORT", 8298);
    let users: usize = env_or("SCIM_BENCH_USERS", 2000);
    let clients: usize = env_or("SCIM_BENCH_CLIENTS", 4).max(1);
    assert!(
        bin.is_file(),
        "{} missing: cargo build --release -p samlsp-visitor",
        bin.display()
    );

    let dir = std::env::temp_dir().join(format!("samlsp-scim-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let config = dir.join("visitor.toml");
    let metadata = repo.join("testdata/cli/idp-metadata.xml");
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
             database = \"{db}\"\nlog = \"warn\"\n\n\
             [[org]]\nslug = \"bench\"\nname = \"Bench\"\ndomains = [\"bench.test\"]\nlocations = [\"Bench HQ\"]\n\n\
             [[idp]]\nslug = \"bench\"\norg = \"bench\"\nname = \"Bench IdP\"\nmetadata_file = \"{md}\"\n",
            db = dir.join("v.sqlite3").display(),
            md = metadata.display()
        ),
    )
    .expect("config");
    let out = Command::new(&bin)
        .args(["--config"])
        .arg(&config)
        .args(["scim-token", "bench"])
        .output()
        .expect("visitor scim-token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("token")
        .trim()
        .to_owned();

    let _demo = Demo(
        Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start visitor"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while Conn::open(port).is_err() {
        assert!(
            Instant::now() < deadline,
            "the demo did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    println!(
        "SCIM against {} (release), {clients} keep-alive clients, {users} users, SQLite in {}",
        bin.display(),
        dir.display()
    );
    let (wall, lat) = phase(
        port,
        &token,
        users,
        clients,
        |i| {
            let body = format!(
                "{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"user{i}@bench.test\",\
                 \"externalId\":\"ext-{i}\",\"active\":true,\"displayName\":\"User {i}\",\
                 \"name\":{{\"givenName\":\"User\",\"familyName\":\"{i}\"}},\
                 \"emails\":[{{\"primary\":true,\"type\":\"work\",\"value\":\"user{i}@bench.test\"}}]}}"
            );
            ("POST", "/scim/v2/Users".to_owned(), body)
        },
        |s, _| s == 201,
    );
    report("POST /Users", wall, lat);
    let (wall, lat) = phase(
        port,
        &token,
        users,
        clients,
        |i| {
            let path = format!("/scim/v2/Users?filter=userName%20eq%20%22user{i}%40bench.test%22");
            ("GET", path, String::new())
        },
        |s, body| s == 200 && body.contains("\"totalResults\":1"),
    );
    report("GET /Users?filter=", wall, lat);
    let _ = std::fs::remove_dir_all(&dir);
}
