//! Reading the configuration: the file's TOML, its relative paths made
//! absolute, then the `VISITOR_*` environment written over it, and only
//! then deserialized, so a value from the environment is checked exactly
//! like one from the file.

use std::collections::HashMap;
use std::path::Path;

use toml::{Table, Value};

use super::{Config, ConfigError};

/// `[server]` keys the environment may set, and their variables.
const SERVER_ENV: [(&str, &str); 11] = [
    ("bind", "VISITOR_BIND"),
    ("public_url", "VISITOR_PUBLIC_URL"),
    ("database", "VISITOR_DATABASE"),
    ("database_url", "VISITOR_DATABASE_URL"),
    ("database_pool_size", "VISITOR_DATABASE_POOL_SIZE"),
    ("session_key", "VISITOR_SESSION_KEY"),
    ("log", "VISITOR_LOG"),
    ("redis_url", "VISITOR_REDIS_URL"),
    ("redis_namespace", "VISITOR_REDIS_NAMESPACE"),
    ("instance", "VISITOR_INSTANCE"),
    ("metrics_bind", "VISITOR_METRICS_BIND"),
];

impl Config {
    /// Parses TOML text; relative paths are resolved against `base_dir`;
    /// `origin` names the text in errors.
    pub fn from_toml(text: &str, base_dir: &Path, origin: &str) -> Result<Self, ConfigError> {
        Config::from_toml_with_env(text, base_dir, origin, &HashMap::new())
    }

    /// Reads the file, then applies the environment.
    pub fn load(path: &Path, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_toml_with_env(&text, base, &path.display().to_string(), env)
    }

    /// [`Config::from_toml`], with `VISITOR_*` overrides from `env`.
    pub fn from_toml_with_env(
        text: &str,
        base_dir: &Path,
        origin: &str,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let err = |reason: String| ConfigError::Parse {
            path: origin.to_owned(),
            reason,
        };
        let mut table: Table = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        resolve_paths(&mut table, base_dir);
        apply_env(&mut table, env);
        Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| err(e.message().to_owned()))
    }
}

/// `[mail]` keys the environment may set, and their variables.
const MAIL_ENV: [(&str, &str); 7] = [
    ("smtp_host", "VISITOR_SMTP_HOST"),
    ("smtp_port", "VISITOR_SMTP_PORT"),
    ("tls", "VISITOR_SMTP_TLS"),
    ("username", "VISITOR_SMTP_USERNAME"),
    ("password", "VISITOR_SMTP_PASSWORD"),
    ("from", "VISITOR_MAIL_FROM"),
    ("retry_secs", "VISITOR_SMTP_RETRY_SECS"),
];

/// Makes the file's relative paths relative to `base` (`:memory:` stays).
fn resolve_paths(t: &mut Table, base: &Path) {
    let fix = |v: Option<&mut Value>| {
        if let Some(Value::String(p)) = v
            && Path::new(p.as_str()).is_relative()
            && p != ":memory:"
        {
            *p = base.join(&*p).display().to_string();
        }
    };
    if let Some(Value::Table(server)) = t.get_mut("server") {
        fix(server.get_mut("database"));
    }
    if let Some(Value::Table(sp)) = t.get_mut("sp") {
        for k in [
            "signing_key",
            "signing_cert",
            "encryption_key",
            "encryption_cert",
        ] {
            fix(sp.get_mut(k));
        }
    }
    for idp in idps(t) {
        fix(idp.get_mut("metadata_file"));
    }
    if let Some(Value::Array(orgs)) = t.get_mut("org") {
        for org in orgs {
            if let Some(Value::Table(ldap)) = org.get_mut("ldap") {
                fix(ldap.get_mut("ca_file"));
                fix(ldap.get_mut("password_file"));
            }
        }
    }
}

/// Writes the `VISITOR_*` values over the file's (paths from the
/// environment stay relative to the working directory).
fn apply_env(t: &mut Table, env: &HashMap<String, String>) {
    for (key, var) in SERVER_ENV {
        if let Some(v) = env.get(var) {
            let server = t
                .entry("server")
                .or_insert_with(|| Value::Table(Table::new()));
            // A count is a number in the file; the environment's text is
            // one when it parses (else the text is refused as a count).
            let value = match v.parse::<i64>() {
                Ok(n) if key == "database_pool_size" => Value::Integer(n),
                _ => Value::String(v.clone()),
            };
            if let Value::Table(server) = server {
                server.insert(key.to_owned(), value);
            }
        }
    }
    for (key, var) in MAIL_ENV {
        if let Some(v) = env.get(var) {
            let mail = t
                .entry("mail")
                .or_insert_with(|| Value::Table(Table::new()));
            // A port is a number in the file; the environment's text is
            // one when it parses (else the text is refused as a port).
            let value = match v.parse::<i64>() {
                Ok(n) if key == "smtp_port" || key == "retry_secs" => Value::Integer(n),
                _ => Value::String(v.clone()),
            };
            if let Value::Table(mail) = mail {
                mail.insert(key.to_owned(), value);
            }
        }
    }
    for idp in idps(t) {
        let Some(Value::String(slug)) = idp.get("slug") else {
            continue;
        };
        let var = format!(
            "VISITOR_IDP_{}_METADATA_URL",
            slug.to_ascii_uppercase().replace('-', "_")
        );
        if let Some(url) = env.get(&var) {
            idp.remove("metadata_file");
            idp.remove("metadata_xml");
            idp.insert("metadata_url".into(), Value::String(url.clone()));
        }
    }
}

