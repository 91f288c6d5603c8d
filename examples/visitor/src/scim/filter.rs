//! `?filter=` (RFC 7644 §3.4.2.2) as the store can answer it: `eq` on
//! `userName`, `externalId`, `id` and an email, joined by `and` — the
//! filters Entra ID and Okta send. Anything else is `invalidFilter` (a
//! 400), never a silently unfiltered list.
//!
//! Parsed with `scim_v2`'s grammar (bounded depth and terms). Added here:
//! Entra ID's `emails[type eq "work"].value eq "…"`, which the RFC grammar
//! does not allow (a sub-attribute after a value path) and Entra sends when
//! email is the matching attribute; it means the RFC's
//! `emails[type eq "work" and value eq "…"]`, which is accepted too.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use super::error::{ScimError, ScimType};
use super::profile::CORE;
use crate::store::UserMatch;

/// Longest filter read.
pub const MAX_FILTER_CHARS: usize = 2048;

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

const SUPPORTED: &str = "supported: eq on userName, externalId, id, emails.value and \
     emails[type eq \"work\"].value, joined by and";

/// The terms of a filter (all must match).
pub fn parse(text: &str) -> Result<Vec<UserMatch>, ScimError> {
    if text.len() > MAX_FILTER_CHARS {
        return Err(invalid(format!(
            "filter longer than {MAX_FILTER_CHARS} bytes"
        )));
    }
    if let Some(m) = entra_email(text) {
        return Ok(vec![m]);
    }
    let f: Filter = text.parse().map_err(|_| {
        invalid(format!(
            "not a SCIM filter (RFC 7644 §3.4.2.2); {SUPPORTED}"
        ))
    })?;
    let mut out = Vec::new();
    terms(&f, &mut out)?;
    Ok(out)
}

/// `emails[type eq "work"].value eq "<JSON string>"`, spaces as Entra ID
/// sends them.
fn entra_email(text: &str) -> Option<UserMatch> {
    const HEAD: &str = "emails[type eq \"work\"].value eq ";
    let t = text.trim();
    let head = t.get(..HEAD.len())?;
    if !head.eq_ignore_ascii_case(HEAD) {
        return None;
    }
    let value: String = serde_json::from_str(t.get(HEAD.len()..)?).ok()?;
    Some(UserMatch::Email { value, work: true })
}

fn string(v: &CompValue) -> Result<&str, ScimError> {
    match v {
        CompValue::Str(s) => Ok(s),
        _ => Err(invalid("compare with a string value")),
    }
}

fn name_of(p: &AttrPath) -> Result<String, ScimError> {
    match &p.uri {
        Some(u) if !u.eq_ignore_ascii_case(CORE) => Err(invalid(format!(
            "attribute {p} is not supported; {SUPPORTED}"
        ))),
        _ => Ok(match &p.sub_attr {
            Some(s) => format!("{}.{}", p.name, s).to_ascii_lowercase(),
            None => p.name.to_ascii_lowercase(),
        }),
    }
}

fn terms(f: &Filter, out: &mut Vec<UserMatch>) -> Result<(), ScimError> {
    match f {
        Filter::And(items) => {
            for i in items.as_slice() {
                terms(i, out)?;
            }
            Ok(())
        }
        Filter::Attr(AttrExp::Comparison(p, CompareOp::Eq, v)) => {
            let v = string(v)?;
            out.push(match name_of(p)?.as_str() {
                "username" => UserMatch::UserName(v.to_owned()),
                "externalid" => UserMatch::ExternalId(v.to_owned()),
                "id" => v.parse().map_or(UserMatch::Nothing, UserMatch::Id),
                // Entra ID's manager check (`id eq "…" and manager eq "…"`):
                // no manager is kept, so no user has that one.
                "manager" | "manager.value" => UserMatch::Nothing,
                "emails.value" | "emails" => UserMatch::Email {
                    value: v.to_owned(),
                    work: false,
                },
                _ => {
                    return Err(invalid(format!(
                        "attribute {p} is not supported; {SUPPORTED}"
                    )));
                }
            });
            Ok(())
        }
        Filter::ValuePath(vp) if name_of(&vp.attr)? == "emails" => {
            out.push(email_value_path(&vp.filter)?);
            Ok(())
        }
        other => Err(invalid(format!("{other} is not supported; {SUPPORTED}"))),
    }
}

/// `emails[value eq "…"]`, `emails[type eq "work" and value eq "…"]`.
fn email_value_path(f: &ValFilter) -> Result<UserMatch, ScimError> {
    let items: Vec<&ValFilter> = match f {
        ValFilter::And(items) => items.as_slice().iter().collect(),
        one => vec![one],
    };
    let (mut value, mut work) = (None, false);
    for i in items {
        let ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, v)) = i else {
            return Err(invalid(format!("{i} is not supported; {SUPPORTED}")));
        };
        match p.name.to_ascii_lowercase().as_str() {
            "value" => value = Some(string(v)?.to_owned()),
            "type" if string(v)?.eq_ignore_ascii_case("work") => work = true,
            _ => return Err(invalid(format!("{i} is not supported; {SUPPORTED}"))),
        }
    }
    let value =
        value.ok_or_else(|| invalid(format!("an email filter needs value eq; {SUPPORTED}")))?;
    Ok(UserMatch::Email { value, work })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn one(f: &str) -> UserMatch {
        let mut t = parse(f).unwrap();
        assert_eq!(t.len(), 1, "{f}");
        t.remove(0)
    }

    #[test]
    fn what_entra_and_okta_send() {
        assert_eq!(
            one(r#"userName eq "Test_User_00aa@acme.test""#),
            UserMatch::UserName("Test_User_00aa@acme.test".into())
        );
        assert_eq!(
            one(r#"USERNAME EQ "a@acme.test""#),
            UserMatch::UserName("a@acme.test".into())
        );
        assert_eq!(
            one(r#"externalId eq "0a21f0f2""#),
            UserMatch::ExternalId("0a21f0f2".into())
        );
        assert_eq!(one(r#"id eq "42""#), UserMatch::Id(42));
        assert_eq!(one(r#"id eq "not-ours""#), UserMatch::Nothing);
        let work = UserMatch::Email {
            value: "a@acme.test".into(),
            work: true,
        };
        assert_eq!(
            one(r#"emails[type eq "work"].value eq "a@acme.test""#),
            work
        );
        assert_eq!(
            one(r#"emails[type eq "work" and value eq "a@acme.test"]"#),
            work
        );
        assert_eq!(
            one(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "b@acme.test""#),
            UserMatch::UserName("b@acme.test".into())
        );
        assert_eq!(
            parse(r#"id eq "7" and manager eq "00aa""#).unwrap(),
            vec![UserMatch::Id(7), UserMatch::Nothing]
        );
        assert_eq!(
            parse(r#"id eq "7" and userName eq "x""#).unwrap(),
            vec![UserMatch::Id(7), UserMatch::UserName("x".into())]
        );
    }

    #[test]
    fn everything_else_is_invalid_filter() {
        for bad in [
            r#"userName co "a""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"not (userName eq "a")"#,
            "userName pr",
            r#"displayName eq "a""#,
            "userName eq 3",
            "externalId eq jyoung",
            r#"emails[type eq "home"].value eq "a@b.c""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
            "userName eq",
            "",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    ScimError::BadRequest {
                        scim_type: ScimType::InvalidFilter,
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
        assert!(parse(&"a".repeat(MAX_FILTER_CHARS + 1)).is_err());
    }
}
