//! Single Logout over HTTP: "Sign out" here ends the session at the IdP too,
//! and a logout at the IdP ends ours.
//!
//! - [`start_logout`] (the application's sign-out handler calls it after its
//!   CSRF check) ends the local session first, so a failed or unanswered
//!   IdP logout still leaves the person signed out here; then, when the
//!   session's IdP has a SingleLogoutService, it sends the browser there
//!   with a signed LogoutRequest (SP-initiated, SAML Profiles §4.4.3).
//! - `GET|POST …/saml/slo` receives both directions. A LogoutResponse to
//!   ours ends at the application's signed-out page with
//!   `?logout=idp|idp_partial|idp_failed` ([`LogoutOutcome`]); a
//!   LogoutRequest from the IdP is verified, the local sessions it names
//!   are found through the [`samlsp::SessionRegistry`] (no cookie needed:
//!   Keycloak's back-channel logout is a server-to-server POST) and marked
//!   ended, so each is refused at its next request wherever its cookie is;
//!   then the IdP gets a signed LogoutResponse.
//!
//! A refused LogoutRequest (unsigned, replayed, for another SP, for a
//! subject never signed in here) ends nothing; the log line names the
//! reason (`kind=`).

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use samlsp::{
    Error, LogoutError, LogoutReply, LogoutStatus, OutboundMessage, ReceivedLogout, SloMessage,
};

use crate::error::{SignInError, SignInFailure};
use crate::observe::{Attribution, FailedLogout, LogoutStep};
use crate::routes::{TenantIndex, param, post_form_response, query_params, tenant};
use crate::saml::{Saml, TenantState};
use crate::user::SignedIn;

/// How a sign-out ended: the `logout` query parameter of the signed-out
/// page, so the page can say whether the IdP session ended too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Signed out here only: the IdP has no SingleLogoutService (or the
    /// logout could not be sent); the IdP session goes on.
    Local,
    /// Signed out here and at the IdP.
    Idp,
    /// Signed out here and at the IdP, which could not reach every other
    /// application (PartialLogout).
    IdpPartial,
    /// Signed out here; the IdP refused, or its answer was not acceptable.
    IdpFailed,
}

