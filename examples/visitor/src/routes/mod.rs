//! The HTTP surface: [`configure`] mounts the SAML routes, the pages and
//! forms, the stylesheet and the health check, the same way in `main` and
//! in tests. Handlers are grouped by page: [`account`] (sign-in, me,
//! sign-out), [`hosts`], [`visits`].

mod account;
mod extract;
mod hosts;
mod visits;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};

pub use extract::{AppError, CurrentUser};

use crate::app::AppState;
use crate::pages::{Layout, Nav, Viewer};

/// Mounts the app: SAML routes, pages, forms, static CSS, health.
pub fn configure(state: AppState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let saml = state.saml.clone();
        cfg.app_data(web::Data::new(state))
            .configure(samlsp_actix::configure(saml))
            .route("/", web::get().to(account::index))
            .route("/me", web::get().to(account::me))
            .route("/logout", web::post().to(account::logout))
            .route("/hosts", web::get().to(hosts::hosts))
            .route("/visits", web::get().to(visits::page))
            .route("/visits", web::post().to(visits::register))
            .route("/static/app.css", web::get().to(css))
            .route("/healthz", web::get().to(health));
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
            csrf,
        }),
    }
}

/// A 303 to `location`.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

/// 200 when every IdP is usable, else 503; lists them either way.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let idps = state.saml.identity_providers();
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
