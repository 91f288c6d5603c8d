//! The SAML routes: SP metadata, login (AuthnRequest out), ACS (response in).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use samlsp::internal::binding::{FormError, form_params};
use samlsp::{OutboundMessage, PostForm};

use crate::diagnosis::RemediationContext;
use crate::error::{SignInError, SignInFailure};
use crate::observe::{Attribution, FailedSignIn, Seen, SucceededSignIn};
use crate::return_to::ReturnTo;
use crate::saml::{Saml, TenantState};
use crate::tested::{TEST_MARK, TestedLogin};
use crate::user::{LinkedUser, MapError, SignedIn, Stored, VerifiedLogin};

/// Which tenant a resource serves (resource-level app data).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TenantIndex(pub(crate) usize);

/// Largest ACS POST body: the core's 1 MiB XML limit, base64-encoded
/// (4/3) and form-encoded (`+`, `/`, `=` become 3 bytes each in the worst
/// case), plus the RelayState.
const MAX_ACS_BODY: usize = 4 * 1024 * 1024;

/// Mounts, for every tenant (`/saml` for the default one, `/t/<slug>/saml`
/// for the others):
///
/// - `GET  …/metadata`: this SP's metadata;
/// - `GET  …/login?idp=<slug>&return_to=<path>`: sends an AuthnRequest
///   (HTTP-Redirect or HTTP-POST, per IdP) and tracks it server-side under
///   its RelayState token;
/// - `POST …/acs`: verifies the response, consumes the request and the
///   assertion ID, maps the user, renews the session, registers it
///   ([`samlsp::SessionRegistry`]), redirects;
/// - `GET|POST …/slo`: Single Logout, both directions (see
///   [`crate::start_logout`]).
///
/// Use it the same way in `main` and in tests:
/// `App::new().wrap(session).configure(samlsp_actix::configure(saml.clone()))`.
pub fn configure(saml: Saml) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let paths: Vec<String> = saml
            .inner
            .tenants
            .iter()
            .map(|t| t.config.base_path())
            .collect();
        cfg.app_data(web::Data::new(saml));
        for (i, base) in paths.into_iter().enumerate() {
            let idx = web::Data::new(TenantIndex(i));
            cfg.service(
                web::resource(format!("{base}/metadata"))
                    .app_data(idx.clone())
                    .route(web::get().to(metadata)),
            );
            cfg.service(
                web::resource(format!("{base}/login"))
                    .app_data(idx.clone())
                    .route(web::get().to(login)),
            );
            cfg.service(
                web::resource(format!("{base}/slo"))
                    .app_data(idx.clone())
                    .app_data(web::PayloadConfig::new(MAX_ACS_BODY))
                    .route(web::get().to(crate::logout::slo))
                    .route(web::post().to(crate::logout::slo)),
            );
            cfg.service(
                web::resource(format!("{base}/acs"))
                    .app_data(idx)
                    .app_data(web::PayloadConfig::new(MAX_ACS_BODY))
                    .route(web::post().to(acs)),
            );
        }
    }
}

pub(crate) fn tenant<'a>(saml: &'a Saml, idx: &TenantIndex) -> Option<&'a TenantState> {
    saml.inner.tenants.get(idx.0)
}

