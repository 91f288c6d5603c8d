//! The console's connection pages (templates under `templates/`).

use askama::Template;

use super::presets::Preset;
use super::refresh::Refreshed;
use super::{OurValues, Understood};
#[allow(unused_imports)] // the layout template names `Nav`
use crate::pages::{Layout, Nav};
use samlsp_actix::TestedLogin;

use crate::store::{AuditRow, ConnectionRow, RefreshState};

/// The form as given (kept when it is shown again with an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AddForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Preset key.
    #[serde(default)]
    pub preset: String,
    /// Metadata URL.
    #[serde(default)]
    pub metadata_url: String,
    /// Metadata XML.
    #[serde(default)]
    pub metadata_xml: String,
}

/// The list, the add form and our values.
#[derive(Debug, Template)]
#[template(path = "admin_connections.html")]
pub struct List<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The organization's connections.
    pub rows: &'a [ConnectionRow],
    /// The presets to choose from.
    pub presets: &'a [Preset],
    /// The form as given.
    pub form: &'a AddForm,
    /// Why the last add was refused.
    pub error: Option<String>,
    /// What to enter at the IdP.
    pub ours: &'a OurValues,
    /// CSRF token for the form.
    pub csrf: &'a str,
}

/// One connection: what was understood, what to enter at the IdP, the
/// preset, and the test and enable steps.
#[derive(Debug, Template)]
#[template(path = "admin_connection.html")]
pub struct Show<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The connection.
    pub row: &'a ConnectionRow,
    /// What its metadata says now, or why it cannot be read now.
    pub understood: Result<Understood, String>,
    /// Its preset.
    pub preset: Option<Preset>,
    /// What to enter at the IdP.
    pub ours: &'a OurValues,
    /// A refusal to show (enable before a test).
    pub notice: Option<&'static str>,
    /// CSRF token for the forms.
    pub csrf: &'a str,
    /// The test sign-in this browser just ran through it.
    pub report: Option<Report>,
    /// The last failed sign-in through it (code; its trace has the
    /// remediation).
    pub last_failure: Option<AuditRow>,
    /// That failure's remediation, shown with it.
    pub remediation: Option<String>,
    /// The test sign-in link.
    pub test_href: String,
    /// The last fetches from its URL.
    pub refresh: RefreshState,
    /// What "Refresh now" just did.
    pub refreshed: Option<Refreshed>,
}

/// The form of an edit (kept when it is shown again with an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct EditForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Preset key.
    #[serde(default)]
    pub preset: String,
    /// Metadata URL (the current one: the copy is kept; another one: it
    /// is fetched).
    #[serde(default)]
    pub metadata_url: String,
    /// New metadata XML (replaces the copy; the URL must then be empty).
    #[serde(default)]
    pub metadata_xml: String,
}

/// Editing a connection: name, preset, metadata.
#[derive(Debug, Template)]
#[template(path = "admin_connection_edit.html")]
pub struct Edit<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The connection as stored.
    pub row: &'a ConnectionRow,
    /// The form as given.
    pub form: &'a EditForm,
    /// The presets to choose from.
    pub presets: &'a [Preset],
    /// Why the last edit was refused.
    pub error: Option<String>,
    /// CSRF token for the form.
    pub csrf: &'a str,
}

/// Asks before deleting a connection.
#[derive(Debug, Template)]
#[template(path = "admin_connection_delete.html")]
pub struct Delete<'a> {
    /// Around the content.
    pub layout: Layout<'a>,
    /// The connection.
    pub row: &'a ConnectionRow,
    /// CSRF token for the form.
    pub csrf: &'a str,
}

/// A successful test sign-in, as shown: the verified NameID, the
/// attributes as sent, and what the preset's names picked from them.
#[derive(Debug)]
pub struct Report {
    /// NameID.
    pub name_id: String,
    /// Its format, or `–`.
    pub name_id_format: String,
    /// Attributes as sent.
    pub attributes: Vec<(String, String)>,
    /// (field, attribute name, value or `–`) for email, given and family
    /// name.
    pub mapped: Vec<(&'static str, String, String)>,
}

impl Report {
    /// From the SAML layer's report and the connection's preset.
    pub fn new(t: &TestedLogin, preset: Option<&Preset>) -> Self {
        let value = |name: &str| {
            t.attributes()
                .iter()
                .find(|(n, _)| n == name)
                .map_or_else(|| "– (not sent)".to_owned(), |(_, v)| v.join(", "))
        };
        let mapped = preset
            .map(|p| {
                vec![
                    ("Email", p.email.clone(), value(&p.email)),
                    ("Given name", p.given_name.clone(), value(&p.given_name)),
                    ("Family name", p.family_name.clone(), value(&p.family_name)),
                ]
            })
            .unwrap_or_default();
        Report {
            name_id: t.name_id().to_owned(),
            name_id_format: t.name_id_format().unwrap_or("–").to_owned(),
            attributes: t
                .attributes()
                .iter()
                .map(|(n, v)| (n.clone(), v.join(", ")))
                .collect(),
            mapped,
        }
    }
}

/// `2027-01-01` or `–`.
pub fn day(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "–".into(), |t| t.format("%Y-%m-%d").to_string())
}
