//! Server-rendered pages: one askama template per page under `templates/`,
//! all extending `layout.html`; the only asset is the app's own stylesheet;
//! forms post to this site with a CSRF token.
//!
//! Why askama rather than maud: the pages stay HTML files a reader of the
//! demo can open, diff and hand to a designer, while the compiler still
//! checks every variable and the escaping. Escaping is on for every `.html`
//! template and every value; the only way around it is an explicit `|safe`
//! in the template, which none uses. `askama.toml` points the escaper at
//! the library's (`samlsp_actix::html`), so these pages and the library's
//! own escape the same characters the same way.

use std::fmt;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;
use samlsp_actix::IdpSummary;

use crate::directory::Plan;
use crate::store::{
    Host, Identity, Location, LocationRole, OrgInfo, SyncRun, SyncRunDetail, User, Visit,
};

/// CSP for the app's pages: nothing from elsewhere, no scripts.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// The templates' HTML escaper (named in `askama.toml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, s: &str) -> fmt::Result {
        let mut out = String::with_capacity(s.len());
        samlsp_actix::html::escape_into(s, &mut out);
        dest.write_str(&out)
    }
}

/// Which nav entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// None (sign-in page).
    None,
    /// `/me`.
    Me,
    /// `/hosts`.
    Hosts,
    /// `/visits`.
    Visits,
    /// `/admin…`.
    Admin,
}

/// The signed-in person, for the header.
#[derive(Debug)]
pub struct Viewer<'a> {
    /// Display name.
    pub name: &'a str,
    /// Their organization's name.
    pub org: &'a str,
    /// Admin somewhere (the Admin nav entry).
    pub admin: bool,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: &'a str,
}

/// What every page shows around its content.
#[derive(Debug)]
pub struct Layout<'a> {
    /// Application name.
    pub app: &'a str,
    /// Page title (`<h1>` and `<title>`).
    pub title: &'a str,
    /// Current nav entry.
    pub nav: Nav,
    /// Who is signed in, if anyone.
    pub viewer: Option<Viewer<'a>>,
}

/// `–` for an empty value.
pub fn dash(s: &str) -> &str {
    if s.is_empty() { "–" } else { s }
}

/// `–` for a missing or empty value.
pub fn dash_opt(s: &Option<String>) -> &str {
    dash(s.as_deref().unwrap_or(""))
}

/// The last part of a NameID format URN (`persistent`, `emailAddress`).
pub fn short_format(format: &str) -> &str {
    format.rsplit(':').next().unwrap_or("")
}

/// A sign-in button.
#[derive(Debug)]
pub struct Button {
    /// Company name.
    pub name: String,
    /// The login route, with `return_to` when there is one.
    pub href: String,
    /// Metadata loaded.
    pub available: bool,
}

impl Button {
    /// One per IdP; `return_to` must already be a checked local path.
    pub fn for_idps(idps: &[IdpSummary], return_to: Option<&str>) -> Vec<Button> {
        idps.iter()
            .map(|i| Button {
                name: i.display_name.clone(),
                href: i.login_href(return_to),
                available: i.available,
            })
            .collect()
    }
}

/// The sign-in page: one button per company.
#[derive(Debug, Template)]
#[template(path = "sign_in.html")]
pub struct SignIn<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// A status line.
    pub notice: Option<&'a str>,
    /// Already signed in as.
    pub signed_in_as: Option<&'a str>,
    /// The companies.
    pub buttons: Vec<Button>,
}

/// An attribute of the last sign-in, as stored.
#[derive(Debug, serde::Deserialize)]
pub struct AttributeRow {
    /// `Name`.
    pub name: String,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
}

/// The "me" page.
#[derive(Debug, Template)]
#[template(path = "me.html")]
pub struct Me<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The profile.
    pub user: &'a User,
    /// The organization's name.
    pub org: &'a str,
    /// Location access.
    pub locations: &'a [LocationRole],
    /// Linked identities.
    pub identities: &'a [Identity],
    /// The attributes of this sign-in.
    pub attributes: Vec<AttributeRow>,
    /// The IdP of this sign-in.
    pub idp_name: &'a str,
}

/// The host directory.
#[derive(Debug, Template)]
#[template(path = "hosts.html")]
pub struct Hosts<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The search text.
    pub query: &'a str,
    /// What matched.
    pub hosts: &'a [Host],
}