impl LogoutOutcome {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutOutcome::Local => "local",
            LogoutOutcome::Idp => "idp",
            LogoutOutcome::IdpPartial => "idp_partial",
            LogoutOutcome::IdpFailed => "idp_failed",
        }
    }

    /// The outcome a query value names.
    pub fn parse(s: &str) -> Option<Self> {
        [
            LogoutOutcome::Local,
            LogoutOutcome::Idp,
            LogoutOutcome::IdpPartial,
            LogoutOutcome::IdpFailed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

fn signed_out(saml: &Saml, outcome: LogoutOutcome) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{}?logout={}", saml.inner.signed_out_path, outcome.as_str()),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn send(message: OutboundMessage) -> HttpResponse {
    match message {
        OutboundMessage::Redirect { url } => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        OutboundMessage::Post(form) => post_form_response(&form),
    }
}

/// Our LogoutResponse to an IdP's LogoutRequest. Some IdPs run each SP's
/// logout in a hidden frame of their own logout page (front-channel
/// "iframe" logout, e.g. SimpleSAMLphp's `logouttype` iframe) and wait for
/// the frame to come back with the answer: the POST form that carries it may
/// be framed by the origin it posts to (the IdP's) and by no other, else the
/// browser refuses to show it and the IdP counts the logout as failed. A
/// redirect needs nothing: browsers check framing on the page that loads.
fn send_answer(message: OutboundMessage) -> HttpResponse {
    match message {
        OutboundMessage::Post(form) => {
            let ancestors = crate::routes::origin(form.action()).unwrap_or("'none'");
            crate::routes::post_form_framed_by(&form, ancestors)
        }
        other => send(other),
    }
}

/// Signs the person out: the local session ends at once (state deleted,
/// cookie removed, registry entry forgotten); then, when the session's IdP
/// has a SingleLogoutService and this SP can sign, the browser is sent there
/// with a LogoutRequest naming the sign-in's NameID and SessionIndex, and
/// the IdP's answer comes back to `…/saml/slo`. Otherwise the browser goes
/// straight to the signed-out page with `?logout=local`.
///
/// Call it from the application's sign-out handler after its CSRF check
/// (a cross-site form must not be able to sign people out).
///
/// With an HTTP-Redirect LogoutRequest the browser is not sent on by a 302:
/// browsers check the submitting page's CSP `form-action` on the redirects
/// of a form submission too (CSP Level 3), so an application page with
/// `form-action 'self'` (the safe default) would stop the browser there,
/// the local session ended and the IdP's not. The answer is a same-origin
/// page that moves on by its `Refresh` header (a navigation once the page
/// has loaded, which `form-action` does not govern), with a link for a
/// browser that does not refresh. An HTTP-POST LogoutRequest is a form page with its own
/// CSP naming the IdP's endpoint.
pub fn start_logout(req: &HttpRequest, session: &Session) -> HttpResponse {
    let Some(saml) = req.app_data::<web::Data<Saml>>() else {
        session.purge();
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/?logout=local"))
            .finish();
    };
    let now = saml.now();
    let user = SignedIn::from_session(session, now);
    session.purge();
    let Some(user) = user else {
        return signed_out(saml, LogoutOutcome::Local);
    };
    if let Some(sid) = user.local_session_id() {
        if let Err(e) = saml.inner.sessions.forget(&sid, now) {
            tracing::warn!(reason = %e, "session registry: could not forget an ended session");
        }
    }
    match idp_logout(saml, &user) {
        Ok(Some(OutboundMessage::Redirect { url })) => onward_page(&url),
        Ok(Some(message)) => send(message),
        Ok(None) => {
            tracing::info!(user_id = %user.user_id(), idp = %user.idp_slug(), "signed out (local only: the IdP has no SingleLogoutService)");
            signed_out(saml, LogoutOutcome::Local)
        }
        Err(e) => {
            let f = SignInFailure::log(e.into(), "logout", user.tenant());
            tracing::warn!(correlation_id = %f.correlation_id(), "signed out locally; the IdP logout could not be started");
            if let Some(observer) = saml.inner.observer.clone() {
                let t = saml
                    .inner
                    .tenants
                    .iter()
                    .find(|t| t.config.slug.as_deref() == user.tenant());
                let seen = LogoutSeen {
                    step: LogoutStep::Start,
                    // Our own step, for a session a verified sign-in made.
                    connection: Some((user.idp_slug().to_owned(), Attribution::Verified)),
                    user_id: Some(user.user_id().to_owned()),
                    failure: None,
                };
                let failure = seen.report(saml, t, &f);
                // Not async here: the observer runs just after the answer.
                actix_web::rt::spawn(async move { observer.logout_failed(&failure).await });
            }
            signed_out(saml, LogoutOutcome::Local)
        }
    }
}

/// What `…/slo` learned on the way, for the observer.
struct LogoutSeen {
    step: LogoutStep,
    connection: Option<(String, Attribution)>,
    user_id: Option<String>,
    /// A failure logged but answered with a page of its own (a refused
    /// answer to our LogoutRequest ends at the signed-out page).
    failure: Option<SignInFailure>,
}

impl LogoutSeen {
    fn attribute(&mut self, t: &TenantState, entity_id: &str, how: Attribution) {
        if let Some(i) = t.idp_by_entity_id(entity_id) {
            self.connection = Some((i.config.slug.clone(), how));
        }
    }

    fn report(&self, saml: &Saml, t: Option<&TenantState>, f: &SignInFailure) -> FailedLogout {
        let e = f.error();
        let slug = self.connection.as_ref().map(|(s, _)| s.as_str());
        FailedLogout {
            at: saml.now(),
            correlation_id: f.correlation_id().to_owned(),
            step: self.step,
            tenant: t.and_then(|t| t.config.slug.clone()),
            connection: self.connection.clone(),
            user_id: self.user_id.clone(),
            code: e.code(),
            reason: crate::routes::public_reason(e),
            remediation: e.remediation(&crate::routes::remediation_context(t, slug)),
        }
    }
}

/// A same-origin page that sends the browser on to `url` (see
/// [`start_logout`] for why not a 302).
fn onward_page(url: &str) -> HttpResponse {
    let href = crate::html::escape(url);
    let mut res = crate::html::page(
        actix_web::http::StatusCode::OK,
        "Signing you out",
        &format!(
            "<p>You are signed out here. Now signing you out at your company's sign-in \
             service&hellip;</p><p><a id=\"continue\" href=\"{href}\">Continue</a></p>"
        ),
    );
    if let Ok(v) = header::HeaderValue::from_str(&format!("0;url={url}")) {
        res.headers_mut().insert(header::REFRESH, v);
    }
    res
}

/// The LogoutRequest for `user`'s IdP session, with its pending request
/// stored; `None` when the IdP has no SingleLogoutService.
fn idp_logout(saml: &Saml, user: &SignedIn) -> Result<Option<OutboundMessage>, Error> {
    let Some(t) = saml
        .inner
        .tenants
        .iter()
        .find(|t| t.config.slug.as_deref() == user.tenant())
    else {
        return Ok(None);
    };
    let Some(sp) = t.sp() else { return Ok(None) };
    let Ok(entity_id) = samlsp::EntityId::new(user.idp()) else {
        return Ok(None);
    };
    let Some(idp) = sp.idp(&entity_id) else {
        return Ok(None);
    };
    if idp.slo_for(None).is_none() {
        return Ok(None);
    }
    let now = saml.now();
    let prepared = sp.logout_request(
        &entity_id,
        &user.logout_subject(),
        None,
        None,
        now,
        saml.inner.rng.as_ref(),
    )?;
    let (pending, message) = prepared.into_parts();
    let request_id = pending.id().to_string();
    saml.inner.requests.insert(pending, now)?;
    tracing::info!(user_id = %user.user_id(), idp = %user.idp_slug(), request_id = %request_id, "signed out locally; LogoutRequest sent");
    Ok(Some(message))
}

/// A logout message as received, owned (it crosses to the blocking pool).
enum Received {
    Redirect(String),
    PostRequest(String, Option<String>),
    PostResponse(String, Option<String>),
}

impl Received {
    fn read(req: &HttpRequest, body: &[u8]) -> Result<Self, &'static str> {
        if req.method() == actix_web::http::Method::GET {
            return Ok(Received::Redirect(req.query_string().to_owned()));
        }
        let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8")?;
        let params = query_params(text)?;
        let rs = param(&params, "RelayState").map(str::to_owned);
        match (
            param(&params, "SAMLRequest"),
            param(&params, "SAMLResponse"),
        ) {
            (Some(r), None) => Ok(Received::PostRequest(r.to_owned(), rs)),
            (None, Some(r)) => Ok(Received::PostResponse(r.to_owned(), rs)),
            (Some(_), Some(_)) => Err("both SAMLRequest and SAMLResponse"),
            (None, None) => Err("no SAMLRequest or SAMLResponse"),
        }
    }

    fn message(&self) -> SloMessage<'_> {
        match self {
            Received::Redirect(q) => SloMessage::Redirect { query: q },
            Received::PostRequest(r, rs) => SloMessage::PostRequest {
                saml_request: r,
                relay_state: rs.as_deref(),
            },
            Received::PostResponse(r, rs) => SloMessage::PostResponse {
                saml_response: r,
                relay_state: rs.as_deref(),
            },
        }
    }

    /// The RelayState, unverified (only to find our pending request).
    fn relay_state(&self) -> Option<String> {
        match self {
            Received::Redirect(q) => query_params(q)
                .ok()
                .and_then(|p| param(&p, "RelayState").map(str::to_owned)),
            Received::PostRequest(_, rs) | Received::PostResponse(_, rs) => rs.clone(),
        }
    }

    /// True for a LogoutResponse (an answer to our request).
    fn is_response(&self) -> bool {
        match self {
            Received::Redirect(q) => q.split('&').any(|p| p.starts_with("SAMLResponse=")),
            Received::PostResponse(..) => true,
            Received::PostRequest(..) => false,
        }
    }
}