async fn metadata(saml: web::Data<Saml>, idx: web::Data<TenantIndex>) -> HttpResponse {
    let Some(t) = tenant(&saml, &idx) else {
        return HttpResponse::NotFound().finish();
    };
    match t.metadata_xml() {
        Ok(xml) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "application/samlmetadata+xml"))
            .insert_header((header::CACHE_CONTROL, "max-age=300"))
            .body(xml),
        Err(e) => {
            tracing::error!(tenant = t.label(), reason = %e, "SP metadata could not be written");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Query parameters, decoded; a repeated parameter is an error.
pub(crate) fn query_params(q: &str) -> Result<Vec<(String, String)>, &'static str> {
    form_params(q).map_err(FormError::as_str)
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn login(
    req: HttpRequest,
    saml: web::Data<Saml>,
    idx: web::Data<TenantIndex>,
) -> Result<HttpResponse, SignInFailure> {
    let mut seen = Seen::default();
    let result = login_inner(&req, &saml, &idx, &mut seen).await;
    observe(&saml, &idx, "login", seen, result).await
}

async fn login_inner(
    req: &HttpRequest,
    saml: &Saml,
    idx: &TenantIndex,
    seen: &mut Seen,
) -> Result<HttpResponse, SignInFailure> {
    let t = tenant(saml, idx)
        .ok_or_else(|| SignInFailure::log(SignInError::TenantUnavailable, "login", None))?;
    let fail = |e: SignInError| SignInFailure::log(e, "login", Some(t.label()));
    let params =
        query_params(req.query_string()).map_err(|e| fail(SignInError::MalformedRequest(e)))?;
    let idp_state = match param(&params, "idp") {
        Some(slug) => t.idp_by_slug(slug).ok_or_else(|| {
            fail(SignInError::UnknownIdp {
                slug: slug.chars().take(64).collect(),
            })
        })?,
        None => match t.idps().as_slice() {
            [only] => only.clone(),
            _ => return Err(fail(SignInError::IdpNotChosen)),
        },
    };
    let slug = idp_state.config.slug.clone();
    seen.attribute(&slug, Attribution::LoginLink);
    let test = param(&params, "test") == Some("1");
    if idp_state.config.options.test_only && !test {
        return Err(fail(SignInError::ConnectionNotEnabled { slug }));
    }
    let idp = crate::saml::read(&idp_state.current)
        .ok_or_else(|| fail(SignInError::IdpUnavailable { slug: slug.clone() }))?;
    let sp = t.sp().ok_or_else(|| fail(SignInError::TenantUnavailable))?;
    let return_to = ReturnTo::parse_or(param(&params, "return_to"), &saml.inner.default_return);

    let now = saml.now();
    let (binding, cookie_value) = crate::binding::new_secret(saml.inner.rng.as_ref())
        .map_err(|e| fail(samlsp::Error::from(e).into()))?;
    let prepared = sp
        .authn_request(idp.entity_id())
        .map_err(|e| fail(e.into()))?
        .force_authn(idp_state.config.options.force_authn)
        .app_state(&if test {
            format!("{TEST_MARK}{}", return_to.as_str())
        } else {
            return_to.as_str().to_owned()
        })
        .build(now, saml.inner.rng.as_ref())
        .map_err(|e| fail(e.into()))?;
    let (pending, message) = prepared.into_parts();
    let pending = pending.bind_to_browser(binding);
    let request_id = pending.id().to_string();
    let cookie = crate::binding::cookie(
        pending.relay_state().as_str(),
        cookie_value,
        (pending.expires_at() - now).num_seconds(),
    );
    // On the blocking pool: a shared store (Redis) waits on the network,
    // up to its timeout when unreachable, and must not hold a worker.
    let requests = saml.inner.requests.clone();
    web::block(move || requests.insert(pending, now))
        .await
        .map_err(|_| fail(SignInError::VerificationAborted))?
        .map_err(|e| fail(samlsp::Error::from(e).into()))?;
    tracing::info!(
        tenant = t.label(),
        idp = %slug,
        request_id = %request_id,
        "AuthnRequest sent"
    );
    let mut res = match message {
        OutboundMessage::Redirect { url } => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
        OutboundMessage::Post(form) => post_form_response(&form),
    };
    res.add_cookie(&cookie)
        .map_err(|_| fail(SignInError::Session("binding cookie not encodable".into())))?;
    Ok(res)
}

/// The auto-submitting form, with a CSP that allows exactly its script and
/// a form post to the IdP's origin; no page may frame it.
pub(crate) fn post_form_response(form: &PostForm) -> HttpResponse {
    post_form_framed_by(form, "'none'")
}

/// [`post_form_response`], which the pages of `frame_ancestors` (a CSP
/// source list) may show in a frame.
pub(crate) fn post_form_framed_by(form: &PostForm, frame_ancestors: &str) -> HttpResponse {
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {}; frame-ancestors {}; \
         base-uri 'none'",
        PostForm::SCRIPT_CSP_HASH,
        origin(form.action()).unwrap_or("'none'"),
        frame_ancestors
    );
    let mut res = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(form.to_html());
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// `scheme://host[:port]` of an http(s) URL (the core's `Url` type already
/// refused quotes, spaces and control characters in metadata locations).
pub(crate) fn origin(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url
        .get(rest_at..)?
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| rest_at + i);
    url.get(..end)
}

/// The ACS form: `SAMLResponse` and optional `RelayState`, each at most once
/// (SAML Bindings §3.5.4).
fn acs_form(body: &[u8]) -> Result<(String, Option<String>), &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8")?;
    let params = query_params(text)?;
    let response = param(&params, "SAMLResponse")
        .ok_or("no SAMLResponse")?
        .to_owned();
    let relay_state = param(&params, "RelayState").map(str::to_owned);
    Ok((response, relay_state))
}