/// The `[[idp]]` tables.
fn idps(t: &mut Table) -> impl Iterator<Item = &mut Table> {
    let list = match t.get_mut("idp") {
        Some(Value::Array(a)) => a.as_mut_slice(),
        _ => &mut [],
    };
    list.iter_mut().filter_map(|v| match v {
        Value::Table(t) => Some(t),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use std::path::PathBuf;

    use super::*;
    use crate::config::MetadataSource;

    const MIN: &str = r#"
[server]
public_url = "http://127.0.0.1:8080/"
database = "data/v.sqlite3"

[[org]]
slug = "acme"
name = "Acme"
domains = ["Acme.TEST"]
locations = ["HQ"]

[[idp]]
slug = "acme-corp"
org = "acme"
name = "Acme"
metadata_file = "acme.xml"
[idp.attributes]
email = ["mail"]
"#;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    /// The reason of a refused configuration.
    fn refused(text: &str) -> String {
        match Config::from_toml(text, Path::new("."), "t") {
            Err(ConfigError::Parse { reason, .. }) => reason,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn parses_resolves_and_overrides() {
        let key = "a".repeat(88);
        let e = env(&[
            ("VISITOR_BIND", "0.0.0.0:9000"),
            ("VISITOR_IDP_ACME_CORP_METADATA_URL", "https://idp/x"),
            ("VISITOR_SESSION_KEY", &key),
            ("VISITOR_LOG", "warn,samlsp_actix=debug"),
        ]);
        let c = Config::from_toml_with_env(MIN, Path::new("/etc/visitor"), "t", &e).unwrap();
        assert_eq!(c.server.bind, "0.0.0.0:9000");
        assert_eq!(c.server.public_url.as_str(), "http://127.0.0.1:8080");
        assert!(c.server.session_key.is_some());
        assert_eq!(
            c.server.database,
            PathBuf::from("/etc/visitor/data/v.sqlite3")
        );
        let idp = &c.idps[0];
        assert_eq!(idp.metadata, MetadataSource::Url("https://idp/x".into()));
        assert_eq!(c.orgs[0].domains[0].as_str(), "acme.test");
        assert_eq!(c.orgs[0].default_location(), "HQ");
        assert_eq!(c.org_of("acme-corp").map(|o| o.slug.as_str()), Some("acme"));
        assert_eq!(c.sp_entity_id(), "http://127.0.0.1:8080/saml/metadata");
        let names = idp.attribute_names();
        assert_eq!(names.email, vec!["mail".to_owned()]);
        assert_eq!(names.given_name[0], "firstName");
        assert!(idp.jit_create);

        assert!(c.mail.is_none());
        let e = env(&[
            ("VISITOR_SMTP_HOST", "127.0.0.1"),
            ("VISITOR_SMTP_PORT", "2526"),
            ("VISITOR_SMTP_TLS", "none"),
            ("VISITOR_MAIL_FROM", "Visitors <v@acme.test>"),
        ]);
        let c = Config::from_toml_with_env(MIN, Path::new("."), "t", &e).unwrap();
        let mail = c.mail.unwrap();
        assert_eq!(
            (mail.smtp_host.as_str(), mail.smtp_port),
            ("127.0.0.1", 2526)
        );

        let c = Config::from_toml(MIN, Path::new("/etc/visitor"), "t").unwrap();
        let file = PathBuf::from("/etc/visitor/acme.xml");
        assert_eq!(c.idps[0].metadata, MetadataSource::File(file));
    }

    #[test]
    fn environment_values_are_checked_like_the_file() {
        let e = env(&[("VISITOR_PUBLIC_URL", "127.0.0.1:8080")]);
        let Err(ConfigError::Parse { reason, .. }) =
            Config::from_toml_with_env(MIN, Path::new("."), "t", &e)
        else {
            panic!("accepted");
        };
        assert_eq!(
            reason,
            "public_url \"127.0.0.1:8080\" is not an http(s) URL"
        );
    }

    #[test]
    fn refuses_each_mistake_with_its_reason() {
        let cases = [
            (
                MIN.replace(
                    "locations = [\"HQ\"]",
                    "locations = [\"HQ\"]\ndefault_location = \"Nowhere\"",
                ),
                "org \"acme\": default_location \"Nowhere\" is not one of its locations",
            ),
            (
                MIN.replace("org = \"acme\"", "org = \"acne\""),
                "idp \"acme-corp\": org \"acne\" is not an [[org]]",
            ),
            (
                MIN.replace("slug = \"acme-corp\"", "slug = \"conn-1\""),
                "idp \"conn-1\": slugs starting with \"conn-\" are kept for console connections",
            ),
            (
                MIN.replace("locations = [\"HQ\"]", "locations = []"),
                "org \"acme\": no locations",
            ),
            (
                MIN.replace("Acme.TEST", "\u{430}cme.test"),
                "\"\u{430}cme.test\" is not an ASCII domain name (write IDNs in their xn-- form)",
            ),
            (
                MIN.replace("metadata_file = \"acme.xml\"", ""),
                "idp \"acme-corp\": set exactly one of metadata_url, metadata_file, metadata_xml",
            ),
            (
                format!("{MIN}binding = \"soap\"\n")
                    .replace("[idp.attributes]\nemail = [\"mail\"]\n", ""),
                "unknown variant `soap`, expected `redirect` or `post`",
            ),
            (
                MIN.replace("[[org]]", "[sp]\nsigning_key = \"k.pem\"\n[[org]]"),
                "sp: set both signing_key and signing_cert, or neither",
            ),
            (
                format!(
                    "{MIN}\n[[org]]\nslug = \"other\"\nname = \"O\"\nlocations = [\"X\"]\n\
                     domains = [\"acme.test\"]\n"
                ),
                "domain \"acme.test\" is verified for both \"acme\" and \"other\"",
            ),
            (
                "[server]\npublic_url = \"http://x\"\ndatabase = \":memory:\"\n".to_owned(),
                "no [[org]] configured",
            ),
            (
                MIN.replace("[server]", "[server]\nlog = \"info,x=[\""),
                "log \"info,x=[\" is not a log filter",
            ),
        ];
        for (text, reason) in cases {
            let got = refused(&text);
            assert!(
                got.starts_with(reason),
                "{got:?} does not start with {reason:?}"
            );
        }
        assert!(refused("[server]\nbogus = 1").contains("unknown field `bogus`"));
    }

    /// `VISITOR_DATABASE_URL` selects PostgreSQL; the URL is checked, never
    /// shown (not in `Debug`, not in the refusal); the pool size is a
    /// number from the environment too. Unset: SQLite, as before.
    #[test]
    fn the_database_url_selects_postgres_and_is_never_shown() {
        let c = Config::from_toml(MIN, Path::new("."), "t").unwrap();
        assert!(c.server.database_url.is_none());
        let e = env(&[
            (
                "VISITOR_DATABASE_URL",
                "postgres://app:s3cret@db.internal/visitor",
            ),
            ("VISITOR_DATABASE_POOL_SIZE", "4"),
        ]);
        let c = Config::from_toml_with_env(MIN, Path::new("."), "t", &e).unwrap();
        assert_eq!(
            c.server.database_url.as_ref().map(|u| u.expose()),
            Some("postgres://app:s3cret@db.internal/visitor")
        );
        assert_eq!(c.server.postgres_options().pool_size, 4);
        assert!(!format!("{c:?}").contains("s3cret"));
        for bad in [
            "mysql://app:s3cret@db/visitor",
            "postgres://app:s3cret@db:notaport/visitor",
        ] {
            let e = env(&[("VISITOR_DATABASE_URL", bad)]);
            let got = match Config::from_toml_with_env(MIN, Path::new("."), "t", &e) {
                Err(ConfigError::Parse { reason, .. }) => reason,
                other => panic!("not refused: {other:?}"),
            };
            assert!(got.starts_with("database_url: "), "{got}");
            assert!(!got.contains("s3cret"), "{got}");
        }
        let e = env(&[("VISITOR_DATABASE_POOL_SIZE", "many")]);
        assert!(Config::from_toml_with_env(MIN, Path::new("."), "t", &e).is_err());
    }

    #[test]
    fn sample_config_for_keycloak_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("visitor.toml");
        let c = Config::load(&path, &HashMap::new()).unwrap();
        assert_eq!(c.idps.len(), 2);
        let orgs: Vec<_> = c
            .orgs
            .iter()
            .map(|o| (o.slug.as_str(), o.domains[0].as_str()))
            .collect();
        assert_eq!(orgs, [("acme", "acme.test"), ("globex", "globex.test")]);
        assert!(c.sp.signing.as_ref().unwrap().key.exists());
        assert!(c.sp.encryption.as_ref().unwrap().key.exists());
        let mail = c.mail.unwrap();
        assert_eq!(
            (mail.smtp_host.as_str(), mail.smtp_port),
            ("127.0.0.1", 2525)
        );
    }

    #[test]
    fn conformance_config_is_valid() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/conformance/visitor.toml");
        let c = Config::load(&path, &HashMap::new()).unwrap();
        assert_eq!(c.idps.len(), 6);
    }
}
