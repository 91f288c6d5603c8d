//! One whole SP-initiated login, in-process, through samlsp-actix's routes: `GET /saml/login`
//! (AuthnRequest, pending request stored, browser-binding cookie set) then `POST /saml/acs` with a
//! response signed by the test IdP key answering that request, up to the 303 (request tracking,
//! browser binding, replay cache, user mapping and the session cookie all on). In the same run, for
//! the ratios: the OpenSSL RSA-2048 verify floor and samlsp's verify-only figure (the `samlsp`
//! function of the `verify` bench, same setup).
//!
//! Run from `perf/`: `nice cargo bench --bench login -- --warm-up-time 2 --measurement-time 5`.
//! The clock is process CPU time (CLOCK_PROCESS_CPUTIME_ID), always: samlsp-actix verifies on
//! actix's blocking pool (`web::block`), another thread, which thread CPU time would miss. The
//! medians and ratios are printed at the end. Figures: docs/PERFORMANCE.md, section "A whole login
//! through the actix ACS".
//!
//! Signing a response (RSA-2048 private key) costs far more than verifying it, so no response is
//! signed in the timed part. The SAML builder gets a deterministic `RandomSource` that restarts at
//! the same seed for every batch: the n-th login of every batch then has the same request ID,
//! RelayState and binding cookie. A dry run on a separate app learns them, and the responses
//! answering them are signed once, before timing. Each batch gets a fresh `Saml` (so an empty
//! replay cache and request store) and a fixed clock, so the pre-signed responses stay valid.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header;
use actix_web::{App, test};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use common::cpu::CpuTime;
use criterion::measurement::Measurement;
use criterion::{Criterion, Throughput};
use samlsp::internal::binding::{RedirectMessage, url_encode};
use samlsp::{EntityId, IdentityProvider, RandomSource, SpKeyPair, TrustedKeys, Url};
use samlsp_actix::{
    IdpConfig, IdpOptions, IdpSource, LinkedUser, MapFuture, MemorySessionStore, Saml,
    SessionSecret, SessionSettings, SpSettings, TenantConfig, UserMapper, VerifiedLogin,
};
use samlsp_tests::signer::{SignOptions, SigningKey, sign};

const SP: &str = "https://visit.test/saml/metadata";
const ACS: &str = "https://visit.test/saml/acs";
const IDP: &str = "https://idp.acme.test/realms/acme";
const IDP_SSO: &str = "https://idp.acme.test/realms/acme/protocol/saml";
const IDP_KEY: &str = "testdata/keys/idp-rsa2048.key";
const IDP_CERT: &str = "testdata/keys/idp-rsa2048.crt";
const GROUP: &str = "login";

/// A deterministic byte stream (SplitMix64 of a counter): the same after every `reset`.
#[derive(Default)]
struct Replayable(AtomicU64);

impl Replayable {
    fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

impl RandomSource for Replayable {
    fn fill(&self, buf: &mut [u8]) -> Result<(), samlsp::OutboundError> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self
                .0
                .fetch_add(1, Ordering::SeqCst)
                .wrapping_add(1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// Every NameID is a user.
struct Mapper;

impl UserMapper for Mapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let nid = login.assertion().name_id().value().to_owned();
            Ok(LinkedUser {
                user_id: format!("u:{nid}"),
                display_name: nid,
            })
        })
    }
}

fn idp() -> IdentityProvider {
    IdentityProvider::new(
        EntityId::new(IDP).unwrap(),
        TrustedKeys::from_certificate_pem(&samlsp_tests::read_repo_file(IDP_CERT)).unwrap(),
    )
    .unwrap()
    .sso_endpoint(samlsp::Binding::HttpRedirect, Url::new(IDP_SSO).unwrap())
}

/// One tenant, one IdP (Redirect binding). `signed_requests`: AuthnRequests signed with the SP
/// key (one RSA-2048 private-key operation per login).
fn saml(rng: Arc<Replayable>, now: DateTime<Utc>, signed_requests: bool) -> Saml {
    let mut sp = SpSettings::new(EntityId::new(SP).unwrap(), Url::new(ACS).unwrap());
    if signed_requests {
        sp = sp.signing_key(
            SpKeyPair::from_pem(
                &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.key"),
                &samlsp_tests::read_repo_file("testdata/keys/sp-rsa2048.crt"),
            )
            .unwrap(),
        );
    }
    rng.reset();
    Saml::builder(Arc::new(Mapper))
        .tenant(TenantConfig {
            slug: None,
            sp,
            idps: vec![IdpConfig {
                slug: "acme".into(),
                display_name: "Acme".into(),
                source: IdpSource::Static(idp()),
                options: IdpOptions::default(),
            }],
        })
        .clock(Arc::new(move || now))
        .rng(rng)
        .build()
        .unwrap()
}

