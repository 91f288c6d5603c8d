//! What a SCIM client may store for an organization: a userName, an email
//! in one of its verified domains (the same rule as SAML sign-in, so a
//! provisioned account can never claim another company's address), and
//! one of its locations.

use super::error::{ScimError, ScimType};
use super::profile::Profile;
use crate::linking::email::parse_email;
use crate::store::{ScimFields, Scoped, StoreError};

fn invalid(detail: String) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// The organization's rules for SCIM input.
#[derive(Debug, Clone, Default)]
pub struct OrgRules {
    /// Slugs of organizations whose SCIM users may have any userName and
    /// email domain (`[[org]] scim_any_email_domain`: for testers that
    /// send random values).
    pub any_domain: Vec<String>,
}

/// Checks `p` against the organization of `s`; the fields to store, or
/// the 400 that says what is wrong.
pub fn fields(
    s: &Scoped<'_>,
    p: &Profile,
    rules: &OrgRules,
) -> Result<Result<ScimFields, ScimError>, StoreError> {
    let org = s.org()?;
    let verified_only = !rules.any_domain.contains(&org.slug);
    let domains = org.domains.join(", ");
    let check_email = |what: &str, value: &str| -> Result<(), ScimError> {
        let e = parse_email(value)
            .map_err(|_| invalid(format!("{what} {value:?} is not an ASCII email address")))?;
        if verified_only && !org.domains.iter().any(|d| d == e.domain.as_str()) {
            return Err(invalid(format!(
                "{what} {value:?} is not in one of the organization's verified domains ({domains})"
            )));
        }
        Ok(())
    };
    if p.user_name.is_empty() {
        return Ok(Err(invalid("userName is required".into())));
    }
    if verified_only && let Err(e) = check_email("userName", &p.user_name) {
        return Ok(Err(e));
    }
    if let Some((value, _)) = &p.email
        && let Err(e) = check_email("emails.value", value)
    {
        return Ok(Err(e));
    }
    let default_location = match &p.location {
        None => None,
        Some(name) => {
            let locations = s.locations()?;
            match locations.iter().find(|l| l.name.eq_ignore_ascii_case(name)) {
                Some(l) => Some(l.id),
                None => {
                    let names: Vec<&str> = locations.iter().map(|l| l.name.as_str()).collect();
                    return Ok(Err(invalid(format!(
                        "location {name:?} is not one of the organization's locations ({})",
                        names.join(", ")
                    ))));
                }
            }
        }
    };
    Ok(Ok(ScimFields {
        user_name: p.user_name.clone(),
        external_id: p.external_id.clone().filter(|x| !x.is_empty()),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        display_name: p.display_name.clone(),
        email: p.email.clone(),
        default_location,
    }))
}
