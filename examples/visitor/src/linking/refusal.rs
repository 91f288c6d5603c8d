//! What the person sees when the linking rules refuse a sign-in: a title
//! and words they can act on, with a stable code for logs and tests.

use samlsp_actix::Refusal;

use super::email::EmailProblem;

/// Why a sign-in was refused by the linking rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// The account is deactivated.
    Deactivated,
    /// An account with this email exists in the organization and its domain
    /// is not one the organization verified.
    ForeignDomain,
    /// No account, and JIT creation is off for this IdP.
    NotProvisioned,
    /// The email is missing or unusable.
    UnusableEmail(EmailProblem),
    /// The NameID is transient.
    TransientNameId,
    /// The email's domain belongs to another organization.
    DomainOfAnotherIdp,
    /// The email's domain is not one the organization verified.
    UnverifiedDomain,
}

impl LinkRefusal {
    /// The page the person sees.
    pub fn to_refusal(self, company: &str) -> Refusal {
        let (code, title, message) = match self {
            LinkRefusal::Deactivated => (
                "deactivated",
                "Your account is deactivated",
                "Your account in this visitor app has been deactivated. If you think this \
                 is a mistake, contact your administrator."
                    .to_owned(),
            ),
            LinkRefusal::ForeignDomain => (
                "foreign_domain",
                "This account cannot be linked",
                format!(
                    "An account with your email address already exists, but {company} is not \
                     allowed to sign in to it. Sign in with the company that manages your \
                     email address, or ask an administrator to link the accounts."
                ),
            ),
            LinkRefusal::NotProvisioned => (
                "not_provisioned",
                "No account for you yet",
                format!(
                    "{company} confirmed who you are, but this visitor app has no account for \
                     you and does not create accounts automatically for {company}. Ask your \
                     administrator to add you."
                ),
            ),
            LinkRefusal::UnusableEmail(p) => (
                "unusable_email",
                "Your email address cannot be used",
                match p {
                    EmailProblem::Missing => format!(
                        "{company} did not send an email address for you, and this app needs \
                         one. Ask your administrator to release the email attribute."
                    ),
                    EmailProblem::Invalid | EmailProblem::NonAscii => format!(
                        "{company} sent an email address this app does not accept (only plain \
                         ASCII addresses are). Ask your administrator for help."
                    ),
                },
            ),
            LinkRefusal::TransientNameId => (
                "transient_name_id",
                "Sign-in is not set up correctly",
                format!(
                    "{company} sends a one-time identifier, which cannot identify you from one \
                     visit to the next. Ask your administrator to configure a persistent or \
                     email NameID."
                ),
            ),
            LinkRefusal::DomainOfAnotherIdp => (
                "domain_of_another_idp",
                "Use your own company's sign-in",
                format!(
                    "Your email address belongs to a company that has its own sign-in here. \
                     Use that button instead of {company}."
                ),
            ),
            LinkRefusal::UnverifiedDomain => (
                "unverified_domain",
                "Your email address is not your company's",
                format!(
                    "{company} sent an email address outside the domains your company has \
                     verified with this visitor app, so no account can be made for it. Ask \
                     your administrator to check your email address."
                ),
            ),
        };
        Refusal {
            code,
            title: title.to_owned(),
            message,
        }
    }
}
