//! Whole logins against the demo's release binary over loopback: `GET /saml/login` (pending
//! request stored, browser-binding cookie set), then `POST /saml/acs` with a response signed by
//! the test IdP key (`testdata/keys/idp-rsa2048`) answering exactly that request, up to the 303
//! with the session cookie. The demo runs with its embedded defaults: SQLite (a file in a
//! temporary directory), in-memory request store, replay cache and sessions.
//!
//! ```sh
//! cargo build --release -p samlsp-visitor
//! cargo run --release --manifest-path perf/Cargo.toml --bin e2e
//! ```
//!
//! Batches: the logins of a batch are started (`GET /saml/login`, untimed for the ACS figures),
//! their responses signed (each unique: its own request ID, response and assertion IDs), then
//! posted to the ACS from `E2E_CLIENTS` keep-alive connections, timed one by one. The demo's
//! CPU time (`/proc/<pid>/stat`, user + system) is read around each phase, its resident memory
//! (`VmRSS`) after start-up, after the first batch and at the end. In the same process, the
//! verification alone (`ServiceProvider::verify_response` on one of the posted responses, this
//! thread's CPU time) gives the share of an ACS request that is verification.
//!
//! Environment: `VISITOR_BIN` (default `<repo>/target/release/visitor`), `E2E_PORT` (8296),
//! `E2E_LOGINS` (100000), `E2E_SECONDS` (600: no new batch starts after that), `E2E_BATCH`
//! (1000), `E2E_CLIENTS` (2), `E2E_DEMO_LOG` (a log level: the demo's log on this terminal), `E2E_USERS` (1000 distinct users per organization: the first login of
//! each creates it just in time, the others find it), `E2E_IDPS` (5 organizations, one IdP each,
//! logins spread evenly: the default replay cache holds at most 25,000 live entries per IdP and
//! 100,000 in all, and an entry lives until its assertion expires, so one IdP alone would be
//! refused after 25,000 logins within an assertion lifetime).

mod http;
mod idp;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use http::Conn;
use idp::{Started, idp_entity, response, start_login};
use samlsp::internal::binding::url_encode;
use samlsp_tests::signer::SigningKey;

const IDP_KEY: &str = "testdata/keys/idp-rsa2048.key";
const IDP_CERT: &str = "testdata/keys/idp-rsa2048.crt";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Demo(Child);

