//! Test sign-ins: the real SP-initiated flow against a connection being set
//! up, ending in a report for the person who ran it instead of a session.
//!
//! `…/saml/login?idp=<slug>&test=1` marks the pending request as a test
//! (in its stored application state, never in anything the IdP sees as
//! meaningful). The ACS verifies the response exactly as for a real
//! sign-in; a test then skips the [`crate::UserMapper`] and the session
//! sign-in, and leaves a [`TestedLogin`] in the browser's session for the
//! application to show (and to record that the connection works). A
//! failed test is an ordinary failure: the fixed page with its correlation
//! ID, and the [`crate::SignInObserver`] gets its code and remediation.
//!
//! A connection with [`crate::IdpOptions::test_only`] takes only these:
//! anything else through it is refused with
//! [`crate::SignInError::ConnectionNotEnabled`]. With
//! [`crate::IdpOptions::idp_initiated_test_landing`] it also takes the
//! IdP's own test button (an IdP-initiated response), into a browser that
//! is signed in here already, and the report lands at that path.

use actix_session::Session;
use chrono::{DateTime, Utc};
use samlsp::Assertion;
use serde::{Deserialize, Serialize};

/// Marks a test in the pending request's application state: a return path
/// starts with `/`, so it cannot be mistaken for one.
pub(crate) const TEST_MARK: &str = "test ";

const SESSION_TEST_KEY: &str = "samlsp.tested";
/// Attributes kept for the report (the core already bounds the assertion;
/// this keeps the session small).
const MAX_ATTRIBUTES: usize = 32;
/// Values kept per attribute.
const MAX_VALUES: usize = 8;
/// Characters kept per name or value.
const MAX_CHARS: usize = 256;

/// The report of a successful test sign-in: which connection, the verified
/// NameID and attributes. Made only by the ACS, from an assertion the core
/// verified; read back with [`TestedLogin::take`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestedLogin {
    tenant: Option<String>,
    idp_slug: String,
    idp_entity_id: String,
    name_id: String,
    name_id_format: Option<String>,
    attributes: Vec<(String, Vec<String>)>,
    at: i64,
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_CHARS).collect()
}

impl TestedLogin {
    pub(crate) fn new(
        tenant: Option<String>,
        idp_slug: String,
        a: &Assertion,
        at: DateTime<Utc>,
    ) -> Self {
        TestedLogin {
            tenant,
            idp_slug,
            idp_entity_id: a.issuer().to_string(),
            name_id: clip(a.name_id().value()),
            name_id_format: a.name_id().format().map(clip),
            attributes: a
                .attributes()
                .iter()
                .take(MAX_ATTRIBUTES)
                .map(|at| {
                    (
                        clip(at.name()),
                        at.values()
                            .iter()
                            .take(MAX_VALUES)
                            .map(|v| clip(v))
                            .collect(),
                    )
                })
                .collect(),
            at: at.timestamp(),
        }
    }

    pub(crate) fn store(&self, session: &Session) -> Result<(), String> {
        session
            .insert(SESSION_TEST_KEY, self)
            .map_err(|e| e.to_string())
    }

    /// Takes the report of the last test sign-in out of this browser's
    /// session (it is shown once).
    pub fn take(session: &Session) -> Option<TestedLogin> {
        let t = session.get::<TestedLogin>(SESSION_TEST_KEY).ok().flatten();
        session.remove(SESSION_TEST_KEY);
        t
    }

    /// The tenant (`None`: the default one).
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
    /// The connection tested.
    pub fn idp_slug(&self) -> &str {
        &self.idp_slug
    }
    /// The IdP's entity ID (the verified Issuer).
    pub fn idp_entity_id(&self) -> &str {
        &self.idp_entity_id
    }
    /// The verified NameID (clipped to 256 characters).
    pub fn name_id(&self) -> &str {
        &self.name_id
    }
    /// Its format, if the IdP said.
    pub fn name_id_format(&self) -> Option<&str> {
        self.name_id_format.as_deref()
    }
    /// The attributes as sent: names and values (at most 32 attributes
    /// of 8 values, each clipped to 256 characters).
    pub fn attributes(&self) -> &[(String, Vec<String>)] {
        &self.attributes
    }
    /// When it was verified.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.at, 0)
    }
}
