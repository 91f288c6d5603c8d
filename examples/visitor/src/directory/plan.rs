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

use serde::{Deserialize, Serialize};

use super::record::{Action, Record, RecordError, Role, SourceKind};
use crate::linking::email::parse_email;
use crate::store::User;

/// Longest name (given, family, shown) kept: a name, not a document.
const MAX_NAME_CHARS: usize = 200;
/// Longest location name (the admin page's limit too).
pub const MAX_LOCATION_CHARS: usize = 100;
/// Most locations one run creates: every person has a row per location,
/// so a directory with a site per person must not multiply the tables.
pub const MAX_NEW_LOCATIONS: usize = 50;
/// Longest external ID (an `objectGUID` is 32 hex digits, an `entryUUID` 36).
const MAX_EXTERNAL_ID: usize = 256;

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

/// A person to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    /// Where the record was read.
    pub origin: String,
    /// Email as written.
    pub email: String,
    /// Lower-cased email.
    pub normalized: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// Default location (`None`: the organization's).
    pub location: Option<String>,
    /// Role at the default location.
    pub role: Role,
    /// The source's ID.
    pub external_id: Option<String>,
}

/// A field a plan changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    /// The email (and its normalized form).
    Email,
    /// Given name.
    GivenName,
    /// Family name.
    FamilyName,
    /// Name shown.
    DisplayName,
    /// Default location (by name).
    Location,
    /// Role at the default location.
    Role,
    /// The source's ID.
    ExternalId,
}

impl Field {
    /// Column name shown.
    pub fn label(self) -> &'static str {
        match self {
            Field::Email => "email",
            Field::GivenName => "first name",
            Field::FamilyName => "last name",
            Field::DisplayName => "display name",
            Field::Location => "location",
            Field::Role => "role",
            Field::ExternalId => "directory ID",
        }
    }
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Which field.
    pub field: Field,
    /// Value now.
    pub from: String,
    /// Value after.
    pub to: String,
}

/// Changes to an existing person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// Where the record was read.
    pub origin: String,
    /// The user.
    pub user_id: i64,
    /// Their email now.
    pub email: String,
    /// The fields that change (may be empty when only `adopt`).
    pub changes: Vec<Change>,
    /// The person was nobody's (`jit`, `manual`) and becomes the source's.
    pub adopt: bool,
}

/// A person to deactivate or reactivate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The user.
    pub user_id: i64,
    /// Their email.
    pub email: String,
}

/// A person the source lists but another source owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftAlone {
    /// Where the record was read.
    pub origin: String,
    /// Their email.
    pub email: String,
    /// Who owns them (`scim`, `ldap`, `upload`).
    pub owner: String,
}

/// What a run would do: computed without writing anything, applied by
/// the store in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// People to create.
    pub creates: Vec<NewPerson>,
    /// People to change.
    pub updates: Vec<Update>,
    /// People to deactivate (their sessions end).
    pub deactivations: Vec<Target>,
    /// People to reactivate.
    pub reactivations: Vec<Target>,
    /// Locations to create.
    pub new_locations: Vec<String>,
    /// People another source owns, not touched.
    pub left_alone: Vec<LeftAlone>,
    /// Records not used, and why.
    pub errors: Vec<RecordError>,
    /// Records that change nothing.
    pub unchanged: usize,
    /// Active users of the organization before the run (all sources).
    pub active_before: usize,
}

/// A plan that deactivates too many people for the guard rail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the run would deactivate {deactivations} of {active} active users, above the limit of \
     {max_percent} %; nothing was changed (check the source; to apply anyway, override)"
)]
pub struct GuardRail {
    /// Deactivations planned.
    pub deactivations: usize,
    /// Active users before.
    pub active: usize,
    /// The configured limit.
    pub max_percent: u8,
}

impl Plan {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.creates.is_empty()
            && self.updates.is_empty()
            && self.deactivations.is_empty()
            && self.reactivations.is_empty()
            && self.new_locations.is_empty()
    }

    /// Refuses a plan deactivating more than `max_percent` % of the active
    /// users (a source that comes back empty must not wipe a company),
    /// unless `override_limit`.
    pub fn check_guard_rail(&self, max_percent: u8, override_limit: bool) -> Result<(), GuardRail> {
        let over = self.deactivations.len() * 100 > usize::from(max_percent) * self.active_before;
        if over && !override_limit {
            return Err(GuardRail {
                deactivations: self.deactivations.len(),
                active: self.active_before,
                max_percent,
            });
        }
        Ok(())
    }
}

