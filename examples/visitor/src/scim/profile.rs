//! The attributes of a SCIM User this server keeps, and the one place that
//! changes them: a create, a replace (PUT) and every PATCH operation become
//! [`Profile::set`] and [`Profile::remove`] on an attribute path, so the
//! three accept the same paths, values and quirks.
//!
//! Kept (and published in `/Schemas`): `userName`, `externalId`,
//! `displayName`, `name.givenName`, `name.familyName`, `active`, one email
//! (`emails[].value` and `.type`) and the default location (extension
//! [`VISITOR`], attribute `location`, one of the organization's location
//! names). Accepted and not kept: the other attributes of the RFC 7643
//! core and enterprise User schemas (Entra ID and Okta send several:
//! `name.formatted`, `title`, `locale`, `roles: []`, enterprise
//! `employeeNumber`…), readOnly `id`, `meta`, `groups` (RFC 7644 §3.5.1:
//! "Any values provided SHALL be ignored"), and `password`, which is never
//! stored nor returned (sign-in is SAML). An attribute no schema defines
//! is refused (`invalidPath`).

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};

/// The core User schema (RFC 7643 §4.1).
pub const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise extension (RFC 7643 §4.3), accepted and not kept; Entra
/// ID has sent it without the colon before "User", so a prefix.
const ENTERPRISE_PREFIX: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0";
/// This server's extension: the user's default location.
pub const VISITOR: &str = "urn:ietf:params:scim:schemas:extension:visitor:2.0:User";
/// Longest string value kept (names, userName, externalId, email).
pub const MAX_VALUE_CHARS: usize = 256;

/// Core attributes accepted and not kept (lower-cased).
const IGNORED_CORE: &[&str] = &[
    "id",
    "meta",
    "schemas",
    "nickname",
    "profileurl",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "password",
    "phonenumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509certificates",
    // Enterprise, but Entra ID sends it without the URN ("path": "manager").
    "manager",
];

/// What SCIM sees of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// `userName` (required; checked by the caller).
    pub user_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `name.givenName` (empty: unset).
    pub given_name: String,
    /// `name.familyName` (empty: unset).
    pub family_name: String,
    /// `displayName` (empty: unset).
    pub display_name: String,
    /// The one email: value and type.
    pub email: Option<(String, String)>,
    /// `active`.
    pub active: bool,
    /// The default location's name.
    pub location: Option<String>,
}

/// An attribute path, resolved to what it changes here.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    UserName,
    ExternalId,
    DisplayName,
    Active,
    Name,
    GivenName,
    FamilyName,
    /// `emails`, or `emails[type eq "t"]` (the one email, with type `t`).
    Emails(Option<String>),
    /// `emails.value` / `emails[type eq "t"].value`.
    EmailValue(Option<String>),
    /// `emails.type`.
    EmailType,
    /// The extension as a whole.
    Visitor,
    Location,
    /// Defined by a schema, not kept.
    Ignored,
}

fn invalid_path(path: &str, why: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidPath, format!("path {path:?}: {why}"))
}

fn invalid_value(what: &str, why: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, format!("{what}: {why}"))
}

/// `prefix` at the start of `s`, ASCII case-insensitively: the rest.
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// The type a value filter `[type eq "t"]` selects (`[primary eq true]`
/// selects the one email whatever its type).
fn email_filter(path: &str, f: &ValFilter) -> Result<Option<String>, ScimError> {
    match f {
        ValFilter::Attr(AttrExp::Comparison(a, CompareOp::Eq, CompValue::Str(t)))
            if a.sub_attr.is_none() && a.name.eq_ignore_ascii_case("type") =>
        {
            Ok(Some(t.clone()))
        }
        ValFilter::Attr(AttrExp::Comparison(a, CompareOp::Eq, CompValue::True))
            if a.name.eq_ignore_ascii_case("primary") =>
        {
            Ok(None)
        }
        _ => Err(invalid_path(
            path,
            "only emails[type eq \"…\"] and emails[primary eq true] select an email",
        )),
    }
}

