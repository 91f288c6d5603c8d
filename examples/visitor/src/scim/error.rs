//! SCIM errors: what failed and why, answered as an RFC 7644 §3.12 Error
//! (`status` a string, `scimType` for a 400 or 409). Faults are logged and
//! answered without their reason; tokens never appear in either.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

use super::SCIM_JSON;
use crate::store::StoreError;

/// The Error message schema (RFC 7644 §3.12).
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An `scimType` of RFC 7644 §3.12 Table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter is malformed or not supported.
    InvalidFilter,
    /// The body is not valid JSON or not a SCIM message.
    InvalidSyntax,
    /// A PATCH path is malformed or names nothing this server has.
    InvalidPath,
    /// A value is of the wrong type, missing, or refused.
    InvalidValue,
    /// A unique attribute's value is taken.
    Uniqueness,
    /// The attribute cannot be changed (or removed).
    Mutability,
    /// A remove without a path (RFC 7644 §3.5.2.2).
    NoTarget,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::InvalidValue => "invalidValue",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::NoTarget => "noTarget",
        }
    }
}

/// Why a SCIM request was refused (or failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScimError {
    /// No bearer token, or not a valid one (RFC 6750 §3.1).
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
    /// No such resource or endpoint (also: another organization's user).
    #[error("{0}")]
    NotFound(String),
    /// The method is not allowed here (discovery endpoints are read-only).
    #[error("{0} is not allowed on this endpoint")]
    MethodNotAllowed(String),
    /// The body is over the limit.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    /// The request is malformed or a value is refused.
    #[error("{detail}")]
    BadRequest {
        /// RFC 7644 §3.12 scimType.
        scim_type: ScimType,
        /// What was wrong, for the client.
        detail: String,
    },
    /// A unique attribute's value is held by another user.
    #[error("{0} is already used by another user of this organization")]
    Uniqueness(&'static str),
    /// A fault (database); the reason is logged, not sent.
    #[error("internal error")]
    Internal(String),
    /// The database cannot be reached for now; nothing was written. 503 with
    /// `Retry-After` (RFC 9110 §15.6.4): the client retries later.
    #[error("temporarily unavailable; retry later")]
    Unavailable(String),
}

impl ScimError {
    /// A 400 with this scimType.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError::BadRequest {
            scim_type,
            detail: detail.into(),
        }
    }

    /// 404 for a user ID (never existed, deleted, or another
    /// organization's: the same answer).
    pub fn no_user(id: &str) -> Self {
        ScimError::NotFound(format!("no user with id {id:?}"))
    }

    fn scim_type(&self) -> Option<ScimType> {
        match self {
            ScimError::BadRequest { scim_type, .. } => Some(*scim_type),
            ScimError::Uniqueness(_) => Some(ScimType::Uniqueness),
            _ => None,
        }
    }
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        if e.is_unavailable() {
            ScimError::Unavailable(e.to_string())
        } else {
            ScimError::Internal(e.to_string())
        }
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        match self {
            ScimError::Unauthorized => StatusCode::UNAUTHORIZED,
            ScimError::NotFound(_) => StatusCode::NOT_FOUND,
            ScimError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ScimError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ScimError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ScimError::Uniqueness(_) => StatusCode::CONFLICT,
            ScimError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ScimError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ScimError::Internal(reason) | ScimError::Unavailable(reason) => {
                tracing::error!(reason = %reason, "SCIM request failed");
            }
            // Debug formatting escapes what a client put in the detail.
            other => {
                tracing::info!(status = status.as_u16(), detail = ?other.to_string(), "SCIM request refused")
            }
        }
        let mut body = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": status.as_u16().to_string(),
            "detail": self.to_string(),
        });
        if let (Some(t), Some(map)) = (self.scim_type(), body.as_object_mut()) {
            map.insert("scimType".into(), t.as_str().into());
        }
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CONTENT_TYPE, SCIM_JSON));
        if matches!(self, ScimError::Unauthorized) {
            // RFC 6750 §3: the scheme, and the realm the token is for.
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"scim\""));
        }
        if matches!(self, ScimError::Unavailable(_)) {
            res.insert_header((header::RETRY_AFTER, crate::routes::RETRY_AFTER_SECS));
        }
        res.body(body.to_string())
    }
}
