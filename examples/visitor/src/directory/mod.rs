//! Directory sync: an organization's list of people, pulled from its LDAP
//! directory on a schedule or uploaded as a spreadsheet by an org admin,
//! reconciled with the store by one engine.
//!
//! Each source reads its input into [`Record`]s; [`plan()`] (the engine,
//! `reconcile.rs`) compares them
//! with the organization's users and returns a [`Plan`] (creates, updates,
//! deactivations, reactivations, new locations, people left alone because
//! another source owns them, and per-record errors); the store applies a
//! plan in one transaction, or a dry run only shows it. A plan that would
//! deactivate more than a configured share of the organization is refused
//! without an explicit override ([`Plan::check_guard_rail`]).

mod checked;
mod ldap;
mod plan;
mod reconcile;
mod record;
mod report;
mod run;
mod schedule;
mod sheet;

pub use ldap::{Entry, Fetched, LdapError, entry_record, fetch};
pub use plan::{Change, Field, GuardRail, LeftAlone, NewPerson, Plan, Target, Update};
pub use reconcile::{MAX_LOCATION_CHARS, MAX_NEW_LOCATIONS, OrgView, Policy, plan};
pub use record::{Action, Record, RecordError, Role, SourceKind};
pub use report::describe;
pub use run::{RunError, RunOptions, RunReport, Runner};
pub use schedule::{next_run_in, spawn as spawn_scheduler};
pub use sheet::{COLUMNS, MAX_ROWS, MAX_UPLOAD_BYTES, Sheet, SheetError, read_sheet, template_csv};
