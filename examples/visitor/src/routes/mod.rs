//! The HTTP surface: [`configure`] mounts the SAML routes and every route
//! of [`routes`], the same way in `main` and in tests. Handlers are grouped
//! by page: [`account`] (sign-in, me, sign-out), [`hosts`], [`visits`],
//! [`admin`], [`directory`] (bulk upload, sync history), [`reception`] (the
//! admins' reception page), [`kiosk`] (the reception device's pages, with a
//! kiosk token instead of a session).
//!
//! [`routes`] is the one table of the app's routes: each says who may use
//! it ([`Access`]) and which organization object its `{id}` and form
//! fields name ([`Object`]), so the isolation tests walk the same table
//! the server mounts and a new route cannot skip them. Handlers reach data
//! only through [`crate::store::Scoped`] (the signed-in user's
//! organization): another organization's object is "not found" (404, the
//! same page as an ID that never existed).

mod account;
mod admin;
mod connection_edits;
mod connections;
mod console;
mod directory;
mod extract;
mod hosts;
mod kiosk;
mod reception;
mod visits;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, web};

pub(crate) use extract::RETRY_AFTER_SECS;
pub use extract::{AdminUser, AppError, CurrentUser};
pub use kiosk::{KIOSK_COOKIE, Kiosk};

use crate::app::AppState;
use crate::pages::{Layout, Nav, Viewer};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (no organization data).
    Public,
    /// A signed-in, active user of an organization.
    Member,
    /// A user who is admin at one of the organization's locations (finer
    /// checks in the handler).
    Admin,
    /// A reception device with a live kiosk token of one location (no user
    /// session; [`Kiosk`]).
    Kiosk,
}

/// An organization object a path `{id}` or a form field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// A user.
    User,
    /// A location.
    Location,
    /// A visit.
    Visit,
    /// A spreadsheet staged for preview.
    Upload,
    /// A sync run in the history.
    SyncRun,
    /// A kiosk token.
    KioskToken,
    /// An audit log event.
    AuditEvent,
    /// An SSO connection added in the console.
    Connection,
}

/// One route of the app.
#[derive(Debug, Clone)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path, with `{id}` for an object.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
    /// What `{id}` names.
    pub id: Option<Object>,
    /// Form fields that name objects.
    pub form_refs: &'static [(&'static str, Object)],
    /// A valid form (POST), `{today}` standing for today's date; the CSRF
    /// token and `form_refs` fields are added.
    pub sample_form: &'static str,
    handler: fn() -> actix_web::Route,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: fn() -> actix_web::Route,
) -> Route {
    Route {
        method,
        path,
        access,
        id: None,
        form_refs: &[],
        sample_form: "",
        handler,
    }
}

