//! Sign-in: just-in-time creation, linking, and every refusal.

use super::*;

#[actix_web::test]
async fn sp_initiated_sign_in_creates_users_just_in_time() {
    let (state, app) = demo!();
    let acme = TestIdp::acme();

    let res = sign_in(
        &app,
        "acme",
        &acme,
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Tester",
            &["staff", "visitor-admins"],
        ),
        None,
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/me", "the app's default after sign-in");
    let set = set_cookie(&res, "id").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "plain-http site: no Secure flag ({set})"
    );
    let cookie = cookie_pair(&set);
    let alice = user_by_email(&state, "alice@acme.test");
    assert_eq!(alice.source, "jit");
    assert_eq!(alice.role, "admin", "member of the admin group");
    assert_eq!(alice.display_name, "Alice Tester");
    assert_eq!(alice.default_location.as_deref(), Some(ACME_HQ));
    assert!(alice.active && alice.last_login_at.is_some());
    let locations: Vec<_> = in_org(&state, "acme", |s| s.user_locations(alice.id))
        .into_iter()
        .map(|l| (l.location, l.role))
        .collect();
    assert_eq!(
        locations,
        vec![(ACME_HQ.to_owned(), "admin".to_owned())],
        "access to the organization's locations only, admin at the default one"
    );
    let ids = in_org(&state, "acme", |s| s.identities_of(alice.id));
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].idp_entity_id, acme.entity_id);
    assert_eq!(ids[0].name_id, "A-alice");
    assert_eq!(ids[0].name_id_format, NAMEID_PERSISTENT);

    let me = body_of(get(&app, "/me", Some(&cookie)).await).await;
    assert!(
        me.contains("Alice Tester") && me.contains("alice@acme.test"),
        "{me}"
    );
    assert!(me.contains("admin at the default location"), "{me}");
    assert!(
        me.contains("Attributes received") && me.contains("<code>firstName</code>"),
        "{me}"
    );
    assert!(me.contains("visitor-admins"), "{me}");
    assert!(me.contains("Acme Corp"), "signed in with");

    signed_in(
        &app,
        "acme",
        &acme,
        person("A-bob", "bob@acme.test", "Bob", "Builder", &["staff"]),
    )
    .await;
    let bob = user_by_email(&state, "bob@acme.test");
    assert_eq!(bob.role, "host");

    // Both appear in the host directory; the search narrows it.
    let hosts = body_of(get(&app, "/hosts", Some(&cookie)).await).await;
    assert!(
        hosts.contains("<td>Alice Tester</td>") && hosts.contains("<td>Bob Builder</td>"),
        "{hosts}"
    );
    let hosts = body_of(get(&app, "/hosts?q=BUILD", Some(&cookie)).await).await;
    assert!(
        !hosts.contains("<td>Alice Tester</td>") && hosts.contains("<td>Bob Builder</td>"),
        "{hosts}"
    );
    assert!(hosts.contains("1 host matching"), "{hosts}");
}

#[actix_web::test]
async fn idp_initiated_sign_in_from_an_idp_that_allows_it() {
    let (state, app) = demo!();
    let r = TestIdp::globex().response(&person(
        "G-gina",
        "gina@globex.test",
        "Gina",
        "Globex",
        &["visitor-admins"],
    ));
    let res = post_form(&app, "/saml/acs", acs_body(&r, Some("/")), None).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    let cookie = cookie_pair(&set_cookie(&res, "id").unwrap());
    let res = get(&app, "/", Some(&cookie)).await;
    assert_eq!(location(&res), "/me", "signed-in visitors go to their page");
    let gina = user_by_email(&state, "gina@globex.test");
    assert_eq!(gina.role, "admin");
    assert_eq!(gina.default_location.as_deref(), Some(GLOBEX_CAMPUS));

    // Acme is not configured for it.
    let log = LogCapture::default();
    let _g = log.install();
    let r = TestIdp::acme().response(&person("A-x", "x@acme.test", "X", "Y", &[]));
    let res = post_form(&app, "/saml/acs", acs_body(&r, Some("/")), None).await;
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    let line = log.failure(&page_reference(&body));
    assert!(line.contains("kind=unsolicited_not_allowed"), "{line}");
    assert_eq!(user_count(&state), 1);
}

#[actix_web::test]
async fn jit_links_an_existing_account_by_authoritative_domain() {
    let (state, app) = demo!();
    let id = manual_user(&state, "acme", "Alice@Acme.test", "Alice (manual)");

    // Case differs in the assertion; the domain is Acme's.
    let cookie = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-777", "ALICE@acme.TEST", "Alice", "Linked", &[]),
    )
    .await;
    assert_eq!(user_count(&state), 1, "linked, not created");
    let ids = in_org(&state, "acme", |s| s.identities_of(id));
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].name_id, "A-777");
    let me = body_of(get(&app, "/me", Some(&cookie)).await).await;
    assert!(me.contains("Alice Linked"), "profile refreshed: {me}");
    let u = in_org(&state, "acme", |s| s.user(id)).unwrap();
    assert_eq!(u.source, "manual");
    assert_eq!(
        u.role, "host",
        "roles of manual accounts are managed by hand"
    );

    // Next time the NameID alone finds the account, whatever the email says.
    signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-777", "alice.new@acme.test", "Alice", "Renamed", &[]),
    )
    .await;
    let u = in_org(&state, "acme", |s| s.user(id)).unwrap();
    assert_eq!(u.display_name, "Alice Renamed");
    assert_eq!(u.email, "alice.new@acme.test");
    assert_eq!(user_count(&state), 1);
}

