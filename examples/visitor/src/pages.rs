//! Server-rendered pages. Every value is escaped; the only asset is the
//! app's own stylesheet; forms post to this site with a CSRF token.

use std::fmt::Write as _;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use samlsp_actix::html::escape as e;
use samlsp_actix::{CSRF_FIELD, IdpSummary};

use crate::store::{ExpectedVisit, Host, Identity, User};

/// CSP for the app's pages.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// Which nav entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Me,
    Hosts,
    Visits,
}

/// The signed-in person, for the header.
#[derive(Debug)]
pub struct Viewer<'a> {
    pub name: &'a str,
    pub csrf: &'a str,
}

/// Wraps `body` in the page layout.
pub fn layout(app: &str, title: &str, nav: Nav, viewer: Option<&Viewer<'_>>, body: &str) -> String {
    let mut h = String::with_capacity(body.len() + 2048);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} – {}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header><a class=\"brand\" href=\"/\">{}</a>",
        e(title),
        e(app),
        e(app)
    );
    if let Some(v) = viewer {
        let item = |href: &str, label: &str, this: Nav| {
            format!(
                "<li><a href=\"{href}\"{}>{label}</a></li>",
                if nav == this {
                    " aria-current=\"page\""
                } else {
                    ""
                }
            )
        };
        let _ = write!(
            h,
            "<nav aria-label=\"Main\"><ul>{}{}{}</ul></nav>\
             <form method=\"post\" action=\"/logout\">\
             <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">\
             <span class=\"muted\">{}</span> <button type=\"submit\" class=\"link\">Sign out</button></form>",
            item("/me", "Me", Nav::Me),
            item("/hosts", "Hosts", Nav::Hosts),
            item("/visits", "Visitors", Nav::Visits),
            e(v.csrf),
            e(v.name),
        );
    }
    let _ = write!(
        h,
        "</header><main id=\"main\"><h1>{}</h1>\n{body}\n</main></body></html>\n",
        e(title)
    );
    h
}

/// An HTML response with the app's security headers.
pub fn respond(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(html)
}

/// The sign-in page: one button per company.
pub fn sign_in(
    idps: &[IdpSummary],
    return_to: Option<&str>,
    notice: Option<&str>,
    signed_in_as: Option<&str>,
) -> String {
    let mut b = String::new();
    if let Some(n) = notice {
        let _ = write!(b, "<p class=\"notice\" role=\"status\">{}</p>", e(n));
    }
    if let Some(name) = signed_in_as {
        let _ = write!(
            b,
            "<p>You are signed in as <strong>{}</strong>. <a href=\"/me\">Continue</a></p>",
            e(name)
        );
    }
    b.push_str(
        "<p>Hosts sign in with their company account to see who is expected and to \
         pre-register visitors.</p><h2 id=\"companies\">Sign in with your company</h2>\
         <ul class=\"companies\" aria-labelledby=\"companies\">",
    );
    for i in idps {
        let mut href = i.login_path.clone();
        if let Some(r) = return_to {
            href.push_str("&return_to=");
            href.push_str(&samlsp::binding::url_encode(r));
        }
        if i.available {
            let _ = write!(
                b,
                "<li><a class=\"button\" href=\"{}\">Sign in with {}</a></li>",
                e(&href),
                e(&i.display_name)
            );
        } else {
            let _ = write!(
                b,
                "<li class=\"unavailable\">{}: sign-in is unavailable right now (its \
                 identity provider could not be reached). Try again in a minute.</li>",
                e(&i.display_name)
            );
        }
    }
    b.push_str("</ul>");
    b
}

fn or_dash(s: Option<&str>) -> String {
    match s {
        Some(v) if !v.is_empty() => e(v),
        _ => "–".to_owned(),
    }
}

/// The "me" page.
pub fn me(
    user: &User,
    locations: &[(String, String)],
    identities: &[Identity],
    current: Option<&Identity>,
    idp_name: &str,
) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<h2>Profile</h2><dl>\
         <dt>Name</dt><dd>{}</dd>\
         <dt>Given name</dt><dd>{}</dd>\
         <dt>Family name</dt><dd>{}</dd>\
         <dt>Email</dt><dd>{}</dd>\
         <dt>Role</dt><dd>{} at the default location</dd>\
         <dt>Default location</dt><dd>{}</dd>\
         <dt>Account source</dt><dd>{}</dd>\
         <dt>Created</dt><dd>{}</dd>\
         <dt>Last sign-in</dt><dd>{}</dd>\
         <dt>Signed in with</dt><dd>{}</dd></dl>",
        e(&user.display_name),
        or_dash(Some(&user.given_name)),
        or_dash(Some(&user.family_name)),
        e(&user.email),
        e(&user.role),
        or_dash(user.default_location.as_deref()),
        e(&user.source),
        e(&user.created_at),
        or_dash(user.last_login_at.as_deref()),
        e(idp_name),
    );
    b.push_str(
        "<h2>Locations</h2><table><caption>Locations you can host visitors at</caption>\
         <thead><tr><th scope=\"col\">Location</th><th scope=\"col\">Role</th></tr></thead><tbody>",
    );
    for (name, role) in locations {
        let _ = write!(b, "<tr><td>{}</td><td>{}</td></tr>", e(name), e(role));
    }
    b.push_str("</tbody></table>");
    b.push_str(
        "<h2>Linked sign-ins</h2><table><caption>Company accounts linked to you</caption>\
         <thead><tr><th scope=\"col\">Identity provider</th><th scope=\"col\">NameID</th>\
         <th scope=\"col\">Format</th><th scope=\"col\">Last used</th></tr></thead><tbody>",
    );
    for i in identities {
        let _ = write!(
            b,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            e(&i.idp_entity_id),
            e(&i.name_id),
            e(i.name_id_format.rsplit(':').next().unwrap_or("")),
            or_dash(i.last_login_at.as_deref())
        );
    }
    b.push_str("</tbody></table><h2>Attributes received</h2>");
    let attrs: Vec<serde_json::Value> = current
        .and_then(|c| serde_json::from_str(&c.last_attributes).ok())
        .unwrap_or_default();
    if attrs.is_empty() {
        b.push_str("<p>The identity provider sent no attributes.</p>");
    } else {
        b.push_str(
            "<table><caption>What your identity provider said about you at this sign-in</caption>\
             <thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Friendly name</th>\
             <th scope=\"col\">Values</th></tr></thead><tbody>",
        );
        for a in &attrs {
            let values: Vec<String> = a["values"]
                .as_array()
                .map(|v| v.iter().filter_map(|x| x.as_str()).map(e).collect())
                .unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                e(a["name"].as_str().unwrap_or("")),
                or_dash(a["friendly_name"].as_str()),
                values.join("<br>")
            );
        }
        b.push_str("</tbody></table>");
    }
    b
}

