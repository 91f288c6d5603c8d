//! The app's [`UserMapper`]: reads the assertion with the IdP's attribute
//! names, looks the person up, applies the [`linking`] rules, and writes the
//! outcome, all in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use samlsp_actix::{LinkedUser, MapError, MapFuture, UserMapper, VerifiedLogin};

use crate::config::Config;
use crate::linking::{self, Asserted, AttributeNames, Decision, Found, LinkPolicy, LinkRefusal};
use crate::store::{self, Store, StoreError, User};

/// How a sign-in resolved (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Known (IdP, NameID): profile refreshed.
    Known,
    /// Existing account linked by authoritative email domain.
    Linked,
    /// New account created.
    Created,
}

/// Per IdP slug: attribute names and linking policy.
#[derive(Debug, Clone)]
struct IdpRules {
    slug: String,
    names: AttributeNames,
    policy: LinkPolicy,
}

/// The app's [`UserMapper`].
#[derive(Clone)]
pub struct JitMapper {
    store: Store,
    rules: Arc<Vec<IdpRules>>,
    clock: samlsp_actix::Clock,
}

impl JitMapper {
    /// Rules from the configuration.
    pub fn new(config: &Config, store: Store, clock: samlsp_actix::Clock) -> Self {
        let rules = config
            .idps
            .iter()
            .map(|i| IdpRules {
                slug: i.slug.clone(),
                names: i.attribute_names(),
                policy: LinkPolicy {
                    jit_create: i.jit_create,
                    authoritative_domains: i.authoritative_domains.clone(),
                    other_idps_domains: config
                        .idps
                        .iter()
                        .filter(|o| o.slug != i.slug)
                        .flat_map(|o| o.authoritative_domains.iter().cloned())
                        .collect(),
                    default_location: i.default_location.clone(),
                    admin_group: i.admin_group.clone(),
                },
            })
            .collect();
        JitMapper {
            store,
            rules: Arc::new(rules),
            clock,
        }
    }
}

impl std::fmt::Debug for JitMapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitMapper")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl UserMapper for JitMapper {
    fn sign_in<'a>(&'a self, login: &'a VerifiedLogin) -> MapFuture<'a> {
        Box::pin(async move {
            let Some(rules) = self.rules.iter().find(|r| r.slug == login.idp_slug()) else {
                return Err(MapError::Internal(format!(
                    "no rules for IdP {}",
                    login.idp_slug()
                )));
            };
            let asserted = Asserted::from_assertion(login.assertion(), &rules.names);
            let policy = rules.policy.clone();
            let now = (self.clock)();
            let outcome = self
                .store
                .run(move |c| sign_in(c, &asserted, &policy, now))
                .await
                .map_err(|e| MapError::Internal(e.to_string()))?;
            match outcome {
                Ok((user, resolution)) => {
                    tracing::info!(user_id = user.id, ?resolution, "user resolved");
                    Ok(LinkedUser {
                        user_id: user.id.to_string(),
                        display_name: user.display_name,
                    })
                }
                Err(refusal) => Err(MapError::Refused(refusal.to_refusal(login.idp_name()))),
            }
        })
    }
}

/// One sign-in, in one transaction: committed only when it succeeds.
pub fn sign_in(
    conn: &mut Connection,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<Result<(User, Resolution), LinkRefusal>, StoreError> {
    let tx = conn.transaction()?;
    let by_identity = match store::identity(&tx, &a.key)? {
        Some(i) => Some(store::user_by_id(&tx, i.user_id)?),
        None => None,
    };
    let by_email = match &a.email {
        Ok(e) => store::user_by_email(&tx, &e.normalized)?,
        Err(_) => None,
    };
    let found = Found {
        by_identity: by_identity.as_ref().map(Option::as_ref),
        by_email: by_email.as_ref(),
    };
    let (user_id, resolution) = match linking::decide(a, found, policy) {
        Err(refusal) => return Ok(Err(refusal)),
        Ok(Decision::SignIn(id)) => {
            refresh_profile(&tx, id, a, policy, now)?;
            store::touch_identity(&tx, &a.key, &a.attributes_json, now)?;
            (id, Resolution::Known)
        }
        Ok(Decision::Link(id)) => {
            store::insert_identity(&tx, id, &a.key, &a.attributes_json, now)?;
            refresh_profile(&tx, id, a, policy, now)?;
            tracing::info!(
                user_id = id,
                idp = %a.key.idp_entity_id,
                "existing account linked (authoritative email domain)"
            );
            (id, Resolution::Linked)
        }
        Ok(Decision::Create(new)) => {
            let id = store::insert_user(&tx, &new, now)?;
            store::insert_identity(&tx, id, &a.key, &a.attributes_json, now)?;
            store::set_last_login(&tx, id, now)?;
            tracing::info!(
                user_id = id,
                role = new.role.as_str(),
                idp = %a.key.idp_entity_id,
                "user created just in time"
            );
            (id, Resolution::Created)
        }
    };
    let Some(user) = store::user_by_id(&tx, user_id)? else {
        return Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows));
    };
    tx.commit()?;
    Ok(Ok((user, resolution)))
}

/// Applies [`linking::profile_update`] to a known user.
fn refresh_profile(
    conn: &Connection,
    user_id: i64,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(user) = store::user_by_id(conn, user_id)? else {
        return Ok(());
    };
    let update = linking::profile_update(&user, a, policy);
    store::update_names(
        conn,
        user.id,
        &update.given_name,
        &update.family_name,
        &update.display_name,
        now,
    )?;
    if let Some(email) = &update.email {
        if store::user_by_email(conn, &email.normalized)?.is_some() {
            tracing::warn!(
                user_id = user.id,
                "asserted email belongs to another account; email not updated"
            );
        } else {
            store::set_email(conn, user.id, &email.as_received, &email.normalized)?;
        }
    }
    if let Some(role) = update.role {
        store::set_role(conn, user.id, role.as_str())?;
        tracing::info!(
            user_id = user.id,
            role = role.as_str(),
            "role updated from IdP groups"
        );
    }
    Ok(())
}
