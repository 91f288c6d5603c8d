//! Organizations are tenants: generated from the app's route table
//! ([`samlsp_visitor::routes::routes`], the one `configure` mounts), every
//! route is called by a user of each organization with the other's users,
//! locations and visits, and answers exactly as for an ID that never
//! existed, shows none of the other's rows, and changes none. Kiosk routes
//! are called the same way with the organization's kiosk token. Then the
//! account pre-hijack, and the roles. [`scim`]: the same for every SCIM
//! route, with each organization's bearer token. The library's `/saml/slo`
//! (Single Logout) is not in the app's table: that one organization's IdP
//! cannot end another's sessions is proved in [`super::logout`].

use actix_web::http::Method;
use samlsp_visitor::routes::{Access, Object, routes};

use super::*;

mod scim;

/// An ID no object has.
const NEVER: i64 = 987_654;

/// One organization's people and objects, as the tests see them.
struct Org {
    slug: &'static str,
    admin_cookie: String,
    csrf: String,
    user: i64,
    location: i64,
    visit: i64,
    kiosk: i64,
    /// The admin's session plus the kiosk token of its first location.
    kiosk_cookie: String,
    upload: i64,
    run: i64,
    /// An audit event (its admin's sign-in).
    event: i64,
    /// An SSO connection its admin added in the console.
    connection: i64,
    /// Text only this organization's pages may show.
    markers: Vec<&'static str>,
}

impl Org {
    fn id(&self, o: Object) -> i64 {
        match o {
            Object::User => self.user,
            Object::Location => self.location,
            Object::Visit => self.visit,
            Object::KioskToken => self.kiosk,
            Object::Upload => self.upload,
            Object::SyncRun => self.run,
            Object::AuditEvent => self.event,
            Object::Connection => self.connection,
        }
    }
}

/// Every row of an organization, as text (to prove nothing changed).
fn org_rows(state: &AppState, slug: &str) -> String {
    state
        .store
        .unscoped(|c| {
            let org: i64 = c.query_row(
                "SELECT id FROM organizations WHERE slug = ?1",
                [slug],
                |r| r.get(0),
            )?;
            let mut out = String::new();
            for t in [
                "users",
                "locations",
                "user_locations",
                "identities",
                "visits",
                "kiosk_tokens",
                "outbox",
                "sync_runs",
                "sync_uploads",
                "scim_tokens",
                "audit_events",
                "connections",
                "notice_settings",
                "notices_sent",
            ] {
                let rows = c.query_map(
                    &format!("SELECT * FROM {t} WHERE org_id = ?1 ORDER BY 1, 2"),
                    [org],
                    |r| {
                        (0..r.len())
                            .map(|i| r.get::<store::db::Value>(i))
                            .collect::<Result<Vec<_>, _>>()
                    },
                )?;
                for r in rows {
                    for v in r {
                        out.push_str(&format!("{v:?}|"));
                    }
                    out.push('\n');
                }
            }
            Ok(out)
        })
        .unwrap()
}