/// Values of the pre-registration form (kept on errors).
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    /// Visitor's name.
    pub visitor_name: String,
    /// Visitor's email.
    pub visitor_email: String,
    /// Host user ID, as posted.
    pub host_id: String,
    /// `YYYY-MM-DD`, as posted.
    pub date: String,
}

/// The visitors page: pre-registration form and expected visitors.
#[derive(Debug, Template)]
#[template(path = "visits.html")]
pub struct Visits<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The form's values.
    pub form: &'a VisitForm,
    /// What to correct.
    pub errors: &'a [String],
    /// A status line.
    pub notice: Option<&'a str>,
    /// Hosts to choose from.
    pub hosts: &'a [Host],
    /// `YYYY-MM-DD`.
    pub today: &'a str,
    /// Visitors expected from today on.
    pub expected: &'a [Visit],
}

/// One visit.
#[derive(Debug, Template)]
#[template(path = "visit.html")]
pub struct VisitPage<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The visit.
    pub visit: &'a Visit,
    /// The viewer may cancel it.
    pub may_cancel: bool,
}

/// The organization's settings.
#[derive(Debug, Template)]
#[template(path = "admin.html")]
pub struct AdminSettings<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The settings.
    pub org: &'a OrgInfo,
    /// Its SSO connections' names.
    pub connections: &'a [String],
    /// The viewer administers the organization.
    pub org_admin: bool,
}

/// The organization's locations.
#[derive(Debug, Template)]
#[template(path = "admin_locations.html")]
pub struct AdminLocations<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The locations.
    pub locations: &'a [Location],
    /// Where the viewer is admin.
    pub admin_at: &'a [i64],
    /// The viewer administers the organization.
    pub org_admin: bool,
    /// What to correct.
    pub error: Option<&'a str>,
}

/// The organization's users.
#[derive(Debug, Template)]
#[template(path = "admin_users.html")]
pub struct AdminUsers<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The users.
    pub users: &'a [User],
}

/// One user, with the forms that change them.
#[derive(Debug, Template)]
#[template(path = "admin_user.html")]
pub struct AdminUser<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The user.
    pub user: &'a User,
    /// Their access per location.
    pub roles: &'a [LocationRole],
    /// The organization's locations.
    pub locations: &'a [Location],
    /// The viewer administers the organization.
    pub org_admin: bool,
    /// Where the viewer is admin.
    pub admin_at: &'a [i64],
    /// The viewer is this user.
    pub is_self: bool,
}

/// Bulk upload and the sync history.
#[derive(Debug, Template)]
#[template(path = "admin_sync.html")]
pub struct AdminSync<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The viewer administers the organization (may upload).
    pub org_admin: bool,
    /// The latest runs.
    pub runs: &'a [SyncRun],
    /// The configured directory's URL, if any.
    pub directory: Option<&'a str>,
    /// Largest upload, MiB.
    pub max_upload_mib: usize,
    /// A status line.
    pub notice: Option<&'a str>,
    /// What went wrong.
    pub error: Option<&'a str>,
}

/// One sync run, with the record errors kept with it.
#[derive(Debug, Template)]
#[template(path = "admin_sync_run.html")]
pub struct AdminSyncRun<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The run.
    pub detail: &'a SyncRunDetail,
}

/// A staged spreadsheet's plan, before it is applied.
#[derive(Debug, Template)]
#[template(path = "admin_sync_preview.html")]
pub struct AdminSyncPreview<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The staged upload.
    pub id: i64,
    /// Its file name.
    pub file_name: &'a str,
    /// Data rows in the file.
    pub rows: usize,
    /// The plan (errors include rows that could not be read).
    pub plan: &'a Plan,
    /// Rows of each part shown.
    pub shown: usize,
    /// Why the guard rail would refuse it.
    pub guard_rail: Option<&'a str>,
}

/// Renders `page` as an HTML response with the app's security headers.
pub fn respond(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "same-origin"))
            .body(html),
        Err(e) => {
            tracing::error!(reason = %e, "page not rendered");
            samlsp_actix::html::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "<p>Please try again in a moment.</p><p><a href=\"/\">Start page</a></p>",
            )
        }
    }
}
