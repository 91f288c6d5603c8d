//! Organizations: their settings, verified domains and locations.

use super::db::{Db, Lock, Row, params};
use super::{Scoped, StoreError, ts};
use crate::config::OrgConfig;
use chrono::{DateTime, Utc};

/// An organization's settings, as shown to its admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInfo {
    /// Short name.
    pub slug: String,
    /// Name shown.
    pub name: String,
    /// Verified email domains.
    pub domains: Vec<String>,
    /// Default location's name.
    pub default_location: Option<String>,
}

/// A location of the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Row ID.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The organization's default location.
    pub is_default: bool,
}

/// Writes the configured organizations (see [`super::Store::sync_orgs`]).
pub(super) fn sync(c: Db<'_>, orgs: &[OrgConfig], now: DateTime<Utc>) -> Result<(), StoreError> {
    c.execute("DELETE FROM org_domains", [])?;
    for o in orgs {
        let mut id = super::org_id(c, &o.slug)?;
        if id.is_none() && o.adopt_default {
            id = super::org_id(c, "default")?;
            if let Some(d) = id {
                c.execute(
                    "UPDATE organizations SET slug = ?2 WHERE id = ?1",
                    params![d, o.slug],
                )?;
                tracing::info!(org = %o.slug, "organization \"default\" (data from before organizations) adopted");
            }
        }
        let id = match id {
            Some(id) => id,
            None => c.query_row(
                "INSERT INTO organizations (slug, name, created_at) VALUES (?1, ?2, ?3) \
                 RETURNING id",
                params![o.slug, o.name, ts(now)],
                |r| r.get(0),
            )?,
        };
        // Its own transactions wait for this one (PostgreSQL; SQLite has
        // one writer anyway).
        c.lock(Lock::Org(id))?;
        c.execute(
            "UPDATE organizations SET name = ?2 WHERE id = ?1",
            params![id, o.name],
        )?;
        // The primary key refuses a domain another organization holds.
        for d in &o.domains {
            c.execute(
                "INSERT INTO org_domains (domain, org_id) VALUES (?1, ?2)",
                params![d.as_str(), id],
            )?;
        }
        for l in &o.locations {
            c.execute(
                "INSERT INTO locations (org_id, name, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (org_id, name) DO NOTHING",
                params![id, l, ts(now)],
            )?;
        }
        c.execute(
            "UPDATE organizations SET default_location_id = \
             (SELECT id FROM locations WHERE org_id = ?1 AND name = ?2) WHERE id = ?1",
            params![id, o.default_location()],
        )?;
    }
    Ok(())
}

impl Scoped<'_> {
    /// The organization's settings.
    pub fn org(&self) -> Result<OrgInfo, StoreError> {
        let (slug, name, default_location) = self.conn.query_row(
            "SELECT o.slug, o.name, l.name FROM organizations o \
             LEFT JOIN locations l ON l.id = o.default_location_id AND l.org_id = o.id \
             WHERE o.id = ?1",
            [self.org],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let domains = self.conn.query_map(
            "SELECT domain FROM org_domains WHERE org_id = ?1 ORDER BY domain",
            [self.org],
            |r| r.get(0),
        )?;
        Ok(OrgInfo {
            slug,
            name,
            domains,
            default_location,
        })
    }

    /// The organization's default location.
    pub fn default_location_id(&self) -> Result<Option<i64>, StoreError> {
        self.conn.query_row(
            "SELECT default_location_id FROM organizations WHERE id = ?1",
            [self.org],
            |r| r.get(0),
        )
    }

    /// The organization's locations, by name.
    pub fn locations(&self) -> Result<Vec<Location>, StoreError> {
        self.conn.query_map(
            "SELECT l.id, l.name, l.id = o.default_location_id FROM locations l \
             JOIN organizations o ON o.id = l.org_id WHERE l.org_id = ?1 ORDER BY l.name, l.id",
            [self.org],
            location_row,
        )
    }

    /// A location of the organization.
    pub fn location(&self, id: i64) -> Result<Option<Location>, StoreError> {
        self.conn.query_opt(
            "SELECT l.id, l.name, l.id = o.default_location_id FROM locations l \
             JOIN organizations o ON o.id = l.org_id WHERE l.org_id = ?1 AND l.id = ?2",
            params![self.org, id],
            location_row,
        )
    }

    /// Adds a location; `None` when the organization has one of that name.
    pub fn add_location(&self, name: &str, now: DateTime<Utc>) -> Result<Option<i64>, StoreError> {
        self.conn.query_opt(
            "INSERT INTO locations (org_id, name, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (org_id, name) DO NOTHING RETURNING id",
            params![self.org, name, ts(now)],
            |r| r.get(0),
        )
    }
}

fn location_row(r: &Row<'_>) -> Result<Location, StoreError> {
    Ok(Location {
        id: r.get(0)?,
        name: r.get(1)?,
        is_default: r.get::<Option<bool>>(2)?.unwrap_or(false),
    })
}
