//! The verified assertion and the rules that make one (SAML Core 2.0 §2.3–2.7,
//! Web Browser SSO Profile, SAML Profiles §4.1.4).
//!
//! An [`Assertion`] can only be built here, from a [`SignedElement`]: every value
//! it exposes was read from the signed subtree of the same parse tree.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::dsig::SignedElement;
use crate::error::{ProtocolError, clip};
use crate::ids::EntityId;
use crate::time::{ClockSkew, parse_instant};
use crate::xml::ElementRef;

/// SAML 2.0 assertion namespace.
pub const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// Bearer confirmation method (SAML Profiles §3.3).
pub const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// Entity NameID format, the only one allowed on an Issuer (Core §8.3.6).
pub const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// URIs that IdPs repeat in every assertion: name identifier formats (SAML
/// Core 2.0 §8.3), attribute name formats (§8.2) and the common
/// authentication context classes (SAML Authn Context 2.0 §3.4). A value
/// equal to one of them is kept as the constant instead of being copied.
const KNOWN_URIS: &[&str] = &[
    "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    ENTITY_FORMAT,
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:X509",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos",
    "urn:federation:authentication:windows",
];

/// `value` as one of [`KNOWN_URIS`] when it is one, else copied.
fn known_or_owned(value: &str) -> Cow<'static, str> {
    match KNOWN_URIS.iter().find(|k| **k == value) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(value.to_owned()),
    }
}

/// Appends `s` to `text`; its range there.
fn pack(text: &mut String, s: &str) -> (usize, usize) {
    let start = text.len();
    text.push_str(s);
    (start, text.len())
}

fn unpack(text: &str, range: (usize, usize)) -> &str {
    text.get(range.0..range.1).unwrap_or("")
}

/// The subject's name identifier (SAML Core 2.0 §2.2.3).
#[derive(Clone, PartialEq, Eq)]
pub struct NameId {
    /// The value, then the qualifiers that are given: one allocation (they
    /// are read once per login). Equal NameIDs are packed identically.
    text: String,
    value_end: usize,
    format: Option<Cow<'static, str>>,
    name_qualifier: Option<(usize, usize)>,
    sp_name_qualifier: Option<(usize, usize)>,
}

impl fmt::Debug for NameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameId")
            .field("value", &self.value())
            .field("format", &self.format())
            .field("name_qualifier", &self.name_qualifier())
            .field("sp_name_qualifier", &self.sp_name_qualifier())
            .finish()
    }
}

impl NameId {
    /// A NameID read from a verified message (a LogoutRequest) by this
    /// crate's verifier.
    pub(crate) fn read(el: ElementRef<'_>) -> Result<Self, ProtocolError> {
        let value = simple_text(el, "NameID")?;
        if value.trim().is_empty() {
            return Err(structure("NameID", "empty"));
        }
        let name_qualifier = el.attr("NameQualifier");
        let sp_name_qualifier = el.attr("SPNameQualifier");
        let mut text = String::with_capacity(
            value.len()
                + name_qualifier.map_or(0, str::len)
                + sp_name_qualifier.map_or(0, str::len),
        );
        text.push_str(&value);
        let value_end = text.len();
        let name_qualifier = name_qualifier.map(|q| pack(&mut text, q));
        let sp_name_qualifier = sp_name_qualifier.map(|q| pack(&mut text, q));
        Ok(NameId {
            text,
            value_end,
            format: el.attr("Format").map(known_or_owned),
            name_qualifier,
            sp_name_qualifier,
        })
    }

    /// The identifier: all text of the element, comments skipped (never cut).
    pub fn value(&self) -> &str {
        unpack(&self.text, (0, self.value_end))
    }
    /// `Format`, when given (unspecified otherwise).
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }
    /// `NameQualifier`.
    pub fn name_qualifier(&self) -> Option<&str> {
        self.name_qualifier.map(|r| unpack(&self.text, r))
    }
    /// `SPNameQualifier`.
    pub fn sp_name_qualifier(&self) -> Option<&str> {
        self.sp_name_qualifier.map(|r| unpack(&self.text, r))
    }
}