macro_rules! app {
    ($saml:expr) => {{
        let settings = SessionSettings::for_site(
            SessionSecret::from_bytes(&(0u8..64).collect::<Vec<_>>()).unwrap(),
            "https://visit.test",
        );
        test::init_service(
            App::new()
                .wrap(settings.middleware(MemorySessionStore::default()))
                .configure(samlsp_actix::configure($saml)),
        )
        .await
    }};
}

/// What the browser of the n-th login of a batch posts to the ACS.
struct Posted {
    /// The signed response (base64) and the request ID it answers.
    b64: String,
    request_id: String,
    body: String,
    cookie: String,
}

/// A signed response (Assertion signed, certificate in KeyInfo, Keycloak-shaped attributes), as
/// crates/samlsp-actix/tests/common/mod.rs builds it, base64 as the browser posts it.
fn response(in_response_to: &str, n: usize, now: DateTime<Utc>, key: &SigningKey) -> String {
    let t = samlsp::internal::time::format_instant;
    let (aid, rid) = (format!("_a{n:08}"), format!("_r{n:08}"));
    let nid = format!("user{n}@acme.test");
    let attr = |name: &str, value: &str| {
        format!(
            "<saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">\
             <saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute>"
        )
    };
    let attrs = [
        attr("email", &nid),
        attr("firstName", "Alice"),
        attr("lastName", "Tester"),
        attr("groups", "staff"),
    ]
    .concat();
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{rid}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" Destination=\"{ACS}\" InResponseTo=\"{in_response_to}\">\
         <saml:Issuer>{IDP}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion ID=\"{aid}\" Version=\"2.0\" IssueInstant=\"{now}\">\
         <saml:Issuer>{IDP}</saml:Issuer><!--SIG:{aid}-->\
         <saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress\">{nid}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData InResponseTo=\"{in_response_to}\" NotOnOrAfter=\"{exp}\" Recipient=\"{ACS}\"/>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{nb}\" NotOnOrAfter=\"{exp}\"><saml:AudienceRestriction>\
         <saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{now}\" SessionIndex=\"sess-{aid}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>\
         urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport\
         </saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>\
         <saml:AttributeStatement>{attrs}</saml:AttributeStatement>\
         </saml:Assertion></samlp:Response>",
        now = t(now),
        nb = t(now - chrono::Duration::seconds(2)),
        exp = t(now + chrono::Duration::minutes(5)),
    );
    let signed = sign(
        &xml,
        &aid,
        key,
        &SignOptions {
            key_info_cert: Some(samlsp_tests::read_repo_file(IDP_CERT)),
            ..SignOptions::default()
        },
    );
    base64::engine::general_purpose::STANDARD.encode(signed)
}

/// The ACS posts of the first `n` logins of a batch: a dry run (its own app, the stream restarted)
/// reads each login's request ID, RelayState and binding cookie; the new ones get a signed answer.
fn extend(
    pool: &mut Vec<Posted>,
    n: usize,
    now: DateTime<Utc>,
    key: &SigningKey,
    sys: &actix_web::rt::SystemRunner,
) {
    if pool.len() >= n {
        return;
    }
    sys.block_on(async {
        let app = app!(saml(Arc::new(Replayable::default()), now, false));
        for i in 0..n {
            let res = test::call_service(
                &app,
                test::TestRequest::get()
                    .uri("/saml/login?idp=acme")
                    .to_request(),
            )
            .await;
            assert_eq!(res.status(), 302, "dry-run login");
            if i < pool.len() {
                continue;
            }
            let loc = res
                .headers()
                .get(header::LOCATION)
                .unwrap()
                .to_str()
                .unwrap();
            let msg = RedirectMessage::decode_url(loc, 1 << 20).unwrap();
            let xml = std::str::from_utf8(msg.unverified_xml()).unwrap();
            let id_start = xml.find(" ID=\"").unwrap() + 5;
            let id = &xml[id_start..id_start + xml[id_start..].find('"').unwrap()];
            let relay_state = msg.unverified_relay_state().unwrap();
            let cookie = res
                .headers()
                .get_all(header::SET_COOKIE)
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("__Host-samlsp-"))
                .expect("binding cookie")
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            let b64 = response(id, i, now, key);
            pool.push(Posted {
                b64: b64.clone(),
                request_id: id.to_owned(),
                body: format!(
                    "SAMLResponse={}&RelayState={}",
                    url_encode(&b64),
                    url_encode(relay_state)
                ),
                cookie,
            });
        }
    });
}