/// Signs in an admin, a host and a visit of an organization.
async fn set_up<S>(app: &S, state: &AppState, acme: bool) -> Org
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let (slug, idp, admin, host, visitor, mut markers) = if acme {
        let a = person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        );
        let b = person("A-bob", "bob@acme.test", "Bob", "Acme", &[]);
        (
            "acme",
            TestIdp::acme(),
            a,
            b,
            "Ada Acmevisitor",
            vec![
                "Alice Acme",
                "alice@acme.test",
                "Bob Acme",
                "bob@acme.test",
                ACME_HQ,
                "Ada Acmevisitor",
            ],
        )
    } else {
        let a = person(
            "G-gina",
            "gina@globex.test",
            "Gina",
            "Globex",
            &["visitor-admins"],
        );
        let b = person("G-hank", "hank@globex.test", "Hank", "Globex", &[]);
        (
            "globex",
            TestIdp::globex(),
            a,
            b,
            "Gus Globexvisitor",
            vec![
                "Gina Globex",
                "gina@globex.test",
                "Hank Globex",
                "hank@globex.test",
                GLOBEX_CAMPUS,
                "Gus Globexvisitor",
            ],
        )
    };
    let admin_cookie = signed_in(app, slug, &idp, admin).await;
    signed_in(app, slug, &idp, host).await;
    let csrf = csrf_of(&body_of(get(app, "/me", Some(&admin_cookie)).await).await);
    let user = user_by_email(
        state,
        if acme {
            "bob@acme.test"
        } else {
            "hank@globex.test"
        },
    )
    .id;
    let form = format!(
        "csrf_token={csrf}&visitor_name={}&visitor_email=v%40visitor.test&host_id={user}&date={}",
        visitor.replace(' ', "+"),
        Utc::now().date_naive()
    );
    let res = post_form(app, "/visits", form, Some(&admin_cookie)).await;
    assert_eq!(res.status(), 303, "visit registered");
    let connection = add_connection(app, &admin_cookie, &csrf, slug, &idp).await;
    markers.push(if acme {
        "Acme Wizard Link"
    } else {
        "Globex Wizard Link"
    });
    let (location, visit, event) = in_org(state, slug, |s| {
        Ok((
            s.locations()?[0].id,
            s.expected_visits(Utc::now().date_naive())?[0].id,
            s.audit_events(&Default::default(), 1)?[0].id,
        ))
    });
    let (kiosk, token) = make_kiosk(app, state, &admin_cookie, &csrf, slug, location).await;
    let kiosk_cookie = format!(
        "{admin_cookie}; {}={token}",
        samlsp_visitor::routes::KIOSK_COOKIE
    );
    // A spreadsheet staged for preview, naming a new person of the org.
    let sheet = format!(
        "email,display name\nnew.{}@{}.test,{}\n",
        slug, slug, markers[2]
    );
    let sheet = samlsp_visitor::directory::read_sheet(sheet.as_bytes()).unwrap();
    let upload = in_org(state, slug, |s| {
        s.stage_upload(
            user,
            "people.csv",
            &sheet.records,
            &sheet.errors,
            Utc::now(),
        )
    });
    // A run in the history, with a record error naming one of the org's people.
    let mut plan = samlsp_visitor::directory::Plan::default();
    plan.errors
        .push(samlsp_visitor::directory::RecordError::new(
            markers[2], "email", "test",
        ));
    let run = in_org(state, slug, |s| {
        s.record_sync_run(&store::NewRun {
            source: samlsp_visitor::directory::SourceKind::Upload,
            trigger: store::Trigger::Admin(user),
            outcome: store::Outcome::Refused,
            started_at: Utc::now(),
            finished_at: Utc::now(),
            records: 1,
            plan: &plan,
            message: "test",
        })
    });
    Org {
        slug,
        admin_cookie,
        csrf,
        user,
        location,
        visit,
        kiosk,
        kiosk_cookie,
        upload,
        run,
        event,
        connection,
        markers,
    }
}

/// Adds an SSO connection in the console from `idp`'s metadata (with
/// another entity ID, so it is not the configured one); its ID.
async fn add_connection<S>(app: &S, cookie: &str, csrf: &str, slug: &str, idp: &TestIdp) -> i64
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let name = if slug == "acme" {
        "Acme Wizard Link"
    } else {
        "Globex Wizard Link"
    };
    let other = TestIdp {
        entity_id: format!("https://wizard.{slug}.test/saml"),
        sso_url: idp.sso_url.clone(),
        key_file: idp.key_file,
        cert_file: idp.cert_file,
    };
    let form = format!(
        "csrf_token={csrf}&name={}&preset=entra&metadata_xml={}",
        name.replace(' ', "+"),
        samlsp::internal::binding::url_encode(&other.metadata_xml(None))
    );
    let res = post_form(app, "/admin/connections", form, Some(cookie)).await;
    assert_eq!(res.status(), 303, "connection added");
    location(&res).rsplit('/').next().unwrap().parse().unwrap()
}

