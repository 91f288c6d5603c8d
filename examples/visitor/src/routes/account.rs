//! The sign-in page, the "me" page, and sign-out.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use samlsp_actix::{LogoutOutcome, SignedIn, csrf_token, verify_csrf};
use serde::Deserialize;

use super::{AppError, CsrfOnly, CurrentUser, layout, see_other};
use crate::app::AppState;
use crate::linking::NAMEID_UNSPECIFIED;
use crate::pages::{self, Button, Layout, Nav};

#[derive(Debug, Deserialize)]
pub(super) struct IndexQuery {
    return_to: Option<String>,
    notice: Option<String>,
    /// How a sign-out ended (the library's `LogoutOutcome`).
    logout: Option<String>,
}

/// What the sign-in page says after a sign-out: whether the company
/// sign-in (the IdP session) ended too, since a person who finds
/// themselves signed straight back in without a password would otherwise
/// think sign-out is broken.
fn logout_notice(outcome: LogoutOutcome) -> &'static str {
    match outcome {
        LogoutOutcome::Idp => "You are signed out, here and at your company's sign-in.",
        LogoutOutcome::IdpPartial => {
            "You are signed out here and at your company's sign-in; some other \
             applications could not be told and may still be signed in."
        }
        LogoutOutcome::IdpFailed => {
            "You are signed out here. Your company's sign-in did not confirm that \
             its session ended: signing in again may not ask for your password."
        }
        LogoutOutcome::Local => {
            "You are signed out here. Your company's sign-in does not offer single \
             logout, so its session goes on: signing in again may not ask for your \
             password. Close the browser to end it."
        }
    }
}

pub(super) async fn index(
    state: web::Data<AppState>,
    q: web::Query<IndexQuery>,
    signed_in: Option<SignedIn>,
) -> HttpResponse {
    if signed_in.is_some() && q.notice.is_none() && q.logout.is_none() {
        // After an IdP-initiated sign-in with RelayState "/", for instance.
        return see_other("/me");
    }
    let notice = match (q.notice.as_deref(), q.logout.as_deref()) {
        (Some("deactivated"), _) => Some("Your account is deactivated; you have been signed out."),
        (_, Some(outcome)) => LogoutOutcome::parse(outcome).map(logout_notice),
        _ => None,
    };
    // Only a local path survives (the library's open-redirect check).
    let return_to = q
        .return_to
        .as_deref()
        .and_then(samlsp_actix::ReturnTo::parse)
        .map(|r| r.to_string());
    let page = pages::SignIn {
        layout: Layout {
            app: &state.config.server.title,
            title: "Sign in",
            nav: Nav::None,
            viewer: None,
        },
        notice,
        signed_in_as: signed_in.as_ref().map(|s| s.display_name()),
        buttons: Button::for_idps(&state.saml.identity_providers(), return_to.as_deref()),
    };
    pages::respond(StatusCode::OK, &page)
}

pub(super) async fn me(
    state: web::Data<AppState>,
    u: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let csrf = csrf_token(&u.session)?;
    let id = u.user.id;
    let (locations, identities) = state
        .store
        .scoped(&u.scope, move |s| {
            Ok((s.user_locations(id)?, s.identities_of(id)?))
        })
        .await?;
    let s = &u.signed_in;
    let format = s.name_id_format().unwrap_or(NAMEID_UNSPECIFIED);
    let current = identities.iter().find(|i| {
        i.idp_entity_id == s.idp() && i.name_id == s.name_id() && i.name_id_format == format
    });
    let idp_name = state
        .saml
        .identity_providers()
        .into_iter()
        .find(|i| i.slug == s.idp_slug() && i.tenant.as_deref() == s.tenant())
        .map_or_else(|| s.idp().to_owned(), |i| i.display_name);
    let page = pages::Me {
        layout: layout(&state, &u.user.display_name, Nav::Me, &u, &csrf),
        user: &u.user,
        org: &u.org_name,
        locations: &locations,
        identities: &identities,
        attributes: current
            .and_then(|c| serde_json::from_str(&c.last_attributes).ok())
            .unwrap_or_default(),
        idp_name: &idp_name,
    };
    Ok(pages::respond(StatusCode::OK, &page))
}

/// "Sign out": the session ends here at once; when the person's company
/// offers single logout, the browser goes on to end the company sign-in
/// too, and comes back to `/?logout=<outcome>`.
pub(super) async fn logout(
    req: HttpRequest,
    session: Session,
    signed_in: Option<SignedIn>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, actix_web::Error> {
    verify_csrf(&session, form.csrf_token.as_deref())?;
    if let Some(user) = signed_in {
        tracing::info!(user_id = %user.user_id(), "signed out");
    }
    Ok(samlsp_actix::start_logout(&req, &session))
}
