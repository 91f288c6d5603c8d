//! `visitor [--config PATH]`: runs the demo app (and each configured
//! directory's sync schedule); `visitor sync <org> [--dry-run]` runs one
//! organization's directory sync now and prints its plan;
//! `visitor scim-token <org>`: makes (lists, revokes) a SCIM bearer token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer};
use clap::{Parser, Subcommand};
use samlsp_actix::HttpFetcher;
use samlsp_visitor::config::Config;
use samlsp_visitor::notify::{Backoff, SmtpNotifier, Worker};
use samlsp_visitor::scim::cli::{TokenAction, run as scim_token};
use samlsp_visitor::{AppState, configure, sessions};

/// How often URL metadata is looked at; each IdP's own cacheDuration
/// decides when it is fetched again.
const REFRESH_EVERY: Duration = Duration::from_secs(15);
/// How long to wait at start for the session store in Redis.
const REDIS_START_WAIT: Duration = Duration::from_secs(15);
/// actix workers: the demo serves a handful of people.
const WORKERS: usize = 2;
/// How often the outbox is looked at for messages due.
const OUTBOX_EVERY: Duration = Duration::from_secs(2);
/// How often console connections due for a refresh from their URL, and
/// notices due to organizations' admins (certificates expiring, refreshes
/// failing), are looked for.
const UPKEEP_EVERY: Duration = Duration::from_secs(600);

