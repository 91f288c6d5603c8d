//! The reception desk: kiosk tokens, and what a kiosk may do at its one
//! location.
//!
//! A reception device has no user session. It holds a kiosk token; the
//! database keeps only the token's SHA-256, so [`Store::kiosk`] finds the
//! token by its hash (an index lookup on a digest of 256 random bits: a
//! guess learns nothing from timing) and yields a [`KioskScope`], the
//! proof that the caller stands at one location of one organization. Like
//! [`super::OrgScope`] its fields are private and [`Store::kiosk`] is its
//! only maker.
//!
//! A [`Desk`] (a transaction bound to that scope) offers far less than
//! [`Scoped`]: the hosts of its location by name (never their emails), the
//! day's pre-registrations there, check-in, and queueing the host's
//! notification. A revoked token, or one of another organization, finds
//! nothing. Admins make and revoke tokens through [`super::kiosks`].

use super::db::{Db, Lock, params};
use super::outbox::{self, Outgoing};
use super::users::shown_name;
use super::{Store, StoreError, ts};
use chrono::{DateTime, NaiveDate, Utc};

/// Proof that the caller is a kiosk at one location of one organization;
/// made only by [`Store::kiosk`] from a live token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KioskScope {
    org: i64,
    location: i64,
    kiosk: i64,
}

impl KioskScope {
    /// The kiosk token's row ID (rate limits are per kiosk).
    pub fn kiosk_id(&self) -> i64 {
        self.kiosk
    }
}

/// A host a visitor may pick: the name, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskHost {
    /// User ID.
    pub id: i64,
    /// Name shown.
    pub name: String,
}

/// A pre-registration found at the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskVisit {
    /// Visit ID.
    pub id: i64,
    /// Visitor's name.
    pub visitor_name: String,
    /// The host's name.
    pub host_name: String,
    /// Already checked in (RFC 3339).
    pub checked_in_at: Option<String>,
}

/// A walk-in visitor (no pre-registration), as checked by the caller.
#[derive(Debug, Clone)]
pub struct WalkIn {
    /// Visitor's name.
    pub name: String,
    /// Visitor's email.
    pub email: String,
    /// Visitor's company.
    pub company: String,
    /// The host they picked.
    pub host_id: i64,
}

/// A check-in that happened: what the host's notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIn {
    /// Visit ID.
    pub visit_id: i64,
    /// Visitor's name.
    pub visitor_name: String,
    /// Visitor's company.
    pub company: String,
    /// Host's user ID.
    pub host_id: i64,
    /// Host's name.
    pub host_name: String,
    /// Host's email.
    pub host_email: String,
    /// The location's name.
    pub location: String,
    /// False when the visit was already checked in (nothing changed).
    pub new: bool,
}

/// A connection (in a transaction) bound to one kiosk's location.
pub struct Desk<'c> {
    conn: Db<'c>,
    org: i64,
    location: i64,
}

impl std::fmt::Debug for Desk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("org", &self.org)
            .field("location", &self.location)
            .finish()
    }
}

impl Store {
    /// The scope of a live (not revoked) kiosk token, by its SHA-256.
    pub async fn kiosk(&self, token_hash: [u8; 32]) -> Result<Option<KioskScope>, StoreError> {
        self.blocking(move |d| {
            d.run(|c| {
                c.query_opt(
                    "SELECT org_id, location_id, id FROM kiosk_tokens \
                     WHERE token_hash = ?1 AND revoked_at IS NULL",
                    params![token_hash.as_slice()],
                    |r| {
                        Ok(KioskScope {
                            org: r.get(0)?,
                            location: r.get(1)?,
                            kiosk: r.get(2)?,
                        })
                    },
                )
            })
        })
        .await
    }

    /// Runs `f` at the kiosk's desk, in one transaction.
    pub async fn at_desk<T: Send + 'static>(
        &self,
        scope: &KioskScope,
        f: impl FnOnce(&Desk<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (org, location) = (scope.org, scope.location);
        // The organization's lock, as Store::scoped: a check-in reads then
        // writes the organization's visits.
        self.blocking(move |d| {
            d.transaction(Some(Lock::Org(org)), |c| {
                f(&Desk {
                    conn: c,
                    org,
                    location,
                })
            })
        })
        .await
    }
}

