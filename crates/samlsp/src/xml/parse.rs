//! The hardened parser: `quick-xml` tokenizes; every rule that decides what the
//! tree *means* (references, normalization, namespaces, limits) is applied here,
//! so that the one tree the rest of the crate sees is fully determined by this file.

use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event};

use super::{
    Attribute, Document, ElementData, Limits, Node, NodeId, NodeKind, NsDecl, QName, XML_NS,
    XMLNS_NS, XmlError, is_xml_space,
};

/// Parses untrusted bytes into a [`Document`] under `limits`.
pub fn parse(input: &[u8], limits: &Limits) -> Result<Document, XmlError> {
    if input.len() > limits.max_input_bytes {
        return Err(XmlError::InputTooLarge {
            size: input.len(),
            limit: limits.max_input_bytes,
        });
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = std::str::from_utf8(input).map_err(|e| XmlError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    Parser::new(text, limits).run()
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    limits: &'a Limits,
    nodes: Vec<Node>,
    root: Option<NodeId>,
    root_closed: bool,
    prolog: Vec<NodeId>,
    epilog: Vec<NodeId>,
    /// Open elements.
    stack: Vec<NodeId>,
    /// In-scope namespace declarations; `scope_marks[i]` is the length of
    /// `scope` before the i-th open element pushed its own.
    scope: Vec<(Option<Box<str>>, Arc<str>)>,
    scope_marks: Vec<usize>,
    /// Character data not yet turned into a node (text, CDATA and references
    /// arrive as separate tokens and merge into one text node).
    pending: String,
    elements: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, limits: &'a Limits) -> Self {
        let mut reader = Reader::from_str(text);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text_start = false;
        cfg.trim_text_end = false;
        cfg.allow_dangling_amp = false;
        cfg.allow_unmatched_ends = false;
        Parser {
            reader,
            limits,
            nodes: Vec::new(),
            root: None,
            root_closed: false,
            prolog: Vec::new(),
            epilog: Vec::new(),
            stack: Vec::new(),
            scope: Vec::new(),
            scope_marks: Vec::new(),
            pending: String::new(),
            elements: 0,
        }
    }

    fn offset(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn run(mut self) -> Result<Document, XmlError> {
        let mut first = true;
        loop {
            let start_offset = self.offset();
            let event = match self.reader.read_event() {
                Ok(e) => e,
                Err(e) => return Err(self.map_error(e)),
            };
            let was_first = std::mem::replace(&mut first, false);
            match event {
                Event::Decl(decl) => {
                    if !was_first || start_offset != 0 {
                        return Err(XmlError::ReservedPiTarget {
                            target: "xml".into(),
                        });
                    }
                    let version = decl.version().map_err(|e| self.map_error(e))?;
                    if &*version != "1.0" {
                        return Err(XmlError::UnsupportedVersion {
                            version: version.into_owned(),
                        });
                    }
                    if let Some(enc) = decl.encoding() {
                        let enc = enc.map_err(|e| XmlError::Malformed {
                            offset: start_offset,
                            reason: e.to_string(),
                        })?;
                        let enc = enc.into_owned();
                        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                            return Err(XmlError::UnsupportedEncoding { encoding: enc });
                        }
                    }
                }
                Event::DocType(_) => {
                    return Err(XmlError::DoctypeForbidden {
                        offset: start_offset,
                    });
                }
                Event::Start(e) => self.start_element(&e, start_offset, false)?,
                Event::Empty(e) => self.start_element(&e, start_offset, true)?,
                Event::End(_) => self.end_element()?,
                Event::Text(t) => {
                    let raw: &str = &t;
                    if self.stack.is_empty() {
                        if !raw.chars().all(is_xml_space) {
                            return Err(XmlError::ContentAfterRoot {
                                offset: start_offset,
                            });
                        }
                        continue;
                    }
                    if raw.contains("]]>") {
                        return Err(XmlError::Malformed {
                            offset: start_offset,
                            reason: "']]>' in character data".into(),
                        });
                    }
                    push_normalized_text(&mut self.pending, raw, start_offset)?;
                    self.check_pending()?;
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        return Err(XmlError::ContentAfterRoot {
                            offset: start_offset,
                        });
                    }
                    let raw: &str = &c;
                    push_normalized_text(&mut self.pending, raw, start_offset)?;
                    self.check_pending()?;
                }
                Event::GeneralRef(r) => {
                    if self.stack.is_empty() {
                        return Err(XmlError::ContentAfterRoot {
                            offset: start_offset,
                        });
                    }
                    let name: &str = &r;
                    let c = resolve_reference(name)?;
                    self.pending.push(c);
                    self.check_pending()?;
                }
                Event::Comment(c) => {
                    let raw: &str = &c;
                    let mut body = String::with_capacity(raw.len());
                    push_normalized_text(&mut body, raw, start_offset)?;
                    self.misc_node(NodeKind::Comment)?;
                }
                Event::PI(pi) => {
                    let target = pi.target().to_owned();
                    if target.eq_ignore_ascii_case("xml") {
                        return Err(XmlError::ReservedPiTarget { target });
                    }
                    check_ncname_or_name(&target, false)?;
                    let mut data = String::new();
                    push_normalized_text(&mut data, pi.content().trim_start(), start_offset)?;
                    self.misc_node(NodeKind::Pi {
                        target: target.into(),
                        data: data.into(),
                    })?;
                }
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(XmlError::Truncated);
        }
        let root = self.root.ok_or(XmlError::NoRoot)?;
        Ok(Document {
            nodes: self.nodes,
            root,
            prolog: self.prolog,
            epilog: self.epilog,
        })
    }

    fn map_error(&self, e: QxError) -> XmlError {
        let offset = usize::try_from(self.reader.error_position()).unwrap_or(usize::MAX);
        match e {
            QxError::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedPI
                | SyntaxError::UnclosedXmlDecl
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue,
            ) => XmlError::Truncated,
            QxError::Syntax(SyntaxError::UnclosedDoctype) => XmlError::DoctypeForbidden { offset },
            QxError::IllFormed(IllFormedError::MissingEndTag(_)) => XmlError::Truncated,
            QxError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                XmlError::MismatchedEndTag { expected, found }
            }
            QxError::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
                if self.root_closed {
                    XmlError::ContentAfterRoot { offset }
                } else {
                    XmlError::UnmatchedEndTag { name }
                }
            }
            QxError::IllFormed(IllFormedError::MissingDoctypeName) => {
                XmlError::DoctypeForbidden { offset }
            }
            other => XmlError::Malformed {
                offset,
                reason: other.to_string(),
            },
        }
    }

    fn check_pending(&self) -> Result<(), XmlError> {
        if self.pending.len() > self.limits.max_text_bytes {
            return Err(XmlError::TextTooLong {
                limit: self.limits.max_text_bytes,
            });
        }
        Ok(())
    }

    fn push_node(&mut self, node: Node) -> Result<NodeId, XmlError> {
        let id = u32::try_from(self.nodes.len()).map_err(|_| XmlError::TooManyElements {
            limit: self.limits.max_elements,
        })?;
        self.nodes.push(node);
        Ok(NodeId(id))
    }

    fn append_child(&mut self, parent: NodeId, child: NodeId) {
        if let Some(Node {
            kind: NodeKind::Element(e),
            ..
        }) = self.nodes.get_mut(parent.index())
        {
            e.children.push(child);
        }
    }

    /// Turns pending character data into a text node of the current element.
    fn flush_text(&mut self) -> Result<(), XmlError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let Some(&parent) = self.stack.last() else {
            self.pending.clear();
            return Ok(());
        };
        let text = std::mem::take(&mut self.pending);
        let id = self.push_node(Node {
            parent: Some(parent),
            kind: NodeKind::Text(text.into()),
        })?;
        self.append_child(parent, id);
        Ok(())
    }

    /// A comment or PI: inside the root, or in the prolog/epilog.
    fn misc_node(&mut self, kind: NodeKind) -> Result<(), XmlError> {
        self.flush_text()?;
        let parent = self.stack.last().copied();
        let id = self.push_node(Node { parent, kind })?;
        match parent {
            Some(p) => self.append_child(p, id),
            None if self.root.is_some() => self.epilog.push(id),
            None => self.prolog.push(id),
        }
        Ok(())
    }

    fn start_element(
        &mut self,
        e: &BytesStart<'_>,
        offset: usize,
        empty: bool,
    ) -> Result<(), XmlError> {
        self.flush_text()?;
        if self.stack.is_empty() && self.root.is_some() {
            return Err(XmlError::MultipleRoots { offset });
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        let raw_name: &str = e.name().into_inner();
        let (prefix, local) = split_qname(raw_name)?;

        // One pass over the attributes: declarations apart, others kept with
        // their namespace unresolved until this element's declarations are in
        // scope (they apply to its own name and attributes).
        let mut decls: Vec<NsDecl> = Vec::new();
        let mut attributes: Vec<Attribute> = Vec::new();
        let mut attrs = e.attributes();
        // Duplicates are checked here: on the raw names, then after namespace
        // resolution (Namespaces in XML §6.3). Both are bounded by the limit.
        attrs.with_checks(false);
        for attr in attrs {
            if decls.len() + attributes.len() >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            let attr = attr.map_err(|err| XmlError::Malformed {
                offset,
                reason: err.to_string(),
            })?;
            let key: &str = attr.key.into_inner();
            let value = normalize_attribute_value(&attr.value, offset)?;
            if value.len() > self.limits.max_text_bytes {
                return Err(XmlError::TextTooLong {
                    limit: self.limits.max_text_bytes,
                });
            }
            let decl_prefix = if key == "xmlns" {
                Some(None)
            } else {
                key.strip_prefix("xmlns:").map(Some)
            };
            if let Some(p) = decl_prefix {
                if let Some(p) = p {
                    check_ncname_or_name(p, true)?;
                }
                check_namespace_binding(p, &value)?;
                if decls.iter().any(|d| d.prefix.as_deref() == p) {
                    return Err(XmlError::DuplicateAttribute {
                        name: key.chars().take(64).collect(),
                    });
                }
                decls.push(NsDecl {
                    prefix: p.map(Box::from),
                    uri: value.into(),
                });
            } else {
                let (ap, al) = split_qname(key)?;
                if attributes
                    .iter()
                    .any(|a| a.name.prefix.as_deref() == ap && &*a.name.local == al)
                {
                    return Err(XmlError::DuplicateAttribute {
                        name: key.chars().take(64).collect(),
                    });
                }
                attributes.push(Attribute {
                    name: QName {
                        prefix: ap.map(Box::from),
                        local: al.into(),
                        ns: None,
                    },
                    value: value.into(),
                });
            }
        }

        self.scope_marks.push(self.scope.len());
        for d in &decls {
            self.scope.push((d.prefix.clone(), Arc::clone(&d.uri)));
        }

        let ns = match prefix {
            None => self.lookup(None).filter(|u| !u.is_empty()).map(Arc::clone),
            Some(p) => Some(self.resolve_prefix(p)?),
        };
        let name = QName {
            prefix: prefix.map(Box::from),
            local: local.into(),
            ns,
        };
        // Unprefixed attributes are in no namespace (Namespaces §6.2); prefixed
        // ones take their prefix's URI.
        for a in attributes.iter_mut() {
            if let Some(p) = a.name.prefix.as_deref() {
                a.name.ns = Some(self.resolve_prefix(p)?);
            }
        }
        // Two prefixes bound to one URI must not qualify the same local name.
        for (i, a) in attributes.iter().enumerate() {
            if a.name.ns.is_none() {
                continue;
            }
            let twin = attributes
                .iter()
                .skip(i + 1)
                .find(|b| b.name.ns == a.name.ns && b.name.local == a.name.local);
            if let Some(b) = twin {
                return Err(XmlError::DuplicateAttribute {
                    name: format!(
                        "{}:{}",
                        b.name.prefix.as_deref().unwrap_or(""),
                        b.name.local
                    ),
                });
            }
        }

        let parent = self.stack.last().copied();
        let id = self.push_node(Node {
            parent,
            kind: NodeKind::Element(ElementData {
                name,
                attributes,
                ns_decls: decls,
                children: Vec::new(),
            }),
        })?;
        match parent {
            Some(p) => self.append_child(p, id),
            None => self.root = Some(id),
        }
        if empty {
            self.pop_scope();
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else {
            self.stack.push(id);
        }
        Ok(())
    }

    fn end_element(&mut self) -> Result<(), XmlError> {
        self.flush_text()?;
        if self.stack.pop().is_none() {
            return Err(XmlError::UnmatchedEndTag {
                name: String::new(),
            });
        }
        self.pop_scope();
        if self.stack.is_empty() {
            self.root_closed = true;
        }
        Ok(())
    }

    fn pop_scope(&mut self) {
        if let Some(mark) = self.scope_marks.pop() {
            self.scope.truncate(mark);
        }
    }

    fn lookup(&self, prefix: Option<&str>) -> Option<&Arc<str>> {
        self.scope
            .iter()
            .rev()
            .find(|(p, _)| p.as_deref() == prefix)
            .map(|(_, u)| u)
    }

    fn resolve_prefix(&self, prefix: &str) -> Result<Arc<str>, XmlError> {
        if prefix == "xml" {
            return Ok(Arc::clone(&XML_NS_ARC));
        }
        if prefix == "xmlns" {
            return Err(XmlError::InvalidNamespaceDeclaration {
                reason: "the xmlns prefix cannot qualify a name",
            });
        }
        match self.lookup(Some(prefix)) {
            Some(uri) => Ok(Arc::clone(uri)),
            None => Err(XmlError::UndeclaredPrefix {
                prefix: prefix.to_owned(),
            }),
        }
    }
}

static XML_NS_ARC: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(XML_NS));