/// One `saml:Attribute` (SAML Core 2.0 §2.7.3.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `Name`, then `FriendlyName` when given (from `name_end` on): one
    /// allocation. Equal attributes are packed identically.
    names: String,
    name_end: usize,
    has_friendly_name: bool,
    name_format: Option<Cow<'static, str>>,
    values: Vec<String>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attribute")
            .field("name", &self.name())
            .field("friendly_name", &self.friendly_name())
            .field("name_format", &self.name_format())
            .field("values", &self.values)
            .finish()
    }
}

impl Attribute {
    /// `Name`.
    pub fn name(&self) -> &str {
        unpack(&self.names, (0, self.name_end))
    }
    /// `FriendlyName`.
    pub fn friendly_name(&self) -> Option<&str> {
        self.has_friendly_name
            .then(|| unpack(&self.names, (self.name_end, self.names.len())))
    }
    /// `NameFormat`.
    pub fn name_format(&self) -> Option<&str> {
        self.name_format.as_deref()
    }
    /// Simple-content values as strings, in document order. Values with
    /// element content (e.g. a NameID inside eduPersonTargetedID) are not
    /// represented as strings and are left out.
    pub fn values(&self) -> &[String] {
        &self.values
    }
}

/// A verified assertion: signature, issuer, audience, recipient, time and
/// request binding all checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The ID, then the SessionIndex when given (from `id_end` on): one
    /// allocation. Equal assertions are packed identically.
    ids: String,
    id_end: usize,
    has_session_index: bool,
    issuer: EntityId,
    name_id: NameId,
    authn_instant: DateTime<Utc>,
    session_not_on_or_after: Option<DateTime<Utc>>,
    not_on_or_after: DateTime<Utc>,
    authn_context_class: Option<Cow<'static, str>>,
    attributes: Vec<Attribute>,
}

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Assertion")
            .field("id", &self.id())
            .field("issuer", &self.issuer)
            .field("name_id", &self.name_id)
            .field("session_index", &self.session_index())
            .field("authn_instant", &self.authn_instant)
            .field("session_not_on_or_after", &self.session_not_on_or_after)
            .field("not_on_or_after", &self.not_on_or_after)
            .field("authn_context_class", &self.authn_context_class())
            .field("attributes", &self.attributes)
            .finish()
    }
}

impl Assertion {
    /// The assertion's ID (for replay caches).
    pub fn id(&self) -> &str {
        unpack(&self.ids, (0, self.id_end))
    }
    /// The issuing IdP.
    pub fn issuer(&self) -> &EntityId {
        &self.issuer
    }
    /// The subject's NameID.
    pub fn name_id(&self) -> &NameId {
        &self.name_id
    }
    /// `SessionIndex` of the AuthnStatement (for single logout).
    pub fn session_index(&self) -> Option<&str> {
        self.has_session_index
            .then(|| unpack(&self.ids, (self.id_end, self.ids.len())))
    }
    /// When the user authenticated.
    pub fn authn_instant(&self) -> DateTime<Utc> {
        self.authn_instant
    }
    /// `SessionNotOnOrAfter`: the IdP's cap on the SP session, when given.
    pub fn session_not_on_or_after(&self) -> Option<DateTime<Utc>> {
        self.session_not_on_or_after
    }
    /// The earliest of the Conditions and bearer confirmation NotOnOrAfter:
    /// how long a replay cache must remember [`Assertion::id`].
    pub fn not_on_or_after(&self) -> DateTime<Utc> {
        self.not_on_or_after
    }
    /// `AuthnContextClassRef`, when given.
    pub fn authn_context_class(&self) -> Option<&str> {
        self.authn_context_class.as_deref()
    }
    /// All attributes, in document order.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }
    /// The first attribute with this `Name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name() == name)
    }
}

/// What the assertion's checks compare against.
pub(crate) struct Expectations<'a> {
    pub(crate) idp: &'a EntityId,
    pub(crate) sp: &'a EntityId,
    /// The ACS URL the response was delivered to.
    pub(crate) acs_urls: &'a [crate::ids::Url],
    /// `Some(id)`: the response answers this request; `None`: unsolicited.
    pub(crate) request_id: Option<&'a str>,
    pub(crate) now: DateTime<Utc>,
    pub(crate) skew: ClockSkew,
    /// Longest accepted span from IssueInstant to the effective NotOnOrAfter.
    pub(crate) max_lifetime: chrono::Duration,
}

