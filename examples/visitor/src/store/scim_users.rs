//! The user queries of SCIM provisioning: filtered, paged lists in a
//! stable order, and the writes of a create, a replace and a delete. The
//! rules (what a client may set, which domains) live in `crate::scim`.

use super::db::{Value, params};
use super::users::{USER_COLUMNS, user_row};
use super::{NewUser, Scoped, StoreError, User, ts};
use chrono::{DateTime, Utc};

/// One `eq` comparison of a SCIM filter, as the store can answer it; a
/// query matches users meeting all of them (RFC 7644 §3.4.2.2 `and`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserMatch {
    /// `userName` (case-insensitive: RFC 7643 §4.1.1 caseExact false).
    UserName(String),
    /// `externalId` (case-exact).
    ExternalId(String),
    /// `id`.
    Id(i64),
    /// `emails.value` (case-insensitive); `work` only: of type `work`.
    Email {
        /// The address.
        value: String,
        /// Only an email of type `work` matches.
        work: bool,
    },
    /// Matches nothing (an `id` that is not one of ours).
    Nothing,
}

/// What SCIM writes of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimFields {
    /// `userName`.
    pub user_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `name.givenName`.
    pub given_name: String,
    /// `name.familyName`.
    pub family_name: String,
    /// `displayName` as stored (never empty: see [`ScimFields::shown_name`]).
    pub display_name: String,
    /// The one email: value and type.
    pub email: Option<(String, String)>,
    /// Default location ID (already checked to be the organization's).
    pub default_location: Option<i64>,
}

impl ScimFields {
    fn email_columns(&self) -> (String, Option<&str>) {
        match &self.email {
            Some((v, t)) => (v.clone(), Some(t.as_str())),
            None => (self.user_name.clone(), None),
        }
    }
}

