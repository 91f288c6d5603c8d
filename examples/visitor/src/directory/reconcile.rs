//! The reconciliation engine: what a source says should exist, against
//! what the organization has, gives a [`Plan`]. Pure computation: no
//! database, no clock; the store applies a plan in one transaction.
//!
//! # Ownership
//! Each user row has a `source`. A sync manages the people of its own
//! source, and adopts people nobody provisions (`jit`: created at their
//! first sign-in; `manual`) when the source lists them, because the
//! company's directory or spreadsheet is a better authority on them than a
//! sign-in. A person another provisioning source owns (SCIM, the other
//! sync) is never changed, and never deactivated by being absent: the plan
//! lists them as left alone, with the owner.
//!
//! # Complete and partial sources
//! A directory lists everyone, so an owned person it no longer lists is
//! deactivated. A spreadsheet changes only its rows. Either way a person
//! whose record has an error is left as is (an error is not an absence).

use std::collections::{HashMap, HashSet};

use super::checked::{Checked, check, drop_duplicates};
use super::plan::{Change, Field, LeftAlone, NewPerson, Plan, Target, Update};
use super::record::{Action, Record, RecordError, Role, SourceKind};
use crate::store::User;

/// Longest location name (the admin page's limit too).
pub const MAX_LOCATION_CHARS: usize = 100;
/// Most locations one run creates: every person has a row per location,
/// so a directory with a site per person must not multiply the tables.
pub const MAX_NEW_LOCATIONS: usize = 50;

/// How a source's records are read against the organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The source (and owner of the people it creates).
    pub source: SourceKind,
    /// Owned people the records do not list are deactivated.
    pub complete: bool,
    /// A location the records name and the organization lacks is created
    /// (a directory's sites), else it is an error (a typo in a spreadsheet
    /// must not make a site).
    pub create_locations: bool,
}

impl Policy {
    /// A directory: complete, creates its sites.
    pub fn directory() -> Self {
        Policy {
            source: SourceKind::Ldap,
            complete: true,
            create_locations: true,
        }
    }

    /// A spreadsheet: only its rows, existing locations only.
    pub fn spreadsheet() -> Self {
        Policy {
            source: SourceKind::Upload,
            complete: false,
            create_locations: false,
        }
    }
}

/// What the engine reads of the organization.
#[derive(Debug, Clone, Copy)]
pub struct OrgView<'a> {
    /// Verified email domains (lower-case): nobody outside them is made.
    pub domains: &'a [String],
    /// Location names.
    pub locations: &'a [String],
    /// Every user of the organization, whatever the source.
    pub users: &'a [User],
}

/// Computes the plan for `records` against `org` (see the module docs).
pub fn plan(records: Vec<Record>, org: &OrgView<'_>, policy: &Policy) -> Plan {
    let mut out = Plan {
        active_before: org.users.iter().filter(|u| u.active).count(),
        ..Plan::default()
    };
    let by_email: HashMap<String, &User> = org
        .users
        .iter()
        .map(|u| (u.email.to_ascii_lowercase(), u))
        .collect();
    // The SCIM userName is unique too (the email, unless a SCIM client set
    // another): a record matching one is that person.
    let by_user_name: HashMap<String, &User> = org
        .users
        .iter()
        .map(|u| (u.user_name.to_lowercase(), u))
        .collect();
    let by_external: HashMap<&str, &User> = org
        .users
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|x| (x, u)))
        .collect();
    let locations: HashSet<&str> = org.locations.iter().map(String::as_str).collect();
    let domains: HashSet<&str> = org.domains.iter().map(String::as_str).collect();

    // Keys the records name, valid or not: a person named by a record in
    // error is not "absent" from a complete source.
    let mut mentioned: HashSet<i64> = HashSet::new();
    let mut checked = Vec::with_capacity(records.len());
    // Errors with their record's position, shown in the source's order.
    let mut errors: Vec<(usize, RecordError)> = Vec::new();
    for (index, r) in records.into_iter().enumerate() {
        let key = r.email.trim().to_ascii_lowercase();
        let existing = r
            .external_id
            .as_deref()
            .and_then(|x| by_external.get(x))
            .or_else(|| by_email.get(&key))
            .or_else(|| by_user_name.get(&key));
        if let Some(u) = existing {
            mentioned.insert(u.id);
        }
        match check(r, index, &domains) {
            Ok(c) => checked.push(c),
            Err(e) => errors.push((index, e)),
        }
    }
    let checked = drop_duplicates(checked, &mut errors);

    let mut new_locations: Vec<String> = Vec::new();
    let mut seen_by_id: HashSet<i64> = HashSet::new();
    for c in checked {
        if let Some(loc) = &c.location
            && !locations.contains(loc.as_str())
            && !new_locations.contains(loc)
        {
            if policy.create_locations && new_locations.len() < MAX_NEW_LOCATIONS {
                new_locations.push(loc.clone());
            } else if policy.create_locations {
                let e = RecordError::new(
                    &c.origin,
                    "location",
                    format!(
                        "more than {MAX_NEW_LOCATIONS} new locations in one run; {loc:?} not created"
                    ),
                );
                errors.push((c.index, e));
                continue;
            } else {
                let e = RecordError::new(
                    &c.origin,
                    "location",
                    format!("the organization has no location {loc:?}"),
                );
                errors.push((c.index, e));
                continue;
            }
        }
        let existing = c
            .external_id
            .as_deref()
            .and_then(|x| by_external.get(x).copied())
            .or_else(|| by_email.get(&c.normalized).copied())
            .or_else(|| by_user_name.get(&c.normalized).copied());
        match existing {
            None => {
                let index = c.index;
                if let Err(e) = plan_new(c, &mut out) {
                    errors.push((index, e));
                }
            }
            Some(u) => {
                if !seen_by_id.insert(u.id) {
                    let e = RecordError::new(
                        &c.origin,
                        "email",
                        "another record names the same person",
                    );
                    errors.push((c.index, e));
                    continue;
                }
                let index = c.index;
                let taken = |email: &str| {
                    by_email
                        .get(email)
                        .or_else(|| by_user_name.get(email))
                        .is_some_and(|o| o.id != u.id)
                };
                if let Err(e) = plan_existing(c, u, &taken, policy, &mut out) {
                    errors.push((index, e));
                }
            }
        }
    }
    out.new_locations = new_locations;
    errors.sort_by_key(|(i, _)| *i);
    out.errors = errors.into_iter().map(|(_, e)| e).collect();

    if policy.complete {
        for u in org.users {
            if u.source == policy.source.as_str() && u.active && !mentioned.contains(&u.id) {
                out.deactivations.push(Target {
                    user_id: u.id,
                    email: u.email.clone(),
                });
            }
        }
    }
    out
}

