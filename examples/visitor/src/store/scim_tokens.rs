//! SCIM bearer tokens: one organization each, made by the operator
//! (`visitor scim-token`), shown once, stored as a SHA-256 hash, revocable.
//!
//! A token reads `vscim_<row id>_<64 hex digits>`: the row ID finds the
//! stored hash without comparing secrets in an index lookup, then the hash
//! of the presented secret is compared with it in constant time
//! (`CRYPTO_memcmp`). 256 random bits make guessing pointless and the
//! unsalted hash safe to keep (nothing to brute-force).
//!
//! A valid, unrevoked token is the third proof of an organization
//! ([`OrgScope`], besides a session and a verified SAML login):
//! [`Store::scim_scope`] is the only place that makes one from a token.

use chrono::{DateTime, Utc};
use samlsp::RandomSource;

use super::db::params;
use super::{OrgScope, Store, StoreError, org_id, ts};

/// What every token starts with (so it can be recognised in a leak scan).
pub const TOKEN_PREFIX: &str = "vscim_";
/// Random bytes per secret.
const SECRET_BYTES: usize = 32;
/// Longest header value looked at (prefix, a 19-digit ID, the secret).
const MAX_TOKEN_CHARS: usize = 100;

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimToken {
    /// Row ID (the number in the token, for revocation).
    pub id: i64,
    /// What the operator called it.
    pub label: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, once revoked.
    pub revoked_at: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `(row id, secret)` of a presented token; `None` when malformed.
fn parse(presented: &str) -> Option<(i64, &str)> {
    if presented.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let rest = presented.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let ok = secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    Some((id.parse().ok()?, secret)).filter(|_| ok)
}

impl Store {
    /// Makes a token for the organization `org_slug`; returns its ID and
    /// the token, which is not stored (show it once). `None` when no such
    /// organization. An operator action, like [`Store::sync_orgs`].
    pub fn create_scim_token(
        &self,
        org_slug: &str,
        label: &str,
        now: DateTime<Utc>,
        random: &dyn RandomSource,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let mut secret = [0u8; SECRET_BYTES];
        random
            .fill(&mut secret)
            .map_err(|e| StoreError::Task(format!("random source: {e}")))?;
        let secret = hex(&secret);
        self.sync(|d| {
            d.run(|c| {
                let Some(org) = org_id(c, org_slug)? else {
                    return Ok(None);
                };
                let id: i64 = c.query_row(
                    "INSERT INTO scim_tokens (org_id, secret_hash, label, created_at) \
                 VALUES (?1, ?2, ?3, ?4) RETURNING id",
                    params![
                        org,
                        openssl::sha::sha256(secret.as_bytes()).to_vec(),
                        label,
                        ts(now)
                    ],
                    |r| r.get(0),
                )?;
                Ok(Some((id, format!("{TOKEN_PREFIX}{id}_{secret}"))))
            })
        })
    }

    /// The organization's tokens, oldest first; `None` when no such
    /// organization.
    pub fn scim_tokens(&self, org_slug: &str) -> Result<Option<Vec<ScimToken>>, StoreError> {
        self.sync(|d| {
            d.run(|c| {
                let Some(org) = org_id(c, org_slug)? else {
                    return Ok(None);
                };
                c.query_map(
                    "SELECT id, label, created_at, revoked_at FROM scim_tokens WHERE org_id = ?1 \
                 ORDER BY id",
                    [org],
                    |r| {
                        Ok(ScimToken {
                            id: r.get(0)?,
                            label: r.get(1)?,
                            created_at: r.get(2)?,
                            revoked_at: r.get(3)?,
                        })
                    },
                )
                .map(Some)
            })
        })
    }

    /// Revokes a token of the organization: refused from its next request
    /// on. False when the organization has no such unrevoked token.
    pub fn revoke_scim_token(
        &self,
        org_slug: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = self.sync(|d| {
            d.run(|c| {
                c.execute(
                    "UPDATE scim_tokens SET revoked_at = ?3 WHERE id = ?2 AND revoked_at IS NULL \
                 AND org_id = (SELECT id FROM organizations WHERE slug = ?1)",
                    params![org_slug, id, ts(now)],
                )
            })
        })?;
        Ok(n == 1)
    }

    /// The organization of a presented bearer token: `None` when it is
    /// malformed, unknown, revoked, or its secret does not match.
    pub async fn scim_scope(&self, presented: &str) -> Result<Option<OrgScope>, StoreError> {
        let Some((id, secret)) = parse(presented) else {
            return Ok(None);
        };
        let presented_hash = openssl::sha::sha256(secret.as_bytes());
        self.blocking(move |d| {
            let row: Option<(i64, Vec<u8>)> = d.run(|c| {
                c.query_opt(
                    "SELECT org_id, secret_hash FROM scim_tokens \
                     WHERE id = ?1 AND revoked_at IS NULL",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
            })?;
            Ok(row.and_then(|(org, stored)| {
                (stored.len() == presented_hash.len()
                    && openssl::memcmp::eq(&stored, &presented_hash))
                .then_some(OrgScope { org })
            }))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        let good = format!("vscim_12_{}", "ab".repeat(32));
        assert_eq!(parse(&good).map(|(id, _)| id), Some(12));
        for bad in [
            String::new(),
            "Bearer x".into(),
            format!("scim_12_{}", "ab".repeat(32)),
            format!("vscim_x_{}", "ab".repeat(32)),
            format!("vscim_12_{}", "ab".repeat(31)),
            format!("vscim_12_{}", "zz".repeat(32)),
            format!("vscim_12_{}", "ab".repeat(60)),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