/// The demo's own output: shown when `E2E_DEMO_LOG` is set.
fn demo_output() -> Stdio {
    if std::env::var_os("E2E_DEMO_LOG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo's CPU time so far (user + system).
fn cpu_of(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
    let ticks: u64 = [11, 12]
        .iter()
        .map(|&i| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

/// The demo's resident memory, in KiB.
fn rss_of(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointer to a timespec; CLOCK_THREAD_CPUTIME_ID exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A login ready to post.
struct Ready {
    request_id: String,
    b64: String,
    form: String,
    cookies: String,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

mod setup;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let bin = std::env::var("VISITOR_BIN")
        .map_or_else(|_| repo.join("target/release/visitor"), PathBuf::from);
    let port: u16 = env_or("E2E_PORT", 8296);
    let logins: usize = env_or("E2E_LOGINS", 100_000);
    let seconds: u64 = env_or("E2E_SECONDS", 600);
    let batch: usize = env_or("E2E_BATCH", 1000).max(1);
    let clients: usize = env_or("E2E_CLIENTS", 2).max(1);
    let users: usize = env_or("E2E_USERS", 1000).max(1);
    let idps: usize = env_or("E2E_IDPS", 5).max(1);
    assert!(
        bin.is_file(),
        "{} missing: cargo build --release -p samlsp-visitor",
        bin.display()
    );

    let dir = std::env::temp_dir().join(format!("samlsp-e2e-bench-{}", std::process::id()));
    let config = setup::config(&dir, port, idps, IDP_CERT);
    let demo = Demo(
        Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .stdout(demo_output())
            .stderr(demo_output())
            .spawn()
            .expect("start visitor"),
    );
    let pid = demo.0.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Conn::open(port).is_err() {
        assert!(
            Instant::now() < deadline,
            "the demo did not listen on {port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let rss_start = rss_of(pid);
    let key = SigningKey::from_repo_pem(IDP_KEY);
    let cert = samlsp_tests::read_repo_file(IDP_CERT);
    println!(
        "whole logins against {} (release) on 127.0.0.1:{port}: up to {logins} logins in batches of {batch}, \
         {clients} clients, {idps} IdPs, {users} users each, SQLite in {}",
        bin.display(),
        dir.display()
    );

    let run_end = Instant::now() + Duration::from_secs(seconds);
    let (mut acs_lat, mut login_lat) = (Vec::new(), Vec::new());
    let (mut acs_wall, mut acs_cpu, mut login_cpu) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut rss_warm = 0;
    let mut sample: Option<(Started, String)> = None;
    let mut done = 0usize;
    while done < logins && Instant::now() < run_end {
        let n = batch.min(logins - done);
        // A connection per phase: the demo closes a keep-alive connection idle for 5 s (actix's
        // default), which signing a batch can exceed.
        let mut conn = Conn::open(port).expect("connect");
        // Start the batch's logins (timed apart: the GET is not part of the ACS figures).
        let cpu0 = cpu_of(pid);
        let started: Vec<Started> = (0..n)
            .map(|i| {
                let t = Instant::now();
                let s = start_login(&mut conn, (done + i) % idps);
                login_lat.push(t.elapsed());
                s
            })
            .collect();
        login_cpu += cpu_of(pid) - cpu0;
        // Sign each answer (two threads; RSA private-key operations dominate).
        let now = Utc::now();
        let ready: Vec<Ready> = std::thread::scope(|scope| {
            let chunks: Vec<_> = started
                .chunks(n.div_ceil(2))
                .enumerate()
                .map(|(c, chunk)| {
                    let (key, cert) = (&key, &cert);
                    let first = done + c * n.div_ceil(2);
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(i, s)| {
                                let b64 =
                                    response(s, first + i, (first + i) % users, now, key, cert);
                                Ready {
                                    request_id: s.request_id.clone(),
                                    form: format!(
                                        "SAMLResponse={}&RelayState={}",
                                        url_encode(&b64),
                                        url_encode(&s.relay_state)
                                    ),
                                    b64,
                                    cookies: s.cookies.clone(),
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            chunks
                .into_iter()
                .flat_map(|h| h.join().expect("signer"))
                .collect()
        });
        // Post them, timed.
        let cpu0 = cpu_of(pid);
        let start = Instant::now();
        let lat: Vec<Vec<Duration>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..clients)
                .map(|c| {
                    let ready = &ready;
                    scope.spawn(move || {
                        let mut conn = Conn::open(port).expect("connect");
                        let mut lat = Vec::new();
                        for r in ready.iter().skip(c).step_by(clients) {
                            let extra = format!(
                                "Cookie: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                                r.cookies
                            );
                            let t = Instant::now();
                            let a = conn
                                .call("POST", "/saml/acs", &extra, &r.form)
                                .expect("POST /saml/acs");
                            lat.push(t.elapsed());
                            assert_eq!(
                                a.status, 303,
                                "POST /saml/acs for {} (login {done} + the batch)",
                                r.request_id
                            );
                            assert!(
                                a.cookies().iter().any(|c| c.starts_with("id=")),
                                "no session cookie for {}",
                                r.request_id
                            );
                        }
                        lat
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("client"))
                .collect()
        });
        acs_wall += start.elapsed();
        acs_cpu += cpu_of(pid) - cpu0;
        acs_lat.extend(lat.into_iter().flatten());
        if rss_warm == 0 {
            rss_warm = rss_of(pid);
        }
        if sample.is_none()
            && let (Some(s), Some(r)) = (started.into_iter().next(), ready.into_iter().next())
        {
            sample = Some((s, r.b64));
        }
        done += n;
    }
    let rss_end = rss_of(pid);
    drop(demo);
    let _ = std::fs::remove_dir_all(&dir);

    acs_lat.sort();
    login_lat.sort();
    let per_login_cpu = acs_cpu.as_secs_f64() * 1e6 / done.max(1) as f64;
    println!(
        "POST /saml/acs   {done:>7} logins in {:>7.2} s: {:>7.0} logins/s   p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms   demo CPU {per_login_cpu:.0} µs per login",
        acs_wall.as_secs_f64(),
        done as f64 / acs_wall.as_secs_f64(),
        percentile(&acs_lat, 0.5),
        percentile(&acs_lat, 0.99),
        percentile(&acs_lat, 1.0),
    );
    println!(
        "GET /saml/login  {:>7} requests: p50 {:.2} ms   p99 {:.2} ms   demo CPU {:.0} µs per request",
        login_lat.len(),
        percentile(&login_lat, 0.5),
        percentile(&login_lat, 0.99),
        login_cpu.as_secs_f64() * 1e6 / login_lat.len().max(1) as f64
    );
    println!(
        "demo RSS: {rss_start} KiB after start-up, {rss_warm} KiB after the first batch, {rss_end} KiB after {done} logins"
    );
    if let Some((s, b64)) = sample {
        let verify = setup::verify_cpu(
            &s.sp,
            &s.acs,
            &idp_entity(s.idp),
            IDP_CERT,
            &s.request_id,
            &b64,
        );
        println!(
            "verify_response alone (this process, thread CPU): {verify:.1} µs = {:.0} % of the demo's CPU per login",
            verify * 100.0 / per_login_cpu
        );
    }
}