/// `GET|POST …/slo`: both directions of Single Logout.
pub(crate) async fn slo(
    req: HttpRequest,
    saml: web::Data<Saml>,
    idx: web::Data<TenantIndex>,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, SignInFailure> {
    let mut seen = LogoutSeen {
        step: LogoutStep::IdpRequest,
        connection: None,
        user_id: None,
        failure: None,
    };
    let result = slo_inner(&req, &saml, &idx, &session, &body, &mut seen).await;
    if let Some(observer) = saml.inner.observer.clone() {
        let failure = match (&result, &seen.failure) {
            (Err(f), _) | (Ok(_), Some(f)) => Some(f),
            (Ok(_), None) => None,
        };
        if let Some(f) = failure {
            let report = seen.report(&saml, tenant(&saml, &idx), f);
            observer.logout_failed(&report).await;
        }
    }
    result
}

async fn slo_inner(
    req: &HttpRequest,
    saml: &Saml,
    idx: &TenantIndex,
    session: &Session,
    body: &[u8],
    seen: &mut LogoutSeen,
) -> Result<HttpResponse, SignInFailure> {
    let t = tenant(saml, idx)
        .ok_or_else(|| SignInFailure::log(SignInError::TenantUnavailable, "slo", None))?;
    let label = t.label().to_owned();
    let fail = |e: SignInError| SignInFailure::log(e, "slo", Some(&label));
    let now = saml.now();
    let received = Received::read(req, body).map_err(|e| fail(SignInError::MalformedRequest(e)))?;
    let is_response = received.is_response();
    if is_response {
        seen.step = LogoutStep::IdpAnswer;
    } else if let Some(u) = SignedIn::from_session(session, now) {
        // Until the message verifies: the browser's own session.
        seen.connection = Some((u.idp_slug().to_owned(), Attribution::Session));
    }
    let sp = t.sp().ok_or_else(|| fail(SignInError::TenantUnavailable))?;
    let permit = saml
        .inner
        .verifications
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            fail(SignInError::Busy {
                limit: saml.inner.max_verifications,
            })
        })?;
    let requests = saml.inner.requests.clone();
    let replay = saml.inner.replay.clone();
    let sp_for_block = sp.clone();
    let (received_logout, pending_idp) = web::block(move || {
        let _permit = permit;
        // An answer names our pending LogoutRequest by its RelayState:
        // peeked before it is taken, to attribute a refused answer.
        let pending_idp = if received.is_response() {
            received
                .relay_state()
                .as_deref()
                .and_then(samlsp::RelayStateToken::parse)
                .and_then(|token| requests.peek(&token, now).ok().flatten())
                .map(|p| p.idp().to_string())
        } else {
            None
        };
        let verified = sp_for_block.receive_logout(
            received.message(),
            now,
            requests.as_ref(),
            replay.as_ref(),
        );
        (verified, pending_idp)
    })
    .await
    .map_err(|_| fail(SignInError::VerificationAborted))?;
    if let Some(idp) = &pending_idp {
        seen.attribute(t, idp, Attribution::PendingRequest);
    }

    let verified = match received_logout {
        Ok(v) => v,
        // Our own sign-out already ended the local session: the person is
        // told the IdP part failed, the log says why.
        Err(e) if is_response => {
            seen.failure = Some(fail(e.into()));
            return Ok(signed_out(saml, LogoutOutcome::IdpFailed));
        }
        Err(e) => return Err(fail(e.into())),
    };
    match verified {
        ReceivedLogout::Response(r) => {
            seen.attribute(t, r.issuer().as_str(), Attribution::Verified);
            let outcome = match r.status() {
                LogoutStatus::Success => LogoutOutcome::Idp,
                LogoutStatus::PartialLogout => LogoutOutcome::IdpPartial,
                LogoutStatus::Failed { code, second_level } => {
                    tracing::warn!(tenant = %label, idp = %r.issuer(), code = ?code, second_level = ?second_level, "the IdP refused our LogoutRequest");
                    let status = match second_level {
                        Some(s) => format!("{code} / {s}"),
                        None => code.to_string(),
                    };
                    seen.failure = Some(fail(SignInError::LogoutRefused { status }));
                    LogoutOutcome::IdpFailed
                }
            };
            tracing::info!(tenant = %label, idp = %r.issuer(), outcome = outcome.as_str(), "LogoutResponse received");
            Ok(signed_out(saml, outcome))
        }
        ReceivedLogout::Request(request) => {
            seen.attribute(t, request.issuer().as_str(), Attribution::Verified);
            let reply = match request.end_sessions(saml.inner.sessions.as_ref(), now) {
                Ok(ended) => {
                    let until = now + saml.inner.max_session;
                    let current =
                        SignedIn::from_session(session, now).and_then(|u| u.local_session_id());
                    let mut failed = None;
                    for sid in &ended {
                        if let Err(e) = saml.inner.sessions.revoke(sid, until, now) {
                            tracing::error!(tenant = %label, reason = %e, "could not mark a session ended");
                            failed = Some(e);
                        }
                        if current.as_ref() == Some(sid) {
                            session.purge();
                        }
                    }
                    tracing::info!(tenant = %label, idp = %request.issuer(), sessions = ended.len(), "IdP-initiated logout: sessions ended");
                    match failed {
                        Some(e) => {
                            seen.failure = Some(fail(Error::from(e).into()));
                            LogoutReply::Failed
                        }
                        None => LogoutReply::Success,
                    }
                }
                Err(Error::Logout(LogoutError::UnknownPrincipal)) => {
                    seen.failure = Some(fail(Error::from(LogoutError::UnknownPrincipal).into()));
                    LogoutReply::UnknownPrincipal
                }
                Err(e) => {
                    seen.failure = Some(fail(e.into()));
                    LogoutReply::Failed
                }
            };
            match sp.logout_response(&request, reply, now, saml.inner.rng.as_ref()) {
                Ok(message) => Ok(send_answer(message)),
                // An IdP that publishes no SingleLogoutService expects no
                // answer (a back-channel notice): the sessions are ended
                // all the same; say so to whoever is there.
                Err(Error::Logout(LogoutError::NoIdpEndpoint)) => Ok(crate::html::page(
                    actix_web::http::StatusCode::OK,
                    "Signed out",
                    "<p>Your identity provider ended your session; you are signed out \
                     here too.</p>\n<p><a href=\"/\">Back to the start page</a></p>",
                )),
                Err(e) => Err(fail(e.into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_nothing_else_parses() {
        for o in [
            LogoutOutcome::Local,
            LogoutOutcome::Idp,
            LogoutOutcome::IdpPartial,
            LogoutOutcome::IdpFailed,
        ] {
            assert_eq!(LogoutOutcome::parse(o.as_str()), Some(o));
        }
        for bad in ["", "IDP", "idp ", "<script>"] {
            assert_eq!(LogoutOutcome::parse(bad), None, "{bad:?}");
        }
    }
}
