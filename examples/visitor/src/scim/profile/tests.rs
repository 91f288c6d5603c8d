#![allow(clippy::unwrap_used, clippy::panic)]
use serde_json::json;

use super::*;
use crate::scim::patch::apply;

fn alice() -> Profile {
    Profile {
        user_name: "alice@acme.test".into(),
        given_name: "Alice".into(),
        family_name: "Old".into(),
        email: Some(("alice@acme.test".into(), "work".into())),
        active: true,
        ..Profile::default()
    }
}

fn bad_type(e: &ScimError) -> ScimType {
    match e {
        ScimError::BadRequest { scim_type, .. } => *scim_type,
        other => panic!("not a 400: {other:?}"),
    }
}

#[test]
fn entra_patch_forms() {
    let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.new@acme.test"},
        {"op": "Replace", "path": "name.familyName", "value": "New"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "rEpLaCe", "path": "displayName", "value": "Alice New"},
        {"op": "Add", "path": "manager", "value": [{"$ref": "https://x/Users/9", "value": "9"}]}
    ]});
    let p = apply(&alice(), &ops).unwrap();
    assert_eq!(p.email, Some(("alice.new@acme.test".into(), "work".into())));
    assert_eq!((p.family_name.as_str(), p.active), ("New", false));
    assert_eq!(p.display_name, "Alice New");
    let restore = json!({"Operations": [{"op": "Replace", "path": "active", "value": "True"}]});
    assert!(apply(&p, &restore).unwrap().active);
}

#[test]
fn pathless_replace_with_dotted_and_urn_keys() {
    // Entra with aadOptscim062020, and Okta's deactivation.
    let ops = json!({"Operations": [{"op": "replace", "value": {
        "displayName": "A", "name.givenName": "Al",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "1",
        "urn:ietf:params:scim:schemas:extension:visitor:2.0:User:location": "Acme HQ",
        "active": false
    }}]});
    let p = apply(&alice(), &ops).unwrap();
    assert_eq!(
        (p.display_name.as_str(), p.given_name.as_str()),
        ("A", "Al")
    );
    assert_eq!((p.location.as_deref(), p.active), (Some("Acme HQ"), false));
}

#[test]
fn create_body_ignores_what_is_not_kept() {
    // Entra's second create example: nulls, roles: [], the malformed URN;
    // Okta's: password, groups: [].
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
        "externalId": "ext-1", "userName": "b@acme.test", "active": true,
        "emails": [{"primary": true, "type": "work", "value": "b@acme.test"}],
        "meta": {"resourceType": "User"}, "name": {"formatted": "B B", "familyName": "B", "givenName": "Bo"},
        "roles": [], "groups": [], "password": "hunter2", "title": null, "locale": "en-US",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User": {"department": null}
    });
    let mut p = Profile::default();
    p.set_all(body.as_object().unwrap()).unwrap();
    assert_eq!(p.user_name, "b@acme.test");
    assert_eq!(p.external_id.as_deref(), Some("ext-1"));
    assert_eq!((p.given_name.as_str(), p.family_name.as_str()), ("Bo", "B"));
    assert!(
        !format!("{p:?}").contains("hunter2"),
        "a password is never kept"
    );
}

#[test]
fn one_email_is_kept_the_primary_one() {
    let mut p = Profile::default();
    p.set(
        "emails",
        &json!([
            {"value": "home@x.test", "type": "home"},
            {"value": "work@acme.test", "type": "work", "primary": "True"}
        ]),
    )
    .unwrap();
    assert_eq!(p.email, Some(("work@acme.test".into(), "work".into())));
    p.set("emails", &json!([])).unwrap();
    assert_eq!(p.email, None);
}

#[test]
fn refusals_say_what_and_change_nothing() {
    let start = alice();
    for (ops, want) in [
        (
            json!({"Operations": [{"op": "replace", "path": "nickName2", "value": "x"}]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "urn:example:other:Thing", "value": "x"}]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "emails[value co \"x\"].value", "value": "x"}]}),
            ScimType::InvalidPath,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "userName", "value": 5}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "userName", "value": "x".repeat(MAX_VALUE_CHARS + 1)}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "replace", "path": "displayName", "value": "a\u{0}b"}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "remove", "path": "userName"}]}),
            ScimType::Mutability,
        ),
        (
            json!({"Operations": [{"op": "remove"}]}),
            ScimType::NoTarget,
        ),
        (
            json!({"Operations": [{"op": "move", "path": "userName", "value": "x"}]}),
            ScimType::InvalidSyntax,
        ),
        (
            json!({"Operations": [{"op": "add", "path": "displayName"}]}),
            ScimType::InvalidValue,
        ),
        (
            json!({"Operations": [{"op": "add", "value": "not an object"}]}),
            ScimType::InvalidValue,
        ),
        (json!({"Operations": []}), ScimType::InvalidValue),
        (json!({"operations": "x"}), ScimType::InvalidSyntax),
        (json!([1]), ScimType::InvalidSyntax),
        // The first operation is valid: nothing of it may stay.
        (
            json!({"Operations": [{"op": "replace", "path": "displayName", "value": "Z"},
                               {"op": "replace", "path": "bogus", "value": "x"}]}),
            ScimType::InvalidPath,
        ),
    ] {
        let e = apply(&start, &ops).unwrap_err();
        assert_eq!(bad_type(&e), want, "{ops}: {e}");
    }
    let too_many: Vec<_> = (0..=crate::scim::patch::MAX_OPERATIONS)
        .map(|_| json!({"op": "replace", "path": "displayName", "value": "x"}))
        .collect();
    assert!(apply(&start, &json!({"Operations": too_many})).is_err());
}