fn structure(element: &'static str, reason: &'static str) -> ProtocolError {
    ProtocolError::Structure { element, reason }
}

fn instant(
    el: ElementRef<'_>,
    attr: &str,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, ProtocolError> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => parse_instant(v)
            .map(Some)
            .ok_or(ProtocolError::Timestamp { field }),
    }
}

/// The text content, borrowed from the document when it is one text node
/// (checks that only compare it allocate nothing).
fn simple_text<'d>(
    el: ElementRef<'d>,
    element: &'static str,
) -> Result<std::borrow::Cow<'d, str>, ProtocolError> {
    el.text_cow()
        .ok_or(structure(element, "element content where text is expected"))
}

impl Assertion {
    /// Applies every assertion-level rule and extracts the data, reading only
    /// through `signed`.
    pub(crate) fn from_signed(
        signed: &SignedElement<'_>,
        exp: &Expectations<'_>,
    ) -> Result<Self, ProtocolError> {
        let a = signed.element();
        if !a.is(SAML_NS, "Assertion") {
            return Err(structure(
                "Assertion",
                "signed element is not a saml:Assertion",
            ));
        }
        // SAML Core §2.3.3: Version is "2.0"; ID and IssueInstant required.
        let version = a.attr("Version").unwrap_or("");
        if version != "2.0" {
            return Err(ProtocolError::Version {
                found: clip(version),
            });
        }
        let id = a.attr("ID").ok_or(structure("Assertion", "no ID"))?;
        let issue_instant = instant(a, "IssueInstant", "Assertion IssueInstant")?
            .ok_or(structure("Assertion", "no IssueInstant"))?;
        // An assertion from the future would make the lifetime bound below
        // meaningless (and its replay-cache entry unbounded).
        if issue_instant > exp.now + exp.skew.duration() {
            return Err(ProtocolError::IssuedInFuture {
                issue_instant,
                now: exp.now,
            });
        }

        let mut issuer = None;
        let mut subject = None;
        let mut conditions = None;
        // The first AuthnStatement is read; AttributeStatements are read in
        // a second pass over the children, in order.
        let mut authn = None;
        let mut last_rank = 0;
        for child in a.children() {
            // SAML Core 2.0 §2.3.3: Issuer, Signature?, Subject?, Conditions?,
            // Advice?, statements*, in that order.
            let rank = match (child.namespace(), child.local_name()) {
                (Some(SAML_NS), "Issuer") => 0,
                (Some(crate::dsig::DSIG_NS), "Signature") => 1,
                (Some(SAML_NS), "Subject") => 2,
                (Some(SAML_NS), "Conditions") => 3,
                (Some(SAML_NS), "Advice") => 4,
                _ => 5,
            };
            if rank < last_rank {
                return Err(structure("Assertion", "children out of schema order"));
            }
            last_rank = rank;
            match (child.namespace(), child.local_name()) {
                (Some(SAML_NS), "Issuer") if issuer.is_none() => issuer = Some(child),
                (Some(SAML_NS), "Subject") if subject.is_none() => subject = Some(child),
                (Some(SAML_NS), "Conditions") if conditions.is_none() => conditions = Some(child),
                (Some(SAML_NS), "AuthnStatement") => {
                    authn.get_or_insert(child);
                }
                (Some(SAML_NS), "AttributeStatement") => {}
                // Advice is IdP-supplied context, never read; the signature is
                // covered by dsig.
                (Some(SAML_NS), "Advice") | (Some(crate::dsig::DSIG_NS), "Signature") => {}
                (Some(SAML_NS), "Issuer" | "Subject" | "Conditions") => {
                    return Err(structure(
                        "Assertion",
                        "repeated Issuer, Subject or Conditions",
                    ));
                }
                (Some(SAML_NS), "Statement" | "AuthzDecisionStatement") => {}
                _ => return Err(structure("Assertion", "unexpected child element")),
            }
        }

        // SAML Profiles §4.1.4.2: the assertion Issuer is the IdP.
        let issuer_el = issuer.ok_or(ProtocolError::MissingIssuer)?;
        check_issuer(issuer_el, exp.idp, "Assertion")?;

        let subject = subject.ok_or(ProtocolError::NoSubject)?;
        let (name_id, confirmation_expiry) = check_subject(subject, exp)?;

        // SAML Core §2.5.1.2: time window, with skew.
        let conditions = conditions.ok_or(ProtocolError::NoAudienceRestriction)?;
        let conditions_expiry = check_conditions(conditions, exp)?;

        // SAML Profiles §4.1.4.2: at least one AuthnStatement.
        let authn_statement = authn.ok_or(ProtocolError::NoAuthnStatement)?;
        let authn_instant = instant(authn_statement, "AuthnInstant", "AuthnInstant")?
            .ok_or(structure("AuthnStatement", "no AuthnInstant"))?;
        let session_index = authn_statement.attr("SessionIndex");
        let session_not_on_or_after = instant(
            authn_statement,
            "SessionNotOnOrAfter",
            "SessionNotOnOrAfter",
        )?;
        let authn_context_class = authn_statement
            .children_named(SAML_NS, "AuthnContext")
            .next()
            .and_then(|c| c.children_named(SAML_NS, "AuthnContextClassRef").next())
            .map(|c| simple_text(c, "AuthnContextClassRef").map(|t| known_or_owned(&t)))
            .transpose()?;

        let statements = || a.children().filter(|c| c.is(SAML_NS, "AttributeStatement"));
        let mut attributes =
            Vec::with_capacity(statements().map(|s| s.element_children().count()).sum());
        for statement in statements() {
            for attr in statement.children() {
                if !attr.is(SAML_NS, "Attribute") {
                    // EncryptedAttribute is not supported; refuse rather than drop.
                    return Err(structure("AttributeStatement", "unexpected child element"));
                }
                attributes.push(read_attribute(attr)?);
            }
        }

        let not_on_or_after = match conditions_expiry {
            Some(c) => c.min(confirmation_expiry),
            None => confirmation_expiry,
        };
        // The replay cache must remember the ID for as long as the assertion
        // is acceptable; an IdP that says "valid until 9999" would pin an
        // entry forever. Bounded here, so every entry expires by
        // IssueInstant + max lifetime + skew (<= now + max lifetime + 2 skew).
        if not_on_or_after - issue_instant > exp.max_lifetime {
            return Err(ProtocolError::LifetimeTooLong {
                issue_instant,
                not_on_or_after,
                max_seconds: exp.max_lifetime.num_seconds(),
            });
        }

        let mut ids = String::with_capacity(id.len() + session_index.map_or(0, str::len));
        ids.push_str(id);
        let id_end = ids.len();
        if let Some(s) = session_index {
            ids.push_str(s);
        }
        Ok(Assertion {
            ids,
            id_end,
            has_session_index: session_index.is_some(),
            issuer: exp.idp.clone(),
            name_id,
            authn_instant,
            session_not_on_or_after,
            not_on_or_after,
            authn_context_class,
            attributes,
        })
    }
}

