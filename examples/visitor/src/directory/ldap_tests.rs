#![allow(clippy::unwrap_used)]
use super::*;

fn settings(extra: &str) -> LdapSettings {
    let text = format!(
        "url = \"ldap://127.0.0.1:3389\"\nbind_dn = \"cn=s\"\npassword_env = \"X\"\n\
         base_dn = \"dc=acme,dc=test\"\nadmin_group = \"CN=Admins,OU=Groups,DC=acme,DC=test\"\n{extra}"
    );
    toml::from_str(&text).unwrap()
}

fn entry(attrs: &[(&str, &[&[u8]])]) -> Entry {
    Entry {
        dn: "uid=a,dc=acme,dc=test".into(),
        attrs: attrs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.iter().map(|x| x.to_vec()).collect()))
            .collect(),
    }
}

#[test]
fn an_entry_becomes_a_record() {
    let s = settings("");
    let e = entry(&[
        ("MAIL", &[b"Ann@acme.test"]),
        ("givenName", &[b"Ann"]),
        ("sn", &[b"Lee"]),
        ("physicalDeliveryOfficeName", &[b"HQ"]),
        (
            "memberOf",
            &[b"cn=other,dc=x", b"cn=admins, ou=groups, dc=acme, dc=test"],
        ),
        ("entryUUID", &[b"f6943644-8281-1041-8807-bd82045a1e12"]),
        ("userAccountControl", &[b"512"]),
    ]);
    let r = entry_record(&e, &s);
    assert_eq!(r.email, "Ann@acme.test");
    assert_eq!(
        (r.given_name.as_str(), r.family_name.as_str()),
        ("Ann", "Lee")
    );
    assert_eq!(r.location.as_deref(), Some("HQ"));
    assert_eq!(r.role, Some(Role::Admin));
    assert_eq!(
        r.external_id.as_deref(),
        Some("f6943644-8281-1041-8807-bd82045a1e12")
    );
    assert!(r.enabled);
    assert_eq!(r.origin, "uid=a,dc=acme,dc=test");
}

#[test]
fn disabled_accounts_are_recognized() {
    let s = settings("disabled_attribute = \"employeeType\"\ndisabled_values = [\"left\"]");
    for (uac, disabled) in [
        ("514", true),
        ("66050", true),
        ("-2147483646", true),
        ("512", false),
        ("66048", false),
    ] {
        let e = entry(&[("userAccountControl", &[uac.as_bytes()])]);
        assert_eq!(!entry_record(&e, &s).enabled, disabled, "{uac}");
    }
    let e = entry(&[("employeeType", &[b"LEFT"])]);
    assert!(!entry_record(&e, &s).enabled);
    let e = entry(&[("employeeType", &[b"staff"])]);
    assert!(entry_record(&e, &s).enabled);
}

#[test]
fn a_binary_guid_is_hex_and_no_group_means_host() {
    let s = settings("[attributes]\nid = \"objectGUID\"");
    let e = entry(&[("objectGUID", &[&[0x01, 0xff, 0x00, 0x1f]])]);
    let r = entry_record(&e, &s);
    assert_eq!(r.external_id.as_deref(), Some("01ff001f"));
    assert_eq!(r.role, Some(Role::Host));
    assert_eq!(r.location, None);
}

#[test]
fn an_empty_or_missing_password_is_refused() {
    let dir = std::env::temp_dir().join(format!("visitor-ldap-pw-{}", std::process::id()));
    std::fs::write(&dir, "\n").unwrap();
    let e = read_password(&PasswordSource::File(dir.clone())).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    std::fs::write(&dir, "s3cret\n").unwrap();
    assert_eq!(
        read_password(&PasswordSource::File(dir.clone())).unwrap(),
        "s3cret"
    );
    let _ = std::fs::remove_file(&dir);
    let e = read_password(&PasswordSource::Env("VISITOR_TEST_SURELY_UNSET".into())).unwrap_err();
    assert!(matches!(e, LdapError::Password { .. }));
}

#[test]
fn settings_refuse_cleartext_and_mistakes() {
    let bad = |t: &str| toml::from_str::<LdapSettings>(t).unwrap_err().to_string();
    let base = "bind_dn = \"cn=s\"\npassword_env = \"X\"\nbase_dn = \"dc=a\"\n";
    assert!(bad(&format!("url = \"http://x\"\n{base}")).contains("ldap:// or ldaps://"));
    assert!(bad(&format!("url = \"ldap://x/dc=a?mail\"\n{base}")).contains("only scheme"));
    assert!(
        bad("url = \"ldaps://x\"\nbind_dn = \"cn=s\"\nbase_dn = \"dc=a\"\n")
            .contains("password_file")
    );
    assert!(bad(&format!("url = \"ldap://x\"\n{base}page_size = 0")).contains("page_size"));
    assert!(bad(&format!("url = \"ldap://x\"\n{base}filter = \"uid=a\"")).contains("parentheses"));
    let ok: LdapSettings =
        toml::from_str(&format!("url = \"ldaps://dc1.acme.example\"\n{base}")).unwrap();
    assert_eq!(ok.address, "dc1.acme.example:636");
    assert_eq!(ok.transport, LdapTransport::Ldaps);
    assert_eq!(ok.interval, Duration::from_secs(86_400));
}
