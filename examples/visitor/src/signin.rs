//! The app's [`UserMapper`]: reads the assertion with the IdP's attribute
//! names, looks the person up within the connection's organization, applies
//! the [`linking`] rules, and writes the outcome, all in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use samlsp_actix::{LinkedUser, MapError, MapFuture, UserMapper, VerifiedLogin};

use crate::audit::{self, Category, Event, Outcome};
use crate::config::Config;
use crate::connections::registry::Registry;
use crate::linking::{
    self, Asserted, AttributeNames, Decision, Domain, Found, LinkPolicy, LinkRefusal,
};
use crate::store::{Scoped, Store, StoreError, User};

/// How a sign-in resolved (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Known (IdP, NameID): profile refreshed.
    Known,
    /// Existing account linked by verified email domain.
    Linked,
    /// New account created.
    Created,
}

/// Per IdP slug: its organization, attribute names and linking policy.
#[derive(Debug, Clone)]
struct IdpRules {
    slug: String,
    org: String,
    names: AttributeNames,
    policy: LinkPolicy,
}

/// The app's [`UserMapper`].
#[derive(Clone)]
pub struct JitMapper {
    store: Store,
    rules: Arc<Vec<IdpRules>>,
    clock: samlsp_actix::Clock,
    /// Console connections: rules made from their preset and
    /// organization when they sign someone in.
    connections: Registry,
    /// Every organization's verified domains (for console connections'
    /// policy).
    domains: Arc<Vec<(String, Vec<Domain>)>>,
}

impl JitMapper {
    /// Rules from the configuration.
    pub fn new(
        config: &Config,
        store: Store,
        clock: samlsp_actix::Clock,
        connections: Registry,
    ) -> Self {
        let rules = config
            .idps
            .iter()
            .filter_map(|i| {
                let org = config.orgs.iter().find(|o| o.slug == i.org)?;
                Some(IdpRules {
                    slug: i.slug.clone(),
                    org: org.slug.clone(),
                    names: i.attribute_names(),
                    policy: LinkPolicy {
                        jit_create: i.jit_create,
                        org_domains: org.domains.clone(),
                        other_orgs_domains: config
                            .orgs
                            .iter()
                            .filter(|o| o.slug != org.slug)
                            .flat_map(|o| o.domains.iter().cloned())
                            .collect(),
                        admin_group: i.admin_group.clone(),
                    },
                })
            })
            .collect();
        JitMapper {
            store,
            rules: Arc::new(rules),
            clock,
            connections,
            domains: Arc::new(
                config
                    .orgs
                    .iter()
                    .map(|o| (o.slug.clone(), o.domains.clone()))
                    .collect(),
            ),
        }
    }

