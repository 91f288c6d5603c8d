//! Presets for the IdPs customers use most: which attribute names each one
//! sends by default, which NameID format to ask for, and whether to ask for
//! an authentication context.
//!
//! No preset requests an AuthnContext: asking for the password class makes
//! Entra ID refuse users who sign in without a password (Windows Hello,
//! FIDO2, passwordless phone sign-in), and the other IdPs pick a fitting
//! context on their own. The attribute names are those each product's own
//! documentation lists for its default SAML claims (Microsoft Entra ID's
//! and ADFS's claim-type URIs, Okta's and Google Workspace's attribute
//! statements as their setup wizards suggest, Keycloak's user property
//! mappers).

/// `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress` (SAML Core 2.0 §8.3.2).
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent` (SAML Core 2.0 §8.3.7).
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified` (SAML Core 2.0 §8.3.1).
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

const CLAIMS: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";

/// One IdP product's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// Stored key (`entra`, `okta`, ...).
    pub key: &'static str,
    /// Product name.
    pub label: &'static str,
    /// Attribute carrying the email address.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Group memberships, when the product sends them by default or with
    /// one documented switch.
    pub groups: Option<String>,
    /// NameID format to request.
    pub name_id_format: &'static str,
    /// AuthnContextClassRef to request; `None` (ask for none) everywhere.
    pub authn_context: Option<&'static str>,
    /// What the admin still sets at the IdP.
    pub hint: &'static str,
}

fn claim(name: &str) -> String {
    format!("{CLAIMS}/{name}")
}

/// Claim URIs as Entra ID and ADFS send them.
fn microsoft(key: &'static str, label: &'static str, hint: &'static str) -> Preset {
    Preset {
        key,
        label,
        email: claim("emailaddress"),
        given_name: claim("givenname"),
        family_name: claim("surname"),
        groups: Some("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups".into()),
        name_id_format: NAMEID_EMAIL,
        authn_context: None,
        hint,
    }
}

/// Plain names, as Okta, Google Workspace and Keycloak are usually set up.
fn plain(
    key: &'static str,
    label: &'static str,
    groups: Option<&str>,
    nameid: &'static str,
    hint: &'static str,
) -> Preset {
    Preset {
        key,
        label,
        email: "email".into(),
        given_name: "firstName".into(),
        family_name: "lastName".into(),
        groups: groups.map(str::to_owned),
        name_id_format: nameid,
        authn_context: None,
        hint,
    }
}

/// Every preset, in the console's order (`generic` last).
pub fn all() -> Vec<Preset> {
    vec![
        microsoft(
            "entra",
            "Microsoft Entra ID",
            "Enterprise application → Single sign-on → SAML: paste our entity ID as Identifier and the ACS as Reply URL.",
        ),
        plain(
            "okta",
            "Okta",
            Some("groups"),
            NAMEID_EMAIL,
            "SAML app integration: Single sign-on URL is our ACS, Audience URI our entity ID; add attribute statements email, firstName, lastName.",
        ),
        microsoft(
            "adfs",
            "ADFS",
            "Add a relying party trust from our metadata URL; claim rules: send LDAP attributes E-Mail-Addresses, Given-Name, Surname.",
        ),
        plain(
            "google",
            "Google Workspace",
            None,
            NAMEID_EMAIL,
            "Custom SAML app: ACS URL and Entity ID from below; map Primary email → email, First name → firstName, Last name → lastName.",
        ),
        plain(
            "keycloak",
            "Keycloak",
            Some("groups"),
            NAMEID_PERSISTENT,
            "SAML client with our entity ID as Client ID; add user property mappers email, firstName, lastName.",
        ),
        plain(
            "generic",
            "Other SAML 2.0 IdP",
            None,
            NAMEID_UNSPECIFIED,
            "Enter the values below at your IdP; send the attributes email, firstName, lastName.",
        ),
    ]
}

/// The preset stored under `key`.
pub fn by_key(key: &str) -> Option<Preset> {
    all().into_iter().find(|p| p.key == key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_product_has_a_preset_and_none_requests_an_authn_context() {
        for k in ["entra", "okta", "adfs", "google", "keycloak", "generic"] {
            let p = by_key(k).unwrap();
            assert_eq!(p.authn_context, None, "{k}");
        }
        assert_eq!(
            by_key("entra").unwrap().email,
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
        );
        assert_eq!(by_key("adfs").unwrap().name_id_format, NAMEID_EMAIL);
        assert!(by_key("nope").is_none());
    }
}