/// Calls `route` as `me`, `{id}` and the form's object fields naming
/// `target`'s objects (or `me`'s own for the slots not under test).
async fn call<S>(
    app: &S,
    r: &samlsp_visitor::routes::Route,
    me: &Org,
    ids: &dyn Fn(Object, bool) -> i64,
    test_path: bool,
) -> (u16, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let path = match r.id {
        Some(o) => r.path.replace("{id}", &ids(o, test_path).to_string()),
        None => r.path.to_owned(),
    };
    let cookie = if r.access == Access::Kiosk {
        &me.kiosk_cookie
    } else {
        &me.admin_cookie
    };
    let res = if r.method == Method::GET {
        get(app, &path, Some(cookie)).await
    } else {
        let mut form = format!("csrf_token={}", me.csrf);
        if !r.sample_form.is_empty() {
            form.push('&');
            form.push_str(
                &r.sample_form
                    .replace("{today}", &Utc::now().date_naive().to_string()),
            );
        }
        for (field, o) in r.form_refs {
            form.push_str(&format!("&{field}={}", ids(*o, !test_path)));
        }
        post_form(app, &path, form, Some(cookie)).await
    };
    let status = res.status().as_u16();
    (status, body_of(res).await)
}

on_both_backends!(
    no_route_reaches_another_organization,
    no_route_reaches_another_organization_on_postgres,
    no_route_reaches_another_organization_with
);

async fn no_route_reaches_another_organization_with(config: Config) {
    let (state, app) = demo!(AppState::build(config, None).unwrap());
    let acme = set_up(&app, &state, true).await;
    let globex = set_up(&app, &state, false).await;
    let table = routes();
    let mut exercised = 0;
    for (me, other) in [(&acme, &globex), (&globex, &acme)] {
        let before = org_rows(&state, other.slug);
        for r in &table {
            let where_ = format!("{} {} as {}", r.method, r.path, me.slug);
            assert_eq!(
                r.path.contains("{id}"),
                r.id.is_some(),
                "{where_}: {{id}} without its object"
            );
            let mut bodies = Vec::new();
            match r.access {
                Access::Public => {
                    // No organization data, signed in or not.
                    if r.method == Method::GET {
                        let res = get(&app, r.path, Some(&me.admin_cookie)).await;
                        bodies.push(body_of(res).await);
                    }
                }
                Access::Member | Access::Admin | Access::Kiosk => {
                    if r.id.is_none() && r.form_refs.is_empty() {
                        // A list, or a form that names no object.
                        let (_, body) = call(&app, r, me, &|o, _| me.id(o), true).await;
                        bodies.push(body);
                    }
                    // Each slot that names an object: the other org's
                    // object answers exactly like one that never existed.
                    for test_path in [true, false] {
                        if (test_path && r.id.is_none()) || (!test_path && r.form_refs.is_empty()) {
                            continue;
                        }
                        let foreign = call(
                            &app,
                            r,
                            me,
                            &|o, slot| if slot { other.id(o) } else { me.id(o) },
                            test_path,
                        )
                        .await;
                        let never = call(
                            &app,
                            r,
                            me,
                            &|o, slot| if slot { NEVER } else { me.id(o) },
                            test_path,
                        )
                        .await;
                        assert_eq!(
                            foreign.0, never.0,
                            "{where_}: status tells existence (path slot: {test_path})"
                        );
                        assert_eq!(foreign.1, never.1, "{where_}: page tells existence");
                        assert!(
                            foreign.0 == 404 || foreign.0 == 400,
                            "{where_}: another organization's object answered {}",
                            foreign.0
                        );
                        bodies.push(foreign.1);
                    }
                }
            }
            for b in &bodies {
                for m in &other.markers {
                    assert!(!b.contains(m), "{where_}: shows {m:?} of {}", other.slug);
                }
            }
            exercised += 1;
        }
        assert_eq!(
            org_rows(&state, other.slug),
            before,
            "{} changed {}'s rows",
            me.slug,
            other.slug
        );
    }
    assert_eq!(exercised, 2 * table.len());
    // No edit, refresh or delete by the other organization's admin reached
    // the SAML layer: both console connections are still loaded, as added.
    let loaded = state.saml.identity_providers();
    for o in [&acme, &globex] {
        let slug = format!("conn-{}", o.connection);
        assert!(
            loaded.iter().any(|i| i.slug == slug && i.test_only),
            "{slug} of {} unloaded or changed",
            o.slug
        );
    }
    // And each sees their own: the lists are not empty by accident.
    for me in [&acme, &globex] {
        for page in [
            "/hosts",
            "/visits",
            "/admin/users",
            "/admin/locations",
            "/admin/reception",
            &format!("/admin/sync/uploads/{}", me.upload),
            &format!("/admin/sync/runs/{}", me.run),
            "/admin/sync",
        ] {
            let body = body_of(get(&app, page, Some(&me.admin_cookie)).await).await;
            assert!(
                body.contains(me.markers[2]) || body.contains(me.markers[4]),
                "{page} of {}: {body}",
                me.slug
            );
        }
    }
}

