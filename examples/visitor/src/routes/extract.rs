//! What handlers take and give besides pages: the signed-in user, and the
//! error page for faults.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use samlsp_actix::SignedIn;

use super::{forbidden, see_other};
use crate::app::AppState;
use crate::store::{OrgScope, StoreError, User};

/// An error page for faults (the reason goes to the log, not the page):
/// 500, or 503 with `Retry-After` when the database cannot be reached for
/// now (nothing was written: the transaction did not commit).
#[derive(Debug)]
pub struct AppError {
    reason: String,
    unavailable: bool,
}

/// Seconds a client waits before it retries when the database is
/// unavailable (RFC 9110 §10.2.3): about a PostgreSQL restart.
pub(crate) const RETRY_AFTER_SECS: &str = "10";

impl AppError {
    /// A fault: the 500 page.
    pub(super) fn internal(reason: impl Into<String>) -> Self {
        AppError {
            reason: reason.into(),
            unavailable: false,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.unavailable {
            "temporarily unavailable"
        } else {
            "internal error"
        })
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        if self.unavailable {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
    fn error_response(&self) -> HttpResponse {
        tracing::error!(reason = %self.reason, "request failed");
        if self.unavailable {
            let mut res = samlsp_actix::html::page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "<p>The service is temporarily unavailable: nothing was changed. Please try \
                 again in a minute.</p><p><a href=\"/\">Start page</a></p>",
            );
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
            return res;
        }
        samlsp_actix::html::page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "<p>Please try again in a moment.</p><p><a href=\"/\">Start page</a></p>",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError {
            unavailable: e.is_unavailable(),
            reason: e.to_string(),
        }
    }
}

impl From<crate::directory::RunError> for AppError {
    fn from(e: crate::directory::RunError) -> Self {
        match e {
            crate::directory::RunError::Store(e) => e.into(),
            e => AppError::internal(e.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(e.to_string())
    }
}

impl From<samlsp_actix::CsrfError> for AppError {
    fn from(e: samlsp_actix::CsrfError) -> Self {
        AppError::internal(e.to_string())
    }
}

/// The signed-in, active user, with the scope of their organization.
/// Anonymous visitors are sent to the sign-in page; a user deactivated
/// meanwhile (or whose sessions were ended) loses the session at the next
/// request.
pub struct CurrentUser {
    /// What the SAML sign-in put in the session.
    pub signed_in: SignedIn,
    /// The account, as stored now.
    pub user: User,
    /// The user's organization: every query of the request goes through it.
    pub scope: OrgScope,
    /// The organization's name.
    pub org_name: String,
    /// Locations where the user is admin.
    pub admin_at: Vec<i64>,
    /// Admin at the organization's default location: administers the
    /// organization (users, locations, grants at every location).
    pub org_admin: bool,
    /// Admin somewhere.
    pub is_admin: bool,
    /// The session (CSRF tokens, sign-out).
    pub session: Session,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user", &self.user.id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl CurrentUser {
    /// May administer `location`: an org admin, or admin there.
    pub fn administers(&self, location: Option<i64>) -> bool {
        self.org_admin || location.is_some_and(|l| self.admin_at.contains(&l))
    }
}

/// Ends the session and sends the person to the sign-in page.
fn ended(session: &Session, user_id: &str, why: &'static str) -> actix_web::Error {
    tracing::info!(user_id = %user_id, reason = why, "session ended");
    samlsp_actix::sign_out(session);
    actix_web::error::InternalError::from_response(
        "session ended",
        see_other("/?notice=deactivated"),
    )
    .into()
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
            let state = state.ok_or_else(|| AppError::internal("no app state"))?;
            // The session's connection names the organization; the user
            // must be in it.
            let Some(org) = state.org_of(signed_in.idp_slug()) else {
                return Err(ended(
                    &session,
                    signed_in.user_id(),
                    "connection no longer configured",
                ));
            };
            let found = state
                .store
                .session(&signed_in, &org)
                .await
                .map_err(AppError::from)?;
            let Some((scope, user)) = found else {
                return Err(ended(&session, signed_in.user_id(), "user gone"));
            };
            if !user.active {
                return Err(ended(&session, signed_in.user_id(), "user deactivated"));
            }
            if user
                .sessions_not_before
                .is_some_and(|t| signed_in.signed_in_at() <= t)
            {
                return Err(ended(
                    &session,
                    signed_in.user_id(),
                    "sessions ended by an admin",
                ));
            }
            let id = user.id;
            let (org_info, roles, default) = state
                .store
                .scoped(&scope, move |s| {
                    Ok((s.org()?, s.user_locations(id)?, s.default_location_id()?))
                })
                .await
                .map_err(AppError::from)?;
            let admin_at: Vec<i64> = roles
                .iter()
                .filter(|r| r.role == "admin")
                .map(|r| r.location_id)
                .collect();
            Ok(CurrentUser {
                signed_in,
                org_admin: default.is_some_and(|d| admin_at.contains(&d)),
                is_admin: !admin_at.is_empty(),
                admin_at,
                user,
                scope,
                org_name: org_info.name,
                session,
            })
        })
    }
}

/// A [`CurrentUser`] who is admin at one of the organization's locations;
/// others get 403.
#[derive(Debug)]
pub struct AdminUser(pub CurrentUser);

impl FromRequest for AdminUser {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let u = user.await?;
            if u.is_admin {
                Ok(AdminUser(u))
            } else {
                Err(
                    actix_web::error::InternalError::from_response("admins only", forbidden())
                        .into(),
                )
            }
        })
    }
}
