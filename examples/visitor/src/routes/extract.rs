//! What handlers take and give besides pages: the signed-in user, and the
//! error page for faults.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use samlsp_actix::SignedIn;

use super::see_other;
use crate::app::AppState;
use crate::store::{self, StoreError, User};

/// An error page for faults (the reason goes to the log, not the page).
#[derive(Debug)]
pub struct AppError(String);

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("internal error")
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
    fn error_response(&self) -> HttpResponse {
        tracing::error!(reason = %self.0, "request failed");
        samlsp_actix::html::page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "<p>Please try again in a moment.</p><p><a href=\"/\">Start page</a></p>",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError(e.to_string())
    }
}

impl From<samlsp_actix::CsrfError> for AppError {
    fn from(e: samlsp_actix::CsrfError) -> Self {
        AppError(e.to_string())
    }
}

/// The signed-in, active user. Anonymous visitors are sent to the sign-in
/// page; a user deactivated meanwhile loses the session at the next request.
pub struct CurrentUser {
    /// What the SAML sign-in put in the session.
    pub signed_in: SignedIn,
    /// The account, as stored now.
    pub user: User,
    /// The session (CSRF tokens, sign-out).
    pub session: Session,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let signed = SignedIn::from_request(req, payload).into_inner();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = req.get_session();
        Box::pin(async move {
            let signed_in = signed?;
            let state = state.ok_or_else(|| AppError("no app state".into()))?;
            let id: i64 = signed_in
                .user_id
                .parse()
                .map_err(|_| AppError("bad user id".into()))?;
            let user = state
                .store
                .run(move |c| store::user_by_id(c, id))
                .await
                .map_err(AppError::from)?;
            match user {
                Some(u) if u.active => Ok(CurrentUser {
                    signed_in,
                    user: u,
                    session,
                }),
                _ => {
                    tracing::info!(
                        user_id = id,
                        "session of a deactivated or deleted user ended"
                    );
                    samlsp_actix::sign_out(&session);
                    Err(actix_web::error::InternalError::from_response(
                        "account deactivated",
                        see_other("/?notice=deactivated"),
                    )
                    .into())
                }
            }
        })
    }
}
