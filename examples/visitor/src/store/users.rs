//! Users of an organization, their locations and roles, and the profile
//! changes a sign-in makes.

use super::db::{Row, ToValue, params};
use super::{Scoped, StoreError, ts};
use chrono::{DateTime, Utc};

/// A user row, with the default location's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row ID.
    pub id: i64,
    /// Email as received.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// `host` or `admin` (at the default location).
    pub role: String,
    /// False once deactivated.
    pub active: bool,
    /// Default location's name.
    pub default_location: Option<String>,
    /// `jit`, `manual` or `scim`.
    pub source: String,
    /// ID at the provisioning source.
    pub external_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub last_login_at: Option<String>,
    /// Sessions started at or before this time (Unix seconds) are over.
    pub sessions_not_before: Option<i64>,
    /// The SCIM `userName` (the email, for users made by sign-in).
    pub user_name: String,
    /// The type of the email as SCIM sees it (`work` for users made by
    /// sign-in); `None` when a SCIM client gave no email (the email then
    /// repeats the userName).
    pub email_type: Option<String>,
    /// RFC 3339: the last change.
    pub updated_at: String,
    /// A display name was given (else `display_name` is made of the names
    /// or the userName, and SCIM shows none).
    pub display_name_given: bool,
}

/// The name pages show, as SQL over `users u`: the display name, else
/// "given family", else the userName (a SCIM client may give none).
macro_rules! shown_name {
    () => {
        "coalesce(nullif(u.display_name, ''), \
         nullif(trim(u.given_name || ' ' || u.family_name), ''), u.user_name)"
    };
}
pub(crate) use shown_name;

pub(super) const USER_COLUMNS: &str = concat!(
    "u.id, u.email, u.given_name, u.family_name, ",
    shown_name!(),
    ", u.role, u.active, l.name, u.source, u.external_id, u.created_at, u.last_login_at, \
     u.sessions_not_before, u.user_name, u.email_type, u.updated_at, u.display_name <> ''"
);

pub(super) fn user_row(r: &Row<'_>) -> Result<User, StoreError> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        display_name: r.get(4)?,
        role: r.get(5)?,
        active: r.get::<i64>(6)? == 1,
        default_location: r.get(7)?,
        source: r.get(8)?,
        external_id: r.get(9)?,
        created_at: r.get(10)?,
        last_login_at: r.get(11)?,
        sessions_not_before: r.get(12)?,
        user_name: r.get(13)?,
        email_type: r.get(14)?,
        updated_at: r.get(15)?,
        display_name_given: r.get(16)?,
    })
}

/// A user created by hand, just in time, or by a SCIM push later.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email as received.
    pub email: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Name shown.
    pub display_name: String,
    /// `host` or `admin` (at the default location).
    pub role: String,
    /// `jit`, `manual` or `scim`.
    pub source: String,
    /// ID at the provisioning source.
    pub external_id: Option<String>,
}

/// A user's access at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRole {
    /// Location ID.
    pub location_id: i64,
    /// Location name.
    pub location: String,
    /// `host` or `admin`.
    pub role: String,
}