/// A checked record.
struct Checked {
    index: usize,
    origin: String,
    email: String,
    normalized: String,
    given_name: String,
    family_name: String,
    display_name: String,
    location: Option<String>,
    role: Option<Role>,
    external_id: Option<String>,
    enabled: bool,
    action: Action,
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

/// Checks one record's values on their own.
fn check(r: Record, index: usize, domains: &HashSet<&str>) -> Result<Checked, RecordError> {
    let err = |column: &str, reason: &str| RecordError::new(&r.origin, column, reason);
    let email = parse_email(&r.email).map_err(|p| {
        let why = match p {
            crate::linking::EmailProblem::Missing => "missing",
            crate::linking::EmailProblem::Invalid => "not a valid email address",
            crate::linking::EmailProblem::NonAscii => {
                "contains non-ASCII characters (look-alikes cannot be told apart)"
            }
        };
        err("email", why)
    })?;
    if !domains.contains(email.domain.as_str()) {
        return Err(err(
            "email",
            &format!(
                "domain {} is not one of the organization's verified domains",
                email.domain
            ),
        ));
    }
    let given_name =
        text(&r.given_name, MAX_NAME_CHARS).ok_or_else(|| err("first name", BAD_TEXT))?;
    let family_name =
        text(&r.family_name, MAX_NAME_CHARS).ok_or_else(|| err("last name", BAD_TEXT))?;
    let display_name =
        text(&r.display_name, MAX_NAME_CHARS).ok_or_else(|| err("display name", BAD_TEXT))?;
    let location = match &r.location {
        None => None,
        Some(l) => match text(l, MAX_LOCATION_CHARS) {
            None => return Err(err("location", BAD_TEXT)),
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t),
        },
    };
    let external_id = match &r.external_id {
        None => None,
        Some(x) => match text(x, MAX_EXTERNAL_ID) {
            Some(t) if !t.is_empty() => Some(t),
            _ => {
                return Err(err(
                    "directory ID",
                    "empty, too long or has control characters",
                ));
            }
        },
    };
    Ok(Checked {
        email: email.as_received,
        normalized: email.normalized,
        given_name,
        family_name,
        display_name,
        location,
        role: r.role,
        external_id,
        enabled: r.enabled,
        action: r.action,
        origin: r.origin,
        index,
    })
}

const BAD_TEXT: &str = "too long or has control characters";

/// The trimmed text, `None` when longer than `max` characters or holding
/// control characters.
fn text(s: &str, max: usize) -> Option<String> {
    let t = s.trim();
    (t.chars().count() <= max && !t.chars().any(char::is_control)).then(|| t.to_owned())
}

/// Records naming one email or one external ID more than once are all
/// refused: which of them is right cannot be told.
fn drop_duplicates(checked: Vec<Checked>, errors: &mut Vec<(usize, RecordError)>) -> Vec<Checked> {
    let mut first_email: HashMap<&str, (&str, usize)> = HashMap::new();
    let mut first_external: HashMap<&str, (&str, usize)> = HashMap::new();
    for c in &checked {
        first_email.entry(&c.normalized).or_insert((&c.origin, 0)).1 += 1;
        if let Some(x) = &c.external_id {
            first_external.entry(x).or_insert((&c.origin, 0)).1 += 1;
        }
    }
    let mut dup_errors = Vec::new();
    let mut keep = vec![true; checked.len()];
    for (i, c) in checked.iter().enumerate() {
        let email_dup = first_email
            .get(c.normalized.as_str())
            .filter(|(_, n)| *n > 1);
        let ext_dup = c
            .external_id
            .as_deref()
            .and_then(|x| first_external.get(x))
            .filter(|(_, n)| *n > 1);
        let (column, first) = match (email_dup, ext_dup) {
            (Some((first, _)), _) => ("email", *first),
            (None, Some((first, _))) => ("directory ID", *first),
            (None, None) => continue,
        };
        if let Some(k) = keep.get_mut(i) {
            *k = false;
        }
        let reason = if first == c.origin {
            "appears more than once in the source; none of its records is used".to_owned()
        } else {
            format!("appears more than once (first at {first}); none of its records is used")
        };
        dup_errors.push((c.index, RecordError::new(&c.origin, column, reason)));
    }
    errors.extend(dup_errors);
    checked
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
