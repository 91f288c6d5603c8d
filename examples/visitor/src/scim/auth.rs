//! The bearer token of a SCIM request (RFC 6750 §2.1) and what it proves:
//! [`ScimCaller`] exists only when [`crate::store::Store::scim_scope`]
//! accepted the token, and carries that token's organization.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ScimError;
use crate::app::AppState;
use crate::store::OrgScope;

/// A SCIM client with a valid token of one organization.
#[derive(Debug)]
pub struct ScimCaller {
    /// The token's organization: every query of the request goes through it.
    pub scope: OrgScope,
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is
/// case-insensitive, RFC 7235 §2.1).
fn bearer(req: &HttpRequest) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

impl FromRequest for ScimCaller {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(ScimError::Unauthorized.into());
            };
            match state.store.scim_scope(&token).await {
                Ok(Some(scope)) => Ok(ScimCaller { scope }),
                Ok(None) => Err(ScimError::Unauthorized.into()),
                Err(e) => Err(ScimError::from(e).into()),
            }
        })
    }
}
