//! The observer hears of failed Single Logout steps: each with its step,
//! code and remediation, attributed on the evidence there is (a verified
//! message, our pending LogoutRequest, the browser's own session), and a
//! refused message from nowhere attributed to no connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[macro_use]
mod slo_support;

use common::*;
use samlsp_actix::{
    Attribution, FailedLogout, FailedSignIn, LogoutStep, ObserveFuture, SignInObserver,
    SucceededSignIn,
};
use slo_support::*;

#[derive(Default)]
struct Recorder(Mutex<Vec<FailedLogout>>);

impl SignInObserver for Recorder {
    fn failed<'a>(&'a self, _: &'a FailedSignIn) -> ObserveFuture<'a> {
        Box::pin(async {})
    }
    fn succeeded<'a>(&'a self, _: &'a SucceededSignIn) -> ObserveFuture<'a> {
        Box::pin(async {})
    }
    fn logout_failed<'a>(&'a self, f: &'a FailedLogout) -> ObserveFuture<'a> {
        Box::pin(async move { self.0.lock().unwrap().push(f.clone()) })
    }
}

impl Recorder {
    fn take(&self) -> Vec<FailedLogout> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[actix_web::test]
async fn a_verified_logout_request_for_nobody_is_reported_against_its_idp() {
    let _log = LogCapture::default();
    let _g = _log.install();
    let rec = Arc::new(Recorder::default());
    let saml = saml_observed(clock(), Some(rec.clone()), None);
    let app = app!(saml);
    let res = post_form(
        &app,
        "/saml/slo",
        idp_logout_body("mallory@acme.test", None),
        None,
    )
    .await;
    assert!(answered_status(res).await.contains("UnknownPrincipal"));
    let [f] = rec.take().try_into().unwrap();
    assert_eq!(f.step(), LogoutStep::IdpRequest);
    assert_eq!(f.code(), "logout_unknown_principal");
    assert_eq!(f.connection(), Some(("acme", Attribution::Verified)));
    assert_eq!(f.user_id(), None);
    assert!(f.remediation().len() > 20, "{}", f.remediation());
}

#[actix_web::test]
async fn a_refused_logout_request_names_the_browsers_session_or_nothing() {
    let _log = LogCapture::default();
    let _g = _log.install();
    let rec = Arc::new(Recorder::default());
    let saml = saml_observed(clock(), Some(rec.clone()), None);
    let app = app!(saml);
    let bob = sign_in(&app, &TestIdp::acme(), "acme", "bob@acme.test", "_b1").await;
    // A real request, its signature broken: refused before anything else.
    let body = idp_logout_body("bob@acme.test", None).replacen("SAMLRequest=P", "SAMLRequest=Q", 1);

    let res = post_form(&app, "/saml/slo", body.clone(), Some(&bob)).await;
    assert_eq!(res.status(), 400);
    let [f] = rec.take().try_into().unwrap();
    assert_eq!(f.step(), LogoutStep::IdpRequest);
    assert_eq!(
        f.connection(),
        Some(("acme", Attribution::Session)),
        "the signed-in browser's own connection, unverified"
    );
    assert!(signed_in(&app, &bob).await, "nothing ended");

    // Server to server, no cookie: nobody's.
    let res = post_form(&app, "/saml/slo", body, None).await;
    assert_eq!(res.status(), 400);
    let [f] = rec.take().try_into().unwrap();
    assert_eq!(f.connection(), None);
}

/// Our LogoutRequest, as Acme receives it, after `cookie` signs out.
async fn our_logout_request<S>(app: &S, cookie: &str) -> samlsp::VerifiedLogoutRequest
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let res = post_form(app, "/logout", String::new(), Some(cookie)).await;
    let refresh = res
        .headers()
        .get(actix_web::http::header::REFRESH)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let query = refresh.split_once('?').unwrap().1.to_owned();
    let samlsp::ReceivedLogout::Request(request) = acme_side()
        .receive_logout(
            samlsp::SloMessage::Redirect { query: &query },
            Utc::now(),
            &samlsp::MemoryRequestStore::default(),
            &samlsp::MemoryReplayCache::default(),
        )
        .unwrap()
    else {
        panic!("not a LogoutRequest")
    };
    request
}