fn plan_new(c: Checked, out: &mut Plan) -> Result<(), RecordError> {
    match c.action {
        Action::Update | Action::Deactivate => {
            return Err(RecordError::new(
                &c.origin,
                "email",
                "no such person in the organization",
            ));
        }
        // A disabled account is not created.
        _ if !c.enabled => out.unchanged += 1,
        Action::Upsert | Action::Create => {
            let display_name = if c.display_name.is_empty() {
                let joined = format!("{} {}", c.given_name, c.family_name);
                match joined.trim() {
                    "" => c.email.clone(),
                    t => t.to_owned(),
                }
            } else {
                c.display_name
            };
            out.creates.push(NewPerson {
                origin: c.origin,
                email: c.email,
                normalized: c.normalized,
                given_name: c.given_name,
                family_name: c.family_name,
                display_name,
                location: c.location,
                role: c.role.unwrap_or(Role::Host),
                external_id: c.external_id,
            });
        }
    }
    Ok(())
}

fn plan_existing(
    c: Checked,
    u: &User,
    taken: &dyn Fn(&str) -> bool,
    policy: &Policy,
    out: &mut Plan,
) -> Result<(), RecordError> {
    let owned = u.source == policy.source.as_str();
    let adopt = !owned && matches!(u.source.as_str(), "jit" | "manual");
    if !owned && !adopt {
        out.left_alone.push(LeftAlone {
            origin: c.origin,
            email: u.email.clone(),
            owner: u.source.clone(),
        });
        return Ok(());
    }
    if c.action == Action::Create {
        return Err(RecordError::new(
            &c.origin,
            "email",
            "the person exists already (leave the action blank to update)",
        ));
    }
    let target = || Target {
        user_id: u.id,
        email: u.email.clone(),
    };
    if !c.enabled || c.action == Action::Deactivate {
        if u.active {
            out.deactivations.push(target());
        } else {
            out.unchanged += 1;
        }
        return Ok(());
    }
    let mut changes = Vec::new();
    let mut change = |field: Field, from: &str, to: &str| {
        if from != to {
            changes.push(Change {
                field,
                from: from.to_owned(),
                to: to.to_owned(),
            });
        }
    };
    if c.email != u.email {
        if c.normalized != u.email.to_ascii_lowercase() && taken(&c.normalized) {
            return Err(RecordError::new(
                &c.origin,
                "email",
                "another user of the organization has this email",
            ));
        }
        change(Field::Email, &u.email, &c.email);
    }
    // A blank name keeps the one stored.
    if !c.given_name.is_empty() {
        change(Field::GivenName, &u.given_name, &c.given_name);
    }
    if !c.family_name.is_empty() {
        change(Field::FamilyName, &u.family_name, &c.family_name);
    }
    if !c.display_name.is_empty() {
        change(Field::DisplayName, &u.display_name, &c.display_name);
    }
    if let Some(l) = &c.location {
        change(
            Field::Location,
            u.default_location.as_deref().unwrap_or(""),
            l,
        );
    }
    if let Some(r) = c.role {
        change(Field::Role, &u.role, r.as_str());
    }
    if let Some(x) = &c.external_id {
        change(Field::ExternalId, u.external_id.as_deref().unwrap_or(""), x);
    }
    if !u.active {
        out.reactivations.push(target());
    }
    if changes.is_empty() && !adopt {
        if u.active {
            out.unchanged += 1;
        }
        return Ok(());
    }
    out.updates.push(Update {
        origin: c.origin,
        user_id: u.id,
        email: u.email.clone(),
        changes,
        adopt,
    });
    Ok(())
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