/// The visitor-management demo app (SAML sign-in through samlsp-actix).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file.
    #[arg(
        short,
        long,
        env = "VISITOR_CONFIG",
        default_value = "visitor.toml",
        global = true
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Makes a SCIM bearer token for an organization and prints it (once:
    /// only its hash is kept); --list and --revoke manage them.
    ScimToken {
        /// The organization's slug.
        org: String,
        /// A note shown by --list.
        #[arg(long, default_value = "")]
        label: String,
        /// Lists the organization's tokens (IDs, labels, never secrets).
        #[arg(long, conflicts_with = "revoke")]
        list: bool,
        /// Revokes the token with this ID (the number after `vscim_`).
        #[arg(long, value_name = "ID")]
        revoke: Option<i64>,
    },
    /// Pulls an organization's directory ([org.ldap]) now and reconciles its people.
    /// Exit status: 0 applied or dry run, 1 failed, 3 refused by the guard rail.
    Sync {
        /// The organization's slug.
        org: String,
        /// Show the plan; change nothing (the run is kept in the history).
        #[arg(long)]
        dry_run: bool,
        /// Apply even when more than max_deactivate_percent of the people would be deactivated.
        #[arg(long)]
        override_limit: bool,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match Config::load(&args.config, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("visitor: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Command::ScimToken {
        org,
        label,
        list,
        revoke,
    }) = args.command
    {
        let action = match (list, revoke) {
            (true, _) => TokenAction::List,
            (false, Some(id)) => TokenAction::Revoke(id),
            (false, None) => TokenAction::Create { label },
        };
        let now = chrono::Utc::now();
        return match scim_token(
            &config,
            &org,
            &action,
            now,
            &samlsp::OsRandom,
            &mut std::io::stdout(),
        ) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("visitor scim-token: {e}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_env_filter(config.server.log.filter())
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    if let Some(Command::Sync {
        org,
        dry_run,
        override_limit,
    }) = args.command
    {
        return sync_command(config, &org, dry_run, override_limit).await;
    }
    let bind = config.server.bind.clone();
    let public = config.server.public_url.clone();
    if !secure_context(public.as_str()) {
        // The login's browser-binding cookie is `Secure` (`__Host-`): a
        // browser keeps it only from a secure context (W3C Secure Contexts
        // §3.1: https, or loopback over http).
        tracing::warn!(
            public_url = %public,
            "server.public_url is plain http on a non-loopback host: browsers will not keep \
             the sign-in cookie and every SP-initiated sign-in will fail; use https"
        );
    }
    let state = match AppState::build(config, None) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(reason = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    let sessions = state.session_settings();

    // Load URL metadata once before serving, then keep it fresh.
    let report = state.saml.refresh(&HttpFetcher::default()).await;
    for (idp, reason) in &report.failed {
        tracing::warn!(
            idp = %idp,
            reason = %reason,
            "IdP metadata not loaded at start; retrying in the background"
        );
    }
    state.saml.spawn_refresher(REFRESH_EVERY);
    match &state.config.mail {
        Some(mail) => match SmtpNotifier::new(mail) {
            Ok(n) => {
                let backoff = Backoff {
                    first: mail.retry_after,
                    ..Backoff::default()
                };
                Worker::new(state.store.clone(), std::sync::Arc::new(n), state.clock())
                    .with_backoff(backoff)
                    .with_metrics(state.metrics.clone())
                    .spawn(OUTBOX_EVERY);
                tracing::info!(
                    smtp = %format!("{}:{}", mail.smtp_host, mail.smtp_port),
                    tls = ?mail.tls,
                    "outgoing mail: check-in notifications and invitations are sent through \
                     this server"
                );
            }
            Err(e) => {
                tracing::error!(reason = %e, "cannot set up outgoing mail");
                return ExitCode::FAILURE;
            }
        },
        None => tracing::warn!(
            "no [mail] configured: check-in notifications and invitations stay queued \
             until it is"
        ),
    }
    samlsp_visitor::directory::spawn_scheduler(
        state.sync.clone(),
        state.store.clone(),
        &state.config.orgs,
        state.clock(),
    );
    samlsp_visitor::audit::spawn_pruner(state.store.clone(), state.config.audit, state.clock());
    samlsp_visitor::notify::notices::upkeep(state.clone(), UPKEEP_EVERY);
    state.spawn_connection_sync(samlsp_visitor::app::CONNECTION_SYNC_EVERY);
    let metrics_server = match &state.config.server.metrics_bind {
        None => None,
        Some(addr) => {
            let metrics = actix_web::web::Data::new(state.metrics.clone());
            match HttpServer::new(move || {
                App::new().app_data(metrics.clone()).route(
                    "/metrics",
                    actix_web::web::get().to(samlsp_visitor::metrics::serve),
                )
            })
            .workers(1)
            .bind(addr)
            {
                Ok(s) => {
                    tracing::info!(bind = %addr, "metrics listening at /metrics");
                    Some(s.run())
                }
                Err(e) => {
                    tracing::error!(bind = %addr, reason = %e, "cannot listen for metrics");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    if let Some(m) = metrics_server {
        actix_web::rt::spawn(m);
    }

    let store = match state.session_backend(REDIS_START_WAIT).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(reason = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };
    if state.redis.is_some() {
        tracing::info!(
            namespace = state.config.server.redis_namespace.namespace().as_str(),
            "pending logins, used assertions and sessions are shared through Redis"
        );
    }
    let instance = state.config.server.instance.clone();
    let app_state = state.clone();
    let server = match HttpServer::new(move || {
        let mut named = DefaultHeaders::new();
        if let Some(name) = &instance {
            named = named.add(("X-Visitor-Instance", name.as_str()));
        }
        // The last wrap is the outermost: the instance header goes on every
        // answer, and session-store failures become a 503 page.
        App::new()
            .wrap(sessions.middleware(store.clone()))
            .wrap(from_fn(sessions::unavailable_page))
            .wrap(named)
            .configure(configure(app_state.clone()))
    })
    .workers(WORKERS)
    .bind(&bind)
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(bind = %bind, reason = %e, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = %public, bind = %bind, "visitor app listening");
    for o in &state.config.orgs {
        let domains: Vec<&str> = o.domains.iter().map(|d| d.as_str()).collect();
        let connections: Vec<&str> = state
            .config
            .idps
            .iter()
            .filter(|i| i.org == o.slug)
            .map(|i| i.slug.as_str())
            .collect();
        tracing::info!(
            org = %o.slug,
            name = %o.name,
            domains = %domains.join(","),
            connections = %connections.join(","),
            locations = %o.locations.join("; "),
            "organization (its people see only its own hosts, locations and visitors)"
        );
    }
    tracing::info!(
        "reception: an admin makes a kiosk link at {public}/admin/reception and opens it once \
         on the reception device; visitors check in there and their host gets an email"
    );
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(reason = %e, "server stopped");
            ExitCode::FAILURE
        }
    }
}

/// `visitor sync`: one run, its plan printed.
async fn sync_command(config: Config, org: &str, dry_run: bool, override_limit: bool) -> ExitCode {
    use samlsp_visitor::directory::{RunOptions, Runner};
    use samlsp_visitor::store::{Outcome, Trigger};
    let Some(org_config) = config.orgs.iter().find(|o| o.slug == org).cloned() else {
        eprintln!("visitor sync: no organization {org:?} in the configuration");
        return ExitCode::from(2);
    };
    // The app's own state: its runner invites the people a run creates, as
    // the server's does.
    let runner: Runner = match AppState::build(config, None) {
        Ok(s) => s.sync.clone(),
        Err(e) => {
            eprintln!("visitor sync: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = RunOptions {
        dry_run,
        override_limit,
    };
    let report = match runner.ldap(&org_config, Trigger::Command, options).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("visitor sync: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", samlsp_visitor::directory::describe(&report, 20));
    match report.outcome {
        Outcome::Applied | Outcome::DryRun => ExitCode::SUCCESS,
        Outcome::Refused => ExitCode::from(3),
        Outcome::Failed => ExitCode::FAILURE,
    }
}

/// https, or http on a loopback host (which browsers treat as secure).
fn secure_context(public_url: &str) -> bool {
    let lower = public_url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return true;
    }
    let Some(rest) = lower.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::secure_context;

    #[test]
    fn secure_contexts() {
        for ok in [
            "https://visit.example.org",
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:8080",
            "http://127.1.2.3",
        ] {
            assert!(secure_context(ok), "{ok}");
        }
        for bad in [
            "http://visit.example.org",
            "http://10.0.0.5:8080",
            "ftp://x",
        ] {
            assert!(!secure_context(bad), "{bad}");
        }
    }
}
