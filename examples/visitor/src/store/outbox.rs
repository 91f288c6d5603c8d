//! The outbox: messages queued in the same transaction as the change that
//! causes them (a check-in, a new user), delivered later by
//! [`crate::notify::Worker`]. A message lives in the database until it is
//! sent or given up, so a restart loses nothing; a crash between sending
//! and recording it sends it again (at least once, never lost).
//!
//! Queueing is scoped like everything else (a [`Scoped`] or a kiosk's
//! [`super::Desk`]). Delivery is not: the worker is the operator's
//! process, it reads rendered messages of every organization and changes
//! only their delivery state, never organization data.

use super::db::{Db, params};
use super::{Scoped, Store, StoreError, ts};
use chrono::{DateTime, Utc};

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// A visitor checked in: tells the host.
    CheckIn,
    /// A provisioned user may now sign in.
    Invite,
}

impl OutboxKind {
    fn as_str(self) -> &'static str {
        match self {
            OutboxKind::CheckIn => "checkin",
            OutboxKind::Invite => "invite",
        }
    }
}

/// A rendered message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Why.
    pub kind: OutboxKind,
    /// The user it is for (a user of the queueing organization).
    pub user_id: i64,
    /// The visit it is about.
    pub visit_id: Option<i64>,
    /// Email address.
    pub recipient: String,
    /// Subject line (one line).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body (escaped when rendered).
    pub html: String,
    /// Not to be sent before.
    pub not_before: DateTime<Utc>,
}

/// A message due for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Row ID.
    pub id: i64,
    /// Email address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// Attempts so far.
    pub attempts: u32,
}

/// A queued message's state, as shown to the people it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `pending`, `sent`, `failed` or `cancelled`.
    pub status: String,
    /// RFC 3339, when sent.
    pub sent_at: Option<String>,
    /// Attempts so far.
    pub attempts: u32,
}

/// When an organization's new users are invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitePolicy {
    /// As soon as they are created.
    Now,
    /// Not before this time (an initial synchronization, say).
    Delay(DateTime<Utc>),
    /// Not at all.
    Never,
}

pub(super) fn queue(
    c: Db<'_>,
    org: i64,
    m: &Outgoing,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    c.query_row(
        "INSERT INTO outbox (org_id, kind, user_id, visit_id, recipient, subject, body_text, \
         body_html, not_before, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         RETURNING id",
        params![
            org,
            m.kind.as_str(),
            m.user_id,
            m.visit_id,
            m.recipient,
            m.subject,
            m.text,
            m.html,
            ts(m.not_before),
            ts(now)
        ],
        |r| r.get(0),
    )
}

impl Scoped<'_> {
    /// Queues a message for a user of the organization.
    pub fn queue(&self, m: &Outgoing, now: DateTime<Utc>) -> Result<i64, StoreError> {
        queue(self.conn, self.org, m, now)
    }

    /// The latest check-in notification of a visit of the organization.
    pub fn visit_notification(&self, visit_id: i64) -> Result<Option<Delivery>, StoreError> {
        self.delivery("kind = 'checkin' AND visit_id = ?2", visit_id)
    }

    /// The latest invitation of a user of the organization.
    pub fn invitation(&self, user_id: i64) -> Result<Option<Delivery>, StoreError> {
        self.delivery("kind = 'invite' AND user_id = ?2", user_id)
    }

    fn delivery(&self, condition: &str, id: i64) -> Result<Option<Delivery>, StoreError> {
        self.conn.query_opt(
            &format!(
                "SELECT status, sent_at, attempts FROM outbox WHERE org_id = ?1 AND \
                 {condition} ORDER BY id DESC LIMIT 1"
            ),
            params![self.org, id],
            |r| {
                Ok(Delivery {
                    status: r.get(0)?,
                    sent_at: r.get(1)?,
                    attempts: r.get(2)?,
                })
            },
        )
    }

    /// The organization's invitation policy.
    pub fn invite_policy(&self) -> Result<InvitePolicy, StoreError> {
        let (policy, until): (String, Option<String>) = self.conn.query_row(
            "SELECT invite_policy, invite_until FROM organizations WHERE id = ?1",
            [self.org],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let until = until.and_then(|u| DateTime::parse_from_rfc3339(&u).ok());
        Ok(match (policy.as_str(), until) {
            ("never", _) => InvitePolicy::Never,
            ("delay", Some(t)) => InvitePolicy::Delay(t.with_timezone(&Utc)),
            _ => InvitePolicy::Now,
        })
    }

    /// Sets the invitation policy, and applies it to the invitations not
    /// sent yet: cancelled (never), due now, or due at the new time.
    pub fn set_invite_policy(&self, p: InvitePolicy, now: DateTime<Utc>) -> Result<(), StoreError> {
        let (name, until) = match p {
            InvitePolicy::Now => ("now", None),
            InvitePolicy::Delay(t) => ("delay", Some(ts(t))),
            InvitePolicy::Never => ("never", None),
        };
        self.conn.execute(
            "UPDATE organizations SET invite_policy = ?2, invite_until = ?3 WHERE id = ?1",
            params![self.org, name, until],
        )?;
        let pending = "org_id = ?1 AND kind = 'invite' AND status = 'pending'";
        match p {
            InvitePolicy::Never => self.conn.execute(
                &format!("UPDATE outbox SET status = 'cancelled' WHERE {pending}"),
                params![self.org],
            )?,
            InvitePolicy::Now => self.conn.execute(
                &format!("UPDATE outbox SET not_before = ?2 WHERE {pending}"),
                params![self.org, ts(now)],
            )?,
            InvitePolicy::Delay(t) => self.conn.execute(
                &format!("UPDATE outbox SET not_before = ?2 WHERE {pending}"),
                params![self.org, ts(t)],
            )?,
        };
        Ok(())
    }
}

