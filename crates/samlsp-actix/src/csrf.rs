//! CSRF protection for plain HTML forms: a per-session synchronizer token
//! (OWASP CSRF cheat sheet, "Synchronizer Token Pattern").
//!
//! The token is 256 random bits kept in the session; every state-changing
//! form carries it in a hidden field and the handler compares in constant
//! time. A new sign-in clears the session, so a token issued before login is
//! worthless after it. `SameSite=Lax` on the session cookie is a second,
//! independent layer.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// Name of the hidden form field.
pub const CSRF_FIELD: &str = "csrf_token";
/// Session key of the token.
const SESSION_KEY: &str = "samlsp.csrf";

/// The form's token was missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// No token in the form.
    #[error("the form carries no CSRF token")]
    Missing,
    /// The session has no token (expired, or never rendered a form).
    #[error("the session has no CSRF token")]
    NoSessionToken,
    /// The token does not match the session's.
    #[error("the form's CSRF token does not match the session's")]
    Mismatch,
    /// The session could not be written.
    #[error("session: {0}")]
    Session(String),
}

impl ResponseError for CsrfError {
    fn status_code(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    fn error_response(&self) -> HttpResponse {
        tracing::warn!(reason = %self, "form refused: CSRF check failed");
        crate::html::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "<p>For your security the form could not be accepted. Go back, reload \
             the page and submit it again.</p><p><a href=\"/\">Start page</a></p>",
        )
    }
}

/// The session's token, created on first use. Put it in every form as
/// `<input type="hidden" name="csrf_token" value="…">`.
pub fn csrf_token(session: &Session) -> Result<String, CsrfError> {
    if let Ok(Some(t)) = session.get::<String>(SESSION_KEY) {
        if t.len() == 43 {
            return Ok(t);
        }
    }
    let t = crate::random_token(32).ok_or(CsrfError::Session("random generator failed".into()))?;
    session
        .insert(SESSION_KEY, &t)
        .map_err(|e| CsrfError::Session(e.to_string()))?;
    Ok(t)
}

/// Checks a submitted token against the session's, in constant time.
pub fn verify_csrf(session: &Session, submitted: Option<&str>) -> Result<(), CsrfError> {
    let submitted = submitted
        .filter(|s| !s.is_empty())
        .ok_or(CsrfError::Missing)?;
    let expected = session
        .get::<String>(SESSION_KEY)
        .ok()
        .flatten()
        .ok_or(CsrfError::NoSessionToken)?;
    if submitted.len() == expected.len()
        && openssl::memcmp::eq(submitted.as_bytes(), expected.as_bytes())
    {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}