/// The host directory.
pub fn hosts(query: &str, hosts: &[Host]) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<form method=\"get\" action=\"/hosts\" role=\"search\" class=\"stack\">\
         <div><label for=\"q\">Search hosts by name or email</label>\
         <input type=\"search\" id=\"q\" name=\"q\" value=\"{}\"></div>\
         <div><button type=\"submit\">Search</button></div></form>",
        e(query)
    );
    let _ = write!(
        b,
        "<table><caption>{} host{}{}</caption><thead><tr><th scope=\"col\">Name</th>\
         <th scope=\"col\">Email</th><th scope=\"col\">Default location</th>\
         <th scope=\"col\">Role</th></tr></thead><tbody>",
        hosts.len(),
        if hosts.len() == 1 { "" } else { "s" },
        if query.is_empty() {
            String::new()
        } else {
            format!(" matching “{}”", e(query))
        }
    );
    for h in hosts {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&h.display_name),
            e(&h.email),
            or_dash(h.default_location.as_deref()),
            e(&h.role)
        );
    }
    b.push_str("</tbody></table>");
    b
}

/// Values of the pre-registration form (kept on errors).
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    pub visitor_name: String,
    pub visitor_email: String,
    pub host_id: String,
    pub date: String,
}

/// The visitors page: pre-registration form and expected visitors.
pub fn visits(
    csrf: &str,
    form: &VisitForm,
    errors: &[String],
    notice: Option<&str>,
    hosts: &[Host],
    today: &str,
    expected: &[ExpectedVisit],
) -> String {
    let mut b = String::new();
    if let Some(n) = notice {
        let _ = write!(b, "<p class=\"notice\" role=\"status\">{}</p>", e(n));
    }
    b.push_str("<h2 id=\"register\">Pre-register a visitor</h2>");
    if !errors.is_empty() {
        b.push_str("<div class=\"errors\" role=\"alert\"><p>Please correct:</p><ul>");
        for err in errors {
            let _ = write!(b, "<li>{}</li>", e(err));
        }
        b.push_str("</ul></div>");
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/visits\" class=\"stack\" aria-labelledby=\"register\">\
         <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">\
         <div><label for=\"visitor_name\">Visitor name</label>\
         <input id=\"visitor_name\" name=\"visitor_name\" required maxlength=\"100\" \
         autocomplete=\"off\" value=\"{}\"></div>\
         <div><label for=\"visitor_email\">Visitor email</label>\
         <input id=\"visitor_email\" name=\"visitor_email\" type=\"email\" required \
         maxlength=\"254\" autocomplete=\"off\" value=\"{}\"></div>\
         <div><label for=\"host_id\">Host</label><select id=\"host_id\" name=\"host_id\" required>",
        e(csrf),
        e(&form.visitor_name),
        e(&form.visitor_email),
    );
    for h in hosts {
        let id = h.id.to_string();
        let _ = write!(
            b,
            "<option value=\"{}\"{}>{} ({})</option>",
            id,
            if id == form.host_id { " selected" } else { "" },
            e(&h.display_name),
            e(&h.email)
        );
    }
    let _ = write!(
        b,
        "</select></div><div><label for=\"date\">Date of the visit</label>\
         <input id=\"date\" name=\"date\" type=\"date\" required min=\"{}\" value=\"{}\"></div>\
         <div><button type=\"submit\">Pre-register</button></div></form>",
        e(today),
        e(&form.date)
    );
    b.push_str(
        "<h2>Expected visitors</h2><table><caption>Visitors expected from today on</caption>\
         <thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Visitor</th>\
         <th scope=\"col\">Email</th><th scope=\"col\">Host</th><th scope=\"col\">Location</th>\
         </tr></thead><tbody>",
    );
    for v in expected {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&v.expected_on),
            e(&v.visitor_name),
            e(&v.visitor_email),
            e(&v.host_name),
            or_dash(v.location.as_deref())
        );
    }
    if expected.is_empty() {
        b.push_str("<tr><td colspan=\"5\">No visitors expected.</td></tr>");
    }
    b.push_str("</tbody></table>");
    b
}
