//! Invitations: a user created by provisioning (SCIM, a directory sync, an
//! upload) is told they can sign in, as their organization's policy says:
//! at once, not before a set time (the first synchronization of a whole
//! directory, say), or never. A user created just in time is not invited:
//! they have just signed in.
//!
//! [`invite_user`] runs inside the creator's transaction (a [`Scoped`]), so
//! the user and their invitation are written together or not at all.

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
    /// No such user in the organization.
    NoSuchUser,
}

/// Queues the invitation of user `user_id` of `s`'s organization to sign
/// in at `sign_in_url` (see [`crate::AppState::sign_in_url`]).
pub fn invite_user(
    s: &Scoped<'_>,
    user_id: i64,
    sign_in_url: &str,
    now: DateTime<Utc>,
) -> Result<Invitation, StoreError> {
    let Some(user) = s.user(user_id)? else {
        return Ok(Invitation::NoSuchUser);
    };
    if user.source == "jit" {
        return Ok(Invitation::NotProvisioned);
    }
    if !user.active {
        return Ok(Invitation::Inactive);
    }
    let not_before = match s.invite_policy()? {
        InvitePolicy::Never => return Ok(Invitation::Disabled),
        InvitePolicy::Now => now,
        InvitePolicy::Delay(t) => t.max(now),
    };
    let org = s.org()?;
    let m = compose::invitation(&user, &org.name, sign_in_url, not_before);
    let id = s.queue(&m, now)?;
    Ok(Invitation::Queued { id, not_before })
}
