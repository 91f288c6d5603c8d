//! `visitor [--config PATH]`: runs the demo app.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::{App, HttpServer};
use samlsp_actix::{HttpFetcher, MemorySessionStore};
use samlsp_visitor::config::Config;
use samlsp_visitor::{AppState, configure};

fn config_path(env: &HashMap<String, String>) -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    let mut path = env.get("VISITOR_CONFIG").map(PathBuf::from);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" | "-c" => {
                path = Some(PathBuf::from(args.next().ok_or("--config needs a path")?));
            }
            "--help" | "-h" => {
                return Err(
                    "usage: visitor [--config PATH]   (default: $VISITOR_CONFIG, \
                            else ./visitor.toml)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?}; try --help")),
        }
    }
    Ok(path.unwrap_or_else(|| PathBuf::from("visitor.toml")))
}

fn init_logging(level: &str) {
    let level = match level.to_ascii_lowercase().as_str() {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        "trace" => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .init();
}

#[actix_web::main]
async fn main() -> ExitCode {
    let env: HashMap<String, String> = std::env::vars().collect();
    let path = match config_path(&env) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::load(&path, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("visitor: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.server.log);
    let bind = config.server.bind.clone();
    let public = config.server.public_url.clone();
    if !secure_context(&public) {
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
    let sessions = match state.session_settings() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(reason = %e, "cannot start");
            return ExitCode::FAILURE;
        }
    };

    // Load URL metadata once before serving, then keep it fresh.
    let report = state.saml.refresh(&HttpFetcher::default()).await;
    for (idp, reason) in &report.failed {
        tracing::warn!(
            idp = %idp,
            reason = %reason,
            "IdP metadata not loaded at start; retrying in the background"
        );
    }
    state
        .saml
        .spawn_refresher(std::time::Duration::from_secs(15));

    let store = MemorySessionStore::default();
    let app_state = state.clone();
    let server = match HttpServer::new(move || {
        App::new()
            .wrap(sessions.middleware(store.clone()))
            .configure(configure(app_state.clone()))
    })
    .workers(2)
    .bind(&bind)
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(bind = %bind, reason = %e, "cannot listen");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = %public, bind = %bind, "visitor app listening");
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(reason = %e, "server stopped");
            ExitCode::FAILURE
        }
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
