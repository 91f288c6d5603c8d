//! A plan: what one run of a source would do to an organization's people
//! (made by [`super::reconcile`], applied by the store in one
//! transaction), and the guard rail that refuses a plan deactivating too
//! many of them.

use serde::{Deserialize, Serialize};

use super::record::{RecordError, Role};

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
