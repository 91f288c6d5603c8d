//! A throwaway PostgreSQL server for tests, from Debian's `postgresql`
//! package (`initdb` and `postgres`; `scripts/test-deps.sh` installs it):
//! on loopback at a free port, its data under `target/test-postgres/`,
//! fsync off, trust authentication. One is shared by all the tests of a
//! process ([`shared`]), each test in a fresh database of its own
//! ([`fresh_database_url`]); a test that stops and starts a server makes
//! its own ([`TestPostgres::start`]).
//!
//! A server stops when its test process ends, however it ends: `postgres`
//! runs under a small shell that waits for its standard input to close
//! (the test process holds the other end) and then stops it and removes
//! its data. PostgreSQL refuses to run as root; as root the server runs as
//! the `postgres` user (`setpriv`), which owns its folder.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    dead_code,
    missing_debug_implementations
)]

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// What the wrapper runs: postgres in the background, then waits for its
/// stdin to close, stops it (SIGINT: fast shutdown) and, when `CLEAN` is
/// set, removes its folder.
const WRAPPER: &str = r#""$@" & pid=$!
cat >/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"
if [ -n "$CLEAN" ]; then rm -rf "$DIR"; fi"#;

/// A running (or stopped) test server.
pub struct TestPostgres {
    port: u16,
    dir: PathBuf,
    /// Removes its folder when it stops (the shared server, which is never
    /// dropped); else Drop does.
    clean_on_exit: bool,
    running: Mutex<Option<(Child, ChildStdin)>>,
}

/// The server the tests of this process share.
pub fn shared() -> &'static TestPostgres {
    static SHARED: OnceLock<TestPostgres> = OnceLock::new();
    SHARED.get_or_init(|| TestPostgres::start_with("shared", true))
}

/// The URL of a new, empty database on the shared server.
pub fn fresh_database_url() -> String {
    shared().fresh_database_url()
}

/// Runs `f` on a thread of its own: the synchronous PostgreSQL client
/// cannot run on a thread that drives an async runtime (an async test).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn fail(what: &str) -> ! {
    panic!(
        "test PostgreSQL: {what}\n(the tests need Debian's `postgresql` package: run \
         scripts/test-deps.sh)"
    )
}

/// The folder with `initdb` and `postgres`: on the PATH, else Debian's
/// `/usr/lib/postgresql/<newest>/bin`.
fn bindir() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
    });
    if let Some(d) = on_path {
        return d;
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("postgres").is_file()).then_some((v, bin))
        })
        .max();
    match newest {
        Some((_, bin)) => bin,
        None => fail("initdb and postgres not found on the PATH nor in /usr/lib/postgresql/*/bin"),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program args...` as the `postgres` user when running as root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| fail(&format!("no free port: {e}")))
}

impl TestPostgres {
    /// A server of the calling test's own, started (it can be stopped and
    /// started again; dropped, it stops and its data goes).
    pub fn start(name: &str) -> TestPostgres {
        TestPostgres::start_with(name, false)
    }

    fn start_with(name: &str, clean_on_exit: bool) -> TestPostgres {
        let dir = target_dir()
            .join("test-postgres")
            .join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
        if is_root() {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&dir)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                fail("cannot give its folder to the postgres user (chown)");
            }
        }
        let out = as_server_user(&bindir().join("initdb"))
            .arg("-D")
            .arg(dir.join("data"))
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .unwrap_or_else(|e| fail(&format!("initdb: {e}")));
        if !out.status.success() {
            fail(&format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let server = TestPostgres {
            port: free_port(),
            dir,
            clean_on_exit,
            running: Mutex::new(None),
        };
        server.start_again();
        server
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL of database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Makes a new, empty database; its URL.
    pub fn fresh_database_url(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let name = format!("t{}", NEXT.fetch_add(1, Ordering::Relaxed));
        off_runtime(|| {
            let mut admin = ::postgres::Client::connect(&self.url("postgres"), ::postgres::NoTls)
                .unwrap_or_else(|e| fail(&format!("connect: {e}")));
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap_or_else(|e| fail(&format!("CREATE DATABASE: {e}")));
        });
        self.url(&name)
    }

    /// Starts the (stopped) server on its port and data; returns once it
    /// accepts connections.
    pub fn start_again(&self) {
        off_runtime(|| self.start_now());
    }

    fn start_now(&self) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(running.is_none(), "already running");
        let log = std::fs::File::create(self.dir.join("postgres.log"))
            .unwrap_or_else(|e| fail(&format!("log file: {e}")));
        let mut postgres = as_server_user(&bindir().join("postgres"));
        postgres
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-p", &self.port.to_string(), "-h", "127.0.0.1", "-k", ""])
            .args([
                "-F",
                "-c",
                "max_connections=300",
                "-c",
                "full_page_writes=off",
            ]);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(postgres.get_program())
            .args(postgres.get_args())
            .env("DIR", &self.dir)
            .env("CLEAN", if self.clean_on_exit { "1" } else { "" })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| fail(&format!("postgres: {e}")));
        let stdin = child.stdin.take().expect("piped stdin");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if ::postgres::Client::connect(&self.url("postgres"), ::postgres::NoTls).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default();
                fail(&format!("postgres exited ({status}):\n{log}"));
            }
            if Instant::now() > deadline {
                fail("postgres did not accept connections within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        *running = Some((child, stdin));
    }

    /// Stops the server (fast shutdown) and waits until it is gone.
    pub fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((mut child, stdin)) = running {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        self.stop();
        if !self.clean_on_exit {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
