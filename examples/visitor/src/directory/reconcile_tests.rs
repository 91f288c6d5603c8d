#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::directory::plan::GuardRail;

fn user(id: i64, email: &str, source: &str) -> User {
    User {
        id,
        email: email.into(),
        given_name: "Old".into(),
        family_name: "Name".into(),
        display_name: "Old Name".into(),
        role: "host".into(),
        active: true,
        default_location: Some("HQ".into()),
        source: source.into(),
        external_id: None,
        created_at: "2026-01-01T00:00:00Z".into(),
        last_login_at: None,
        sessions_not_before: None,
        user_name: email.into(),
        email_type: Some("work".into()),
        updated_at: "2026-01-01T00:00:00Z".into(),
        display_name_given: true,
    }
}

fn rec(origin: &str, email: &str) -> Record {
    Record {
        origin: origin.into(),
        external_id: None,
        email: email.into(),
        given_name: "Old".into(),
        family_name: "Name".into(),
        display_name: "Old Name".into(),
        location: Some("HQ".into()),
        role: Some(Role::Host),
        enabled: true,
        action: Action::Upsert,
    }
}

fn run(records: Vec<Record>, users: &[User], policy: Policy) -> Plan {
    let domains = ["acme.test".to_owned()];
    let locations = ["HQ".to_owned(), "Lab".to_owned()];
    plan(
        records,
        &OrgView {
            domains: &domains,
            locations: &locations,
            users,
        },
        &policy,
    )
}

fn columns(p: &Plan) -> Vec<(&str, &str)> {
    p.errors
        .iter()
        .map(|e| (e.origin.as_str(), e.column.as_str()))
        .collect()
}

#[test]
fn first_run_creates_everyone_with_defaults() {
    let mut bare = rec("row 2", "Ann@Acme.test");
    bare.display_name = String::new();
    bare.given_name = "Ann".into();
    bare.family_name = "Lee".into();
    bare.location = None;
    bare.role = None;
    let p = run(
        vec![bare, rec("row 3", "bob@acme.test")],
        &[],
        Policy::spreadsheet(),
    );
    assert_eq!(p.creates.len(), 2);
    let ann = &p.creates[0];
    assert_eq!(
        (ann.email.as_str(), ann.normalized.as_str()),
        ("Ann@Acme.test", "ann@acme.test")
    );
    assert_eq!(ann.display_name, "Ann Lee");
    assert_eq!((ann.location.clone(), ann.role), (None, Role::Host));
    assert!(p.errors.is_empty() && p.deactivations.is_empty());
}

#[test]
fn changed_email_follows_the_external_id() {
    let mut u = user(1, "old@acme.test", "ldap");
    u.external_id = Some("uuid-1".into());
    let mut r = rec("uid=a", "new@acme.test");
    r.external_id = Some("uuid-1".into());
    let p = run(vec![r], &[u], Policy::directory());
    assert!(p.creates.is_empty() && p.deactivations.is_empty());
    assert_eq!(p.updates.len(), 1);
    assert_eq!(
        p.updates[0].changes,
        vec![Change {
            field: Field::Email,
            from: "old@acme.test".into(),
            to: "new@acme.test".into()
        }]
    );
}

#[test]
fn a_moved_person_changes_location_and_a_new_site_is_created_by_a_directory() {
    let u = user(1, "a@acme.test", "ldap");
    let mut r = rec("uid=a", "a@acme.test");
    r.location = Some("Annex".into());
    let p = run(
        vec![r.clone()],
        std::slice::from_ref(&u),
        Policy::directory(),
    );
    assert_eq!(p.new_locations, vec!["Annex".to_owned()]);
    assert_eq!(p.updates[0].changes[0].field, Field::Location);
    // A spreadsheet does not make sites: the row is in error.
    r.origin = "row 2".into();
    let mut sheet_user = u;
    sheet_user.source = "upload".into();
    let p = run(vec![r], &[sheet_user], Policy::spreadsheet());
    assert!(p.new_locations.is_empty() && p.updates.is_empty());
    assert_eq!(columns(&p), vec![("row 2", "location")]);
}

#[test]
fn disabled_and_absent_people_are_deactivated_unless_their_record_is_in_error() {
    let users = [
        user(1, "disabled@acme.test", "ldap"),
        user(2, "gone@acme.test", "ldap"),
        user(3, "broken@acme.test", "ldap"),
        user(4, "stays@acme.test", "ldap"),
    ];
    let mut disabled = rec("uid=d", "disabled@acme.test");
    disabled.enabled = false;
    let mut broken = rec("uid=b", "broken@acme.test");
    broken.given_name = "bad\u{7}name".into();
    let p = run(
        vec![disabled, broken, rec("uid=s", "stays@acme.test")],
        &users,
        Policy::directory(),
    );
    let ids: Vec<i64> = p.deactivations.iter().map(|t| t.user_id).collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(columns(&p), vec![("uid=b", "first name")]);
    assert_eq!(p.unchanged, 1);
}

#[test]
fn a_disabled_account_is_not_created_and_an_enabled_one_is_reactivated() {
    let mut inactive = user(1, "back@acme.test", "ldap");
    inactive.active = false;
    let mut new_disabled = rec("uid=n", "new@acme.test");
    new_disabled.enabled = false;
    let p = run(
        vec![new_disabled, rec("uid=b", "back@acme.test")],
        &[inactive],
        Policy::directory(),
    );
    assert!(p.creates.is_empty());
    assert_eq!(p.reactivations.len(), 1);
    assert_eq!(p.reactivations[0].user_id, 1);
}

