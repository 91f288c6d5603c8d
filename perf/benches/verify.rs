//! `verify_response`: cost of verifying one SAML Response (base64 as POSTed -> validated
//! assertion) on the reference inputs of `testdata/bench/` (see its README.md).
//!
//! Run from `perf/`: `nice cargo bench --bench verify -- --warm-up-time 2 --measurement-time 5`.
//! With `PERF_CPU_TIME=1` in the environment, criterion measures this thread's CPU time
//! (CLOCK_THREAD_CPUTIME_ID) instead of wall-clock time: the machine is shared, and CPU time is
//! what testdata/bench/README.md's "responses per CPU-second" compares. Results of the two modes
//! land in the same target/criterion/ folders, so run one mode at a time when comparing.
//! Figures and how to read them: docs/PERFORMANCE.md, section "samael peer (perf/)".

mod common;

use std::hint::black_box;

use common::cpu::CpuTime;
use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};

fn verify_response<M: Measurement>(c: &mut Criterion<M>) {
    let mut group = c.benchmark_group("verify_response");
    // One element = one response, so criterion's "thrpt" is responses per second, comparable with
    // the table in testdata/bench/README.md.
    group.throughput(Throughput::Elements(1));

    // Physical floor: SHA-256 over the canonical SignedInfo (the real one of
    // resp-assertion-signed.b64, 738 bytes) + RSA-2048 PKCS#1 v1.5 verification, OpenSSL.
    let (signed_info, signature, key) = common::real_signed_info();
    assert!(
        common::openssl_verify(&signed_info, &signature, &key),
        "reconstructed canonical SignedInfo does not verify"
    );
    group.bench_function("openssl_rsa2048_verify_floor", |b| {
        b.iter(|| common::openssl_verify(black_box(&signed_info), black_box(&signature), &key))
    });

    // samael 0.0.22 (xmlsec): ServiceProvider::parse_base64_response, RSA-SHA256 only.
    for (bench_name, file) in common::INPUTS {
        let b64 = common::read_input(file);
        let sp = common::samael_sp(&b64);
        common::check_samael(&sp, &b64, file);
        group.bench_function(bench_name, |b| {
            b.iter(|| common::samael_verify(&sp, black_box(&b64)))
        });
    }

    // samlsp on the same three files, with the same settings.
    let sp = common::samlsp_sp();
    for (bench_name, file) in common::INPUTS {
        let b64 = common::read_input(file);
        common::check_samlsp(&sp, &b64, file);
        let now = common::samlsp_now(&b64);
        let name = bench_name.replacen("samael", "samlsp", 1);
        group.bench_function(name, |b| {
            b.iter(|| common::samlsp_verify(&sp, black_box(&b64), now))
        });
    }
    // The signature layer alone (parse + C14N + digest + RSA verify of the Assertion).
    let xml = common::decoded(&common::read_input("resp-assertion-signed.b64"));
    let keys = samlsp::TrustedKeys::from_certificate_pem(&common::idp_cert_pem()).expect("cert");
    assert!(common::samlsp_dsig(&xml, &keys));
    group.bench_function("samlsp_dsig", |b| {
        b.iter(|| assert!(common::samlsp_dsig(black_box(&xml), &keys)))
    });

    group.finish();
}

fn main() {
    if std::env::var_os("PERF_CPU_TIME").is_some_and(|v| !v.is_empty() && v != "0") {
        let mut c = Criterion::default()
            .with_measurement(CpuTime::THREAD)
            .configure_from_args();
        verify_response(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().configure_from_args();
        verify_response(&mut c);
        c.final_summary();
    }
}
