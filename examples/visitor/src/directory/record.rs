//! What a source says about one person, before any check: a spreadsheet
//! row or a directory entry, read into the same shape, and the per-record
//! error every later check reports in.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a desired state comes from; also the `users.source` value of the
/// people it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A directory read over LDAP (the complete list of the organization's people).
    Ldap,
    /// A spreadsheet an org admin uploaded (only the rows it has).
    Upload,
}

impl SourceKind {
    /// The `users.source` / `sync_runs.source` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Ldap => "ldap",
            SourceKind::Upload => "upload",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a record asks for. A directory entry is always [`Action::Upsert`]
/// (or disabled); a spreadsheet row may say more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Create the person, or bring them up to date (a blank action cell).
    Upsert,
    /// Create; an error when the person exists.
    Create,
    /// Update; an error when the person does not exist.
    Update,
    /// Deactivate (ending their sessions). `delete` in a spreadsheet means
    /// this too: visits keep their host, so people are never erased.
    Deactivate,
}

/// `host` or `admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Receives visitors.
    Host,
    /// Administers the location.
    Admin,
}

impl Role {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Admin => "admin",
        }
    }
}

/// One person as the source states them; nothing here is checked yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Where it was read: `row 7`, or the entry's DN (shown with errors).
    pub origin: String,
    /// The source's stable ID (a directory's `entryUUID` / `objectGUID`),
    /// which follows a person across a change of email.
    pub external_id: Option<String>,
    /// Email as written.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown (blank: given and family name).
    pub display_name: String,
    /// Default location's name (`None`: the organization's default for a
    /// new person, unchanged for an existing one).
    pub location: Option<String>,
    /// Role at the default location (`None`: host for a new person,
    /// unchanged for an existing one).
    pub role: Option<Role>,
    /// False for an account the source has disabled.
    pub enabled: bool,
    /// What to do.
    pub action: Action,
}

/// Why one record is not used: shown on the preview page and kept in the
/// history. `origin` and `reason` may hold source text: escape them when
/// rendering (the templates do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    /// `row 7` or a DN.
    pub origin: String,
    /// The column or attribute at fault (`email`, `location`, …).
    pub column: String,
    /// What is wrong with it.
    pub reason: String,
}

impl RecordError {
    /// An error about `column` of the record read at `origin`.
    pub fn new(origin: &str, column: &str, reason: impl Into<String>) -> Self {
        RecordError {
            origin: origin.to_owned(),
            column: column.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}: {}", self.origin, self.column, self.reason)
    }
}
