//! `samlsp metadata`: SP metadata to standard output.

use std::process::ExitCode;

use chrono::{Duration, Utc};
use samlsp::{Binding, EntityId, MetadataOptions, SpKeyPair, SpMetadataBuilder, Url};

use crate::read_input;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The SP entity ID.
    #[arg(long, value_name = "ID")]
    entity_id: String,
    /// An Assertion Consumer Service URL (HTTP-POST); repeat for more, the
    /// first is the default.
    #[arg(long, value_name = "URL", required = true)]
    acs_url: Vec<String>,
    /// The SP signing certificate (PEM), published with use="signing".
    #[arg(long, value_name = "FILE")]
    cert: String,
    /// The SP encryption certificate (PEM, RSA), published with use="encryption".
    #[arg(long, value_name = "FILE")]
    encryption_cert: Option<String>,
    /// The private key of --cert: signs the metadata when given.
    #[arg(long, value_name = "FILE")]
    sign_key: Option<String>,
    /// A SingleLogoutService URL (published for HTTP-Redirect and HTTP-POST).
    #[arg(long, value_name = "URL")]
    slo_url: Option<String>,
    /// A NameIDFormat to list.
    #[arg(long, value_name = "URI")]
    name_id_format: Option<String>,
    /// validUntil: now plus this many days.
    #[arg(long, value_name = "DAYS")]
    valid_days: Option<u32>,
    /// cacheDuration in hours.
    #[arg(long, value_name = "HOURS")]
    cache_hours: Option<u32>,
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("samlsp metadata: {msg}");
    ExitCode::from(2)
}

pub fn run(args: &Args) -> ExitCode {
    let entity_id = match EntityId::new(args.entity_id.clone()) {
        Ok(e) => e,
        Err(e) => return usage(format!("--entity-id: {e}")),
    };
    let mut b = SpMetadataBuilder::new(entity_id);
    for u in &args.acs_url {
        match Url::new(u.clone()) {
            Ok(u) => b = b.acs_url(u),
            Err(e) => return usage(format!("--acs-url: {e}")),
        }
    }
    let cert = match read_input(&args.cert) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    b = match b.signing_certificate_pem(&cert) {
        Ok(b) => b,
        Err(e) => return usage(format!("--cert {}: {e}", args.cert)),
    };
    if let Some(path) = &args.encryption_cert {
        let pem = match read_input(path) {
            Ok(c) => c,
            Err(e) => return usage(e),
        };
        b = match b.encryption_certificate_pem(&pem) {
            Ok(b) => b,
            Err(e) => return usage(format!("--encryption-cert {path}: {e}")),
        };
    }
    if let Some(u) = &args.slo_url {
        let url = match Url::new(u.clone()) {
            Ok(u) => u,
            Err(e) => return usage(format!("--slo-url: {e}")),
        };
        b = b
            .slo_url(Binding::HttpRedirect, url.clone())
            .slo_url(Binding::HttpPost, url);
    }
    if let Some(f) = &args.name_id_format {
        b = b.name_id_format(f.clone());
    }
    let mut options = MetadataOptions::new();
    if let Some(path) = &args.sign_key {
        let key = match read_input(path) {
            Ok(k) => k,
            Err(e) => return usage(e),
        };
        let pair = match SpKeyPair::from_pem(&key, &cert) {
            Ok(p) => p,
            Err(e) => return usage(format!("--sign-key {path} with --cert {}: {e}", args.cert)),
        };
        b = b.sign_with(pair);
        options = options.signed(true);
    }
    if let Some(d) = args.valid_days {
        options = options.valid_until(Utc::now() + Duration::days(i64::from(d)));
    }
    if let Some(h) = args.cache_hours {
        options = options.cache_duration(Duration::hours(i64::from(h)));
    }
    match b.to_xml(&options) {
        Ok(xml) => {
            print!("{xml}");
            ExitCode::SUCCESS
        }
        Err(e) => usage(e),
    }
}
