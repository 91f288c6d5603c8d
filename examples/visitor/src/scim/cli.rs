//! `visitor scim-token <org>`: the operator's side of the tokens (make one,
//! list them, revoke one), on the database the configuration names
//! (`VISITOR_DATABASE` included). Creation and revocation are in the
//! organization's audit log (category `token`, actor `operator`): the
//! command runs outside any request, so it writes through the operator's
//! scope of the organization it was given.

use std::io::Write;

use chrono::{DateTime, Utc};
use samlsp::RandomSource;

use crate::audit::{self, Category, Event, Outcome};
use crate::config::Config;
use crate::store::{Store, StoreError};

/// What to do with an organization's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAction {
    /// Make one (label for the list) and print it, once.
    Create {
        /// Shown in the list.
        label: String,
    },
    /// List them (never the secrets).
    List,
    /// Revoke one by ID.
    Revoke(i64),
}

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenCliError {
    /// The organization is not configured.
    #[error("no organization {0:?} in the configuration")]
    UnknownOrg(String),
    /// No such (unrevoked) token in the organization.
    #[error("organization {org:?} has no unrevoked token {id}")]
    UnknownToken {
        /// The organization.
        org: String,
        /// The ID asked for.
        id: i64,
    },
    /// The database failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Output could not be written.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs the command against the configured database.
pub fn run(
    config: &Config,
    org: &str,
    action: &TokenAction,
    now: DateTime<Utc>,
    random: &dyn RandomSource,
    out: &mut dyn Write,
) -> Result<(), TokenCliError> {
    if !config.orgs.iter().any(|o| o.slug == org) {
        return Err(TokenCliError::UnknownOrg(org.to_owned()));
    }
    let store = Store::connect(&config.server)?;
    store.sync_orgs(&config.orgs, now)?;
    let unknown = || TokenCliError::UnknownOrg(org.to_owned());
    // The operator named the organization on the command line.
    #[allow(clippy::disallowed_methods)]
    let scope = store.operator_scope(org)?.ok_or_else(unknown)?;
    let audited = |action: &'static str, id: i64, label: Option<&str>| {
        let mut e = Event::new(now, Category::Token, action, Outcome::Ok)
            .actor("operator")
            .detail("scim_credential", id.to_string());
        if let Some(l) = label {
            e = e.detail("label", l);
        }
        store.scoped_now(&scope, |s| audit::record(s, &e))
    };
    match action {
        TokenAction::Create { label } => {
            let (id, token) = store
                .create_scim_token(org, label, now, random)?
                .ok_or_else(unknown)?;
            if let Err(e) = audited("scim_token_created", id, Some(label)) {
                // A token nobody can find in the log must not work: it was
                // not shown yet, so revoking it loses nothing.
                store.revoke_scim_token(org, id, now)?;
                return Err(e.into());
            }
            writeln!(out, "{token}")?;
            tracing::info!(org = %org, token_id = id, "SCIM token created");
        }
        TokenAction::List => {
            for t in store.scim_tokens(org)?.ok_or_else(unknown)? {
                let state = t
                    .revoked_at
                    .map_or_else(|| "active".to_owned(), |r| format!("revoked {r}"));
                writeln!(out, "{}\t{}\t{}\t{state}", t.id, t.created_at, t.label)?;
            }
        }
        TokenAction::Revoke(id) => {
            if !store.revoke_scim_token(org, *id, now)? {
                return Err(TokenCliError::UnknownToken {
                    org: org.to_owned(),
                    id: *id,
                });
            }
            audited("scim_token_revoked", *id, None)?;
            writeln!(out, "revoked token {id} of {org}")?;
        }
    }
    Ok(())
}