/// Resolves an attribute path (a PATCH `path`, a body key, or a key of a
/// path-less PATCH value), with or without its schema URN.
fn target(path: &str) -> Result<Target, ScimError> {
    let p = path.trim();
    if p.eq_ignore_ascii_case(VISITOR) {
        return Ok(Target::Visitor);
    }
    if let Some(rest) = strip_prefix_ci(p, VISITOR).and_then(|r| r.strip_prefix(':')) {
        return if rest.eq_ignore_ascii_case("location") {
            Ok(Target::Location)
        } else {
            Err(invalid_path(
                path,
                "the visitor extension has only \"location\"",
            ))
        };
    }
    if strip_prefix_ci(p, ENTERPRISE_PREFIX).is_some() {
        return Ok(Target::Ignored);
    }
    let rest = match strip_prefix_ci(p, CORE) {
        Some(r) => r
            .strip_prefix(':')
            .ok_or_else(|| invalid_path(path, "no attribute after the schema"))?,
        None if p.len() > 4 && p.get(..4).is_some_and(|h| h.eq_ignore_ascii_case("urn:")) => {
            return Err(invalid_path(path, "schema not supported"));
        }
        None => p,
    };
    // RFC 7644 §3.5.2 PATCH path grammar (scim_v2's parser, bounded).
    let parsed: PatchPath = rest
        .parse()
        .map_err(|_| invalid_path(path, "not an attribute path (RFC 7644 §3.5.2)"))?;
    let (attr, filter, sub) = match &parsed {
        PatchPath::Attr(a) => (a, None, a.sub_attr.as_deref()),
        PatchPath::Value(v) => (&v.attr, Some(&v.filter), v.sub_attr.as_deref()),
    };
    if attr.uri.is_some() {
        return Err(invalid_path(path, "schema not supported"));
    }
    let name = attr.name.to_ascii_lowercase();
    let sub = sub.map(str::to_ascii_lowercase);
    if IGNORED_CORE.contains(&name.as_str()) {
        return Ok(Target::Ignored);
    }
    if name != "emails" && filter.is_some() {
        return Err(invalid_path(path, "only emails takes a value filter here"));
    }
    let t = match (name.as_str(), sub.as_deref()) {
        ("username", None) => Target::UserName,
        ("externalid", None) => Target::ExternalId,
        ("displayname", None) => Target::DisplayName,
        ("active", None) => Target::Active,
        ("name", None) => Target::Name,
        ("name", Some("givenname")) => Target::GivenName,
        ("name", Some("familyname")) => Target::FamilyName,
        ("name", Some("formatted" | "middlename" | "honorificprefix" | "honorificsuffix")) => {
            Target::Ignored
        }
        ("emails", s) => {
            let ty = match filter {
                Some(f) => email_filter(path, f)?,
                None => None,
            };
            match s {
                None => Target::Emails(ty),
                Some("value") => Target::EmailValue(ty),
                Some("type") => Target::EmailType,
                Some("primary" | "display") => Target::Ignored,
                Some(_) => {
                    return Err(invalid_path(
                        path,
                        "emails has value, type, primary, display",
                    ));
                }
            }
        }
        _ => return Err(invalid_path(path, "no such attribute")),
    };
    Ok(t)
}