fn answer_path(request: &samlsp::VerifiedLogoutRequest, reply: samlsp::LogoutReply) -> String {
    let OutboundMessage::Redirect { url } = acme_side()
        .logout_response(request, reply, Utc::now(), &OsRandom)
        .unwrap()
    else {
        panic!("answered by Redirect")
    };
    format!("/saml/slo?{}", url.split_once('?').unwrap().1)
}

#[actix_web::test]
async fn the_idps_refusal_and_a_refused_answer_are_reported() {
    let _log = LogCapture::default();
    let _g = _log.install();
    let rec = Arc::new(Recorder::default());
    let saml = saml_observed(clock(), Some(rec.clone()), None);
    let app = app!(saml);

    // The IdP answers with an error status: verified, its words kept.
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    let request = our_logout_request(&app, &alice).await;
    let res = get(
        &app,
        &answer_path(&request, samlsp::LogoutReply::Failed),
        None,
    )
    .await;
    assert_eq!(location(&res), "/?logout=idp_failed");
    let [f] = rec.take().try_into().unwrap();
    assert_eq!(f.step(), LogoutStep::IdpAnswer);
    assert_eq!(f.code(), "logout_refused");
    assert_eq!(f.connection(), Some(("acme", Attribution::Verified)));
    assert!(f.reason().contains("Responder"), "{}", f.reason());
    assert!(
        f.remediation().contains("signed out here"),
        "{}",
        f.remediation()
    );

    // An answer whose signature is broken: refused, attributed by our
    // pending request (its RelayState), not by what it claims.
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a2").await;
    let request = our_logout_request(&app, &alice).await;
    let path = answer_path(&request, samlsp::LogoutReply::Success);
    let tampered = path.replacen("Signature=", "Signature=AA", 1);
    let res = get(&app, &tampered, None).await;
    assert_eq!(location(&res), "/?logout=idp_failed");
    let [f] = rec.take().try_into().unwrap();
    assert_eq!(f.step(), LogoutStep::IdpAnswer);
    assert!(f.code().starts_with("binding_"), "{}", f.code());
    assert_eq!(f.connection(), Some(("acme", Attribution::PendingRequest)));
}

/// Keeps AuthnRequests; refuses to keep LogoutRequests, as a shared store
/// that went down between sign-in and sign-out would.
#[derive(Default)]
struct NoLogouts(samlsp::MemoryRequestStore);

impl samlsp::RequestStore for NoLogouts {
    fn insert(
        &self,
        request: samlsp::PendingRequest,
        now: DateTime<Utc>,
    ) -> Result<(), samlsp::TrackingError> {
        if request.kind() == samlsp::RequestKind::Logout {
            return Err(samlsp::TrackingError::Unavailable {
                reason: "down".into(),
            });
        }
        self.0.insert(request, now)
    }
    fn peek(
        &self,
        rs: &samlsp::RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<samlsp::PendingRequest>, samlsp::TrackingError> {
        self.0.peek(rs, now)
    }
    fn take(
        &self,
        rs: &samlsp::RelayStateToken,
        now: DateTime<Utc>,
    ) -> Result<Option<samlsp::PendingRequest>, samlsp::TrackingError> {
        self.0.take(rs, now)
    }
}

#[actix_web::test]
async fn a_logout_that_cannot_start_is_reported_with_the_user() {
    let _log = LogCapture::default();
    let _g = _log.install();
    let rec = Arc::new(Recorder::default());
    let saml = saml_observed(
        clock(),
        Some(rec.clone()),
        Some(Arc::new(NoLogouts::default())),
    );
    let app = app!(saml);
    let alice = sign_in(&app, &TestIdp::acme(), "acme", "alice@acme.test", "_a1").await;
    let res = post_form(&app, "/logout", String::new(), Some(&alice)).await;
    assert_eq!(
        location(&res),
        "/?logout=local",
        "signed out here all the same"
    );
    assert!(!signed_in(&app, &alice).await);
    // Reported on the runtime just after the answer: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let f = loop {
        if let Some(f) = rec.take().pop() {
            break f;
        }
        assert!(std::time::Instant::now() < deadline, "never reported");
        actix_web::rt::task::yield_now().await;
    };
    assert_eq!(f.step(), LogoutStep::Start);
    assert_eq!(f.code(), "tracking_unavailable");
    assert_eq!(f.user_id(), Some("u:alice@acme.test"));
    assert_eq!(f.connection(), Some(("acme", Attribution::Verified)));
}
