//! Which SAML attributes carry a person's email, names and groups: defaults
//! per IdP product, overridable per IdP.

use serde::Deserialize;

/// Which attribute names carry what; each a list of candidates, matched
/// against the attribute `Name` and then `FriendlyName`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AttributeNames {
    /// Email.
    #[serde(default)]
    pub email: Vec<String>,
    /// Given name.
    #[serde(default)]
    pub given_name: Vec<String>,
    /// Family name.
    #[serde(default)]
    pub family_name: Vec<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Vec<String>,
    /// Groups (multi-valued).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Attribute-name defaults for well-known IdPs.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AttributeProfile {
    /// Keycloak user-property mappers (`email`, `firstName`, `lastName`,
    /// group mapper `groups`) and the X.500 OIDs of its built-in mappers.
    #[default]
    Keycloak,
    /// Microsoft Entra ID claim URIs.
    Entra,
    /// Okta's usual attribute statements.
    Okta,
}

const X500_EMAIL: &str = "urn:oid:0.9.2342.19200300.100.1.3";
const PKCS9_EMAIL: &str = "urn:oid:1.2.840.113549.1.9.1";
const X500_GIVEN: &str = "urn:oid:2.5.4.42";
const X500_SURNAME: &str = "urn:oid:2.5.4.4";
const X500_DISPLAY: &str = "urn:oid:2.16.840.1.113730.3.1.241";

impl AttributeProfile {
    /// The default names.
    pub fn names(self) -> AttributeNames {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        match self {
            AttributeProfile::Keycloak => AttributeNames {
                email: v(&["email", PKCS9_EMAIL, X500_EMAIL]),
                given_name: v(&["firstName", "givenName", X500_GIVEN]),
                family_name: v(&["lastName", "surname", X500_SURNAME]),
                display_name: v(&["displayName", X500_DISPLAY]),
                groups: v(&["groups", "memberOf"]),
            },
            AttributeProfile::Entra => AttributeNames {
                email: v(&[
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
                ]),
                given_name: v(&["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"]),
                family_name: v(&["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"]),
                display_name: v(&["http://schemas.microsoft.com/identity/claims/displayname"]),
                groups: v(&[
                    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
                    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
                ]),
            },
            AttributeProfile::Okta => AttributeNames {
                email: v(&["email", "user.email", X500_EMAIL]),
                given_name: v(&["firstName", "user.firstName", X500_GIVEN]),
                family_name: v(&["lastName", "user.lastName", X500_SURNAME]),
                display_name: v(&["displayName", "user.displayName"]),
                groups: v(&["groups", "memberOf"]),
            },
        }
    }
}

impl AttributeNames {
    /// These names, with each non-empty list of `overrides` in place of ours.
    pub fn overridden_by(mut self, overrides: &AttributeNames) -> AttributeNames {
        for (dst, src) in [
            (&mut self.email, &overrides.email),
            (&mut self.given_name, &overrides.given_name),
            (&mut self.family_name, &overrides.family_name),
            (&mut self.display_name, &overrides.display_name),
            (&mut self.groups, &overrides.groups),
        ] {
            if !src.is_empty() {
                dst.clone_from(src);
            }
        }
        self
    }
}