/// Rules of Namespaces in XML 1.0 §3 for one declaration, plus our refusal of
/// relative URIs (C14N 1.0 §2: "the XPath data model is undefined" for them, and
/// libxml2 fails on them; a canonicalizer that guesses is a differential).
fn check_namespace_binding(prefix: Option<&str>, uri: &str) -> Result<(), XmlError> {
    match prefix {
        Some("xmlns") => {
            return Err(XmlError::InvalidNamespaceDeclaration {
                reason: "the xmlns prefix must not be declared",
            });
        }
        Some("xml") => {
            if uri != XML_NS {
                return Err(XmlError::InvalidNamespaceDeclaration {
                    reason: "the xml prefix is bound to its own namespace only",
                });
            }
            return Ok(());
        }
        Some(_) if uri.is_empty() => {
            return Err(XmlError::InvalidNamespaceDeclaration {
                reason: "a prefix cannot be undeclared in XML 1.0",
            });
        }
        _ => {}
    }
    if uri == XML_NS || uri == XMLNS_NS {
        return Err(XmlError::InvalidNamespaceDeclaration {
            reason: "reserved namespace bound to another prefix",
        });
    }
    if !uri.is_empty() && !has_uri_scheme(uri) {
        return Err(XmlError::RelativeNamespaceUri {
            uri: uri.chars().take(64).collect(),
        });
    }
    Ok(())
}

