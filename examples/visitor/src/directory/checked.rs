//! One record's values checked on their own (email syntax and verified
//! domain, text lengths, no control characters), and the records that name
//! one person twice, before the engine compares anything with the store.

use std::collections::{HashMap, HashSet};

use super::reconcile::MAX_LOCATION_CHARS;
use super::record::{Action, Record, RecordError, Role};
use crate::linking::email::parse_email;

/// Longest name (given, family, shown) kept: a name, not a document.
const MAX_NAME_CHARS: usize = 200;
/// Longest external ID (an `objectGUID` is 32 hex digits, an `entryUUID` 36).
const MAX_EXTERNAL_ID: usize = 256;

/// A checked record.
pub(super) struct Checked {
    pub(super) index: usize,
    pub(super) origin: String,
    pub(super) email: String,
    pub(super) normalized: String,
    pub(super) given_name: String,
    pub(super) family_name: String,
    pub(super) display_name: String,
    pub(super) location: Option<String>,
    pub(super) role: Option<Role>,
    pub(super) external_id: Option<String>,
    pub(super) enabled: bool,
    pub(super) action: Action,
}

/// Checks one record's values on their own.
pub(super) fn check(
    r: Record,
    index: usize,
    domains: &HashSet<&str>,
) -> Result<Checked, RecordError> {
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
pub(super) fn drop_duplicates(
    checked: Vec<Checked>,
    errors: &mut Vec<(usize, RecordError)>,
) -> Vec<Checked> {
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