impl Scoped<'_> {
    /// The one user matching `condition` (a trusted SQL fragment with `?2`).
    fn user_where(&self, condition: &str, param: impl ToValue) -> Result<Option<User>, StoreError> {
        self.conn.query_opt(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN locations l \
                 ON l.id = u.default_location_id WHERE u.org_id = ?1 AND u.deleted_at IS NULL \
                 AND {condition}"
            ),
            params![self.org, param],
            user_row,
        )
    }

    /// A user of the organization, by ID.
    pub fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        self.user_where("u.id = ?2", id)
    }

    /// A user of the organization, by normalized email.
    pub fn user_by_email(&self, normalized: &str) -> Result<Option<User>, StoreError> {
        self.user_where("u.email_normalized = ?2", normalized)
    }

    /// Every user of the organization, by name.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.conn.query_map(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN locations l \
                 ON l.id = u.default_location_id WHERE u.org_id = ?1 AND u.deleted_at IS NULL \
                 ORDER BY lower(u.display_name), u.id"
            ),
            [self.org],
            user_row,
        )
    }

    /// Inserts a user at the organization's default location (admin there
    /// when `role` is admin), host at its other locations. Their SCIM
    /// userName is their email, of type `work`.
    pub fn insert_user(&self, u: &NewUser, now: DateTime<Utc>) -> Result<i64, StoreError> {
        self.insert_user_named(u, &u.email, Some("work"), now)
    }

    /// [`Scoped::insert_user`] with the SCIM userName and email type.
    pub(super) fn insert_user_named(
        &self,
        u: &NewUser,
        user_name: &str,
        email_type: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let default_id = self.default_location_id()?;
        let id: i64 = self.conn.query_row(
            "INSERT INTO users (org_id, email, email_normalized, given_name, family_name, \
             display_name, role, active, default_location_id, source, external_id, created_at, \
             updated_at, user_name, user_name_normalized, email_type) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14) \
             RETURNING id",
            params![
                self.org,
                u.email,
                u.email.to_ascii_lowercase(),
                u.given_name,
                u.family_name,
                u.display_name,
                u.role,
                default_id,
                u.source,
                u.external_id,
                ts(now),
                user_name,
                user_name.to_lowercase(),
                email_type,
            ],
            |r| r.get(0),
        )?;
        // Seeds: the admin group makes admins at the default location,
        // hosts elsewhere; an org admin grants more.
        for loc in self.locations()? {
            let role = if Some(loc.id) == default_id {
                u.role.as_str()
            } else {
                "host"
            };
            self.conn.execute(
                "INSERT INTO user_locations (org_id, user_id, location_id, role) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![self.org, id, loc.id, role],
            )?;
        }
        Ok(id)
    }

    /// Activates or deactivates a user (see [`Scoped::deactivate_user`]).
    /// False when no such user.
    pub fn set_active(
        &self,
        user_id: i64,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        if !active {
            return self.deactivate_user(user_id, now);
        }
        let n = self.conn.execute(
            "UPDATE users SET active = 1, updated_at = ?3 \
             WHERE org_id = ?1 AND id = ?2 AND deleted_at IS NULL",
            params![self.org, user_id, ts(now)],
        )?;
        Ok(n == 1)
    }

    /// Deactivates a user and ends every session they started until `now`
    /// (the session check compares its sign-in time with
    /// `sessions_not_before` at every request), so the next request of any
    /// of their browsers is signed out; sign-in refuses them while
    /// inactive. The one way to deprovision: the admin page, SCIM and
    /// directory sync all call it. False when no such user.
    pub fn deactivate_user(&self, user_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE users SET active = 0, sessions_not_before = ?4, updated_at = ?3 \
             WHERE org_id = ?1 AND id = ?2 AND deleted_at IS NULL",
            params![self.org, user_id, ts(now), now.timestamp()],
        )?;
        Ok(n == 1)
    }

    /// Sets a user's default location. False when the user or the location
    /// is not the organization's.
    pub fn set_default_location(&self, user_id: i64, location_id: i64) -> Result<bool, StoreError> {
        if self.location(location_id)?.is_none() {
            return Ok(false);
        }
        let n = self.conn.execute(
            "UPDATE users SET default_location_id = ?3 WHERE org_id = ?1 AND id = ?2",
            params![self.org, user_id, location_id],
        )?;
        Ok(n == 1)
    }

    /// Sets a user's role at a location (granting access there). False when
    /// the user or the location is not the organization's.
    pub fn set_location_role(
        &self,
        user_id: i64,
        location_id: i64,
        role: &str,
    ) -> Result<bool, StoreError> {
        if self.user(user_id)?.is_none() || self.location(location_id)?.is_none() {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO user_locations (org_id, user_id, location_id, role) \
             VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (user_id, location_id) DO UPDATE SET role = excluded.role",
            params![self.org, user_id, location_id, role],
        )?;
        self.conn.execute(
            "UPDATE users SET role = ?3 WHERE org_id = ?1 AND id = ?2 \
             AND default_location_id = ?4",
            params![self.org, user_id, role, location_id],
        )?;
        Ok(true)
    }

    /// Location access of a user, by location name.
    pub fn user_locations(&self, user_id: i64) -> Result<Vec<LocationRole>, StoreError> {
        self.conn.query_map(
            "SELECT l.id, l.name, ul.role FROM user_locations ul \
             JOIN locations l ON l.id = ul.location_id AND l.org_id = ul.org_id \
             WHERE ul.org_id = ?1 AND ul.user_id = ?2 ORDER BY l.name, l.id",
            params![self.org, user_id],
            |r| {
                Ok(LocationRole {
                    location_id: r.get(0)?,
                    location: r.get(1)?,
                    role: r.get(2)?,
                })
            },
        )
    }

    /// Sets the names and the last sign-in.
    pub fn update_names(
        &self,
        user_id: i64,
        given: &str,
        family: &str,
        display: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET given_name = ?3, family_name = ?4, display_name = ?5, \
             updated_at = ?6, last_login_at = ?6 WHERE org_id = ?1 AND id = ?2",
            params![self.org, user_id, given, family, display, ts(now)],
        )?;
        Ok(())
    }

    /// Sets the last sign-in.
    pub fn set_last_login(&self, user_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET last_login_at = ?3 WHERE org_id = ?1 AND id = ?2",
            params![self.org, user_id, ts(now)],
        )?;
        Ok(())
    }

    /// Sets the email (as received) and its normalized form.
    pub fn set_email(
        &self,
        user_id: i64,
        as_received: &str,
        normalized: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET email = ?3, email_normalized = ?4, \
             email_type = coalesce(email_type, 'work') WHERE org_id = ?1 AND id = ?2",
            params![self.org, user_id, as_received, normalized],
        )?;
        Ok(())
    }

    /// Sets the role at the user's default location.
    pub fn set_role(&self, user_id: i64, role: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE users SET role = ?3 WHERE org_id = ?1 AND id = ?2",
            params![self.org, user_id, role],
        )?;
        self.conn.execute(
            "UPDATE user_locations SET role = ?3 WHERE org_id = ?1 AND user_id = ?2 AND \
             location_id = (SELECT default_location_id FROM users WHERE org_id = ?1 AND id = ?2)",
            params![self.org, user_id, role],
        )?;
        Ok(())
    }
}
