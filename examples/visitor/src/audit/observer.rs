//! The app's [`SignInObserver`]: every sign-in outcome is counted, and,
//! when it is attributed to a connection, written to that connection's
//! organization's audit log (the failure trace an admin reads); so is
//! every failed step of Single Logout.

use std::collections::HashMap;
use std::sync::Arc;

use samlsp_actix::{FailedLogout, FailedSignIn, ObserveFuture, SignInObserver, SucceededSignIn};

use super::{Event, record};
use crate::config::Config;
use crate::connections::registry::Registry;
use crate::metrics::Metrics;
use crate::store::{OrgScope, Store};

/// Writes sign-in outcomes to the audit log and the metrics.
#[derive(Debug)]
pub struct AuditObserver {
    store: Store,
    org_of: HashMap<String, String>,
    connections: Registry,
    metrics: Arc<Metrics>,
}

impl AuditObserver {
    /// From the configuration's connections.
    pub fn new(
        config: &Config,
        store: Store,
        metrics: Arc<Metrics>,
        connections: Registry,
    ) -> Self {
        AuditObserver {
            store,
            org_of: config
                .idps
                .iter()
                .map(|i| (i.slug.clone(), i.org.clone()))
                .collect(),
            connections,
            metrics,
        }
    }

    /// The organization of a connection: configured, or added in the
    /// console.
    fn org_of(&self, connection: &str) -> Option<String> {
        self.org_of
            .get(connection)
            .cloned()
            .or_else(|| self.connections.get(connection).map(|e| e.org))
    }

    async fn write(&self, scope: Option<OrgScope>, event: Event) {
        let Some(scope) = scope else { return };
        let done = self.store.scoped(&scope, move |s| record(s, &event)).await;
        self.metrics.audit_write(done.is_ok());
        if let Err(e) = done {
            tracing::warn!(reason = %e, "audit event not written");
        }
    }
}

impl SignInObserver for AuditObserver {
    fn failed<'a>(&'a self, f: &'a FailedSignIn) -> ObserveFuture<'a> {
        Box::pin(async move {
            self.metrics.sign_in(Some(f.code()), f.verification());
            let Some(org) = f.connection().and_then(|(c, _)| self.org_of(c)) else {
                return;
            };
            let scope = self.store.failure_scope(f, &org).await.ok().flatten();
            self.write(scope, Event::sign_in_failed(f)).await;
        })
    }

    fn succeeded<'a>(&'a self, s: &'a SucceededSignIn) -> ObserveFuture<'a> {
        Box::pin(async move {
            self.metrics.sign_in(None, Some(s.verification()));
            let Some(org) = self.org_of(s.connection()) else {
                return;
            };
            let scope = self.store.success_scope(s, &org).await.ok().flatten();
            self.write(scope, Event::signed_in(s)).await;
        })
    }

    fn logout_failed<'a>(&'a self, f: &'a FailedLogout) -> ObserveFuture<'a> {
        Box::pin(async move {
            let Some(org) = f.connection().and_then(|(c, _)| self.org_of(c)) else {
                return;
            };
            let scope = self.store.logout_scope(f, &org).await.ok().flatten();
            self.write(scope, Event::sign_out_failed(f)).await;
        })
    }
}
