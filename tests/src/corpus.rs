//! Runs entries of a fixture manifest (`testdata/responses/manifest.json`,
//! `testdata/captured/manifest.json`) through the response verifier.

use samlsp::danger::DangerousAlgorithms as _;
use serde_json::Value;

use samlsp::internal::dsig::{TrustedKey, TrustedKeys};
use samlsp::{
    Assertion, ClockSkew, EntityId, Error, IdentityProvider, RequestContext, ServiceProvider, Url,
};

/// One manifest entry.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name (its file name without extension).
    pub name: String,
    /// The manifest entry as written.
    pub entry: Value,
}

impl Case {
    fn str(&self, key: &str) -> Option<&str> {
        self.entry.get(key).and_then(Value::as_str)
    }

    /// The expectation string (`ok` or a reason keyword).
    pub fn expect(&self) -> &str {
        self.str("expect").unwrap_or("")
    }

    /// The expected NameID, when the manifest gives one.
    pub fn expect_name_id(&self) -> Option<&str> {
        self.str("expect_name_id")
    }
}

/// Loads a manifest.
pub fn load(manifest: &str) -> Vec<Case> {
    let v: Value =
        serde_json::from_slice(&crate::read_repo_file(manifest)).expect("manifest is JSON");
    v.as_array()
        .expect("manifest is a list")
        .iter()
        .map(|e| Case {
            name: e
                .get("name")
                .and_then(Value::as_str)
                .expect("name")
                .to_owned(),
            entry: e.clone(),
        })
        .collect()
}

/// Finds one case by name.
pub fn case(manifest: &str, name: &str) -> Case {
    load(manifest)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name} in {manifest}"))
}

/// Builds the SP a case describes.
pub fn service_provider(case: &Case) -> Result<ServiceProvider, Error> {
    let cert = case.str("trusted_cert").expect("trusted_cert");
    let trusted = TrustedKey::from_certificate_pem(&crate::read_repo_file(cert))
        .map_err(|e| Error::Config(samlsp::ConfigError::Key(e)))?;
    let mut keys = vec![trusted];
    if let Some(extra) = case
        .entry
        .get("extra_trusted_certs")
        .and_then(Value::as_array)
    {
        for c in extra.iter().filter_map(Value::as_str) {
            keys.push(TrustedKey::from_certificate_pem(&crate::read_repo_file(c)).expect("cert"));
        }
    }
    let idp_id = case
        .str("idp_entity_id")
        .unwrap_or("https://idp.example.com/saml2/idp/metadata");
    let idp = IdentityProvider::new(
        EntityId::new(idp_id).unwrap(),
        TrustedKeys::new(keys).unwrap(),
    )
    .unwrap()
    .allow_unsolicited(
        case.entry
            .get("allow_unsolicited")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    );
    let sp_id = case
        .str("sp_entity_id")
        .unwrap_or("https://sp.example.org/saml/metadata");
    let acs = case
        .str("acs_url")
        .unwrap_or("https://sp.example.org/saml/acs");
    let skew = case
        .entry
        .get("clock_skew_seconds")
        .and_then(Value::as_i64)
        .unwrap_or(60);
    let mut builder = ServiceProvider::builder(EntityId::new(sp_id).unwrap())
        .acs_url(Url::new(acs).unwrap())
        .idp(idp)
        .clock_skew(ClockSkew::seconds(skew));
    if let Some(key) = case.str("sp_decryption_key") {
        let cert = if key.ends_with("sp_key.pem") {
            key.replace("sp_key.pem", "sp_cert.pem")
        } else {
            key.replace(".key", ".crt")
        };
        let pair =
            samlsp::SpKeyPair::from_pem(&crate::read_repo_file(key), &crate::read_repo_file(&cert))
                .map_err(|e| Error::Config(samlsp::ConfigError::Key(e)))?;
        builder = builder.encryption_key(pair);
    }
    if case.entry.get("allow_sha1").and_then(Value::as_bool) == Some(true) {
        builder = builder.algorithm_policy(samlsp::AlgorithmPolicy::strict().danger_allow_sha1());
    }
    Ok(builder.build().unwrap())
}

/// Verifies a case's response as its manifest entry prescribes.
pub fn run(case: &Case) -> Result<Assertion, Error> {
    let sp = service_provider(case)?;
    let file = case.str("file").expect("file");
    let bytes = crate::read_repo_file(file);
    let now = crate::instant(case.str("now").expect("now"));
    let ctx = match case.str("request_id") {
        Some(id) => RequestContext::Pending {
            request_id: &samlsp::RequestId::new(id).unwrap(),
            idp: None,
        },
        None => RequestContext::Unsolicited,
    };
    if file.ends_with(".b64") || case.str("format") == Some("base64") {
        sp.verify_response(&String::from_utf8_lossy(&bytes), now, ctx)
    } else {
        sp.verify_response_xml(&bytes, now, ctx)
    }
}
