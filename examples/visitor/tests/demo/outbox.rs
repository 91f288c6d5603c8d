//! Notifications: the outbox worker on a stepped clock with a notifier
//! that fails on demand, and a restart in the middle. Invitations are in
//! [`super::invitations`], with the same stepped clock and notifier.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SubsecRound, TimeDelta};
use samlsp_actix::Clock;
use samlsp_visitor::notify::{Backoff, Email, Notifier, NotifyError, RunReport, Worker};
use samlsp_visitor::store::Store;

use super::reception::{acme_desk, open_kiosk};
use super::*;

/// A clock the test moves.
#[derive(Clone)]
pub(super) struct StepClock(Arc<Mutex<DateTime<Utc>>>);

impl StepClock {
    pub(super) fn new() -> Self {
        // Whole seconds, as the database keeps times.
        StepClock(Arc::new(Mutex::new(Utc::now().trunc_subsecs(0))))
    }
    pub(super) fn clock(&self) -> Clock {
        let c = self.0.clone();
        Arc::new(move || *c.lock().unwrap())
    }
    pub(super) fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += TimeDelta::seconds(secs);
    }
}

/// Records what it sends; fails while `down`, rejects for good while
/// `reject`.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    pub(super) sent: Mutex<Vec<Email>>,
    pub(super) down: AtomicBool,
    pub(super) reject: AtomicBool,
}

impl Notifier for Outbox {
    fn send(&self, m: &Email) -> Result<(), NotifyError> {
        if self.reject.load(Ordering::SeqCst) {
            return Err(NotifyError::Rejected("550 no such mailbox".into()));
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(NotifyError::Transport("connection refused".into()));
        }
        self.sent.lock().unwrap().push(m.clone());
        Ok(())
    }
}

pub(super) fn report(sent: usize, retried: usize, given_up: usize) -> RunReport {
    RunReport {
        sent,
        retried,
        given_up,
    }
}

#[actix_web::test]
async fn a_failing_mail_server_delays_the_message_but_never_the_check_in() {
    let clock = StepClock::new();
    let (state, app) = demo!(AppState::build(config(), Some(clock.clock())).unwrap());
    let desk = acme_desk(&app, &state).await;
    let (kiosk, csrf) = open_kiosk(&app, &desk.token, "bob").await;
    let mail = Arc::new(Outbox::default());
    mail.down.store(true, Ordering::SeqCst);
    let worker = Worker::new(state.store.clone(), mail.clone(), clock.clock())
        .with_metrics(state.metrics.clone());

    let bob = user_by_email(&state, "bob@acme.test").id;
    let form = format!(
        "csrf_token={csrf}&name=Eve+Walker&email=e%40v.test&company=Evil+%3CCorp%3E&host_id={bob}"
    );
    let res = post_form(&app, "/kiosk/check-in", form, Some(&kiosk)).await;
    assert_eq!(res.status(), 200, "checked in while mail is down");

    assert_eq!(worker.run_once().await.unwrap(), report(0, 1, 0));
    // Not due again before the backoff's 30 s.
    clock.advance(29);
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0));
    let page = body_of(get(&app, "/visits", Some(&desk.admin)).await).await;
    assert!(page.contains("notifying the host"), "{page}");

    mail.down.store(false, Ordering::SeqCst);
    clock.advance(1);
    assert_eq!(worker.run_once().await.unwrap(), report(1, 0, 0));
    let sent = mail.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.to, "bob@acme.test");
    assert_eq!(m.subject, "Your visitor Eve Walker has arrived at Acme HQ");
    assert!(
        m.text
            .contains("Eve Walker (Evil <Corp>) checked in at Acme HQ"),
        "{}",
        m.text
    );
    assert!(m.html.contains("Evil &lt;Corp&gt;"), "{}", m.html);
    // Sent once: the next pass has nothing to do.
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0));
    let metrics = state.metrics.render();
    for line in [
        "visitor_operations_total{kind=\"mail_delivery\",outcome=\"failed\"} 1",
        "visitor_operations_total{kind=\"mail_delivery\",outcome=\"ok\"} 1",
        "visitor_operations_total{kind=\"kiosk_check_in\",outcome=\"ok\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    let at = clock.clock()().format("%H:%M").to_string();
    let page = body_of(get(&app, "/visits", Some(&desk.admin)).await).await;
    assert!(
        page.contains(&format!("host notified at {at} UTC")),
        "{page}"
    );
}

