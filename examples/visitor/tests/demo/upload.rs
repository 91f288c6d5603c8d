//! Employees → Bulk upload: the template, a CSV with good and bad rows
//! previewed (nothing written) and applied, who may do it, and the guard
//! rail's override. (The XLSX reader and each row rule have unit tests;
//! Chromium drives the same pages in the conformance suite.)

use super::*;

/// A `multipart/form-data` POST of `file` (RFC 7578) with the CSRF token.
async fn post_file<S>(app: &S, csrf: &str, file: &[u8], cookie: &str) -> ServiceResponse
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let boundary = "----visitor-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = test::TestRequest::post()
        .uri("/admin/sync/upload")
        .insert_header((
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .insert_header((header::COOKIE, cookie))
        .set_payload(body)
        .to_request();
    test::call_service(app, req).await
}

#[actix_web::test]
async fn a_csv_is_previewed_then_applied_in_one_go() {
    let (state, app) = demo!();
    let admin = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    let csrf = csrf_of(&body_of(get(&app, "/admin/sync", Some(&admin)).await).await);

    let template = get(&app, "/admin/sync/template.csv", Some(&admin)).await;
    assert_eq!(template.status(), 200);
    let template = body_of(template).await;
    assert!(
        template.starts_with("email,first name,last name,display name,location,role,action\r\n")
    );
    assert!(template.contains("jane.doe@acme.test"));

    let sheet = format!(
        "\u{feff}email,first name,last name,location,role,action\r\n\
         ann@acme.test,Ann,Lee,{ACME_HQ},admin,\r\n\
         bob@acme.test,Bob,,,,\r\n\
         not-an-email,X,,,,\r\n\
         eve@globex.test,Eve,,,,\r\n\
         cat@acme.test,Cat,,Moon Base,,\r\n\
         dup@acme.test,D1,,,,\r\n\
         DUP@acme.test,D2,,,,\r\n\
         ed@acme.test,\"=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\",,,,\r\n\
         fay@acme.test,Fay,,,boss,\r\n"
    );
    let res = post_file(&app, &csrf, sheet.as_bytes(), &admin).await;
    assert_eq!(res.status(), 303);
    let preview_path = location(&res);
    let before = user_count(&state);
    let preview = get(&app, &preview_path, Some(&admin)).await;
    assert_eq!(preview.status(), 200);
    let page = body_of(preview).await;
    assert_eq!(user_count(&state), before, "a preview writes nothing");
    for (row, why) in [
        ("row 4", "not a valid email address"),
        (
            "row 5",
            "globex.test is not one of the organization&#39;s verified domains",
        ),
        ("row 6", "no location"),
        ("row 7", "appears more than once"),
        ("row 8", "first at row 7"),
        ("row 10", "is not host or admin"),
    ] {
        assert!(
            page.contains(&format!("<td>{row}</td>")) && page.contains(why),
            "{row}: {why}\n{page}"
        );
    }
    assert!(
        page.contains("<li id=\"count-create\">3 to create</li>"),
        "{page}"
    );
    assert!(page.contains("6 rows with errors"), "{page}");
    // Source text is escaped, never markup.
    assert!(
        page.contains("=HYPERLINK(&#34;http://evil.test&#34;")
            || page.contains("=HYPERLINK(&quot;http://evil.test&quot;"),
        "{page}"
    );

    let res = post_form(
        &app,
        &format!("{preview_path}/apply"),
        format!("csrf_token={csrf}"),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 200);
    let done = body_of(res).await;
    assert!(done.contains("Applied: 3 created, 0 updated"), "{done}");
    let ann = user_by_email(&state, "ann@acme.test");
    // Everyone it created is invited (Acme's invitation policy: at once),
    // in the same transaction.
    let invited = in_org(&state, "acme", |s| s.invitation(ann.id)).expect("invited");
    assert_eq!(invited.status, "pending");
    assert_eq!(
        (ann.source.as_str(), ann.role.as_str()),
        ("upload", "admin")
    );
    assert_eq!(ann.default_location.as_deref(), Some(ACME_HQ));
    assert_eq!(
        user_by_email(&state, "ed@acme.test").given_name,
        "=HYPERLINK(\"http://evil.test\",\"x\")"
    );
    // The staged file is gone once applied; the history has the run and who.
    assert_eq!(get(&app, &preview_path, Some(&admin)).await.status(), 404);
    let history = body_of(get(&app, "/admin/sync", Some(&admin)).await).await;
    assert!(
        history.contains("<td>upload</td><td>Alice Acme</td><td>applied</td><td>3</td>"),
        "{history}"
    );

    // A second file deactivating two of the four active people trips the
    // guard rail (50 % > 20 %) until the admin overrides it.
    let sheet = "email,action\nann@acme.test,delete\nbob@acme.test,deactivate\n";
    let res = post_file(&app, &csrf, sheet.as_bytes(), &admin).await;
    let preview_path = location(&res);
    let page = body_of(get(&app, &preview_path, Some(&admin)).await).await;
    assert!(
        page.contains("above the limit of 20 %") && page.contains("override_limit"),
        "{page}"
    );
    let apply = format!("{preview_path}/apply");
    let res = post_form(&app, &apply, format!("csrf_token={csrf}"), Some(&admin)).await;
    assert_eq!(res.status(), 409);
    assert!(user_by_email(&state, "bob@acme.test").active);
    let res = post_form(
        &app,
        &apply,
        format!("csrf_token={csrf}&override_limit=1"),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 200);
    let bob = user_by_email(&state, "bob@acme.test");
    assert!(!bob.active && bob.sessions_not_before.is_some());

    // The audit log has each run (applied, refused, applied) and each
    // deactivation, with the admin as actor.
    let events: Vec<(String, String, String)> = state
        .store
        .unscoped(|c| {
            c.query_map(
                "SELECT action, outcome, actor FROM audit_events WHERE category = 'sync' ORDER BY id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .unwrap();
    let alice = format!("user:{}", user_by_email(&state, "alice@acme.test").id);
    let expected: Vec<(String, String, String)> = [
        ("directory_sync", "ok"),
        ("directory_sync", "failed"),
        ("directory_sync", "ok"),
        ("user_deactivated", "ok"),
        ("user_deactivated", "ok"),
    ]
    .iter()
    .map(|(a, o)| ((*a).to_owned(), (*o).to_owned(), alice.clone()))
    .collect();
    assert_eq!(events, expected);
}

#[actix_web::test]
async fn only_org_admins_upload_and_bad_files_are_refused_whole() {
    let (state, app) = demo!();
    let admin = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person(
            "A-alice",
            "alice@acme.test",
            "Alice",
            "Acme",
            &["visitor-admins"],
        ),
    )
    .await;
    let host = signed_in(
        &app,
        "acme",
        &TestIdp::acme(),
        person("A-bob", "bob@acme.test", "Bob", "Acme", &[]),
    )
    .await;
    let csrf = csrf_of(&body_of(get(&app, "/admin/sync", Some(&admin)).await).await);
    // A host is not an admin at all.
    assert_eq!(get(&app, "/admin/sync", Some(&host)).await.status(), 403);
    // No CSRF token, no upload.
    let res = post_file(&app, "wrong", b"email\nx@acme.test\n", &admin).await;
    assert_ne!(res.status(), 303);
    // A file with an unknown column is refused as a whole, with the reason.
    let res = post_file(&app, &csrf, b"email,salary\nx@acme.test,1\n", &admin).await;
    assert_eq!(res.status(), 400);
    let body = body_of(res).await;
    assert!(
        body.contains("unknown column") && body.contains("salary"),
        "{body}"
    );
    let n = state
        .store
        .unscoped(|c| c.query_row("SELECT count(*) FROM sync_uploads", [], |r| r.get::<i64>(0)))
        .unwrap();
    assert_eq!(n, 0, "nothing staged");
    // Acme has no directory configured: "pull now" says so.
    let res = post_form(
        &app,
        "/admin/sync/ldap",
        format!("csrf_token={csrf}&dry_run=1"),
        Some(&admin),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(body_of(res).await.contains("No directory is configured"));
    let res = post_form(
        &app,
        "/admin/sync/ldap",
        format!("csrf_token={csrf}"),
        Some(&host),
    )
    .await;
    assert_eq!(res.status(), 403);
}
