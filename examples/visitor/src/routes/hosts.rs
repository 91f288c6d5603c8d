//! The host directory of the signed-in user's organization.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use samlsp_actix::csrf_token;
use serde::Deserialize;

use super::{AppError, CurrentUser, layout};
use crate::app::AppState;
use crate::pages::{self, Nav};

/// Longest search text kept: a name or an email fits; more is noise.
const MAX_QUERY_CHARS: usize = 100;
/// Most rows shown: a page a person can scan.
const MAX_ROWS: i64 = 200;

#[derive(Debug, Deserialize)]
pub(super) struct HostQuery {
    #[serde(default)]
    q: String,
}

pub(super) async fn hosts(
    state: web::Data<AppState>,
    u: CurrentUser,
    q: web::Query<HostQuery>,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let query: String = q.q.chars().take(MAX_QUERY_CHARS).collect();
    let term = query.clone();
    let found = state
        .store
        .scoped(&u.scope, move |s| s.hosts(&term, MAX_ROWS))
        .await?;
    let page = pages::Hosts {
        layout: layout(&state, "Hosts", Nav::Hosts, &u, &csrf),
        query: &query,
        hosts: &found,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}
