//! `visitor scim-token <org>`: the operator's side of the tokens (make one,
//! list them, revoke one), on the database the configuration names
//! (`VISITOR_DATABASE` included).

use std::io::Write;

use chrono::{DateTime, Utc};
use samlsp::RandomSource;

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
    match action {
        TokenAction::Create { label } => {
            let (id, token) = store
                .create_scim_token(org, label, now, random)?
                .ok_or_else(unknown)?;
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
            writeln!(out, "revoked token {id} of {org}")?;
        }
    }
    Ok(())
}
