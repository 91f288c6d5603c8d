//! The linking rules: which account a verified sign-in belongs to, whether a
//! new one may be made, and what the IdP may change in a profile.
//!
//! Pure decisions over what the store found; [`crate::signin`] runs them in
//! one transaction, inside the connection's organization (the store only
//! ever shows it that organization's rows). Account-takeover defences
//! (against JIT-linking identity attacks and account pre-hijacking): the
//! link key is (IdP, NameID, format), never the email alone; an asserted
//! email is adopted (at creation, at linking, at a profile refresh) only
//! when its domain is one of the organization's verified domains, compared
//! exactly (no subdomains) on ASCII-lower-cased text; emails with anything
//! but ASCII are refused (see [`email`]), so look-alikes cannot match;
//! transient NameIDs are refused as keys.

pub mod asserted;
pub mod attributes;
pub mod email;
mod refusal;

pub use asserted::{Asserted, NAMEID_EMAIL, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED};
pub use attributes::{AttributeNames, AttributeProfile};
pub use email::{Domain, Email, EmailProblem};
pub use refusal::LinkRefusal;

use crate::store::{NewUser, User};

/// The linking rules of one connection (IdP) of an organization.
#[derive(Debug, Clone, Default)]
pub struct LinkPolicy {
    /// Create accounts at first sign-in.
    pub jit_create: bool,
    /// The organization's verified email domains.
    pub org_domains: Vec<Domain>,
    /// Domains other organizations verified.
    pub other_orgs_domains: Vec<Domain>,
    /// Group whose members are admins (at the organization's default
    /// location).
    pub admin_group: Option<String>,
}

/// A role at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// May host visitors.
    Host,
    /// May also manage the location.
    Admin,
}

impl Role {
    /// The stored name (`users.role`, `user_locations.role`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Admin => "admin",
        }
    }
}

impl LinkPolicy {
    /// One of the organization's verified domains: exact match, both sides
    /// lower-cased ASCII ([`Domain`]).
    pub fn is_verified(&self, domain: &Domain) -> bool {
        self.org_domains.contains(domain)
    }

    /// Another organization verified this domain.
    pub fn claimed_by_other_org(&self, domain: &Domain) -> bool {
        self.other_orgs_domains.contains(domain)
    }

    /// The role the groups give: admin for a member of the admin group
    /// (Keycloak's group mapper may prefix the path with `/`).
    pub fn role_for(&self, groups: &[String]) -> Role {
        let admin = self.admin_group.as_deref().is_some_and(|g| {
            groups
                .iter()
                .any(|x| x == g || x.trim_start_matches('/') == g)
        });
        if admin { Role::Admin } else { Role::Host }
    }
}

/// What the store holds for one sign-in.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The identity key is linked: to this user (`Some(None)`: the user row
    /// is gone).
    pub by_identity: Option<Option<&'a User>>,
    /// The user with the asserted email, if any.
    pub by_email: Option<&'a User>,
}

/// How a sign-in resolves.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Known (IdP, NameID): sign this user in and refresh the profile.
    SignIn(i64),
    /// Link the identity to this existing user (verified domain).
    Link(i64),
    /// Create this user and link the identity to it.
    Create(NewUser),
}

/// The rules, in this order:
/// 1. a known (IdP, NameID, format) signs that user in;
/// 2. else an existing user of the organization with the asserted email is
///    linked, only if the email's domain is one the organization verified;
/// 3. else a new user is made, when JIT creation is on and the domain is
///    one the organization verified;
/// 4. else refused. A deactivated user is refused at every step; transient
///    NameIDs change at every sign-in, so they are never a key.
pub fn decide(
    a: &Asserted,
    found: Found<'_>,
    policy: &LinkPolicy,
) -> Result<Decision, LinkRefusal> {
    if a.key.name_id_format == NAMEID_TRANSIENT {
        return Err(LinkRefusal::TransientNameId);
    }
    match found.by_identity {
        Some(None) => return Err(LinkRefusal::NotProvisioned),
        Some(Some(u)) if !u.active => return Err(LinkRefusal::Deactivated),
        Some(Some(u)) => return Ok(Decision::SignIn(u.id)),
        None => {}
    }
    let email = a
        .email
        .as_ref()
        .map_err(|p| LinkRefusal::UnusableEmail(*p))?;
    if let Some(user) = found.by_email {
        if !policy.is_verified(&email.domain) {
            return Err(LinkRefusal::ForeignDomain);
        }
        if !user.active {
            return Err(LinkRefusal::Deactivated);
        }
        return Ok(Decision::Link(user.id));
    }
    if !policy.jit_create {
        return Err(LinkRefusal::NotProvisioned);
    }
    if policy.claimed_by_other_org(&email.domain) {
        return Err(LinkRefusal::DomainOfAnotherIdp);
    }
    if !policy.is_verified(&email.domain) {
        return Err(LinkRefusal::UnverifiedDomain);
    }
    Ok(Decision::Create(NewUser {
        email: email.as_received.clone(),
        given_name: a.given_name.clone().unwrap_or_default(),
        family_name: a.family_name.clone().unwrap_or_default(),
        display_name: a.display_name_or(&email.as_received),
        role: policy.role_for(&a.groups).as_str().to_owned(),
        source: "jit".into(),
        external_id: None,
    }))
}