fn login(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group(GROUP);
    // One element = one login (or one verification): "thrpt" is per CPU-second.
    group.throughput(Throughput::Elements(1));

    // The floor and samlsp's verify-only figure, exactly as the `verify` bench measures them.
    let (signed_info, signature, key) = common::real_signed_info();
    assert!(common::openssl_verify(&signed_info, &signature, &key));
    group.bench_function("openssl_rsa2048_verify_floor", |b| {
        b.iter(|| common::openssl_verify(black_box(&signed_info), black_box(&signature), &key))
    });
    let sp = common::samlsp_sp();
    let b64 = common::read_input("resp-assertion-signed.b64");
    common::check_samlsp(&sp, &b64, "resp-assertion-signed.b64");
    let now = common::samlsp_now(&b64);
    group.bench_function("samlsp_verify_only", |b| {
        b.iter(|| common::samlsp_verify(&sp, black_box(&b64), now))
    });

    // The whole login.
    let sys = actix_web::rt::System::new();
    let idp_key = SigningKey::from_repo_pem(IDP_KEY);
    let now = Utc::now();
    let mut pool: Vec<Posted> = Vec::new();
    // samlsp's verify-only figure on the login's own response (its certificate in KeyInfo, four
    // attributes: a little larger than the reference input), for the share of the login it is.
    extend(&mut pool, 1, now, &idp_key, &sys);
    let acme = samlsp::ServiceProvider::builder(EntityId::new(SP).unwrap())
        .acs_url(Url::new(ACS).unwrap())
        .idp(idp())
        .build()
        .unwrap();
    let request_id = samlsp::RequestId::new(&pool[0].request_id).unwrap();
    let verify_login_response = || {
        let ctx = samlsp::RequestContext::Pending {
            request_id: &request_id,
            idp: None,
        };
        acme.verify_response(black_box(&pool[0].b64), now, ctx)
            .expect("samlsp verifies the login's response")
    };
    verify_login_response();
    group.bench_function("samlsp_verify_only_login_response", |b| {
        b.iter(verify_login_response)
    });

    for (name, signed_requests) in [("login", false), ("login_signed_request", true)] {
        let rng = Arc::new(Replayable::default());
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let n = usize::try_from(iters).expect("iteration count");
                extend(&mut pool, n, now, &idp_key, &sys);
                sys.block_on(async {
                    let app = app!(saml(rng.clone(), now, signed_requests));
                    let start = CpuTime::PROCESS.start();
                    for posted in &pool[..n] {
                        let res = test::call_service(
                            &app,
                            test::TestRequest::get()
                                .uri("/saml/login?idp=acme")
                                .to_request(),
                        )
                        .await;
                        assert_eq!(res.status(), 302, "login");
                        drop(res);
                        let res = test::call_service(
                            &app,
                            test::TestRequest::post()
                                .uri("/saml/acs")
                                .insert_header((
                                    header::CONTENT_TYPE,
                                    "application/x-www-form-urlencoded",
                                ))
                                .insert_header((header::COOKIE, posted.cookie.as_str()))
                                .set_payload(posted.body.clone())
                                .to_request(),
                        )
                        .await;
                        assert_eq!(res.status(), 303, "ACS");
                        black_box(res);
                    }
                    CpuTime::PROCESS.end(start)
                })
            })
        });
    }
    group.finish();
}

/// The median of a function of this run, from criterion's estimates.json.
fn median(function: &str) -> Option<f64> {
    let root = std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(|d| std::path::PathBuf::from(d).join("criterion"))
        })
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion")
        });
    let text =
        std::fs::read_to_string(root.join(GROUP).join(function).join("new/estimates.json")).ok()?;
    let rest = &text[text.find("\"median\"")?..];
    let rest = &rest[rest.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn main() {
    let mut c = Criterion::default()
        .with_measurement(CpuTime::PROCESS)
        .configure_from_args();
    login(&mut c);
    c.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return; // nothing measured: the files hold an earlier run's figures
    }
    let (Some(floor), Some(verify)) = (
        median("openssl_rsa2048_verify_floor"),
        median("samlsp_verify_only"),
    ) else {
        return; // nothing measured yet (--test run)
    };
    println!("\nmedians (last run of each function), process CPU time:");
    println!(
        "  floor        {:>9.1} µs  {:>9.0} per CPU-second",
        floor / 1e3,
        1e9 / floor
    );
    println!(
        "  verify-only  {:>9.1} µs  {:>9.0} per CPU-second",
        verify / 1e3,
        1e9 / verify
    );
    if let Some(v) = median("samlsp_verify_only_login_response") {
        println!("  verify-only, login's response {:>9.1} µs", v / 1e3);
    }
    for name in ["login", "login_signed_request"] {
        if let Some(l) = median(name) {
            println!(
                "  {name:<21} {:>9.1} µs  {:>9.0} logins per CPU-second  {:.2} × verify-only  {:.2} × floor",
                l / 1e3,
                1e9 / l,
                l / verify,
                l / floor
            );
        }
    }
}