impl Store {
    /// Claims the oldest message due at `now` for one delivery attempt:
    /// its `not_before` moves to `lease_until` in the same statement, so
    /// another instance's worker does not see it as due while this one
    /// tries (the worker's read, across organizations: see the module doc).
    ///
    /// Several instances each run a worker on the one database; a plain
    /// read of what is due would let two of them send the same message.
    /// The claim is a lease, not a lock: if this process dies before it
    /// records the outcome, the message is due again at `lease_until` and
    /// another worker sends it (at least once, never lost). `None` when
    /// nothing is due, or when another worker claimed the same message
    /// first (this pass then ends; the next one goes on).
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Due>, StoreError> {
        self.blocking(move |d| {
            d.run(|c| {
                // One statement: SQLite runs it under its one write lock;
                // PostgreSQL (READ COMMITTED) re-checks the outer WHERE on
                // a row another transaction updated first, so a message
                // both subqueries picked is claimed by one of them only.
                c.query_opt(
                    "UPDATE outbox SET not_before = ?2 WHERE id = (SELECT id FROM outbox \
                     WHERE status = 'pending' AND not_before <= ?1 ORDER BY not_before, id \
                     LIMIT 1) AND status = 'pending' AND not_before <= ?1 \
                     RETURNING id, recipient, subject, body_text, body_html, attempts",
                    params![ts(now), ts(lease_until)],
                    |r| {
                        Ok(Due {
                            id: r.get(0)?,
                            recipient: r.get(1)?,
                            subject: r.get(2)?,
                            text: r.get(3)?,
                            html: r.get(4)?,
                            attempts: r.get(5)?,
                        })
                    },
                )
            })
        })
        .await
    }

    /// Records the delivery of message `id`.
    pub async fn delivered(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.blocking(move |d| {
            d.run(|c| {
                c.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?2, attempts = attempts + 1, \
                     last_error = NULL WHERE id = ?1 AND status = 'pending'",
                    params![id, ts(now)],
                )
            })?;
            Ok(())
        })
        .await
    }

    /// Records a failed attempt: tried again at `retry_at`, or given up
    /// (`None`). `error` must hold no secret.
    pub async fn attempt_failed(
        &self,
        id: i64,
        retry_at: Option<DateTime<Utc>>,
        error: String,
    ) -> Result<(), StoreError> {
        self.blocking(move |d| {
            d.run(|c| {
                c.execute(
                    // not_before first: PostgreSQL types ?2 at its first use,
                    // and `IS NULL` gives none.
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, \
                     not_before = coalesce(?2, not_before), \
                     status = CASE WHEN ?2 IS NULL THEN 'failed' ELSE status END \
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, retry_at.map(ts), error],
                )
            })?;
            Ok(())
        })
        .await
    }
}
