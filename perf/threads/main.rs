//! One `ServiceProvider` shared by 1, then 2 threads verifying at once (`verify_response` on
//! the assertion-signed reference input): verifications per second and the scaling factor.
//!
//! Each thread loops until a deadline (no fixed count, so a loaded machine shortens nothing
//! but the total) and reports how many verifications it finished and the CPU time it used.
//! Two figures per thread count:
//! - per wall second: what the process delivered (bounded by the cores the machine gives it);
//! - CPU per verification: if the threads contended for a lock, it would rise with the thread
//!   count (spinning, cache-line transfers), whatever the load from other processes.
//!
//! Usage: `threads [seconds per thread count, default 5] [max threads, default 2]`.

#[path = "../benches/common/inputs.rs"]
mod inputs;

use std::hint::black_box;
use std::time::{Duration, Instant};

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

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let max_threads: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let sp = inputs::samlsp_sp();
    let file = "resp-assertion-signed.b64";
    let b64 = inputs::read_input(file);
    inputs::check_samlsp(&sp, &b64, file);
    let now = inputs::samlsp_now(&b64);

    println!(
        "{:>7} {:>14} {:>16} {:>14} {:>12}",
        "threads", "verifications", "per wall second", "CPU µs each", "scaling"
    );
    let mut single = None;
    for threads in 1..=max_threads {
        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(seconds);
        let results: Vec<(u64, Duration)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let cpu0 = thread_cpu();
                        let mut n = 0u64;
                        while Instant::now() < deadline {
                            black_box(inputs::samlsp_verify(&sp, black_box(&b64), now));
                            n += 1;
                        }
                        (n, thread_cpu() - cpu0)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker"))
                .collect()
        });
        let wall = start.elapsed().as_secs_f64();
        let n: u64 = results.iter().map(|r| r.0).sum();
        let cpu: f64 = results.iter().map(|r| r.1.as_secs_f64()).sum();
        let rate = n as f64 / wall;
        let scaling = *single.get_or_insert(rate);
        println!(
            "{threads:>7} {n:>14} {rate:>16.0} {:>14.1} {:>12.2}",
            cpu * 1e6 / n as f64,
            rate / scaling
        );
    }
}