/// `scheme ":"` at the start (RFC 3986 §3.1).
fn has_uri_scheme(uri: &str) -> bool {
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn split_qname(raw: &str) -> Result<(Option<&str>, &str), XmlError> {
    let invalid = || XmlError::InvalidName {
        name: raw.chars().take(64).collect(),
    };
    match raw.split_once(':') {
        None => {
            check_ncname_or_name(raw, true).map_err(|_| invalid())?;
            Ok((None, raw))
        }
        Some((p, l)) => {
            check_ncname_or_name(p, true).map_err(|_| invalid())?;
            check_ncname_or_name(l, true).map_err(|_| invalid())?;
            Ok((Some(p), l))
        }
    }
}

/// NCName (Namespaces in XML 1.0 §3) when `ncname`, else Name (used for PI
/// targets). Non-ASCII letters are accepted as name characters without the
/// exact Unicode tables, which SAML never needs.
fn check_ncname_or_name(s: &str, ncname: bool) -> Result<(), XmlError> {
    // Fast path: ASCII names, the only ones SAML uses.
    let bytes = s.as_bytes();
    if let Some((&first, rest)) = bytes.split_first() {
        if (first.is_ascii_alphabetic() || first == b'_')
            && rest
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Ok(());
        }
    }
    let mut chars = s.chars();
    let ok_start = |c: char| c.is_alphabetic() || c == '_' || (!ncname && c == ':');
    let ok_rest = |c: char| {
        c.is_alphanumeric()
            || matches!(c, '_' | '-' | '.' | '\u{B7}')
            || (!ncname && c == ':')
            || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
    };
    match chars.next() {
        Some(c) if ok_start(c) && chars.all(ok_rest) => Ok(()),
        _ => Err(XmlError::InvalidName {
            name: s.chars().take(64).collect(),
        }),
    }
}