/// Issuer equals the IdP entity ID exactly; Format absent or entity
/// (SAML Profiles §4.1.4.2).
pub(crate) fn check_issuer(
    el: ElementRef<'_>,
    idp: &EntityId,
    element: &'static str,
) -> Result<(), ProtocolError> {
    let value = simple_text(el, "Issuer")?;
    if let Some(format) = el.attr("Format") {
        if format != ENTITY_FORMAT {
            return Err(ProtocolError::IssuerFormat {
                found: clip(format),
            });
        }
    }
    if value != idp.as_str() {
        return Err(ProtocolError::Issuer {
            element,
            expected: idp.to_string(),
            found: clip(&value),
        });
    }
    Ok(())
}

/// Subject: a NameID and a bearer confirmation valid for this SP now
/// (SAML Profiles §4.1.4.2–3). Returns the NameID and the confirmation's
/// NotOnOrAfter.
fn check_subject(
    subject: ElementRef<'_>,
    exp: &Expectations<'_>,
) -> Result<(NameId, DateTime<Utc>), ProtocolError> {
    let mut name_id = None;
    // The first bearer confirmation decides; its failure is reported as is.
    let mut bearer = None;
    for child in subject.children() {
        if child.is(SAML_NS, "NameID") && name_id.is_none() {
            name_id = Some(child);
        } else if child.is(SAML_NS, "SubjectConfirmation") {
            if bearer.is_none() && child.attr("Method") == Some(BEARER) {
                bearer = Some(child);
            }
        } else {
            // BaseID/EncryptedID and anything in another namespace: a NameID
            // we cannot read is never replaced by one we guess.
            return Err(structure("Subject", "unexpected child element"));
        }
    }
    let name_el = name_id.ok_or(ProtocolError::NoNameId)?;
    let name_id = NameId::read(name_el)?;

    let bearer = bearer.ok_or(ProtocolError::NoBearerConfirmation)?;
    let data = bearer
        .children_named(SAML_NS, "SubjectConfirmationData")
        .next()
        .ok_or(ProtocolError::ConfirmationMissing(
            "SubjectConfirmationData",
        ))?;
    if data.attr("NotBefore").is_some() {
        return Err(ProtocolError::ConfirmationNotBefore);
    }
    let recipient = data
        .attr("Recipient")
        .ok_or(ProtocolError::ConfirmationMissing("Recipient"))?;
    if !exp.acs_urls.iter().any(|u| u.as_str() == recipient) {
        return Err(ProtocolError::Recipient {
            found: clip(recipient),
        });
    }
    let not_on_or_after = instant(data, "NotOnOrAfter", "SubjectConfirmationData NotOnOrAfter")?
        .ok_or(ProtocolError::ConfirmationMissing("NotOnOrAfter"))?;
    if exp.now >= not_on_or_after + exp.skew.duration() {
        return Err(ProtocolError::ConfirmationExpired {
            not_on_or_after,
            now: exp.now,
        });
    }
    check_in_response_to(data.attr("InResponseTo"), exp.request_id)?;
    Ok((name_id, not_on_or_after))
}

