//! PATCH (RFC 7644 §3.5.2) onto a [`Profile`]: every operation is applied
//! to a copy, so a request changes everything it asks or nothing.
//!
//! Accepted as Entra ID and Okta send it: `op` in any case (`Replace`,
//! `ADD`), booleans as `"True"`/`"False"`, value paths such as
//! `emails[type eq "work"].value`, and path-less `add`/`replace` whose
//! value has dotted (`name.givenName`) and URN-prefixed keys. Each path
//! goes through [`Profile::set`] / [`Profile::remove`], which parse it
//! with `scim_v2`'s RFC 7644 §3.5.2 path grammar.

use serde_json::Value;

use super::error::{ScimError, ScimType};
use super::profile::Profile;

/// Most operations in one request.
pub const MAX_OPERATIONS: usize = 100;

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidSyntax, detail)
}

/// A member of `o`, its name compared case-insensitively.
fn member<'a>(o: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    o.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// `profile` with every operation of the PatchOp `body` applied.
pub fn apply(profile: &Profile, body: &Value) -> Result<Profile, ScimError> {
    let o = body
        .as_object()
        .ok_or_else(|| syntax("a PatchOp must be a JSON object"))?;
    let ops = member(o, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("a PatchOp needs an \"Operations\" array (RFC 7644 §3.5.2)"))?;
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("a PatchOp has 1 to {MAX_OPERATIONS} operations"),
        ));
    }
    let mut p = profile.clone();
    for (i, op) in ops.iter().enumerate() {
        let op = op
            .as_object()
            .ok_or_else(|| syntax(format!("operation {i} is not an object")))?;
        let name = member(op, "op")
            .and_then(Value::as_str)
            .ok_or_else(|| syntax(format!("operation {i} has no \"op\"")))?
            .to_ascii_lowercase();
        let path = match member(op, "path") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(syntax(format!("operation {i}: \"path\" must be a string"))),
        };
        let value = member(op, "value");
        match (name.as_str(), path) {
            ("add" | "replace", Some(path)) => {
                let v = value.ok_or_else(|| {
                    ScimError::bad(
                        ScimType::InvalidValue,
                        format!("operation {i} ({name}) needs a value"),
                    )
                })?;
                p.set(path, v)?;
            }
            ("add" | "replace", None) => {
                let map = value.and_then(Value::as_object).ok_or_else(|| {
                    ScimError::bad(
                        ScimType::InvalidValue,
                        format!("operation {i} ({name}) without a path needs an object value"),
                    )
                })?;
                for (k, v) in map {
                    p.set(k, v)?;
                }
            }
            ("remove", Some(path)) => p.remove(path)?,
            ("remove", None) => {
                return Err(ScimError::bad(
                    ScimType::NoTarget,
                    format!("operation {i}: remove needs a path (RFC 7644 §3.5.2.2)"),
                ));
            }
            _ => {
                return Err(syntax(format!(
                    "operation {i}: op must be add, remove or replace"
                )));
            }
        }
    }
    Ok(p)
}