async fn acs(
    req: HttpRequest,
    saml: web::Data<Saml>,
    idx: web::Data<TenantIndex>,
    session: Session,
    body: web::Bytes,
) -> Result<HttpResponse, SignInFailure> {
    let mut seen = Seen::default();
    let result = acs_inner(&req, &saml, &idx, &session, &body, &mut seen).await;
    observe(&saml, &idx, "acs", seen, result).await
}

async fn acs_inner(
    req: &HttpRequest,
    saml: &Saml,
    idx: &TenantIndex,
    session: &Session,
    body: &[u8],
    seen: &mut Seen,
) -> Result<HttpResponse, SignInFailure> {
    let t = tenant(saml, idx)
        .ok_or_else(|| SignInFailure::log(SignInError::TenantUnavailable, "acs", None))?;
    let fail = |e: SignInError| SignInFailure::log(e, "acs", Some(t.label()));
    let (saml_response, relay_state) =
        acs_form(body).map_err(|e| fail(SignInError::MalformedRequest(e)))?;
    let sp = t.sp().ok_or_else(|| fail(SignInError::TenantUnavailable))?;
    let now = saml.now();

    // The pending request must have been started by this browser. Checked
    // on a peek, before the take-once: a post from another browser must not
    // use up the real user's request. Without a pending request (unknown or
    // absent RelayState) the core treats the response as unsolicited.
    let mut bound_relay_state = None;
    if let Some(token) = relay_state
        .as_deref()
        .and_then(samlsp::RelayStateToken::parse)
    {
        let rs = token.as_str();
        // On the blocking pool, as the insert at /saml/login.
        let requests = saml.inner.requests.clone();
        let peek_token = token.clone();
        let pending = web::block(move || requests.peek(&peek_token, now))
            .await
            .map_err(|_| fail(SignInError::VerificationAborted))?
            .map_err(|e| fail(samlsp::Error::from(e).into()))?;
        if let Some(p) = pending {
            if let Some(i) = t.idp_by_entity_id(p.idp().as_str()) {
                seen.attribute(&i.config.slug, Attribution::PendingRequest);
            }
            crate::binding::check(req, rs, p.browser_binding())
                .map_err(|c| fail(SignInError::OtherBrowser(c)))?;
            bound_relay_state = Some(rs.to_owned());
        }
    }

    // Verification is the costly step, and attacker-driven: it runs on the
    // blocking pool so the workers keep answering, with a bounded number in
    // flight; over the bound, 503 at once (the request is still pending).
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
    // SAML Profiles §4.1.4.3-5: take the pending request by RelayState
    // (once), verify every rule, record the assertion ID against replay.
    let started = std::time::Instant::now();
    // Only without a better attribution (this browser's pending request).
    let want_claim = seen.connection.is_none();
    let (verified, claimed, rotated) = web::block(move || {
        // Held until verification ends, even if the client has gone.
        let _permit = permit;
        let verified = sp.consume_response(
            &saml_response,
            relay_state.as_deref(),
            now,
            requests.as_ref(),
            replay.as_ref(),
        );
        // A refusal names the IdP the response claims (for the failure's
        // attribution, unverified). Signed by a key we do not trust: the
        // IdP may have rotated its key; only the IdP the response names is
        // fetched, and only on its backoff schedule (anyone can post
        // this). Read here, off the worker thread: it parses the response
        // again.
        let rotated = matches!(
            &verified,
            Err(samlsp::Error::Signature(
                samlsp::DsigError::UntrustedKey | samlsp::DsigError::NoKeyForAlgorithm,
            ))
        );
        let claimed = match &verified {
            Err(_) if want_claim || rotated => sp
                .unverified_issuer(&saml_response)
                .map(|idp| idp.entity_id().to_string()),
            _ => None,
        };
        (verified, claimed, rotated)
    })
    .await
    .map_err(|_| fail(SignInError::VerificationAborted))?;
    seen.verification = Some(started.elapsed());
    if let Some(entity_id) = &claimed {
        if let Some(i) = t.idp_by_entity_id(entity_id) {
            seen.attribute(&i.config.slug, Attribution::ClaimedIssuer);
        }
        if rotated {
            saml.request_early_refresh(t, entity_id);
        }
    }
    let login = verified.map_err(|e| fail(e.into()))?;

    let idp_initiated = login.request().is_none();
    let (test, app_state) = match login.request().and_then(|p| p.app_state()) {
        Some(s) => match s.strip_prefix(TEST_MARK) {
            Some(rest) => (true, Some(rest)),
            None => (false, Some(s)),
        },
        None => (false, None),
    };
    let return_to = match login.request() {
        Some(_) => ReturnTo::parse_or(app_state, &saml.inner.default_return),
        // An IdP-initiated RelayState is chosen by whoever built the link.
        None => ReturnTo::parse_or(login.unsolicited_relay_state(), &saml.inner.default_return),
    };
    let assertion = login.into_assertion();
    let idp_state = t
        .idp_by_entity_id(assertion.issuer().as_str())
        .ok_or_else(|| fail(SignInError::IssuerNotInTenant))?;
    seen.attribute(&idp_state.config.slug, Attribution::Verified);
    // An IdP-initiated test (see `IdpOptions::idp_initiated_test_landing`):
    // only into a browser signed in here already, so the report reaches
    // someone the application can check, and lands where it says, never
    // where the response's RelayState says.
    let options = &idp_state.config.options;
    let idp_initiated_test = match (&options.idp_initiated_test_landing, idp_initiated) {
        (Some(landing), true) if options.test_only => SignedIn::from_session(session, now)
            .map(|_| ReturnTo::parse_or(Some(landing), &saml.inner.default_return)),
        _ => None,
    };
    if options.test_only && !test && idp_initiated_test.is_none() {
        return Err(fail(SignInError::ConnectionNotEnabled {
            slug: idp_state.config.slug.clone(),
        }));
    }
    let (test, return_to) = match idp_initiated_test {
        Some(landing) => (true, landing),
        None => (test, return_to),
    };
    if test {
        // A test: the report for the admin, no user mapping, no session.
        TestedLogin::new(
            t.config.slug.clone(),
            idp_state.config.slug.clone(),
            &assertion,
            now,
        )
        .store(session)
        .map_err(|e| fail(SignInError::Session(e)))?;
        tracing::info!(
            tenant = t.label(),
            idp = %idp_state.config.slug,
            idp_initiated,
            "test sign-in verified (no session)"
        );
        let mut res = HttpResponse::build(StatusCode::SEE_OTHER)
            .insert_header((header::LOCATION, return_to.as_str()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish();
        if let Some(rs) = bound_relay_state {
            let _ = res.add_cookie(&crate::binding::removal(&rs));
        }
        return Ok(res);
    }

    let verified = VerifiedLogin {
        assertion,
        tenant: t.config.slug.clone(),
        idp_slug: idp_state.config.slug.clone(),
        idp_name: idp_state.config.display_name.clone(),
        idp_initiated,
    };
    let user: LinkedUser = match saml.inner.mapper.sign_in(&verified).await {
        Ok(u) => u,
        Err(MapError::Refused(r)) => return Err(fail(SignInError::Refused(r))),
        Err(MapError::Internal(e)) => return Err(fail(SignInError::Mapper(e))),
        Err(MapError::Unavailable(e)) => return Err(fail(SignInError::MapperUnavailable(e))),
    };

    let a = verified.assertion();
    let mut expires_at = now + saml.inner.max_session;
    if let Some(limit) = a.session_not_on_or_after() {
        expires_at = expires_at.min(limit);
    }
    // The registry finds this session when the IdP ends its session (an
    // IdP-initiated LogoutRequest), without the browser's cookie.
    let sid = samlsp::LocalSessionId::generate(saml.inner.rng.as_ref())
        .map_err(|e| fail(samlsp::Error::from(e).into()))?;
    saml.inner
        .sessions
        .register(
            &samlsp::SessionSubject::of(a),
            a.session_index(),
            &sid,
            expires_at,
            now,
        )
        .map_err(|e| fail(samlsp::Error::from(e).into()))?;
    let signed_in = SignedIn::new(Stored {
        user_id: user.user_id,
        display_name: user.display_name,
        idp: a.issuer().to_string(),
        idp_slug: verified.idp_slug.clone(),
        tenant: verified.tenant.clone(),
        name_id: a.name_id().value().to_owned(),
        name_id_format: a.name_id().format().map(str::to_owned),
        name_qualifier: a.name_id().name_qualifier().map(str::to_owned),
        sp_name_qualifier: a.name_id().sp_name_qualifier().map(str::to_owned),
        session_index: a.session_index().map(str::to_owned),
        sid: sid.as_str().to_owned(),
        authenticated_at: a.authn_instant().timestamp(),
        signed_in_at: now.timestamp(),
        expires_at: expires_at.timestamp(),
    });
    signed_in
        .start(session)
        .map_err(|e| fail(SignInError::Session(e)))?;
    seen.success = Some((signed_in.user_id().to_owned(), idp_initiated));
    tracing::info!(
        tenant = t.label(),
        idp = %verified.idp_slug,
        user_id = %signed_in.user_id(),
        idp_initiated,
        "signed in"
    );
    let mut res = HttpResponse::build(StatusCode::SEE_OTHER)
        .insert_header((header::LOCATION, return_to.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    if let Some(rs) = bound_relay_state {
        // Answered: the binding cookie has done its job. (A failure to
        // encode the removal only leaves it to expire.)
        let _ = res.add_cookie(&crate::binding::removal(&rs));
    }
    Ok(res)
}

/// Tells the observer (if any) how the route ended, then hands the result
/// on.
async fn observe(
    saml: &Saml,
    idx: &TenantIndex,
    route: &'static str,
    seen: Seen,
    result: Result<HttpResponse, SignInFailure>,
) -> Result<HttpResponse, SignInFailure> {
    let Some(observer) = saml.inner.observer.clone() else {
        return result;
    };
    let t = tenant(saml, idx);
    let tenant_slug = t.and_then(|t| t.config.slug.clone());
    let at = saml.now();
    match &result {
        Ok(_) => {
            if let (Some((user_id, idp_initiated)), Some((connection, _))) =
                (seen.success, seen.connection)
            {
                let success = SucceededSignIn {
                    at,
                    tenant: tenant_slug,
                    connection,
                    user_id,
                    idp_initiated,
                    verification: seen.verification.unwrap_or_default(),
                };
                observer.succeeded(&success).await;
            }
        }
        Err(f) => {
            let e = f.error();
            let ctx = remediation_context(t, seen.connection.as_ref().map(|c| c.0.as_str()));
            let reason = public_reason(e);
            let failure = FailedSignIn {
                at,
                correlation_id: f.correlation_id().to_owned(),
                route,
                tenant: tenant_slug,
                connection: seen.connection,
                code: e.code(),
                reason,
                remediation: e.remediation(&ctx),
                verification: seen.verification,
            };
            observer.failed(&failure).await;
        }
    }
    result
}

/// The failure's message for an application's records: our own faults'
/// texts are for the operator's log only.
pub(crate) fn public_reason(e: &SignInError) -> String {
    match e {
        SignInError::Mapper(_)
        | SignInError::MapperUnavailable(_)
        | SignInError::Session(_)
        | SignInError::VerificationAborted => {
            "an internal fault (the operator's log has it)".to_owned()
        }
        _ => e.to_string(),
    }
}

/// What a remediation may say: the tenant's SP and the connection's IdP.
pub(crate) fn remediation_context(
    t: Option<&TenantState>,
    connection: Option<&str>,
) -> RemediationContext {
    let Some(t) = t else {
        return RemediationContext::default();
    };
    let idp = connection.and_then(|slug| t.idp_by_slug(slug));
    RemediationContext {
        sp_entity_id: t.config.sp.entity_id().to_string(),
        acs_url: t.config.sp.acs_url().to_string(),
        idp_name: idp.as_ref().map(|i| i.config.display_name.clone()),
        idp_entity_id: idp
            .as_ref()
            .and_then(|i| crate::saml::read(&i.current))
            .map(|c| c.entity_id().to_string()),
    }
}

/// The core ignores RelayState values longer than its tokens could be; so
/// does the binding check.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin("http://127.0.0.1:8180/realms/acme/protocol/saml"),
            Some("http://127.0.0.1:8180")
        );
        assert_eq!(
            origin("https://idp.example.com"),
            Some("https://idp.example.com")
        );
        assert_eq!(origin("nonsense"), None);
    }

    #[test]
    fn forms() {
        assert_eq!(
            acs_form(b"SAMLResponse=PD94%2Bbg%3D%3D&RelayState=abc"),
            Ok(("PD94+bg==".to_owned(), Some("abc".to_owned())))
        );
        assert_eq!(acs_form(b"RelayState=abc"), Err("no SAMLResponse"));
        assert_eq!(
            acs_form(b"SAMLResponse=a&SAMLResponse=b"),
            Err("repeated parameter")
        );
        assert_eq!(acs_form(b"SAMLResponse=%zz"), Err("bad percent-encoding"));
    }
}
