//! `samlsp verify`: offline verification of a posted SAMLResponse.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use samlsp::{ClockSkew, EntityId, IdpMetadata, RequestContext, RequestId, ServiceProvider, Url};
use serde_json::{Map, Value, json};

use crate::read_input;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// IdP metadata (an EntityDescriptor with an IDPSSODescriptor).
    #[arg(long, value_name = "FILE")]
    idp_metadata: String,
    /// This SP's entity ID (the required Audience).
    #[arg(long, value_name = "ID")]
    sp_entity_id: String,
    /// This SP's ACS URL (Destination and Recipient).
    #[arg(long, value_name = "URL")]
    acs_url: String,
    /// The pending AuthnRequest ID the response must answer.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    /// Accept an IdP-initiated response (no InResponseTo).
    #[arg(long)]
    allow_unsolicited: bool,
    /// Verify as of this instant instead of the system clock.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Allowed clock skew in seconds (default 60).
    #[arg(long, value_name = "SECONDS")]
    clock_skew: Option<u32>,
    /// The SAMLResponse as posted (base64, possibly wrapped) or raw XML; `-` for stdin.
    #[arg(value_name = "RESPONSE_FILE | -")]
    response: String,
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("samlsp verify: {msg}");
    ExitCode::from(2)
}

pub fn run(args: &Args) -> ExitCode {
    let now: DateTime<Utc> = match &args.now {
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => return usage(format!("--now {s:?} is not RFC 3339: {e}")),
        },
        None => Utc::now(),
    };
    let metadata = match read_input(&args.idp_metadata) {
        Ok(m) => m,
        Err(e) => return usage(e),
    };
    let metadata = match IdpMetadata::parse(&metadata, None, now) {
        Ok(m) => m,
        Err(e) => return usage(format!("IdP metadata {}: {e}", args.idp_metadata)),
    };
    let idp = match samlsp::IdentityProvider::from_metadata(&metadata) {
        Ok(idp) => idp.allow_unsolicited(args.allow_unsolicited),
        Err(e) => return usage(format!("IdP metadata: {e}")),
    };
    let sp_entity_id = match EntityId::new(args.sp_entity_id.clone()) {
        Ok(e) => e,
        Err(e) => return usage(format!("--sp-entity-id: {e}")),
    };
    let acs = match Url::new(args.acs_url.clone()) {
        Ok(u) => u,
        Err(e) => return usage(format!("--acs-url: {e}")),
    };
    let mut builder = ServiceProvider::builder(sp_entity_id).acs_url(acs).idp(idp);
    if let Some(s) = args.clock_skew {
        builder = builder.clock_skew(ClockSkew::seconds(i64::from(s)));
    }
    let sp = match builder.build() {
        Ok(sp) => sp,
        Err(e) => return usage(e),
    };
    let input = match read_input(&args.response) {
        Ok(i) => i,
        Err(e) => return usage(e),
    };
    let request_id = match args.request_id.as_deref().map(RequestId::new).transpose() {
        Ok(id) => id,
        Err(e) => return usage(e),
    };
    let ctx = match &request_id {
        Some(id) => RequestContext::Pending {
            request_id: id,
            idp: None,
        },
        None => RequestContext::Unsolicited,
    };
    let is_xml = input
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<' || b == 0xEF);
    let result = if is_xml {
        sp.verify_response_xml(&input, now, ctx)
    } else {
        match std::str::from_utf8(&input) {
            Ok(text) => sp.verify_response(text, now, ctx),
            Err(_) => Err(samlsp::EncodingError::NotBase64.into()),
        }
    };
    match result {
        Ok(a) => {
            let mut attributes = Map::new();
            for attr in a.attributes() {
                let entry = attributes
                    .entry(attr.name().to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(values) = entry {
                    values.extend(attr.values().iter().cloned().map(Value::String));
                }
            }
            let out = json!({
                "issuer": a.issuer().as_str(),
                "name_id": a.name_id().value(),
                "name_id_format": a.name_id().format(),
                "name_qualifier": a.name_id().name_qualifier(),
                "sp_name_qualifier": a.name_id().sp_name_qualifier(),
                "session_index": a.session_index(),
                "authn_instant": samlsp::internal::time::format_instant(a.authn_instant()),
                "session_not_on_or_after": a.session_not_on_or_after().map(samlsp::internal::time::format_instant),
                "assertion_id": a.id(),
                "not_on_or_after": samlsp::internal::time::format_instant(a.not_on_or_after()),
                "authn_context_class": a.authn_context_class(),
                "attributes": attributes,
            });
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rejected: {e}");
            ExitCode::from(1)
        }
    }
}