/// XML 1.0 §2.2 `Char`.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// First character XML 1.0 §2.2 `Char` forbids, by byte scan: C0 controls
/// other than tab, LF and CR, and U+FFFE/U+FFFF (`EF BF BE`/`EF BF BF`).
/// Surrogates cannot occur in a valid `str`.
fn first_invalid_char(s: &str) -> Option<(usize, char)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let bad = match b {
            b'\t' | b'\n' | b'\r' => false,
            0..=0x1F => true,
            0xEF => matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(0xBF), Some(0xBE | 0xBF))
            ),
            _ => false,
        };
        if bad {
            return s
                .get(i..)
                .and_then(|rest| rest.chars().next())
                .map(|c| (i, c));
        }
        i += 1;
    }
    None
}

/// Appends `raw` with line ends normalized (XML 1.0 §2.11) and every character
/// checked against `Char`.
fn push_normalized_text(out: &mut String, raw: &str, offset: usize) -> Result<(), XmlError> {
    if let Some((i, c)) = first_invalid_char(raw) {
        return Err(XmlError::InvalidCharacter {
            code: c as u32,
            offset: offset + i,
        });
    }
    let mut rest = raw;
    while let Some(pos) = rest.find('\r') {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        out.push('\n');
        let after = tail.get(1..).unwrap_or("");
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(rest);
    Ok(())
}

/// Attribute-value normalization for CDATA-typed attributes (XML 1.0 §3.3.3):
/// literal whitespace becomes a space, references are resolved (and what a
/// character reference produces is *not* normalized).
fn normalize_attribute_value(raw: &str, offset: usize) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest
        .bytes()
        .position(|b| matches!(b, b'&' | b'<' | b'\r' | b'\n' | b'\t'))
    {
        let (head, tail) = rest.split_at(pos);
        push_checked(&mut out, head, offset)?;
        let mut tail_chars = tail.chars();
        match tail_chars.next() {
            Some('&') => {
                let body = &tail[1..];
                let end = body.find(';').ok_or_else(|| XmlError::Malformed {
                    offset,
                    reason: "unterminated reference in attribute value".into(),
                })?;
                out.push(resolve_reference(&body[..end])?);
                rest = &body[end + 1..];
            }
            Some('<') => {
                return Err(XmlError::Malformed {
                    offset,
                    reason: "'<' in attribute value".into(),
                });
            }
            Some('\r') => {
                out.push(' ');
                rest = tail[1..].strip_prefix('\n').unwrap_or(&tail[1..]);
            }
            Some(_) => {
                out.push(' ');
                rest = &tail[1..];
            }
            None => break,
        }
    }
    push_checked(&mut out, rest, offset)?;
    Ok(out)
}