#[actix_web::test]
async fn linking_refused_for_a_foreign_domain_and_look_alikes() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let dana = manual_user(&state, "acme", "dana@acme.test", "Dana");

    // Globex vouches for dana@acme.test: not its organization's domain, and
    // Acme's people are not Globex's to link.
    let res = sign_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person(
            "G-dana",
            "dana@acme.test",
            "Dana",
            "Imposter",
            &["visitor-admins"],
        ),
        None,
    )
    .await;
    assert_refused(res, &log, "domain_of_another_idp", "Use your own company").await;
    assert!(in_org(&state, "acme", |s| s.identities_of(dana)).is_empty());
    let u = in_org(&state, "acme", |s| s.user(dana)).unwrap();
    assert_eq!(u.display_name, "Dana", "profile untouched");

    // A Cyrillic "а" in the domain never matches acme.test.
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-dana2", "dana@\u{430}cme.test", "Dana", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "unusable_email", "cannot be used").await;

    // Globex cannot create an account in Acme's domain either.
    let res = sign_in(
        &app,
        "globex",
        &TestIdp::globex(),
        person("G-eve", "eve@acme.test", "Eve", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "domain_of_another_idp", "Use your own company").await;

    // A subdomain is not the domain.
    manual_user(&state, "acme", "sub@eu.acme.test", "Sub");
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-sub", "sub@eu.acme.test", "Sub", "X", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "foreign_domain", "This account cannot be linked").await;
    assert_eq!(user_count(&state), 2);
}

#[actix_web::test]
async fn no_account_when_jit_creation_is_off() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let res = sign_in(
        &app,
        "initech",
        &initech(),
        person("I-1", "peter@initech.test", "Peter", "Gibbons", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "not_provisioned", "No account for you yet").await;
    assert_eq!(user_count(&state), 0);

    // An account made by hand is linked (initech.test is Initech's).
    manual_user(&state, "initech", "peter@initech.test", "Peter");
    signed_in(
        &app,
        "initech",
        &initech(),
        person("I-1", "peter@initech.test", "Peter", "Gibbons", &[]),
    )
    .await;
}

#[actix_web::test]
async fn deactivated_user_refused_and_session_ended() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let acme = TestIdp::acme();
    let spec = || person("A-carol", "carol@acme.test", "Carol", "C", &[]);
    let cookie = signed_in(&app, "acme", &acme, spec()).await;
    let carol = user_by_email(&state, "carol@acme.test");
    in_org(&state, "acme", |s| {
        s.set_active(carol.id, false, Utc::now())
    });

    // Known identity, deactivated.
    let res = sign_in(&app, "acme", &acme, spec(), None).await;
    assert_refused(res, &log, "deactivated", "Your account is deactivated").await;

    // Found by email (new NameID), deactivated.
    let res = sign_in(
        &app,
        "acme",
        &acme,
        person("A-carol-2", "carol@acme.test", "Carol", "C", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "deactivated", "Your account is deactivated").await;

    // The session from before is ended at its next request.
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/?notice=deactivated");
    let res = get(&app, "/me", Some(&cookie)).await;
    assert_eq!(location(&res), "/?return_to=%2Fme", "session gone");
    // Deactivated users are not hosts.
    manual_user(&state, "acme", "zed@acme.test", "Zed");
    let z = signed_in(
        &app,
        "acme",
        &acme,
        person("A-zed", "zed@acme.test", "Zed", "Z", &[]),
    )
    .await;
    let hosts = body_of(get(&app, "/hosts", Some(&z)).await).await;
    assert!(!hosts.contains("carol@acme.test"), "{hosts}");
}

#[actix_web::test]
async fn transient_name_id_refused() {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!();
    let res = sign_in(
        &app,
        "acme",
        &TestIdp::acme(),
        ResponseSpec::new(SP, ACS, "G-0b7e")
            .format(NAMEID_TRANSIENT)
            .person("tom@acme.test", "Tom", "T", &[]),
        None,
    )
    .await;
    assert_refused(res, &log, "transient_name_id", "not set up correctly").await;
    assert_eq!(user_count(&state), 0);
}

#[actix_web::test]
async fn role_follows_the_admin_group_for_jit_users() {
    let (state, app) = demo!();
    let acme = TestIdp::acme();
    signed_in(
        &app,
        "acme",
        &acme,
        person("A-r", "r@acme.test", "R", "One", &["visitor-admins"]),
    )
    .await;
    assert_eq!(user_by_email(&state, "r@acme.test").role, "admin");
    signed_in(
        &app,
        "acme",
        &acme,
        person("A-r", "r@acme.test", "R", "Two", &["staff"]),
    )
    .await;
    let u = user_by_email(&state, "r@acme.test");
    assert_eq!(u.role, "host");
    assert_eq!(u.display_name, "R Two");
    let locations = in_org(&state, "acme", |s| s.user_locations(u.id));
    assert!(locations.iter().all(|l| l.role == "host"), "{locations:?}");
}
