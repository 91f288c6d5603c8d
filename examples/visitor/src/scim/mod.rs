//! SCIM 2.0 provisioning (RFC 7643, RFC 7644) at `/scim/v2`: Entra ID, Okta
//! and other identity providers create, update, deactivate and delete the
//! users of one organization, in the same user store as SAML sign-in.
//!
//! Why: without it people exist only after their first sign-in (nobody can
//! be pre-registered as a host), and a person who leaves keeps their
//! account and session until it expires. Deactivation here
//! ([`crate::store::Scoped::deactivate_user`]) ends the person's sessions
//! at their next request and refuses their SAML sign-ins.
//!
//! - [`cli`]: `visitor scim-token`, the operator's side of the tokens;
//! - [`auth`]: the per-organization bearer token, the only proof a SCIM
//!   request has ([`crate::store::Store::scim_scope`]);
//! - [`profile`]: the attributes kept, and the one `set`/`remove` by path
//!   that create, PUT and PATCH all go through;
//! - [`patch`]: PATCH operations, all applied or none;
//! - [`filter`]: `?filter=` as far as Entra ID and Okta use it;
//! - [`rules`]: what an organization accepts (verified email domains, its
//!   locations);
//! - [`resource`]: a stored user as a SCIM User;
//! - [`discovery`]: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`;
//! - [`routes`]: the handlers.
//!
//! Built on the `scim_v2` crate for the RFC 7644 filter grammar and the
//! PATCH path grammar (both bounded in depth and terms). Added here, since
//! the crate does no I/O and does not apply a PATCH: applying operations
//! to stored users, filter evaluation against SQLite, Entra ID's
//! non-RFC filter `emails[type eq "work"].value eq "…"`, `op` in any case,
//! paging, projection and the HTTP surface. Its `User` model is not used
//! for input: create, PUT and PATCH share one path-based code path
//! instead ([`profile`]), so every form is accepted or refused alike.

mod auth;
pub mod cli;
mod discovery;
mod error;
mod filter;
mod patch;
mod profile;
mod resource;
mod routes;
mod rules;

use actix_web::http::Method;
use actix_web::web;

pub use error::{ScimError, ScimType};

/// The SCIM media type (RFC 7644 §8.1), sent on every response.
pub const SCIM_JSON: &str = "application/scim+json";

/// One route under `/scim/v2`.
#[derive(Debug, Clone)]
pub struct ScimRoute {
    /// HTTP method; `None`: every other method (405 on read-only paths).
    pub method: Option<Method>,
    /// Path under `/scim/v2`, with `{id}` for a user ID.
    pub path: &'static str,
    /// A valid body (JSON) for the isolation tests, `{user}` standing for a
    /// userName.
    pub sample_body: Option<&'static str>,
    handler: fn() -> actix_web::Route,
}

fn r(
    method: Option<Method>,
    path: &'static str,
    sample_body: Option<&'static str>,
    handler: fn() -> actix_web::Route,
) -> ScimRoute {
    ScimRoute {
        method,
        path,
        sample_body,
        handler,
    }
}

/// Every SCIM route: the one table [`configure`] mounts and the isolation
/// tests walk.
pub fn routes() -> Vec<ScimRoute> {
    let (get, post) = (|| Some(Method::GET), || Some(Method::POST));
    let search = Some(r#"{"filter": "userName eq \"{user}\""}"#);
    let mut table = vec![
        r(get(), "/Users", None, || web::route().to(routes::list)),
        r(post(), "/Users", Some(r#"{"userName": "{user}"}"#), || {
            web::route().to(routes::create)
        }),
        r(post(), "/Users/.search", search, || {
            web::route().to(routes::search)
        }),
        r(post(), "/.search", search, || {
            web::route().to(routes::search)
        }),
        r(get(), "/Users/{id}", None, || web::route().to(routes::get)),
        r(
            Some(Method::PUT),
            "/Users/{id}",
            Some(r#"{"userName": "{user}"}"#),
            || web::route().to(routes::replace),
        ),
        r(
            Some(Method::PATCH),
            "/Users/{id}",
            Some(r#"{"Operations": [{"op": "replace", "value": {"active": false}}]}"#),
            || web::route().to(routes::modify),
        ),
        r(Some(Method::DELETE), "/Users/{id}", None, || {
            web::route().to(routes::delete)
        }),
        r(get(), "/ServiceProviderConfig", None, || {
            web::route().to(discovery::service_provider_config)
        }),
        r(get(), "/ResourceTypes", None, || {
            web::route().to(discovery::resource_types)
        }),
        r(get(), "/ResourceTypes/{id}", None, || {
            web::route().to(discovery::resource_type)
        }),
        r(get(), "/Schemas", None, || {
            web::route().to(discovery::schemas)
        }),
        r(get(), "/Schemas/{id}", None, || {
            web::route().to(discovery::schema)
        }),
    ];
    // RFC 7644 §4: discovery is read-only.
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/{id}",
        "/Schemas",
        "/Schemas/{id}",
    ] {
        table.push(r(None, path, None, || {
            web::route().to(discovery::read_only)
        }));
    }
    table
}

/// Mounts `/scim/v2`: [`routes`], and a SCIM 404 for anything else.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut scope = web::scope("/scim/v2");
    for route in routes() {
        let mut handler = (route.handler)();
        if let Some(m) = route.method {
            handler = handler.method(m);
        }
        scope = scope.route(route.path, handler);
    }
    cfg.service(scope.default_service(web::to(discovery::unknown)));
}