#[test]
fn people_of_other_sources_are_left_alone_and_never_deactivated() {
    let users = [
        user(1, "scim@acme.test", "scim"),
        user(2, "sheet@acme.test", "upload"),
        user(3, "jit@acme.test", "jit"),
    ];
    let mut r = rec("uid=s", "scim@acme.test");
    r.given_name = "Changed".into();
    let p = run(
        vec![r, rec("uid=j", "jit@acme.test")],
        &users,
        Policy::directory(),
    );
    assert_eq!(
        p.left_alone,
        vec![LeftAlone {
            origin: "uid=s".into(),
            email: "scim@acme.test".into(),
            owner: "scim".into()
        }]
    );
    // The sign-in-made user is adopted (no field changes), the others stay.
    assert_eq!(p.updates.len(), 1);
    assert!(p.updates[0].adopt && p.updates[0].changes.is_empty());
    assert!(p.deactivations.is_empty());
}

#[test]
fn bad_records_each_say_why() {
    let users = [
        user(9, "taken@acme.test", "upload"),
        user(8, "x@acme.test", "upload"),
    ];
    let mut foreign = rec("row 2", "eve@evil.test");
    foreign.location = None;
    let mut create_existing = rec("row 5", "taken@acme.test");
    create_existing.action = Action::Create;
    let mut update_missing = rec("row 6", "nobody@acme.test");
    update_missing.action = Action::Update;
    let mut moved = user(7, "moved@acme.test", "upload");
    moved.external_id = Some("e7".into());
    let mut steal_by_id = rec("row 8", "x@acme.test");
    steal_by_id.external_id = Some("e7".into());
    let mut users = users.to_vec();
    users.push(moved);
    let p = run(
        vec![
            foreign,
            rec("row 3", "not-an-email"),
            rec("row 4", "\u{430}nn@acme.test"),
            create_existing,
            update_missing,
            rec("row 9", "dup@acme.test"),
            rec("row 10", "DUP@acme.test"),
            steal_by_id,
        ],
        &users,
        Policy::spreadsheet(),
    );
    assert_eq!(
        columns(&p),
        vec![
            ("row 2", "email"),
            ("row 3", "email"),
            ("row 4", "email"),
            ("row 5", "email"),
            ("row 6", "email"),
            ("row 9", "email"),
            ("row 10", "email"),
            ("row 8", "email"),
        ]
    );
    assert!(p.errors[0].reason.contains("evil.test"));
    assert!(p.errors[6].reason.contains("first at row 9"));
    assert!(p.errors[7].reason.contains("another user"));
    assert!(p.is_empty());
}

#[test]
fn explicit_deactivation_and_upsert_of_an_unchanged_person() {
    let users = [
        user(1, "a@acme.test", "upload"),
        user(2, "b@acme.test", "upload"),
    ];
    let mut off = rec("row 2", "a@acme.test");
    off.action = Action::Deactivate;
    let p = run(
        vec![off, rec("row 3", "b@acme.test")],
        &users,
        Policy::spreadsheet(),
    );
    assert_eq!(p.deactivations.len(), 1);
    assert_eq!(p.unchanged, 1);
    assert!(p.updates.is_empty());
}

#[test]
fn an_empty_directory_trips_the_guard_rail() {
    let users: Vec<User> = (1..=10)
        .map(|i| user(i, &format!("p{i}@acme.test"), "ldap"))
        .collect();
    let p = run(vec![], &users, Policy::directory());
    assert_eq!(p.deactivations.len(), 10);
    let err = p.check_guard_rail(20, false).unwrap_err();
    assert_eq!(
        err,
        GuardRail {
            deactivations: 10,
            active: 10,
            max_percent: 20
        }
    );
    assert!(p.check_guard_rail(20, true).is_ok());
    // Two of ten (20 %) is at the limit, not above it.
    let keep: Vec<Record> = (3..=10)
        .map(|i| rec(&format!("uid={i}"), &format!("p{i}@acme.test")))
        .collect();
    let p = run(keep, &users, Policy::directory());
    assert_eq!(p.deactivations.len(), 2);
    assert!(p.check_guard_rail(20, false).is_ok());
    assert!(p.check_guard_rail(19, false).is_err());
}

#[test]
fn a_directory_creates_at_most_so_many_sites_in_one_run() {
    let records: Vec<Record> = (0..MAX_NEW_LOCATIONS + 2)
        .map(|i| {
            let mut r = rec(&format!("uid={i}"), &format!("p{i}@acme.test"));
            r.location = Some(format!("Site {i}"));
            r
        })
        .collect();
    let p = run(records, &[], Policy::directory());
    assert_eq!(p.new_locations.len(), MAX_NEW_LOCATIONS);
    assert_eq!(p.creates.len(), MAX_NEW_LOCATIONS);
    assert_eq!(
        columns(&p),
        vec![("uid=50", "location"), ("uid=51", "location")]
    );
}

#[test]
fn a_scim_user_name_is_the_same_person_and_is_never_taken_over() {
    let mut scim = user(1, "sam@acme.test", "scim");
    scim.user_name = "Sam.Login@acme.test".into();
    let mut renamed = user(2, "old@acme.test", "upload");
    renamed.external_id = Some("e2".into());
    let users = [scim, renamed];
    let p = run(
        vec![rec("row 2", "sam.login@acme.test")],
        &users,
        Policy::spreadsheet(),
    );
    assert!(p.creates.is_empty());
    assert_eq!(p.left_alone.len(), 1);
    assert_eq!(p.left_alone[0].owner, "scim");
    // Another person may not take that sign-in name as their email.
    let mut steal = rec("row 3", "sam.login@acme.test");
    steal.external_id = Some("e2".into());
    let p = run(vec![steal], &users, Policy::spreadsheet());
    assert!(p.updates.is_empty());
    assert_eq!(columns(&p), vec![("row 3", "email")]);
}