on_both_backends!(
    pre_hijack_by_a_foreign_email_at_refresh_fails,
    pre_hijack_by_a_foreign_email_at_refresh_fails_on_postgres,
    pre_hijack_by_a_foreign_email_at_refresh_fails_with
);

/// The pre-hijack: a Globex person's IdP sends an Acme address at a later
/// sign-in; it is not adopted, and Acme's real owner of that address gets
/// their own account at their first sign-in.
async fn pre_hijack_by_a_foreign_email_at_refresh_fails_with(config: Config) {
    let log = LogCapture::default();
    let _g = log.install();
    let (state, app) = demo!(AppState::build(config, None).unwrap());
    let globex = TestIdp::globex();
    signed_in(
        &app,
        "globex",
        &globex,
        person("G-x", "x@globex.test", "Xavier", "G", &[]),
    )
    .await;
    signed_in(
        &app,
        "globex",
        &globex,
        person("G-x", "ceo@acme.test", "Xavier", "G", &[]),
    )
    .await;
    let x = user_by_email(&state, "x@globex.test");
    assert_eq!(x.email, "x@globex.test", "foreign-domain email not adopted");
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("verified domains; email kept"))
    );

    let ceo = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-ceo", "ceo@acme.test", "Cee", "Eo", &[]),
    )
    .await;
    let me = body_of(get(&app, "/me", Some(&ceo)).await).await;
    assert!(me.contains("Cee Eo") && me.contains("Acme Corp"), "{me}");
    let owner = user_by_email(&state, "ceo@acme.test");
    assert_ne!(owner.id, x.id);
    assert_eq!(in_org(&state, "globex", |s| s.identities_of(x.id)).len(), 1);
    assert_eq!(
        in_org(&state, "acme", |s| s.identities_of(owner.id)).len(),
        1
    );
}

on_both_backends!(
    hosts_cannot_administer_nor_act_on_others_visits,
    hosts_cannot_administer_nor_act_on_others_visits_on_postgres,
    hosts_cannot_administer_nor_act_on_others_visits_with
);

