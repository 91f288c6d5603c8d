//! `hostile`: what an unauthenticated sender can make `verify_response` spend.
//!
//! Each input is a `samlp:Response` as an attacker would POST it (base64): the
//! right Issuer, Destination and InResponseTo, a Success status, and a bogus
//! `ds:Signature` (SignatureValue no key made) whose SignedInfo selects the
//! canonicalization that costs most on the hostile content, which sits in
//! `samlp:Extensions` (foreign elements are allowed there). One shape is
//! unsigned. The inputs are generated here, at 10 KB, 100 KB and 1 MB of XML
//! (`HOSTILE_SIZES=10,70,100` overrides, in KB), never checked in.
//!
//! Every call must fail (none of these is validly signed); what is timed is the
//! work done before it fails, in thread CPU time. Criterion reports each input's
//! throughput in bytes, so CPU per KB is `time / size`.
//!
//! Run from `perf/`: `nice cargo bench --bench hostile -- --warm-up-time 1 --measurement-time 3`.
//! `HOSTILE_ONCE=1` times each input once instead (no criterion), printing a
//! table: for code where an input takes seconds or minutes.
//!
//! The inputs themselves are in `common/hostile_inputs.rs`, shared with the
//! `icount` program (instructions per input, exact under any load).

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::cpu::CpuTime;
use common::hostile_inputs::{inputs, shapes, sp, verify};
use criterion::{Criterion, Throughput};

fn once() {
    let sp = sp();
    for shape in shapes() {
        println!("{}: {}", shape.name, shape.what);
    }
    println!();
    println!("| input | XML bytes | CPU ms | ms per 100 KB | error |");
    println!("|---|---:|---:|---:|---|");
    for (name, len, b64) in inputs() {
        let start = CpuTime::THREAD.now();
        let err = verify(&sp, black_box(&b64));
        let cpu = CpuTime::THREAD.now().saturating_sub(start);
        let ms = cpu.as_secs_f64() * 1e3;
        let err: String = err.chars().take(90).collect();
        println!(
            "| {name} | {len} | {ms:.2} | {:.2} | `{err}` |",
            ms * 100_000.0 / len as f64
        );
    }
}

fn main() {
    if std::env::var_os("HOSTILE_ONCE").is_some_and(|v| !v.is_empty() && v != "0") {
        once();
        return;
    }
    let mut c = Criterion::default()
        .with_measurement(CpuTime::THREAD)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    let sp = sp();
    let mut group = c.benchmark_group("hostile");
    for (name, len, b64) in inputs() {
        eprintln!("{name}: {len} bytes -> {}", verify(&sp, &b64));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(name, |b| b.iter(|| verify(&sp, black_box(&b64))));
    }
    group.finish();
    c.final_summary();
}