/// What a sign-in changes in an existing profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileUpdate {
    /// Given name (the asserted one, else unchanged).
    pub given_name: String,
    /// Family name (the asserted one, else unchanged).
    pub family_name: String,
    /// Display name, else "given family", else unchanged.
    pub display_name: String,
    /// A new email, when the asserted one differs and is in one of the
    /// organization's verified domains (the caller skips it when another
    /// account has it).
    pub email: Option<Email>,
    /// An asserted email that differs but was not adopted: its domain is
    /// not one the organization verified (for the log).
    pub email_refused: Option<Email>,
    /// A new role at the default location: for just-in-time users, when an
    /// admin group is configured and membership changed.
    pub role: Option<Role>,
}

/// Names and display name from the attributes (when sent), the email when
/// valid, the role from the admin group.
pub fn profile_update(user: &User, a: &Asserted, policy: &LinkPolicy) -> ProfileUpdate {
    let given = a
        .given_name
        .clone()
        .unwrap_or_else(|| user.given_name.clone());
    let family = a
        .family_name
        .clone()
        .unwrap_or_else(|| user.family_name.clone());
    let display = a
        .display_name
        .clone()
        .or_else(|| {
            let full = format!("{given} {family}").trim().to_owned();
            (!full.is_empty()).then_some(full)
        })
        .unwrap_or_else(|| user.display_name.clone());
    let changed = a
        .email
        .as_ref()
        .ok()
        .filter(|e| e.normalized != user.email.to_ascii_lowercase())
        .cloned();
    // An IdP may only move a person to an address its organization owns;
    // anything else would let it claim another company's address for a
    // later link (account pre-hijacking).
    let (email, email_refused) = match changed {
        Some(e) if policy.is_verified(&e.domain) => (Some(e), None),
        Some(e) => (None, Some(e)),
        None => (None, None),
    };
    let role = (user.source == "jit" && policy.admin_group.is_some())
        .then(|| policy.role_for(&a.groups))
        .filter(|r| r.as_str() != user.role);
    ProfileUpdate {
        given_name: given,
        family_name: family,
        display_name: display,
        email,
        email_refused,
        role,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::store::IdentityKey;

    fn domain(d: &str) -> Domain {
        Domain::parse(d).unwrap()
    }

    fn policy() -> LinkPolicy {
        LinkPolicy {
            jit_create: true,
            org_domains: vec![domain("acme.test")],
            other_orgs_domains: vec![domain("globex.test")],
            admin_group: Some("visitor-admins".into()),
        }
    }

    fn asserted(format: &str, email: &str) -> Asserted {
        Asserted {
            key: IdentityKey {
                idp_entity_id: "https://idp.acme.test".into(),
                name_id: "A-1".into(),
                name_id_format: format.into(),
            },
            email: email::parse_email(email),
            given_name: None,
            family_name: None,
            display_name: None,
            groups: vec![],
            attributes_json: "[]".into(),
        }
    }

    fn user(id: i64, active: bool) -> User {
        User {
            id,
            email: "x@acme.test".into(),
            given_name: String::new(),
            family_name: String::new(),
            display_name: "X".into(),
            role: "host".into(),
            active,
            default_location: None,
            source: "jit".into(),
            external_id: None,
            created_at: String::new(),
            last_login_at: None,
            sessions_not_before: None,
            user_name: "x@acme.test".into(),
            email_type: Some("work".into()),
            updated_at: String::new(),
            display_name_given: true,
        }
    }

    const NONE: Found<'static> = Found {
        by_identity: None,
        by_email: None,
    };

    #[test]
    fn authority_is_exact() {
        let p = policy();
        assert!(p.is_verified(&domain("acme.test")));
        assert!(!p.is_verified(&domain("evil.acme.test")));
        assert!(!p.is_verified(&domain("acme.test.evil")));
        assert!(!p.is_verified(&domain("xacme.test")));
        assert_eq!(
            p.role_for(&["staff".into(), "/visitor-admins".into()]),
            Role::Admin
        );
        assert_eq!(p.role_for(&["visitor-admins-x".into()]), Role::Host);
    }

    #[test]
    fn each_refusal() {
        let p = policy();
        let persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
        let a = asserted(persistent, "bob@acme.test");
        let (active, inactive) = (user(1, true), user(2, false));
        let refused = |a: &Asserted, f: Found<'_>, p: &LinkPolicy| decide(a, f, p).unwrap_err();
        assert_eq!(
            refused(&asserted(NAMEID_TRANSIENT, "bob@acme.test"), NONE, &p),
            LinkRefusal::TransientNameId
        );
        let orphan = Found {
            by_identity: Some(None),
            ..NONE
        };
        assert_eq!(refused(&a, orphan, &p), LinkRefusal::NotProvisioned);
        let gone = Found {
            by_identity: Some(Some(&inactive)),
            ..NONE
        };
        assert_eq!(refused(&a, gone, &p), LinkRefusal::Deactivated);
        assert_eq!(
            refused(&asserted(persistent, ""), NONE, &p),
            LinkRefusal::UnusableEmail(EmailProblem::Missing)
        );
        let foreign = asserted(persistent, "bob@other.test");
        let taken = Found {
            by_email: Some(&active),
            ..NONE
        };
        assert_eq!(refused(&foreign, taken, &p), LinkRefusal::ForeignDomain);
        let taken_inactive = Found {
            by_email: Some(&inactive),
            ..NONE
        };
        assert_eq!(refused(&a, taken_inactive, &p), LinkRefusal::Deactivated);
        let closed = LinkPolicy {
            jit_create: false,
            ..policy()
        };
        assert_eq!(refused(&a, NONE, &closed), LinkRefusal::NotProvisioned);
        let globex = asserted(persistent, "gina@globex.test");
        assert_eq!(refused(&globex, NONE, &p), LinkRefusal::DomainOfAnotherIdp);
        let unknown = asserted(persistent, "ann@elsewhere.test");
        assert_eq!(refused(&unknown, NONE, &p), LinkRefusal::UnverifiedDomain);
    }

    #[test]
    fn each_resolution() {
        let p = policy();
        let a = asserted(
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "Bob@Acme.test",
        );
        let u = user(7, true);
        let known = Found {
            by_identity: Some(Some(&u)),
            ..NONE
        };
        assert!(matches!(decide(&a, known, &p), Ok(Decision::SignIn(7))));
        let by_email = Found {
            by_email: Some(&u),
            ..NONE
        };
        assert!(matches!(decide(&a, by_email, &p), Ok(Decision::Link(7))));
        let Ok(Decision::Create(new)) = decide(&a, NONE, &p) else {
            panic!("a new user");
        };
        assert_eq!(
            (new.email.as_str(), new.role.as_str()),
            ("Bob@Acme.test", "host")
        );
        assert_eq!(new.display_name, "Bob@Acme.test");
    }

    #[test]
    fn refresh_adopts_only_a_verified_domain_email() {
        let p = policy();
        let u = user(7, true);
        let persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
        let moved = profile_update(&u, &asserted(persistent, "x2@acme.test"), &p);
        assert_eq!(
            moved.email.map(|e| e.normalized),
            Some("x2@acme.test".into())
        );
        for foreign in ["ceo@globex.test", "ceo@elsewhere.test", "ceo@sub.acme.test"] {
            let kept = profile_update(&u, &asserted(persistent, foreign), &p);
            assert_eq!(kept.email, None, "{foreign}");
            assert_eq!(
                kept.email_refused.map(|e| e.normalized),
                Some(foreign.into())
            );
        }
    }
}