impl Route {
    fn id(mut self, o: Object) -> Self {
        self.id = Some(o);
        self
    }
    fn form(mut self, sample: &'static str, refs: &'static [(&'static str, Object)]) -> Self {
        self.sample_form = sample;
        self.form_refs = refs;
        self
    }
}

/// Every route of the app besides the SAML ones (`/saml/…`, `/t/<slug>/saml/…`,
/// mounted by the library, which hold no organization data).
pub fn routes() -> Vec<Route> {
    use Access::{Admin, Kiosk, Member, Public};
    use Object::{KioskToken, Location, SyncRun, Upload, User, Visit};
    let get = || Method::GET;
    let post = || Method::POST;
    vec![
        route(get(), "/", Public, || web::route().to(account::index)),
        route(get(), "/static/app.css", Public, || web::route().to(css)),
        route(get(), "/healthz", Public, || web::route().to(health)),
        route(post(), "/logout", Public, || {
            web::route().to(account::logout)
        }),
        route(get(), "/me", Member, || web::route().to(account::me)),
        route(get(), "/hosts", Member, || web::route().to(hosts::hosts)),
        route(get(), "/visits", Member, || web::route().to(visits::page)),
        route(post(), "/visits", Member, || {
            web::route().to(visits::register)
        })
        .form(
            "visitor_name=Vera+Visitor&visitor_email=vera%40visitor.test&date={today}",
            &[("host_id", User)],
        ),
        route(get(), "/visits/{id}", Member, || {
            web::route().to(visits::show)
        })
        .id(Visit),
        route(post(), "/visits/{id}/cancel", Member, || {
            web::route().to(visits::cancel)
        })
        .id(Visit),
        route(get(), "/admin", Admin, || web::route().to(admin::settings)),
        route(get(), "/admin/audit", Admin, || {
            web::route().to(console::audit)
        }),
        route(get(), "/admin/audit/export", Admin, || {
            web::route().to(console::audit_export)
        }),
        route(get(), "/admin/audit/{id}", Admin, || {
            web::route().to(console::audit_event)
        })
        .id(Object::AuditEvent),
        route(get(), "/admin/connections", Admin, || {
            web::route().to(connections::list)
        }),
        // An unusable sample: the isolation tests add the real ones.
        route(post(), "/admin/connections", Admin, || {
            web::route().to(connections::add)
        })
        .form(
            "name=Sample&preset=generic&metadata_xml=%3Cnot-metadata%2F%3E",
            &[],
        ),
        route(get(), "/admin/connections/{id}", Admin, || {
            web::route().to(connections::show)
        })
        .id(Object::Connection),
        route(post(), "/admin/connections/{id}/enable", Admin, || {
            web::route().to(connections::enable)
        })
        .id(Object::Connection),
        route(get(), "/admin/connections/{id}/edit", Admin, || {
            web::route().to(connection_edits::edit_form)
        })
        .id(Object::Connection),
        route(post(), "/admin/connections/{id}/edit", Admin, || {
            web::route().to(connection_edits::edit)
        })
        .id(Object::Connection)
        .form("name=Renamed&preset=generic", &[]),
        route(post(), "/admin/connections/{id}/refresh", Admin, || {
            web::route().to(connection_edits::refresh_now)
        })
        .id(Object::Connection),
        route(get(), "/admin/connections/{id}/delete", Admin, || {
            web::route().to(connection_edits::delete_form)
        })
        .id(Object::Connection),
        route(post(), "/admin/connections/{id}/delete", Admin, || {
            web::route().to(connection_edits::delete)
        })
        .id(Object::Connection),
        route(get(), "/admin/health", Admin, || {
            web::route().to(console::health)
        }),
        route(post(), "/admin/health/notices", Admin, || {
            web::route().to(console::set_notices)
        })
        .form("address=alerts%40example.test", &[]),
        route(get(), "/admin/locations", Admin, || {
            web::route().to(admin::locations)
        }),
        route(post(), "/admin/locations", Admin, || {
            web::route().to(admin::add_location)
        })
        .form("name=New+Wing", &[]),
        route(get(), "/admin/users", Admin, || {
            web::route().to(admin::users)
        }),
        route(get(), "/admin/users/{id}", Admin, || {
            web::route().to(admin::user)
        })
        .id(User),
        route(post(), "/admin/users/{id}/active", Admin, || {
            web::route().to(admin::set_active)
        })
        .id(User)
        .form("active=0", &[]),
        route(post(), "/admin/users/{id}/default-location", Admin, || {
            web::route().to(admin::set_default_location)
        })
        .id(User)
        .form("", &[("location_id", Location)]),
        route(post(), "/admin/users/{id}/role", Admin, || {
            web::route().to(admin::set_role)
        })
        .id(User)
        .form("role=admin", &[("location_id", Location)]),
        route(get(), "/admin/sync", Admin, || {
            web::route().to(directory::page)
        }),
        route(get(), "/admin/sync/runs/{id}", Admin, || {
            web::route().to(directory::run)
        })
        .id(SyncRun),
        route(get(), "/admin/sync/template.csv", Admin, || {
            web::route().to(directory::template)
        }),
        route(post(), "/admin/sync/ldap", Admin, || {
            web::route().to(directory::pull)
        })
        .form("dry_run=1", &[]),
        route(post(), "/admin/sync/upload", Admin, || {
            web::route().to(directory::upload)
        }),
        route(get(), "/admin/sync/uploads/{id}", Admin, || {
            web::route().to(directory::preview)
        })
        .id(Upload),
        route(post(), "/admin/sync/uploads/{id}/apply", Admin, || {
            web::route().to(directory::apply)
        })
        .id(Upload),
        route(get(), "/admin/reception", Admin, || {
            web::route().to(reception::page)
        }),
        route(post(), "/admin/kiosks", Admin, || {
            web::route().to(reception::add_kiosk)
        })
        .form("label=Front+desk", &[("location_id", Location)]),
        route(post(), "/admin/kiosks/{id}/revoke", Admin, || {
            web::route().to(reception::revoke_kiosk)
        })
        .id(KioskToken),
        route(post(), "/admin/invitations", Admin, || {
            web::route().to(reception::set_invitations)
        })
        .form("policy=never", &[]),
        // The kiosk link; the token is the credential (checked, rate-limited).
        route(get(), "/kiosk/start", Public, || {
            web::route().to(kiosk::start)
        }),
        route(get(), "/kiosk", Kiosk, || web::route().to(kiosk::page)),
        route(post(), "/kiosk/check-in", Kiosk, || {
            web::route().to(kiosk::walk_in)
        })
        .form(
            "name=Walk+In&email=walk%40in.test&company=Walkers",
            &[("host_id", User)],
        ),
        route(post(), "/kiosk/visits/{id}/check-in", Kiosk, || {
            web::route().to(kiosk::check_in)
        })
        .id(Visit)
        .form("company=Visitors+Ltd", &[]),
    ]
}

/// Mounts the app: SAML routes, then [`routes`].
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let saml = state.saml.clone();
        cfg.app_data(web::Data::new(state))
            // Uploads are read in memory, up to the spreadsheet budget.
            .app_data(
                actix_multipart::form::MultipartFormConfig::default()
                    .total_limit(crate::directory::MAX_UPLOAD_BYTES + 64 * 1024)
                    .memory_limit(crate::directory::MAX_UPLOAD_BYTES + 64 * 1024),
            )
            .configure(samlsp_actix::configure(saml))
            .configure(crate::scim::configure);
        for r in routes() {
            cfg.route(r.path, (r.handler)().method(r.method));
        }
    }
}

