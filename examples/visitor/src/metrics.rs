//! Prometheus metrics, served at `GET /metrics` on a separate listener
//! (`server.metrics_bind`, loopback by default; see [`crate::config`]), not
//! on the public site: counts of sign-ins by outcome and error code, the
//! verification latency, store errors and audit writes.
//!
//! Why `prometheus-client`: it is the Prometheus project's own Rust client
//! (maintained with the server's exposition format), it has no global
//! registry (one per app state, so in-process tests do not share counters),
//! and label sets are typed structs. Labels hold only bounded values: the
//! outcome and the stable error code, never a user, connection claim or
//! message value.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render`] (OpenMetrics text, which
/// Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    outcome: &'static str,
    code: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s, doubling: a verification takes a few ms; the
    // upper buckets show a starved blocking pool.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The app's metrics (cheap to share behind an `Arc`).
pub struct Metrics {
    registry: Registry,
    sign_ins: Family<SignInLabels, Counter>,
    verification: Family<OutcomeLabels, Histogram, fn() -> Histogram>,
    audit_events: Family<OutcomeLabels, Counter>,
    operations: Family<OperationLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// A registry with every metric, `store_errors` being the store's own
    /// counter ([`crate::store::Store::error_counter`]).
    pub fn new(store_errors: Counter) -> Self {
        let mut registry = Registry::with_prefix("visitor");
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register(
            "sign_ins",
            "Sign-in attempts by outcome and error code (ok: code \"none\")",
            sign_ins.clone(),
        );
        let verification: Family<OutcomeLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "verification_seconds",
            "Time to verify a SAML response (blocking pool wait included)",
            verification.clone(),
        );
        registry.register(
            "store_errors",
            "Database operations that failed",
            store_errors,
        );
        let audit_events = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "audit_writes",
            "Audit log writes by outcome (ok, failed)",
            audit_events.clone(),
        );
        let operations = Family::<OperationLabels, Counter>::default();
        registry.register(
            "operations",
            "Provisioning and sync operations by kind (scim_user_create, sync_run, ...) and outcome",
            operations.clone(),
        );
        Metrics {
            operations,
            registry,
            sign_ins,
            verification,
            audit_events,
        }
    }

    /// Counts a sign-in; `code` is `None` for a success.
    pub fn sign_in(&self, code: Option<&'static str>, verification: Option<std::time::Duration>) {
        let outcome = if code.is_some() { "failed" } else { "ok" };
        self.sign_ins
            .get_or_create(&SignInLabels {
                outcome,
                code: code.unwrap_or("none"),
            })
            .inc();
        if let Some(d) = verification {
            self.verification
                .get_or_create(&OutcomeLabels { outcome })
                .observe(d.as_secs_f64());
        }
    }

    /// Counts an operation of a feature (SCIM, directory sync, tokens):
    /// `kind` is a fixed `snake_case` name, never a value from a request.
    pub fn operation(&self, kind: &'static str, ok: bool) {
        self.operations
            .get_or_create(&OperationLabels {
                kind,
                outcome: if ok { "ok" } else { "failed" },
            })
            .inc();
    }

    /// Counts an audit write.
    pub fn audit_write(&self, ok: bool) {
        self.audit_events
            .get_or_create(&OutcomeLabels {
                outcome: if ok { "ok" } else { "failed" },
            })
            .inc();
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(reason = %e, "metrics not encoded");
        }
        out
    }
}

/// `GET /metrics` on the internal listener.
pub async fn serve(
    metrics: actix_web::web::Data<std::sync::Arc<Metrics>>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(metrics.render())
}