/// InResponseTo binding (SAML Profiles §4.1.4.2/§4.1.4.3), shared by the
/// Response and the SubjectConfirmationData: a pending request must be answered
/// by exactly its ID; without one, any InResponseTo is refused (a response to a
/// request we do not hold is never "unsolicited": crewjam/saml PR #659).
pub(crate) fn check_in_response_to(
    found: Option<&str>,
    expected: Option<&str>,
) -> Result<(), ProtocolError> {
    match (expected, found) {
        (Some(e), Some(f)) if e == f => Ok(()),
        (Some(e), f) => Err(ProtocolError::InResponseTo {
            expected: e.to_owned(),
            found: f.map(clip),
        }),
        (None, Some(f)) => Err(ProtocolError::UnknownInResponseTo { found: clip(f) }),
        (None, None) => Ok(()),
    }
}

/// Conditions (SAML Core §2.5.1): NotBefore inclusive, NotOnOrAfter exclusive,
/// both widened by the skew; every AudienceRestriction must include this SP
/// (§2.5.1.4); unknown conditions invalidate.
fn check_conditions(
    c: ElementRef<'_>,
    exp: &Expectations<'_>,
) -> Result<Option<DateTime<Utc>>, ProtocolError> {
    if let Some(not_before) = instant(c, "NotBefore", "Conditions NotBefore")? {
        if exp.now + exp.skew.duration() < not_before {
            return Err(ProtocolError::NotYetValid {
                not_before,
                now: exp.now,
            });
        }
    }
    let not_on_or_after = instant(c, "NotOnOrAfter", "Conditions NotOnOrAfter")?;
    if let Some(t) = not_on_or_after {
        if exp.now >= t + exp.skew.duration() {
            return Err(ProtocolError::Expired {
                not_on_or_after: t,
                now: exp.now,
            });
        }
    }
    let mut restrictions = 0;
    for child in c.children() {
        match (child.namespace(), child.local_name()) {
            (Some(SAML_NS), "AudienceRestriction") => {
                restrictions += 1;
                let mut matched = false;
                let mut first = None;
                for audience in child.children() {
                    if !audience.is(SAML_NS, "Audience") {
                        return Err(structure("AudienceRestriction", "unexpected child element"));
                    }
                    let value = simple_text(audience, "Audience")?;
                    if value == exp.sp.as_str() {
                        matched = true;
                    }
                    first.get_or_insert(value);
                }
                if !matched {
                    return Err(ProtocolError::Audience {
                        found: first.map(|f| clip(&f)).unwrap_or_default(),
                    });
                }
            }
            // OneTimeUse is enforced for every assertion by the replay cache;
            // ProxyRestriction only limits what *we* may issue.
            (Some(SAML_NS), "OneTimeUse" | "ProxyRestriction") => {}
            (_, name) => return Err(ProtocolError::UnknownCondition { name: clip(name) }),
        }
    }
    if restrictions == 0 {
        return Err(ProtocolError::NoAudienceRestriction);
    }
    Ok(not_on_or_after)
}