impl Scoped<'_> {
    /// Users (deleted ones excepted) matching every term, by ID (creation
    /// order, stable across pages): the total, and `count` of them from
    /// the 0-based `offset`.
    pub fn scim_users(
        &self,
        terms: &[UserMatch],
        offset: i64,
        count: i64,
    ) -> Result<(i64, Vec<User>), StoreError> {
        let mut condition = String::from("u.org_id = ?1 AND u.deleted_at IS NULL");
        let mut values = vec![Value::I64(self.org)];
        for t in terms {
            let mut push = |sql: &str, v: Value| {
                values.push(v);
                condition.push_str(&sql.replace('?', &format!("?{}", values.len())));
            };
            match t {
                UserMatch::UserName(v) => {
                    push(
                        " AND u.user_name_normalized = ?",
                        Value::Text(v.to_lowercase()),
                    );
                }
                UserMatch::ExternalId(v) => push(" AND u.external_id = ?", Value::Text(v.clone())),
                UserMatch::Id(v) => push(" AND u.id = ?", Value::I64(*v)),
                UserMatch::Email { value, work } => {
                    push(
                        " AND u.email_type IS NOT NULL AND u.email_normalized = ?",
                        Value::Text(value.to_ascii_lowercase()),
                    );
                    if *work {
                        condition.push_str(" AND lower(u.email_type) = 'work'");
                    }
                }
                UserMatch::Nothing => condition.push_str(" AND 1 = 0"),
            }
        }
        let total: i64 = self.conn.query_row(
            &format!("SELECT count(*) FROM users u WHERE {condition}"),
            values.as_slice(),
            |r| r.get(0),
        )?;
        if count == 0 {
            return Ok((total, Vec::new()));
        }
        let n = values.len();
        values.push(Value::I64(count));
        values.push(Value::I64(offset));
        let users = self.conn.query_map(
            &format!(
                "SELECT {USER_COLUMNS} FROM users u LEFT JOIN locations l \
                 ON l.id = u.default_location_id WHERE {condition} ORDER BY u.id \
                 LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            ),
            values.as_slice(),
            user_row,
        )?;
        Ok((total, users))
    }

    /// Another user (not `except`) with this userName, email or
    /// externalId: which of the three is taken.
    pub fn scim_conflict(
        &self,
        f: &ScimFields,
        except: Option<i64>,
    ) -> Result<Option<&'static str>, StoreError> {
        let (email, _) = f.email_columns();
        let taken = |column: &str, v: &str| -> Result<bool, StoreError> {
            Ok(self.conn.query_row(
                &format!(
                    "SELECT count(*) FROM users WHERE org_id = ?1 AND {column} = ?2 \
                     AND id IS DISTINCT FROM ?3"
                ),
                params![self.org, v, except],
                |r| r.get::<i64>(0),
            )? > 0)
        };
        if taken("user_name_normalized", &f.user_name.to_lowercase())? {
            return Ok(Some("userName"));
        }
        if taken("email_normalized", &email.to_ascii_lowercase())? {
            return Ok(Some("emails"));
        }
        if let Some(x) = &f.external_id
            && taken("external_id", x)?
        {
            return Ok(Some("externalId"));
        }
        Ok(None)
    }

    /// Creates a user from SCIM (source `scim`, role host), active or not.
    pub fn insert_scim_user(
        &self,
        f: &ScimFields,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (email, email_type) = f.email_columns();
        let id = self.insert_user_named(
            &NewUser {
                email,
                given_name: f.given_name.clone(),
                family_name: f.family_name.clone(),
                display_name: f.display_name.clone(),
                role: "host".into(),
                source: "scim".into(),
                external_id: f.external_id.clone(),
            },
            &f.user_name,
            email_type,
            now,
        )?;
        if f.default_location.is_some() {
            self.set_location_id(id, f.default_location)?;
        }
        if !active {
            self.deactivate_user(id, now)?;
        }
        Ok(id)
    }

    /// Replaces what SCIM writes of a user, and (de)activates them when
    /// `active` changes ([`Scoped::deactivate_user`] ends their sessions).
    /// False when no such user.
    pub fn update_scim_user(
        &self,
        id: i64,
        f: &ScimFields,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let Some(before) = self.user(id)? else {
            return Ok(false);
        };
        let (email, email_type) = f.email_columns();
        self.conn.execute(
            "UPDATE users SET user_name = ?3, user_name_normalized = ?4, email = ?5, \
             email_normalized = ?6, email_type = ?7, given_name = ?8, family_name = ?9, \
             display_name = ?10, external_id = ?11, updated_at = ?12 \
             WHERE org_id = ?1 AND id = ?2",
            params![
                self.org,
                id,
                f.user_name,
                f.user_name.to_lowercase(),
                email,
                email.to_ascii_lowercase(),
                email_type,
                f.given_name,
                f.family_name,
                f.display_name,
                f.external_id,
                ts(now)
            ],
        )?;
        self.set_location_id(id, f.default_location)?;
        if before.active && !active {
            self.deactivate_user(id, now)?;
        } else if !before.active && active {
            self.set_active(id, true, now)?;
        }
        Ok(true)
    }

    /// A SCIM DELETE: the user is deactivated (sessions ended) and their
    /// userName, email and externalId are freed; the row stays, marked
    /// deleted, for the visits they hosted. Their IdP identities stay
    /// linked to it, so a later sign-in finds a user that is gone and is
    /// refused even where accounts are made at sign-in (until the person
    /// is provisioned again: see `crate::signin::sign_in`). False when no
    /// such user.
    pub fn delete_scim_user(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        if !self.deactivate_user(id, now)? {
            return Ok(false);
        }
        let gone = format!("deleted-{id}@deleted.invalid");
        self.conn.execute(
            "UPDATE users SET deleted_at = ?3, user_name = ?4, user_name_normalized = ?4, \
             email = ?4, email_normalized = ?4, external_id = NULL \
             WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, ts(now), gone],
        )?;
        Ok(true)
    }

    fn set_location_id(&self, id: i64, location: Option<i64>) -> Result<(), StoreError> {
        // The composite foreign key refuses another organization's location.
        self.conn.execute(
            "UPDATE users SET default_location_id = ?3 WHERE org_id = ?1 AND id = ?2",
            params![self.org, id, location],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::disallowed_methods)]
    use super::super::Store;

    /// Code that inserts users without SCIM's columns (the conformance
    /// harness seeds accounts in SQL) still makes complete rows.
    #[test]
    fn a_row_inserted_without_a_user_name_gets_its_email() {
        super::super::tests::each_backend(a_row_inserted_without_a_user_name_gets_its_email_in);
    }

    fn a_row_inserted_without_a_user_name_gets_its_email_in(store: Store) {
        let (name, normalized, ty): (String, String, String) = store
            .unscoped(|c| {
                c.execute_batch(
                    "INSERT INTO organizations (id, slug, name, created_at) VALUES (2, 'o', 'O', 't');
                     INSERT INTO users (org_id, email, email_normalized, display_name, source,
                       created_at, updated_at) VALUES (2, 'Al@O.test', 'al@o.test', 'Al', 'ldap', 't', 't');",
                )?;
                c.query_row(
                    "SELECT user_name, user_name_normalized, email_type FROM users",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .unwrap();
        assert_eq!(
            (name.as_str(), normalized.as_str(), ty.as_str()),
            ("Al@O.test", "al@o.test", "work")
        );
    }
}