fn push_checked(out: &mut String, s: &str, offset: usize) -> Result<(), XmlError> {
    if let Some((i, c)) = first_invalid_char(s) {
        return Err(XmlError::InvalidCharacter {
            code: c as u32,
            offset: offset + i,
        });
    }
    out.push_str(s);
    Ok(())
}

/// Resolves the body of `&...;`: the five predefined entities (XML 1.0 §4.6) or a
/// character reference (§4.1). Everything else would need a DTD, which we refuse.
fn resolve_reference(name: &str) -> Result<char, XmlError> {
    match name {
        "amp" => return Ok('&'),
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "quot" => return Ok('"'),
        "apos" => return Ok('\''),
        _ => {}
    }
    let Some(num) = name.strip_prefix('#') else {
        return Err(XmlError::UnknownEntity {
            name: name.chars().take(64).collect(),
        });
    };
    let bad = || XmlError::InvalidCharacterReference {
        reference: name.chars().take(16).collect(),
    };
    let (digits, radix) = match num.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (num, 10),
    };
    let valid_digit = |c: char| c.is_digit(radix);
    if digits.is_empty() || digits.len() > 8 || !digits.chars().all(valid_digit) {
        return Err(bad());
    }
    let code = u32::from_str_radix(digits, radix).map_err(|_| bad())?;
    char::from_u32(code)
        .filter(|&c| is_xml_char(c))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Document, XmlError> {
        parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn parses_namespaces_and_text() {
        let d = p(r#"<?xml version="1.0" encoding="UTF-8"?><a:r xmlns:a="urn:a" xmlns="urn:d" x="1&amp;2"><b>t&lt;<![CDATA[<c>]]>&#x41;</b></a:r>"#).unwrap();
        let r = d.root();
        assert!(r.is("urn:a", "r"));
        assert_eq!(r.attr("x"), Some("1&2"));
        let b = r.children().next().unwrap();
        assert!(b.is("urn:d", "b"));
        assert_eq!(b.text().as_deref(), Some("t<<c>A"));
    }

    #[test]
    fn attribute_whitespace_is_normalized_but_char_refs_are_not() {
        let d = p("<r a=\"x\r\ny\tz&#10;\"/>").unwrap();
        assert_eq!(d.root().attr("a"), Some("x y z\n"));
    }

    #[test]
    fn text_line_ends_are_normalized() {
        let d = p("<r>a\r\nb\rc&#13;</r>").unwrap();
        assert_eq!(d.root().text().as_deref(), Some("a\nb\nc\r"));
    }

    #[test]
    fn comment_does_not_truncate_text() {
        let d = p("<r>alice@example.com<!---->.evil.com</r>").unwrap();
        assert_eq!(
            d.root().text().as_deref(),
            Some("alice@example.com.evil.com")
        );
    }
}
