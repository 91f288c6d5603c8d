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

pub mod auth;
pub mod cli;
pub mod discovery;
pub mod error;
pub mod filter;
pub mod patch;
pub mod profile;
pub mod resource;
mod routes;
pub mod rules;

use actix_web::web;

pub use error::{ScimError, ScimType};

/// The SCIM media type (RFC 7644 §8.1), sent on every response.
pub const SCIM_JSON: &str = "application/scim+json";

/// Mounts `/scim/v2`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let read_only = || web::route().to(routes::read_only);
    cfg.service(
        web::scope("/scim/v2")
            .route("/Users", web::get().to(routes::list))
            .route("/Users", web::post().to(routes::create))
            .route("/Users/.search", web::post().to(routes::search))
            .route("/.search", web::post().to(routes::search))
            .route("/Users/{id}", web::get().to(routes::get))
            .route("/Users/{id}", web::put().to(routes::replace))
            .route("/Users/{id}", web::patch().to(routes::modify))
            .route("/Users/{id}", web::delete().to(routes::delete))
            .route(
                "/ServiceProviderConfig",
                web::get().to(routes::service_provider_config),
            )
            .route("/ServiceProviderConfig", read_only())
            .route("/ResourceTypes", web::get().to(routes::resource_types))
            .route("/ResourceTypes", read_only())
            .route("/ResourceTypes/{id}", web::get().to(routes::resource_type))
            .route("/ResourceTypes/{id}", read_only())
            .route("/Schemas", web::get().to(routes::schemas))
            .route("/Schemas", read_only())
            .route("/Schemas/{id}", web::get().to(routes::schema))
            .route("/Schemas/{id}", read_only())
            .default_service(web::to(routes::unknown)),
    );
}
