//! The ratio to the OpenSSL floor, measured interleaved: the floor and each samlsp function run
//! in alternating short batches, so that both see the same machine.
//!
//! Why: on the shared (virtual) machine the CPU time of the same code moves by 20–30 % from one
//! minute to the next (other engineers' work, the host's other guests). Criterion measures one
//! function for several seconds, then the next, so the floor and samlsp of one run can be
//! measured under different conditions and their ratio moves with them. Here every round runs a
//! batch of each function back to back (about a millisecond each), and the ratio is taken
//! within the round: a slowdown hits both sides of it. Reported: the median CPU time per call of
//! each function over all rounds, and the median over rounds of the per-round ratio to the floor.
//!
//! Same inputs and settings as the `verify` bench (no samael, which is a bench-only dependency).
//! Usage: `ratio [seconds, default 20] [calls per batch, default 20]`.

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

/// A function measured: its name and one call.
type Measured<'a> = (&'a str, Box<dyn Fn() + 'a>);

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20.0);
    let batch: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);

    let (signed_info, signature, key) = inputs::real_signed_info();
    assert!(inputs::openssl_verify(&signed_info, &signature, &key));
    let sp = inputs::samlsp_sp();
    let mut samlsp_inputs = Vec::new();
    for (name, file) in [
        ("samlsp", "resp-assertion-signed.b64"),
        ("samlsp_response_signed", "resp-response-signed.b64"),
        ("samlsp_both_signed", "resp-both-signed.b64"),
    ] {
        let b64 = inputs::read_input(file);
        inputs::check_samlsp(&sp, &b64, file);
        let now = inputs::samlsp_now(&b64);
        samlsp_inputs.push((name, b64, now));
    }
    let dsig_xml = inputs::decoded(&inputs::read_input("resp-assertion-signed.b64"));
    let dsig_keys =
        samlsp::TrustedKeys::from_certificate_pem(&inputs::idp_cert_pem()).expect("cert");
    assert!(inputs::samlsp_dsig(&dsig_xml, &dsig_keys));

    // One closure per function, floor first.
    let mut functions: Vec<Measured<'_>> = vec![(
        "openssl_rsa2048_verify_floor",
        Box::new(|| {
            assert!(inputs::openssl_verify(
                black_box(&signed_info),
                black_box(&signature),
                &key
            ))
        }),
    )];
    let sp = &sp;
    for (name, b64, now) in &samlsp_inputs {
        functions.push((
            name,
            Box::new(move || {
                black_box(inputs::samlsp_verify(sp, black_box(b64), *now));
            }),
        ));
    }
    functions.push((
        "samlsp_dsig",
        Box::new(|| assert!(inputs::samlsp_dsig(black_box(&dsig_xml), &dsig_keys))),
    ));

    // Warm-up: a second of each.
    for (_, f) in &functions {
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            f();
        }
    }

    let mut per_call: Vec<Vec<f64>> = vec![Vec::new(); functions.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); functions.len()];
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    while Instant::now() < deadline {
        let mut round = Vec::with_capacity(functions.len());
        for (_, f) in &functions {
            let start = thread_cpu();
            for _ in 0..batch {
                f();
            }
            round.push((thread_cpu() - start).as_secs_f64() / f64::from(batch));
        }
        for (i, &t) in round.iter().enumerate() {
            per_call[i].push(t);
            ratios[i].push(t / round[0]);
        }
    }

    println!(
        "{} rounds of {batch} calls per function, thread CPU time",
        per_call[0].len()
    );
    println!(
        "{:<30} {:>14} {:>22}",
        "function", "median µs", "median ratio to floor"
    );
    for (i, (name, _)) in functions.iter().enumerate() {
        println!(
            "{name:<30} {:>14.1} {:>22.3}",
            median(&mut per_call[i]) * 1e6,
            median(&mut ratios[i])
        );
    }
}
