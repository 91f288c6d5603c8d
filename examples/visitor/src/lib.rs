//! The visitor-management demo: hosts sign in with their company's IdP
//! (SAML, through `samlsp-actix`), appear in the host directory, and
//! pre-register visitors.
//!
//! Laid out as a small app to copy, one module per area:
//! - [`config`]: the TOML file and `VISITOR_*` environment, typed and
//!   checked while read;
//! - [`app`]: the state built from it (store, SAML service providers);
//! - [`routes`]: the HTTP handlers, by page;
//! - [`pages`]: the compile-time templates (`templates/`);
//! - [`linking`]: the domain rules of just-in-time sign-in (which account a
//!   person is, what an IdP may change), pure functions;
//! - [`signin`]: the [`samlsp_actix::UserMapper`] that runs those rules
//!   against the store in one transaction;
//! - [`reception`]: the kiosk's rules (tokens, searches, rate limits);
//! - [`notify`]: messages to people (outbox worker, SMTP, invitations);
//! - [`scim`]: SCIM 2.0 provisioning at `/scim/v2` (per-organization
//!   bearer tokens);
//! - [`store`]: SQLite queries and migrations, no rules;
//! - [`audit`]: each organization's audit log and sign-in failure traces
//!   (`audit::record`), and the observer that writes them;
//! - [`metrics`]: Prometheus metrics for the internal listener;
//! - [`sessions`]: session state in memory or, shared by several
//!   instances, in Redis.
//!
//! [`configure`] mounts every route, the same way in `main` and in tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod app;
pub mod audit;
pub mod config;
pub mod connections;
pub mod directory;
pub mod linking;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod reception;
pub mod routes;
pub mod scim;
pub mod sessions;
pub mod signin;
pub mod store;

pub use app::{AppState, BuildError};
pub use routes::configure;