impl Desk<'_> {
    /// The location's and its organization's names.
    pub fn names(&self) -> Result<(String, String), StoreError> {
        self.conn.query_row(
            "SELECT l.name, o.name FROM locations l JOIN organizations o ON o.id = l.org_id \
             WHERE l.org_id = ?1 AND l.id = ?2",
            params![self.org, self.location],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Active (not deleted) users with access to this location whose
    /// name contains `term` (case-insensitive; emails and user names are
    /// not searched), by name.
    pub fn hosts(&self, term: &str, limit: i64) -> Result<Vec<DeskHost>, StoreError> {
        let pattern = format!("%{}%", super::visits::like_escape(term));
        // LIKE is case-insensitive (ASCII) in SQLite, not in PostgreSQL:
        // both sides lower-cased, the same in both.
        self.conn.query_map(
            concat!(
                "SELECT u.id, ",
                shown_name!(),
                " FROM users u \
                 JOIN user_locations ul ON ul.user_id = u.id AND ul.org_id = u.org_id \
                 WHERE u.org_id = ?1 AND ul.location_id = ?2 AND u.active = 1 \
                 AND u.deleted_at IS NULL \
                 AND (lower(u.display_name) LIKE lower(?3) ESCAPE '\\' \
                 OR lower(u.given_name) LIKE lower(?3) ESCAPE '\\' \
                 OR lower(u.family_name) LIKE lower(?3) ESCAPE '\\') \
                 ORDER BY lower(",
                shown_name!(),
                "), u.id LIMIT ?4"
            ),
            params![self.org, self.location, pattern, limit],
            |r| {
                Ok(DeskHost {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            },
        )
    }

    /// Today's pre-registrations at this location whose visitor's name or
    /// email is exactly `who` (case-insensitive), not cancelled, with an
    /// active host.
    pub fn registrations(&self, who: &str, today: NaiveDate) -> Result<Vec<DeskVisit>, StoreError> {
        let day = today.format("%Y-%m-%d").to_string();
        self.conn.query_map(
            concat!(
                "SELECT v.id, v.visitor_name, ",
                shown_name!(),
                ", v.checked_in_at FROM visits v \
                 JOIN users u ON u.id = v.host_user_id AND u.org_id = v.org_id \
                 WHERE v.org_id = ?1 AND v.location_id = ?2 AND v.expected_on = ?3 \
                 AND v.cancelled_at IS NULL AND u.active = 1 AND u.deleted_at IS NULL \
                 AND (lower(v.visitor_email) = lower(?4) OR lower(v.visitor_name) = lower(?4)) \
                 ORDER BY v.id LIMIT 5",
            ),
            params![self.org, self.location, day, who],
            |r| {
                Ok(DeskVisit {
                    id: r.get(0)?,
                    visitor_name: r.get(1)?,
                    host_name: r.get(2)?,
                    checked_in_at: r.get(3)?,
                })
            },
        )
    }

    /// Checks in today's pre-registration `visit_id` at this location.
    /// `None` when there is none, or its host is no longer active here.
    pub fn check_in(
        &self,
        visit_id: i64,
        company: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CheckedIn>, StoreError> {
        let day = now.date_naive().format("%Y-%m-%d").to_string();
        let found: Option<(i64, bool)> = self.conn.query_opt(
            "SELECT host_user_id, checked_in_at IS NOT NULL FROM visits WHERE org_id = ?1 \
             AND location_id = ?2 AND id = ?3 AND expected_on = ?4 AND cancelled_at IS NULL",
            params![self.org, self.location, visit_id, day],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let Some((host, already)) = found else {
            return Ok(None);
        };
        if !self.hosts_here(host)? {
            return Ok(None);
        }
        if !already {
            self.conn.execute(
                "UPDATE visits SET checked_in_at = ?3, visitor_company = ?4 \
                 WHERE org_id = ?1 AND id = ?2",
                params![self.org, visit_id, ts(now), company],
            )?;
        }
        self.checked_in(visit_id, !already)
    }

    /// Registers and checks in a walk-in visitor for `w.host_id`. `None`
    /// when that host is not an active user with access to this location.
    pub fn walk_in(&self, w: &WalkIn, now: DateTime<Utc>) -> Result<Option<CheckedIn>, StoreError> {
        if !self.hosts_here(w.host_id)? {
            return Ok(None);
        }
        // No one signed in registered it: the host stands as its registrant.
        let id = self.conn.query_row(
            "INSERT INTO visits (org_id, visitor_name, visitor_email, visitor_company, \
             host_user_id, location_id, expected_on, registered_by, created_at, checked_in_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5, ?8, ?8) RETURNING id",
            params![
                self.org,
                w.name,
                w.email,
                w.company,
                w.host_id,
                self.location,
                now.date_naive().format("%Y-%m-%d").to_string(),
                ts(now)
            ],
            |r| r.get(0),
        )?;
        self.checked_in(id, true)
    }

    /// Queues a message for a user of this organization.
    pub fn queue(&self, m: &Outgoing, now: DateTime<Utc>) -> Result<i64, StoreError> {
        outbox::queue(self.conn, self.org, m, now)
    }

    fn hosts_here(&self, user_id: i64) -> Result<bool, StoreError> {
        self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users u JOIN user_locations ul \
             ON ul.user_id = u.id AND ul.org_id = u.org_id \
             WHERE u.org_id = ?1 AND u.id = ?2 AND ul.location_id = ?3 AND u.active = 1 \
             AND u.deleted_at IS NULL)",
            params![self.org, user_id, self.location],
            |r| r.get(0),
        )
    }

    fn checked_in(&self, visit_id: i64, new: bool) -> Result<Option<CheckedIn>, StoreError> {
        self.conn.query_opt(
            concat!(
                "SELECT v.id, v.visitor_name, v.visitor_company, u.id, ",
                shown_name!(),
                ", u.email, l.name FROM visits v \
                 JOIN users u ON u.id = v.host_user_id AND u.org_id = v.org_id \
                 JOIN locations l ON l.id = v.location_id AND l.org_id = v.org_id \
                 WHERE v.org_id = ?1 AND v.id = ?2"
            ),
            params![self.org, visit_id],
            |r| {
                Ok(CheckedIn {
                    visit_id: r.get(0)?,
                    visitor_name: r.get(1)?,
                    company: r.get(2)?,
                    host_id: r.get(3)?,
                    host_name: r.get(4)?,
                    host_email: r.get(5)?,
                    location: r.get(6)?,
                    new,
                })
            },
        )
    }
}
