//! A deterministic workload for instruction counting: one function, N calls, nothing else.
//!
//! Wall-clock and even CPU-time medians move by several microseconds on a shared machine;
//! the number of instructions a verification executes does not. `icount.sh` runs this program
//! under `valgrind --tool=callgrind` twice per function (0 calls and N calls) and divides the
//! difference by N, so the set-up (reading files, building the `ServiceProvider`, the check
//! below) cancels out. Same inputs and settings as the `verify` criterion bench.
//!
//! Usage: `icount <function> <calls>`, function one of `floor`, `floor_pkey_ctx`, `samlsp`,
//! `samlsp_response_signed`, `samlsp_both_signed`, `samlsp_dsig`, or `hostile:<shape>:<KB>`:
//! one input of the `hostile` bench (`hostile:deep:100`), so that how its cost grows with
//! its size is read exactly (`./icount.sh 1 hostile:deep:10 hostile:deep:100 hostile:deep:1000`).

#[path = "../benches/common/hostile_inputs.rs"]
mod hostile_inputs;
#[path = "../benches/common/inputs.rs"]
mod inputs;

use std::hint::black_box;

use openssl::md::Md;
use openssl::md_ctx::MdCtx;
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;

fn main() {
    let mut args = std::env::args().skip(1);
    let function = args.next().unwrap_or_else(|| usage());
    let calls: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| usage());
    match function.as_str() {
        "floor" => {
            // What the criterion floor times: SHA-256 + RSA-2048 PKCS#1 v1.5, a new context per call.
            let (signed_info, signature, key) = inputs::real_signed_info();
            assert!(inputs::openssl_verify(&signed_info, &signature, &key));
            for _ in 0..calls {
                assert!(inputs::openssl_verify(
                    black_box(&signed_info),
                    black_box(&signature),
                    &key
                ));
            }
        }
        "floor_pkey_ctx" => {
            // The least OpenSSL allows: a kept, initialized key context, SHA-256 apart.
            let (signed_info, signature, key) = inputs::real_signed_info();
            let mut ctx = PkeyCtx::new(&key).expect("ctx");
            ctx.verify_init().expect("verify_init");
            ctx.set_rsa_padding(Padding::PKCS1).expect("padding");
            ctx.set_signature_md(Md::sha256()).expect("md");
            let md = Md::fetch(None, "SHA2-256", None).expect("SHA-256");
            for _ in 0..calls {
                let mut h = MdCtx::new().expect("md ctx");
                h.digest_init(&md).expect("init");
                h.digest_update(black_box(&signed_info)).expect("update");
                let mut digest = [0u8; 32];
                h.digest_final(&mut digest).expect("final");
                assert!(ctx.verify(&digest, black_box(&signature)).expect("verify"));
            }
        }
        "samlsp_dsig" => {
            let xml = inputs::decoded(&inputs::read_input("resp-assertion-signed.b64"));
            let keys =
                samlsp::TrustedKeys::from_certificate_pem(&inputs::idp_cert_pem()).expect("cert");
            assert!(inputs::samlsp_dsig(&xml, &keys));
            for _ in 0..calls {
                assert!(inputs::samlsp_dsig(black_box(&xml), &keys));
            }
        }
        name if name.starts_with("hostile:") => {
            let mut parts = name.splitn(3, ':').skip(1);
            let shape_name = parts.next().unwrap_or_else(|| usage());
            let kb: usize = parts
                .next()
                .and_then(|kb| kb.parse().ok())
                .unwrap_or_else(|| usage());
            let shape = hostile_inputs::shapes()
                .into_iter()
                .find(|s| s.name == shape_name)
                .unwrap_or_else(|| usage());
            let b64 = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                hostile_inputs::hostile_response(&shape, kb * 1000),
            );
            let sp = hostile_inputs::sp();
            for _ in 0..calls {
                black_box(hostile_inputs::verify(&sp, black_box(&b64)));
            }
        }
        name => {
            let file = match name {
                "samlsp" => "resp-assertion-signed.b64",
                "samlsp_response_signed" => "resp-response-signed.b64",
                "samlsp_both_signed" => "resp-both-signed.b64",
                _ => usage(),
            };
            let sp = inputs::samlsp_sp();
            let b64 = inputs::read_input(file);
            inputs::check_samlsp(&sp, &b64, file);
            let now = inputs::samlsp_now(&b64);
            for _ in 0..calls {
                black_box(inputs::samlsp_verify(&sp, black_box(&b64), now));
            }
        }
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: icount floor|floor_pkey_ctx|samlsp|samlsp_response_signed|samlsp_both_signed|samlsp_dsig|hostile:<shape>:<KB> <calls>"
    );
    std::process::exit(2)
}