async fn hosts_cannot_administer_nor_act_on_others_visits_with(config: Config) {
    let (state, app) = demo!(AppState::build(config, None).unwrap());
    let acme = set_up(&app, &state, true).await; // Alice (admin) registered a visit for Bob
    let alice = user_by_email(&state, "alice@acme.test").id;
    let bob = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-bob", "bob@acme.test", "Bob", "Acme", &[]),
    )
    .await;
    let bob_csrf = csrf_of(&body_of(get(&app, "/me", Some(&bob)).await).await);
    let me = body_of(get(&app, "/me", Some(&bob)).await).await;
    assert!(!me.contains("href=\"/admin\""), "no Admin entry for a host");
    for r in routes().iter().filter(|r| r.access == Access::Admin) {
        let path = r.path.replace("{id}", &alice.to_string());
        let res = if r.method == Method::GET {
            get(&app, &path, Some(&bob)).await
        } else {
            let form = format!(
                "csrf_token={bob_csrf}&{}&location_id={}",
                r.sample_form, acme.location
            );
            post_form(&app, &path, form, Some(&bob)).await
        };
        assert_eq!(res.status(), 403, "{} {}", r.method, r.path);
    }
    // Alice's own visit: Bob may not cancel it; his own he may.
    let form = format!(
        "csrf_token={}&visitor_name=Own&visitor_email=o%40v.test&host_id={alice}&date={}",
        acme.csrf,
        Utc::now().date_naive()
    );
    assert_eq!(
        post_form(&app, "/visits", form, Some(&acme.admin_cookie))
            .await
            .status(),
        303
    );
    let alices = in_org(&state, "acme", |s| {
        s.expected_visits(Utc::now().date_naive())
    })
    .into_iter()
    .find(|v| v.host_user_id == alice)
    .unwrap()
    .id;
    let res = post_form(
        &app,
        &format!("/visits/{alices}/cancel"),
        format!("csrf_token={bob_csrf}"),
        Some(&bob),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        in_org(&state, "acme", |s| s.visit(alices))
            .unwrap()
            .cancelled_at,
        None
    );
    let res = post_form(
        &app,
        &format!("/visits/{}/cancel", acme.visit),
        format!("csrf_token={bob_csrf}"),
        Some(&bob),
    )
    .await;
    assert_eq!(res.status(), 303, "the host cancels his own visit");
    assert!(
        in_org(&state, "acme", |s| s.visit(acme.visit))
            .unwrap()
            .cancelled_at
            .is_some()
    );
}

on_both_backends!(
    an_admin_deactivating_a_user_ends_their_sessions,
    an_admin_deactivating_a_user_ends_their_sessions_on_postgres,
    an_admin_deactivating_a_user_ends_their_sessions_with
);

async fn an_admin_deactivating_a_user_ends_their_sessions_with(config: Config) {
    let (state, app) = demo!(AppState::build(config, None).unwrap());
    let acme = set_up(&app, &state, true).await;
    let bob_id = acme.user;
    let bob = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-bob", "bob@acme.test", "Bob", "Acme", &[]),
    )
    .await;
    assert_eq!(get(&app, "/me", Some(&bob)).await.status(), 200);
    let set = |active: &str| format!("csrf_token={}&active={active}", acme.csrf);
    let path = format!("/admin/users/{bob_id}/active");
    assert_eq!(
        post_form(&app, &path, set("0"), Some(&acme.admin_cookie))
            .await
            .status(),
        303
    );
    // Reactivated before Bob's next request: his old session stays over.
    assert_eq!(
        post_form(&app, &path, set("1"), Some(&acme.admin_cookie))
            .await
            .status(),
        303
    );
    let res = get(&app, "/me", Some(&bob)).await;
    assert_eq!(location(&res), "/?notice=deactivated");
    assert_eq!(
        location(&get(&app, "/me", Some(&bob)).await),
        "/?return_to=%2Fme",
        "session gone"
    );
    let users = body_of(get(&app, "/admin/users", Some(&acme.admin_cookie)).await).await;
    assert!(users.contains("Bob Acme"), "{users}");
    // An admin cannot deactivate themselves.
    let alice = user_by_email(&state, "alice@acme.test").id;
    let res = post_form(
        &app,
        &format!("/admin/users/{alice}/active"),
        set("0"),
        Some(&acme.admin_cookie),
    )
    .await;
    assert_eq!(res.status(), 400);
}