fn read_attribute(el: ElementRef<'_>) -> Result<Attribute, ProtocolError> {
    let name = el.attr("Name").ok_or(structure("Attribute", "no Name"))?;
    let mut values = Vec::with_capacity(el.element_children().count());
    for v in el.children() {
        if !v.is(SAML_NS, "AttributeValue") {
            return Err(structure("Attribute", "unexpected child element"));
        }
        if let Some(text) = v.text_cow() {
            values.push(text.into_owned());
        }
    }
    let friendly_name = el.attr("FriendlyName");
    let mut names = String::with_capacity(name.len() + friendly_name.map_or(0, str::len));
    names.push_str(name);
    let name_end = names.len();
    if let Some(f) = friendly_name {
        names.push_str(f);
    }
    Ok(Attribute {
        names,
        name_end,
        has_friendly_name: friendly_name.is_some(),
        name_format: el.attr("NameFormat").map(known_or_owned),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, parse};

    /// Values packed into one string read back whole, with or without the
    /// optional parts; well-known URIs are the constants, others copies.
    #[test]
    fn packed_fields_read_back() {
        let xml = format!(
            "<r xmlns:saml=\"{SAML_NS}\">\
             <saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\" \
             NameQualifier=\"idp\" SPNameQualifier=\"sp\">alice</saml:NameID>\
             <saml:NameID Format=\"urn:x:own\">bob</saml:NameID>\
             <saml:Attribute Name=\"urn:oid:1\" FriendlyName=\"mail\" \
             NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:uri\">\
             <saml:AttributeValue>a@b</saml:AttributeValue><saml:AttributeValue>c<!--x-->d</saml:AttributeValue>\
             <saml:AttributeValue><saml:NameID>e</saml:NameID></saml:AttributeValue></saml:Attribute>\
             <saml:Attribute Name=\"groups\"/></r>"
        );
        let doc = parse(xml.as_bytes(), &Limits::default()).unwrap();
        let children: Vec<_> = doc.root().children().collect();
        let alice = NameId::read(children[0]).unwrap();
        assert_eq!(
            (
                alice.value(),
                alice.format(),
                alice.name_qualifier(),
                alice.sp_name_qualifier()
            ),
            (
                "alice",
                Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
                Some("idp"),
                Some("sp")
            )
        );
        assert!(matches!(alice.format, Some(Cow::Borrowed(_))));
        let bob = NameId::read(children[1]).unwrap();
        assert_eq!(
            (
                bob.value(),
                bob.format(),
                bob.name_qualifier(),
                bob.sp_name_qualifier()
            ),
            ("bob", Some("urn:x:own"), None, None)
        );
        assert!(matches!(bob.format, Some(Cow::Owned(_))));
        assert_ne!(alice, bob);
        assert_eq!(alice, NameId::read(children[0]).unwrap());
        assert!(format!("{alice:?}").contains("value: \"alice\""));

        let mail = read_attribute(children[2]).unwrap();
        assert_eq!(
            (mail.name(), mail.friendly_name(), mail.name_format()),
            (
                "urn:oid:1",
                Some("mail"),
                Some("urn:oasis:names:tc:SAML:2.0:attrname-format:uri")
            )
        );
        assert_eq!(mail.values(), ["a@b", "cd"]);
        let groups = read_attribute(children[3]).unwrap();
        assert_eq!(
            (groups.name(), groups.friendly_name(), groups.name_format()),
            ("groups", None, None)
        );
        assert!(groups.values().is_empty());
        assert!(format!("{mail:?}").contains("friendly_name: Some(\"mail\")"));
    }
}