    /// The rules of a connection: configured, or a console connection's
    /// (just-in-time creation in its organization, email linking within
    /// the organization's verified domains, no admin group).
    fn rules_of(&self, slug: &str) -> Option<IdpRules> {
        if let Some(r) = self.rules.iter().find(|r| r.slug == slug) {
            return Some(r.clone());
        }
        let e = self.connections.get(slug)?;
        let org_domains = self
            .domains
            .iter()
            .find(|(o, _)| *o == e.org)
            .map(|(_, d)| d.clone())?;
        Some(IdpRules {
            slug: slug.to_owned(),
            policy: LinkPolicy {
                jit_create: true,
                org_domains,
                other_orgs_domains: self
                    .domains
                    .iter()
                    .filter(|(o, _)| *o != e.org)
                    .flat_map(|(_, d)| d.iter().cloned())
                    .collect(),
                admin_group: None,
            },
            org: e.org,
            names: e.names,
        })
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
            let Some(rules) = self.rules_of(login.idp_slug()) else {
                return Err(MapError::Internal(format!(
                    "no rules for IdP {}",
                    login.idp_slug()
                )));
            };
            let asserted = Asserted::from_assertion(login.assertion(), &rules.names);
            let policy = rules.policy.clone();
            let now = (self.clock)();
            // A database that cannot be reached is the 503 page, not the 500.
            let internal = |e: StoreError| match e {
                e if e.is_unavailable() => MapError::Unavailable(e.to_string()),
                e => MapError::Internal(e.to_string()),
            };
            let Some(scope) = self
                .store
                .login_scope(login, &rules.org)
                .await
                .map_err(internal)?
            else {
                return Err(MapError::Internal(format!(
                    "organization {:?} is not in the database",
                    rules.org
                )));
            };
            let connection = rules.slug.clone();
            let outcome = self
                .store
                .scoped(&scope, move |s| {
                    let out = sign_in(s, &asserted, &policy, now)?;
                    // JIT creations and links, in the same transaction.
                    if let Ok((user, resolution, _)) = &out {
                        let action = match resolution {
                            Resolution::Created => Some("user_created"),
                            Resolution::Linked => Some("user_linked"),
                            Resolution::Known => None,
                        };
                        if let Some(action) = action {
                            audit::record(
                                s,
                                &Event::new(now, Category::Jit, action, Outcome::Ok)
                                    .actor(format!("idp:{connection}"))
                                    .connection(&connection)
                                    .detail("user_id", user.id.to_string()),
                            )?;
                        }
                    }
                    Ok(out)
                })
                .await
                .map_err(internal)?;
            match outcome {
                Ok((user, resolution, refused_domain)) => {
                    tracing::info!(user_id = user.id, org = %rules.org, ?resolution, "user resolved");
                    if let Some(domain) = refused_domain {
                        tracing::warn!(
                            user_id = user.id,
                            org = %rules.org,
                            domain = %domain,
                            "asserted email is not in one of the organization's verified domains; \
                             email kept"
                        );
                    }
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

/// A sign-in that went through: the user, how, and the domain of an
/// asserted email not adopted (outside the organization's domains).
pub type Signed = (User, Resolution, Option<Domain>);

/// One sign-in, within the organization of `s` (one transaction, committed
/// only when it succeeds).
pub fn sign_in(
    s: &Scoped<'_>,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<Result<Signed, LinkRefusal>, StoreError> {
    let by_identity = match s.identity(&a.key)? {
        Some(i) => Some(s.user(i.user_id)?),
        None => None,
    };
    let by_email = match &a.email {
        Ok(e) => s.user_by_email(&e.normalized)?,
        Err(_) => None,
    };
    // A person deleted through SCIM and provisioned again: their identity
    // still points at the deleted row; the new account with the asserted
    // email takes it over if the rules would link it (else, refused as a
    // user that is gone).
    let relink = matches!(by_identity, Some(None)) && by_email.is_some();
    let found = Found {
        by_identity: if relink {
            None
        } else {
            by_identity.as_ref().map(Option::as_ref)
        },
        by_email: by_email.as_ref(),
    };
    let mut refused_domain = None;
    let (user_id, resolution) = match linking::decide(a, found, policy) {
        Err(refusal) => return Ok(Err(refusal)),
        Ok(Decision::SignIn(id)) => {
            refused_domain = refresh_profile(s, id, a, policy, now)?;
            s.touch_identity(&a.key, &a.attributes_json, now)?;
            (id, Resolution::Known)
        }
        Ok(Decision::Link(id)) => {
            if relink {
                s.delete_identity(&a.key)?;
            }
            s.insert_identity(id, &a.key, &a.attributes_json, now)?;
            refused_domain = refresh_profile(s, id, a, policy, now)?;
            tracing::info!(
                user_id = id,
                idp = %a.key.idp_entity_id,
                "existing account linked (verified email domain)"
            );
            (id, Resolution::Linked)
        }
        Ok(Decision::Create(new)) => {
            let id = s.insert_user(&new, now)?;
            s.insert_identity(id, &a.key, &a.attributes_json, now)?;
            s.set_last_login(id, now)?;
            tracing::info!(
                user_id = id,
                role = new.role.as_str(),
                idp = %a.key.idp_entity_id,
                "user created just in time"
            );
            (id, Resolution::Created)
        }
    };
    let Some(user) = s.user(user_id)? else {
        return Err(StoreError::NoRow);
    };
    Ok(Ok((user, resolution, refused_domain)))
}

/// Applies [`linking::profile_update`] to a known user; returns the domain
/// of an asserted email not adopted (outside the organization's domains).
fn refresh_profile(
    s: &Scoped<'_>,
    user_id: i64,
    a: &Asserted,
    policy: &LinkPolicy,
    now: DateTime<Utc>,
) -> Result<Option<Domain>, StoreError> {
    let Some(user) = s.user(user_id)? else {
        return Ok(None);
    };
    let update = linking::profile_update(&user, a, policy);
    s.update_names(
        user.id,
        &update.given_name,
        &update.family_name,
        &update.display_name,
        now,
    )?;
    if let Some(email) = &update.email {
        if s.user_by_email(&email.normalized)?.is_some() {
            tracing::warn!(
                user_id = user.id,
                "asserted email belongs to another account; email not updated"
            );
        } else {
            s.set_email(user.id, &email.as_received, &email.normalized)?;
        }
    }
    if let Some(role) = update.role {
        s.set_role(user.id, role.as_str())?;
        tracing::info!(
            user_id = user.id,
            role = role.as_str(),
            "role updated from IdP groups"
        );
    }
    Ok(update.email_refused.map(|e| e.domain))
}
