//! A stored user as a SCIM User resource (RFC 7643 §4.1), its version, and
//! the `attributes` / `excludedAttributes` projection (RFC 7644 §3.9).

use serde_json::{Map, Value, json};

use super::profile::{CORE, Profile, VISITOR};
use crate::store::User;

/// What SCIM sees of a stored user (the starting point of a PATCH).
pub fn profile_of(u: &User) -> Profile {
    Profile {
        user_name: u.user_name.clone(),
        external_id: u.external_id.clone(),
        given_name: u.given_name.clone(),
        family_name: u.family_name.clone(),
        display_name: if u.display_name_given {
            u.display_name.clone()
        } else {
            String::new()
        },
        email: u.email_type.as_ref().map(|t| (u.email.clone(), t.clone())),
        active: u.active,
        location: u.default_location.clone(),
    }
}

/// The resource, with `meta` (RFC 7643 §3.1); `base` is the SCIM base URL.
pub fn render(u: &User, base: &str) -> Value {
    let p = profile_of(u);
    let mut schemas = vec![CORE];
    let mut r = Map::new();
    r.insert("id".into(), u.id.to_string().into());
    if let Some(x) = &p.external_id {
        r.insert("externalId".into(), x.as_str().into());
    }
    r.insert("userName".into(), p.user_name.as_str().into());
    let mut name = Map::new();
    if !p.given_name.is_empty() {
        name.insert("givenName".into(), p.given_name.as_str().into());
    }
    if !p.family_name.is_empty() {
        name.insert("familyName".into(), p.family_name.as_str().into());
    }
    if !name.is_empty() {
        r.insert("name".into(), name.into());
    }
    if !p.display_name.is_empty() {
        r.insert("displayName".into(), p.display_name.as_str().into());
    }
    if let Some((value, ty)) = &p.email {
        r.insert("emails".into(), json!([{ "value": value, "type": ty }]));
    }
    r.insert("active".into(), p.active.into());
    if let Some(l) = &p.location {
        schemas.push(VISITOR);
        r.insert(VISITOR.into(), json!({ "location": l }));
    }
    r.insert("schemas".into(), json!(schemas));
    let version = version_of(&r);
    r.insert(
        "meta".into(),
        json!({
            "resourceType": "User",
            "created": u.created_at,
            "lastModified": u.updated_at,
            "location": format!("{base}/Users/{}", u.id),
            "version": version,
        }),
    );
    Value::Object(r)
}

/// A weak entity tag of the resource's content (RFC 7644 §3.14): changes
/// whenever a value SCIM shows changes.
fn version_of(r: &Map<String, Value>) -> String {
    let digest = openssl::sha::sha256(Value::Object(r.clone()).to_string().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("W/\"{hex}\"")
}

/// The resource's version (for the `ETag` header).
pub fn version(resource: &Value) -> Option<&str> {
    resource.pointer("/meta/version").and_then(Value::as_str)
}

/// The top-level member an attribute name designates (`name.givenName` →
/// `name`; a URN-prefixed core attribute → the attribute; an extension
/// attribute → the extension).
fn top_level(attr: &str) -> String {
    let a = attr.trim();
    if a.len() >= VISITOR.len()
        && a.get(..VISITOR.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(VISITOR))
    {
        return VISITOR.to_ascii_lowercase();
    }
    let a = if a.len() > CORE.len() + 1
        && a.get(..CORE.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(CORE))
    {
        a.get(CORE.len() + 1..).unwrap_or("")
    } else {
        a
    };
    a.split(['.', '['])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Applies `attributes` (only those, plus `id` and `schemas`, which are
/// always returned) or else `excludedAttributes` (RFC 7644 §3.9); names
/// are compared case-insensitively, sub-attributes select their parent.
pub fn project(resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(top_level)
            .filter(|a| !a.is_empty())
            .collect()
    };
    let Value::Object(map) = resource else {
        return resource;
    };
    let keep: Box<dyn Fn(&str) -> bool> = match (attributes, excluded) {
        (Some(a), _) if !a.trim().is_empty() => {
            let wanted = list(a);
            Box::new(move |k| {
                let k = k.to_ascii_lowercase();
                k == "id" || k == "schemas" || wanted.contains(&k)
            })
        }
        (_, Some(e)) if !e.trim().is_empty() => {
            let unwanted = list(e);
            Box::new(move |k| {
                let k = k.to_ascii_lowercase();
                k == "id" || k == "schemas" || !unwanted.contains(&k)
            })
        }
        _ => return Value::Object(map),
    };
    Value::Object(map.into_iter().filter(|(k, _)| keep(k)).collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn projection_keeps_id_and_schemas_and_selects_parents() {
        let r = json!({"id": "1", "schemas": [CORE], "userName": "a", "name": {"givenName": "A"},
                       "emails": [], VISITOR: {"location": "HQ"}, "meta": {}});
        let only = project(
            r.clone(),
            Some(
                "name.givenName, urn:ietf:params:scim:schemas:extension:visitor:2.0:User:location",
            ),
            None,
        );
        let keys: Vec<&String> = only.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        assert!(only.get("name").is_some() && only.get(VISITOR).is_some());
        let without = project(
            r,
            None,
            Some("urn:ietf:params:scim:schemas:core:2.0:User:userName,meta"),
        );
        assert!(without.get("userName").is_none() && without.get("meta").is_none());
        assert!(without.get("emails").is_some() && without.get("id").is_some());
    }
}