/// The layout of a signed-in page.
fn layout<'a>(
    state: &'a AppState,
    title: &'a str,
    nav: Nav,
    u: &'a CurrentUser,
    csrf: &'a str,
) -> Layout<'a> {
    Layout {
        app: &state.config.server.title,
        title,
        nav,
        viewer: Some(Viewer {
            name: &u.user.display_name,
            org: &u.org_name,
            admin: u.is_admin,
            csrf,
        }),
        home: "/",
    }
}

/// A form with only the CSRF token.
#[derive(Debug, serde::Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: Option<String>,
}

/// A 303 to `location`.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The one "not found" page: for an ID that never existed and for another
/// organization's object alike, so neither can be told from the other.
fn not_found() -> HttpResponse {
    samlsp_actix::html::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<p>There is nothing here.</p><p><a href=\"/me\">Your page</a></p>",
    )
}

/// A signed-in user without the role a page needs.
fn forbidden() -> HttpResponse {
    samlsp_actix::html::page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "<p>Your role does not allow this. Ask an administrator of your organization.</p>\
         <p><a href=\"/me\">Your page</a></p>",
    )
}

/// An object ID from the path; `None` (answer 404) when not a number.
fn path_id(p: &str) -> Option<i64> {
    p.parse().ok().filter(|id| *id > 0)
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

/// 200 when every IdP is usable, else 503; lists them either way.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    // Connections being set up are nobody's business but their admin's.
    let idps: Vec<_> = state
        .saml
        .identity_providers()
        .into_iter()
        .filter(|i| !i.test_only)
        .collect();
    let ready = idps.iter().all(|i| i.available);
    let list: Vec<serde_json::Value> = idps
        .iter()
        .map(|i| {
            serde_json::json!({
                "slug": i.slug, "tenant": i.tenant, "available": i.available,
                "entity_id": i.entity_id,
            })
        })
        .collect();
    HttpResponse::build(if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    })
    .insert_header((header::CONTENT_TYPE, "application/json"))
    .body(serde_json::json!({ "ready": ready, "idps": list }).to_string())
}