fn string(v: &Value, what: &str) -> Result<String, ScimError> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid_value(what, "must be a string"))?;
    if s.chars().count() > MAX_VALUE_CHARS {
        return Err(invalid_value(
            what,
            &format!("longer than {MAX_VALUE_CHARS} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid_value(what, "contains control characters"));
    }
    Ok(s.trim().to_owned())
}

/// A boolean, also as the strings `"True"`/`"False"` (any case) that
/// Entra ID sends.
fn boolean(v: &Value, what: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid_value(what, "must be true or false")),
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ScimError> {
    v.as_object()
        .ok_or_else(|| invalid_value(what, "must be an object"))
}

/// `(value, type)` of one email object; the type defaults to `ty`, then
/// `work`.
fn email(v: &Value, ty: Option<&str>) -> Result<(String, String), ScimError> {
    let o = object(v, "emails")?;
    let get = |k: &str| {
        o.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    };
    let value = match get("value") {
        Some(v) if !v.is_null() => string(v, "emails.value")?,
        _ => return Err(invalid_value("emails", "an email needs a value")),
    };
    let ty = match get("type") {
        Some(t) if !t.is_null() => string(t, "emails.type")?,
        _ => ty.unwrap_or("work").to_owned(),
    };
    Ok((value, ty))
}

impl Profile {
    /// Applies a whole resource (POST, PUT) onto `self`: every member set,
    /// `null`s skipped (RFC 7643 §2.5: unassigned).
    pub fn set_all(&mut self, body: &Map<String, Value>) -> Result<(), ScimError> {
        for (key, value) in body {
            if !value.is_null() {
                self.set(key, value)?;
            }
        }
        Ok(())
    }

    /// `add` or `replace` at `path` (for what this server keeps the two are
    /// the same: one email, single-valued attributes; RFC 7644 §3.5.2.1
    /// and §3.5.2.3: a complex value's sub-attributes are merged).
    pub fn set(&mut self, path: &str, v: &Value) -> Result<(), ScimError> {
        let t = target(path)?;
        if v.is_null() {
            return self.clear(t, path);
        }
        match t {
            Target::UserName => self.user_name = string(v, "userName")?,
            Target::ExternalId => self.external_id = Some(string(v, "externalId")?),
            Target::DisplayName => self.display_name = string(v, "displayName")?,
            Target::Active => self.active = boolean(v, "active")?,
            Target::GivenName => self.given_name = string(v, "name.givenName")?,
            Target::FamilyName => self.family_name = string(v, "name.familyName")?,
            Target::Name => {
                for (k, sub) in object(v, "name")? {
                    self.set(&format!("name.{k}"), sub)?;
                }
            }
            Target::Emails(ty) => {
                let one = match v {
                    Value::Array(list) => match pick_email(list) {
                        Some(e) => e,
                        None => return self.clear(Target::Emails(None), path),
                    },
                    other => other,
                };
                self.email = Some(email(one, ty.as_deref())?);
            }
            Target::EmailValue(ty) => {
                let value = string(v, "emails.value")?;
                let ty = ty
                    .or_else(|| self.email.as_ref().map(|(_, t)| t.clone()))
                    .unwrap_or_else(|| "work".into());
                self.email = Some((value, ty));
            }
            Target::EmailType => {
                let ty = string(v, "emails.type")?;
                match &mut self.email {
                    Some((_, t)) => *t = ty,
                    None => return Err(invalid_value("emails.type", "there is no email")),
                }
            }
            Target::Visitor => {
                // A client's model of the extension may carry its own
                // "schemas" (scim2-tester's does).
                for (k, sub) in object(v, VISITOR)? {
                    if !k.eq_ignore_ascii_case("schemas") {
                        self.set(&format!("{VISITOR}:{k}"), sub)?;
                    }
                }
            }
            Target::Location => self.location = Some(string(v, "location")?),
            Target::Ignored => {}
        }
        Ok(())
    }

    /// `remove` at `path` (RFC 7644 §3.5.2.2): the attribute is unassigned.
    pub fn remove(&mut self, path: &str) -> Result<(), ScimError> {
        let t = target(path)?;
        self.clear(t, path)
    }

    fn clear(&mut self, t: Target, path: &str) -> Result<(), ScimError> {
        match t {
            Target::UserName | Target::Active => {
                return Err(ScimError::bad(
                    ScimType::Mutability,
                    format!("{path:?} is required and cannot be removed"),
                ));
            }
            Target::ExternalId => self.external_id = None,
            Target::DisplayName => self.display_name.clear(),
            Target::Name => {
                self.given_name.clear();
                self.family_name.clear();
            }
            Target::GivenName => self.given_name.clear(),
            Target::FamilyName => self.family_name.clear(),
            Target::Emails(_) | Target::EmailValue(_) | Target::EmailType => self.email = None,
            Target::Visitor | Target::Location => self.location = None,
            Target::Ignored => {}
        }
        Ok(())
    }
}

/// The email kept of a list: the primary one, else the `work` one, else
/// the first (Entra ID and Okta send one).
fn pick_email(list: &[Value]) -> Option<&Value> {
    let field = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    list.iter()
        .find(|v| boolean(&field(v, "primary"), "primary").unwrap_or(false))
        .or_else(|| {
            list.iter().find(|v| {
                field(v, "type")
                    .as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| list.first())
}

#[cfg(test)]
mod tests;