#[actix_web::test]
async fn the_last_attempt_gives_up_and_says_so() {
    let clock = StepClock::new();
    let (state, app) = demo!(AppState::build(config(), Some(clock.clock())).unwrap());
    let desk = acme_desk(&app, &state).await;
    let (kiosk, csrf) = open_kiosk(&app, &desk.token, "bob").await;
    let mail = Arc::new(Outbox::default());
    mail.down.store(true, Ordering::SeqCst);
    let worker =
        Worker::new(state.store.clone(), mail.clone(), clock.clock()).with_backoff(Backoff {
            first: std::time::Duration::from_secs(10),
            max: std::time::Duration::from_secs(10),
            attempts: 2,
        });
    let bob = user_by_email(&state, "bob@acme.test").id;
    let form = format!("csrf_token={csrf}&name=Eve&email=e%40v.test&company=&host_id={bob}");
    assert_eq!(
        post_form(&app, "/kiosk/check-in", form, Some(&kiosk))
            .await
            .status(),
        200
    );
    assert_eq!(worker.run_once().await.unwrap(), report(0, 1, 0));
    clock.advance(10);
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 1));
    clock.advance(3600);
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 0));
    let page = body_of(get(&app, "/visits", Some(&desk.admin)).await).await;
    assert!(page.contains("host notification failed"), "{page}");
    // A message the server rejects for good (5xx) is given up at once.
    mail.reject.store(true, Ordering::SeqCst);
    let form = format!("csrf_token={csrf}&name=Rex&email=r%40v.test&company=&host_id={bob}");
    assert_eq!(
        post_form(&app, "/kiosk/check-in", form, Some(&kiosk))
            .await
            .status(),
        200
    );
    assert_eq!(worker.run_once().await.unwrap(), report(0, 0, 1));
}

#[actix_web::test]
async fn queued_and_retried_messages_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("visitor-outbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("v.sqlite3");
    let mut cfg = config();
    cfg.server.database = path.clone();
    let clock = StepClock::new();
    {
        let (state, app) = demo!(AppState::build(cfg.clone(), Some(clock.clock())).unwrap());
        let desk = acme_desk(&app, &state).await;
        let (kiosk, csrf) = open_kiosk(&app, &desk.token, "bob").await;
        let bob = user_by_email(&state, "bob@acme.test").id;
        for name in ["First", "Second"] {
            let form =
                format!("csrf_token={csrf}&name={name}&email=v%40v.test&company=&host_id={bob}");
            assert_eq!(
                post_form(&app, "/kiosk/check-in", form, Some(&kiosk))
                    .await
                    .status(),
                200
            );
        }
        let down = Arc::new(Outbox::default());
        down.down.store(true, Ordering::SeqCst);
        let w = Worker::new(state.store.clone(), down, clock.clock());
        assert_eq!(w.run_once().await.unwrap(), report(0, 2, 0));
    }
    // A new process: the same database, a working server, the retry time reached.
    let store = Store::connect(&cfg.server).unwrap();
    let mail = Arc::new(Outbox::default());
    let worker = Worker::new(store, mail.clone(), clock.clock());
    assert_eq!(
        worker.run_once().await.unwrap(),
        report(0, 0, 0),
        "not before the backoff"
    );
    clock.advance(30);
    assert_eq!(worker.run_once().await.unwrap(), report(2, 0, 0));
    let subjects: Vec<String> = mail
        .sent
        .lock()
        .unwrap()
        .iter()
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(
        subjects,
        [
            "Your visitor First has arrived at Acme HQ",
            "Your visitor Second has arrived at Acme HQ"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
