//! Invitations: a user created by provisioning (SCIM, a directory sync, an
//! upload) is told they can sign in, as their organization's policy says:
//! at once, not before a set time (the first synchronization of a whole
//! directory, say), or never. A user created just in time is not invited:
//! they have just signed in.
//!
//! [`invite_user`] runs inside the creator's transaction (a [`Scoped`]), so
//! the user and their invitation are written together or not at all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::compose;
use crate::store::{InvitePolicy, Scoped, StoreError};

/// What [`invite_user`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invitation {
    /// Queued (outbox row `id`), to be sent from `not_before` on.
    Queued {
        /// Outbox row.
        id: i64,
        /// Not sent before.
        not_before: DateTime<Utc>,
    },
    /// The organization's policy is never to invite.
    Disabled,
    /// The user signed in themselves (just-in-time): no invitation.
    NotProvisioned,
    /// The user is deactivated.
    Inactive,
    /// The provisioning source gave no email address (the stored one
    /// repeats a user name): nothing is sent to a guess.
    NoEmail,
    /// No such user in the organization.
    NoSuchUser,
}

/// Where each organization's users sign in (absolute URLs), for the
/// invitation's link: [`crate::AppState::sign_in_links`].
#[derive(Debug, Clone, Default)]
pub struct SignInLinks {
    by_org: HashMap<String, String>,
    fallback: String,
}

impl SignInLinks {
    /// `fallback` (the sign-in page) for an organization not in `by_org`.
    pub fn new(by_org: HashMap<String, String>, fallback: String) -> Self {
        SignInLinks { by_org, fallback }
    }

    /// The sign-in link of the organization `slug`.
    pub fn of(&self, slug: &str) -> &str {
        self.by_org.get(slug).unwrap_or(&self.fallback)
    }
}

/// Queues the invitation of user `user_id` of `s`'s organization to sign
/// in at its link in `links`.
pub fn invite_user(
    s: &Scoped<'_>,
    user_id: i64,
    links: &SignInLinks,
    now: DateTime<Utc>,
) -> Result<Invitation, StoreError> {
    let mut out = invite_users(s, &[user_id], links, now)?;
    Ok(out.pop().unwrap_or(Invitation::NoSuchUser))
}

/// [`invite_user`] for many users at once (a directory run, an upload):
/// the policy and the organization are read once. One outcome per ID, in
/// order.
pub fn invite_users(
    s: &Scoped<'_>,
    user_ids: &[i64],
    links: &SignInLinks,
    now: DateTime<Utc>,
) -> Result<Vec<Invitation>, StoreError> {
    let not_before = match s.invite_policy()? {
        InvitePolicy::Never => None,
        InvitePolicy::Now => Some(now),
        InvitePolicy::Delay(t) => Some(t.max(now)),
    };
    let org = s.org()?;
    let sign_in_url = links.of(&org.slug);
    let mut out = Vec::with_capacity(user_ids.len());
    for &id in user_ids {
        let Some(user) = s.user(id)? else {
            out.push(Invitation::NoSuchUser);
            continue;
        };
        out.push(if user.source == "jit" {
            Invitation::NotProvisioned
        } else if !user.active {
            Invitation::Inactive
        } else if user.email_type.is_none() {
            Invitation::NoEmail
        } else if let Some(not_before) = not_before {
            let m = compose::invitation(&user, &org.name, sign_in_url, not_before);
            Invitation::Queued {
                id: s.queue(&m, now)?,
                not_before,
            }
        } else {
            Invitation::Disabled
        });
    }
    Ok(out)
}
