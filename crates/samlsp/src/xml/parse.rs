//! The hardened parser: `quick-xml` tokenizes; every rule that decides what the
//! tree *means* (references, normalization, namespaces, limits) is applied here,
//! so that the one tree the rest of the crate sees is fully determined by this file.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::{BytesStart, Event};

use super::scope::ScopedSlots;
use super::{
    Attribute, Document, ElementData, Limits, Node, NodeId, NodeKind, NsDecl, NsId, QName, Span,
    XML_NS, XMLNS_NS, XmlError, is_xml_space,
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
    // Offsets are u32 in the tree; the input limit keeps them in range.
    if u32::try_from(text.len()).is_err() {
        return Err(XmlError::InputTooLarge {
            size: text.len(),
            limit: u32::MAX as usize,
        });
    }
    Parser::new(text, limits).run()
}

/// Position of a string in a list of distinct strings. A document uses a
/// handful of prefixes and namespace URIs (samlp, saml, ds, xs, xsi), so up
/// to [`SMALL_INDEX_SCAN`] entries a lookup is a scan, cheaper than hashing
/// the string; past that a hash map (SipHash: the strings are the sender's)
/// keeps every lookup one probe, so many distinct names stay linear.
#[derive(Default)]
struct SmallIndex {
    map: Option<HashMap<Box<str>, u32>>,
}

fn span_str(arena: &str, s: Span) -> &str {
    arena.get(s.start as usize..s.end as usize).unwrap_or("")
}

/// Entries scanned before [`SmallIndex`] builds its map.
const SMALL_INDEX_SCAN: usize = 8;

impl SmallIndex {
    /// Position of `key` in `list` (spans of `arena`).
    fn get(&self, arena: &str, list: &[Span], key: &str) -> Option<u32> {
        match &self.map {
            Some(map) => map.get(key).copied(),
            None => list
                .iter()
                .position(|&k| span_str(arena, k) == key)
                .map(index),
        }
    }

    /// Records that `list` grew by one entry.
    fn added(&mut self, arena: &str, list: &[Span]) {
        match &mut self.map {
            Some(map) => {
                if let Some(&k) = list.last() {
                    map.insert(span_str(arena, k).into(), index(list.len() - 1));
                }
            }
            None if list.len() > SMALL_INDEX_SCAN => {
                let map = list
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| (span_str(arena, k).into(), index(i)))
                    .collect();
                self.map = Some(map);
            }
            None => {}
        }
    }
}

/// Character data being collected for one text node.
#[derive(Clone, Copy)]
enum Pending {
    /// One token that needed no normalization, as written in the input.
    Input(Span),
    /// Copied or normalized into the arena from this offset to its end.
    Arena(usize),
}

/// One open element: its node and its last child so far (to link the next).
#[derive(Clone, Copy)]
struct Open {
    id: NodeId,
    last_child: Option<NodeId>,
}

struct Parser<'a> {
    reader: Reader<&'a [u8]>,
    /// The whole input; `strings` starts with a copy of it, so a name or
    /// value that needs no normalization is a span of the input as written.
    input: &'a str,
    limits: &'a Limits,
    strings: String,
    /// Interned namespace URIs (spans of `strings`); the index is their [`NsId`].
    namespaces: Vec<Span>,
    ns_index: SmallIndex,
    nodes: Vec<Node>,
    attributes: Vec<Attribute>,
    ns_decls: Vec<NsDecl>,
    root: Option<NodeId>,
    root_closed: bool,
    prolog: Vec<NodeId>,
    epilog: Vec<NodeId>,
    stack: Vec<Open>,
    /// In-scope namespace bindings by prefix number (see `prefix_ids`), one
    /// frame per open element: a lookup is one probe whatever the nesting.
    scope: ScopedSlots<NsId>,
    /// Prefix -> number; 0 stands for the default namespace. Numbers keep the
    /// scope map's keys small and allocate once per distinct prefix.
    prefix_ids: SmallIndex,
    /// Prefixes by number minus one (the keys of `prefix_ids`), as spans of
    /// `strings`.
    prefixes: Vec<Span>,
    /// This element's declarations, bound once all are read.
    pending_decls: Vec<(u32, NsId)>,
    /// Character data not yet turned into a node: text, CDATA and references
    /// arrive as separate tokens and merge into one node.
    pending: Option<Pending>,
    /// Scratch buffer for namespace URIs before interning.
    scratch: String,
    /// The `xml:` namespace, interned up front (the prefix is bound implicitly).
    xml_ns: NsId,
    elements: usize,
}

fn span(start: usize, end: usize) -> Span {
    // `parse` refuses inputs over u32::MAX bytes and the arena never exceeds a
    // small multiple of the input (bounded by the text limits), so these fit;
    // saturating keeps a broken invariant from panicking.
    Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(end).unwrap_or(u32::MAX),
    }
}

fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
        let mut parser = Parser {
            reader,
            input: text,
            limits,
            strings: String::with_capacity(text.len() + text.len() / 8),
            namespaces: Vec::with_capacity(8),
            ns_index: SmallIndex::default(),
            nodes: Vec::with_capacity(text.len() / 32),
            attributes: Vec::with_capacity(text.len() / 128),
            ns_decls: Vec::with_capacity(8),
            root: None,
            root_closed: false,
            prolog: Vec::new(),
            epilog: Vec::new(),
            stack: Vec::with_capacity(16),
            scope: ScopedSlots::default(),
            prefix_ids: SmallIndex::default(),
            prefixes: Vec::with_capacity(8),
            pending_decls: Vec::with_capacity(8),
            pending: None,
            scratch: String::new(),
            xml_ns: NsId(0),
            elements: 0,
        };
        parser.strings.push_str(text);
        parser.xml_ns = parser.intern(XML_NS);
        parser
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
                        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                            return Err(XmlError::UnsupportedEncoding {
                                encoding: enc.into_owned(),
                            });
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
                    // A '>' search (memchr) first: most text has none.
                    if raw.as_bytes().contains(&b'>') && raw.contains("]]>") {
                        return Err(XmlError::Malformed {
                            offset: start_offset,
                            reason: "']]>' in character data".into(),
                        });
                    }
                    self.text_token(raw, start_offset)?;
                }
                Event::CData(c) => {
                    if self.stack.is_empty() {
                        return Err(XmlError::ContentAfterRoot {
                            offset: start_offset,
                        });
                    }
                    let raw: &str = &c;
                    self.begin_text();
                    push_normalized_text(&mut self.strings, raw, start_offset)?;
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
                    self.begin_text();
                    self.strings.push(c);
                    self.check_pending()?;
                }
                Event::Comment(c) => {
                    let raw: &str = &c;
                    if let Some((i, ch)) = first_invalid_char(raw) {
                        return Err(XmlError::InvalidCharacter {
                            code: ch as u32,
                            offset: start_offset + i,
                        });
                    }
                    self.misc_node(NodeKind::Comment)?;
                }
                Event::PI(pi) => {
                    let target = pi.target();
                    if target.eq_ignore_ascii_case("xml") {
                        return Err(XmlError::ReservedPiTarget {
                            target: target.to_owned(),
                        });
                    }
                    check_ncname_or_name(target, false)?;
                    self.flush_text()?;
                    let t0 = self.strings.len();
                    self.strings.push_str(target);
                    let t1 = self.strings.len();
                    push_normalized_text(
                        &mut self.strings,
                        pi.content().trim_start(),
                        start_offset,
                    )?;
                    let t2 = self.strings.len();
                    self.misc_node(NodeKind::Pi {
                        target: span(t0, t1),
                        data: span(t1, t2),
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
            strings: self.strings,
            namespaces: self.namespaces,
            nodes: self.nodes,
            attributes: self.attributes,
            ns_decls: self.ns_decls,
            root,
            prolog: self.prolog,
            epilog: self.epilog,
            limits: *self.limits,
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

    fn str(&self, s: Span) -> &str {
        self.strings
            .get(s.start as usize..s.end as usize)
            .unwrap_or("")
    }

    /// A span of the input for `s` when `s` is a slice of it (quick-xml hands
    /// out borrowed slices for names and for values without references).
    fn input_span(&self, s: &str) -> Option<Span> {
        let start = (s.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        let end = start.checked_add(s.len())?;
        (end <= self.input.len()).then(|| span(start, end))
    }

    /// `s` as a span: of the input when it is a slice of it, else copied.
    fn borrow_or_push(&mut self, s: &str) -> Span {
        match self.input_span(s) {
            Some(sp) => sp,
            None => self.push_str(s),
        }
    }

    /// A text token: kept as a span of the input when it is the first piece
    /// of its node and needs no line-end normalization, else appended.
    fn text_token(&mut self, raw: &str, offset: usize) -> Result<(), XmlError> {
        if self.pending.is_none() && text_is_verbatim(raw) {
            if let Some(sp) = self.input_span(raw) {
                self.pending = Some(Pending::Input(sp));
                return self.check_pending();
            }
        }
        self.begin_text();
        push_normalized_text(&mut self.strings, raw, offset)?;
        self.check_pending()
    }

    /// Makes the pending text appendable: a span of the input is copied to
    /// the end of the arena first.
    fn begin_text(&mut self) {
        match self.pending {
            None => self.pending = Some(Pending::Arena(self.strings.len())),
            Some(Pending::Input(sp)) => {
                let start = self.strings.len();
                let piece = self
                    .input
                    .get(sp.start as usize..sp.end as usize)
                    .unwrap_or("");
                self.strings.push_str(piece);
                self.pending = Some(Pending::Arena(start));
            }
            Some(Pending::Arena(_)) => {}
        }
    }

    fn check_pending(&self) -> Result<(), XmlError> {
        let len = match self.pending {
            None => 0,
            Some(Pending::Input(sp)) => (sp.end - sp.start) as usize,
            Some(Pending::Arena(start)) => self.strings.len() - start,
        };
        if len > self.limits.max_text_bytes {
            return Err(XmlError::TextTooLong {
                limit: self.limits.max_text_bytes,
            });
        }
        Ok(())
    }

    fn push_node(&mut self, parent: Option<NodeId>, kind: NodeKind) -> Result<NodeId, XmlError> {
        let id = u32::try_from(self.nodes.len()).map_err(|_| XmlError::TooManyElements {
            limit: self.limits.max_elements,
        })?;
        self.nodes.push(Node {
            parent,
            next_sibling: None,
            kind,
        });
        let id = NodeId(id);
        // Link it after the last child of the open element.
        if let Some(open) = self.stack.last_mut() {
            let prev = open.last_child.replace(id);
            match prev {
                Some(p) => {
                    if let Some(n) = self.nodes.get_mut(p.index()) {
                        n.next_sibling = Some(id);
                    }
                }
                None => {
                    if let Some(Node {
                        kind: NodeKind::Element(e),
                        ..
                    }) = self.nodes.get_mut(open.id.index())
                    {
                        e.first_child = Some(id);
                    }
                }
            }
        }
        Ok(id)
    }

    /// Turns pending character data into a text node of the current element.
    fn flush_text(&mut self) -> Result<(), XmlError> {
        let text = match self.pending.take() {
            None => return Ok(()),
            Some(Pending::Input(sp)) => sp,
            Some(Pending::Arena(start)) => span(start, self.strings.len()),
        };
        if text.end == text.start {
            return Ok(());
        }
        let Some(parent) = self.stack.last().map(|o| o.id) else {
            return Ok(());
        };
        self.push_node(Some(parent), NodeKind::Text(text))?;
        Ok(())
    }

    /// A comment or PI: inside the root, or in the prolog/epilog.
    fn misc_node(&mut self, kind: NodeKind) -> Result<(), XmlError> {
        self.flush_text()?;
        let parent = self.stack.last().map(|o| o.id);
        let id = self.push_node(parent, kind)?;
        if parent.is_none() {
            if self.root.is_some() {
                self.epilog.push(id);
            } else {
                self.prolog.push(id);
            }
        }
        Ok(())
    }

    fn intern(&mut self, uri: &str) -> NsId {
        if let Some(id) = self.ns_index.get(&self.strings, &self.namespaces, uri) {
            return NsId(id);
        }
        let id = index(self.namespaces.len());
        let sp = self.borrow_or_push(uri);
        self.namespaces.push(sp);
        self.ns_index.added(&self.strings, &self.namespaces);
        NsId(id)
    }

    fn push_str(&mut self, s: &str) -> Span {
        let start = self.strings.len();
        self.strings.push_str(s);
        span(start, self.strings.len())
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
        let prefix_span = prefix.map(|p| self.borrow_or_push(p));
        let local_span = self.borrow_or_push(local);

        // One pass over the attributes: declarations apart, others kept with
        // their namespace unresolved until this element's declarations are in
        // scope (they apply to its own name and attributes).
        let attr_start = self.attributes.len();
        let decl_start = self.ns_decls.len();
        self.pending_decls.clear();
        let mut attrs = e.attributes();
        // Duplicates are checked here: on the raw names, then after namespace
        // resolution (Namespaces in XML §6.3). Both are bounded by the limit.
        attrs.with_checks(false);
        for attr in attrs {
            let count = (self.attributes.len() - attr_start) + (self.ns_decls.len() - decl_start);
            if count >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            let attr = attr.map_err(|err| XmlError::Malformed {
                offset,
                reason: err.to_string(),
            })?;
            let key: &str = attr.key.into_inner();
            let decl_prefix = if key == "xmlns" {
                Some(None)
            } else {
                key.strip_prefix("xmlns:").map(Some)
            };
            if let Some(p) = decl_prefix {
                if let Some(p) = p {
                    check_ncname_or_name(p, true)?;
                }
                let mut uri = std::mem::take(&mut self.scratch);
                uri.clear();
                normalize_attribute_value(&mut uri, &attr.value, offset)?;
                if uri.len() > self.limits.max_text_bytes {
                    return Err(XmlError::TextTooLong {
                        limit: self.limits.max_text_bytes,
                    });
                }
                check_namespace_binding(p, &uri)?;
                let taken = self
                    .ns_decls
                    .get(decl_start..)
                    .unwrap_or_default()
                    .iter()
                    .any(|d| d.prefix.map(|s| self.str(s)) == p);
                if taken {
                    return Err(XmlError::DuplicateAttribute {
                        name: key.chars().take(64).collect(),
                    });
                }
                let uri_id = self.intern(&uri);
                self.scratch = uri;
                let slot = self.prefix_id(p);
                self.pending_decls.push((slot, uri_id));
                let prefix = p.map(|p| self.borrow_or_push(p));
                self.ns_decls.push(NsDecl {
                    prefix,
                    uri: uri_id,
                });
            } else {
                let (ap, al) = split_qname(key)?;
                let taken = self
                    .attributes
                    .get(attr_start..)
                    .unwrap_or_default()
                    .iter()
                    .any(|a| {
                        a.name.prefix.map(|s| self.str(s)) == ap && self.str(a.name.local) == al
                    });
                if taken {
                    return Err(XmlError::DuplicateAttribute {
                        name: key.chars().take(64).collect(),
                    });
                }
                let prefix = ap.map(|p| self.borrow_or_push(p));
                let local = self.borrow_or_push(al);
                let raw_value: &str = &attr.value;
                let value = match self.input_span(raw_value) {
                    Some(sp) if attribute_value_is_verbatim(raw_value) => sp,
                    _ => {
                        let v0 = self.strings.len();
                        normalize_attribute_value(&mut self.strings, raw_value, offset)?;
                        span(v0, self.strings.len())
                    }
                };
                if (value.end - value.start) as usize > self.limits.max_text_bytes {
                    return Err(XmlError::TextTooLong {
                        limit: self.limits.max_text_bytes,
                    });
                }
                self.attributes.push(Attribute {
                    name: QName {
                        prefix,
                        local,
                        ns: None,
                    },
                    value,
                });
            }
        }

        self.scope.open();
        for &(slot, uri) in &self.pending_decls {
            self.scope.bind(slot, uri);
        }
        if self.scope.declarations() > self.limits.max_namespaces_in_scope {
            return Err(XmlError::TooManyNamespacesInScope {
                limit: self.limits.max_namespaces_in_scope,
            });
        }

        let ns = match prefix {
            None => self.lookup(None).filter(|&u| !self.namespace_is_empty(u)),
            Some(p) => Some(self.resolve_prefix(p)?),
        };
        // Unprefixed attributes are in no namespace (Namespaces §6.2); prefixed
        // ones take their prefix's URI.
        for i in attr_start..self.attributes.len() {
            let Some(prefix) = self.attributes.get(i).and_then(|a| a.name.prefix) else {
                continue;
            };
            let resolved = self.resolve_prefix(self.str(prefix))?;
            if let Some(a) = self.attributes.get_mut(i) {
                a.name.ns = Some(resolved);
            }
        }
        // Two prefixes bound to one URI must not qualify the same local name.
        let own = self.attributes.get(attr_start..).unwrap_or_default();
        for (i, a) in own.iter().enumerate() {
            if a.name.ns.is_none() {
                continue;
            }
            let twin = own.iter().skip(i + 1).find(|b| {
                b.name.ns == a.name.ns && self.str(b.name.local) == self.str(a.name.local)
            });
            if let Some(b) = twin {
                return Err(XmlError::DuplicateAttribute {
                    name: format!(
                        "{}:{}",
                        b.name.prefix.map(|p| self.str(p)).unwrap_or(""),
                        self.str(b.name.local)
                    ),
                });
            }
        }

        let parent = self.stack.last().map(|o| o.id);
        let data = ElementData {
            name: QName {
                prefix: prefix_span,
                local: local_span,
                ns,
            },
            attributes: (index(attr_start), index(self.attributes.len())),
            ns_decls: (index(decl_start), index(self.ns_decls.len())),
            first_child: None,
        };
        let id = self.push_node(parent, NodeKind::Element(data))?;
        if parent.is_none() {
            self.root = Some(id);
        }
        if empty {
            self.pop_scope();
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else {
            self.stack.push(Open {
                id,
                last_child: None,
            });
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
        self.scope.close();
    }

    /// The number of a prefix (0: the default namespace), assigned on first use.
    fn prefix_id(&mut self, prefix: Option<&str>) -> u32 {
        let Some(p) = prefix else {
            return 0;
        };
        if let Some(i) = self.prefix_ids.get(&self.strings, &self.prefixes, p) {
            return i + 1;
        }
        let sp = self.borrow_or_push(p);
        self.prefixes.push(sp);
        self.prefix_ids.added(&self.strings, &self.prefixes);
        index(self.prefixes.len())
    }

    fn namespace_is_empty(&self, id: NsId) -> bool {
        self.namespaces
            .get(id.0 as usize)
            .is_none_or(|u| u.start == u.end)
    }

    fn lookup(&self, prefix: Option<&str>) -> Option<NsId> {
        let slot = match prefix {
            None => 0,
            // A prefix never declared has no number and no binding.
            Some(p) => self.prefix_ids.get(&self.strings, &self.prefixes, p)? + 1,
        };
        self.scope.get(slot)
    }

    fn resolve_prefix(&self, prefix: &str) -> Result<NsId, XmlError> {
        if prefix == "xml" {
            return Ok(self.xml_ns);
        }
        if prefix == "xmlns" {
            return Err(XmlError::InvalidNamespaceDeclaration {
                reason: "the xmlns prefix cannot qualify a name",
            });
        }
        self.lookup(Some(prefix))
            .ok_or_else(|| XmlError::UndeclaredPrefix {
                prefix: prefix.to_owned(),
            })
    }
}

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
    // Fast path: an ASCII QName, checked and split in one pass (every
    // element and attribute name goes through here).
    if let Some(colon) = ascii_qname(raw.as_bytes()) {
        return Ok(
            match colon.and_then(|i| Some((raw.get(..i)?, raw.get(i + 1..)?))) {
                Some((prefix, local)) => (Some(prefix), local),
                None => (None, raw),
            },
        );
    }
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

/// ASCII bytes that may start an NCName (Namespaces in XML 1.0 §3: a letter
/// or `_`), and those that may follow (also digits, `-` and `.`).
const NAME_START: u8 = 1;
const NAME_CHAR: u8 = 2;
const fn name_class(b: u8) -> u8 {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' | b'_' => NAME_START | NAME_CHAR,
        b'0'..=b'9' | b'-' | b'.' => NAME_CHAR,
        _ => 0,
    }
}

/// [`name_class`] of every byte, looked up by the hot loop below (one load per
/// byte instead of range compares).
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const NAME_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = name_class(i as u8);
        i += 1;
    }
    table
};

/// `Some(position of the colon, if any)` when `name` is an ASCII QName
/// (`NCName` or `NCName ':' NCName`, Namespaces in XML 1.0 §4); `None`
/// otherwise, including every non-ASCII name, which the general check decides.
fn ascii_qname(name: &[u8]) -> Option<Option<usize>> {
    let mut colon = None;
    let mut at_start = true;
    for (i, &b) in name.iter().enumerate() {
        let class = NAME_CLASS.get(usize::from(b)).copied().unwrap_or(0);
        if at_start {
            if class & NAME_START == 0 {
                return None;
            }
            at_start = false;
        } else if b == b':' {
            if colon.is_some() {
                return None;
            }
            colon = Some(i);
            at_start = true;
        } else if class & NAME_CHAR == 0 {
            return None;
        }
    }
    (!at_start).then_some(colon)
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

/// True when [`push_normalized_text`] would copy `raw` unchanged and accept
/// it: no CR to normalize, no C0 control but tab and LF. `0xEF` (the lead byte
/// of U+F000..U+FFFF, where the forbidden U+FFFE/U+FFFF lie) sends the value
/// through the full check.
fn text_is_verbatim(raw: &str) -> bool {
    raw.bytes()
        .all(|b| (b >= 0x20 && b != 0xEF) || b == b'\n' || b == b'\t')
}

/// True when [`normalize_attribute_value`] would copy `raw` unchanged and
/// accept it: no reference, no `<`, no whitespace to replace, no C0 control,
/// no `0xEF` lead byte (see [`text_is_verbatim`]).
fn attribute_value_is_verbatim(raw: &str) -> bool {
    raw.bytes()
        .all(|b| b >= 0x20 && !matches!(b, b'&' | b'<' | 0xEF))
}

/// Attribute-value normalization for CDATA-typed attributes (XML 1.0 §3.3.3):
/// literal whitespace becomes a space, references are resolved (and what a
/// character reference produces is *not* normalized).
fn normalize_attribute_value(out: &mut String, raw: &str, offset: usize) -> Result<(), XmlError> {
    out.reserve(raw.len());
    let bytes = raw.as_bytes();
    // One pass: runs of ordinary characters are copied whole; references,
    // whitespace and forbidden characters are handled where they occur.
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'&' | b'<' | b'\r' | b'\n' | b'\t' => {}
            0..=0x1F => {
                return Err(XmlError::InvalidCharacter {
                    code: u32::from(b),
                    offset: offset + i,
                });
            }
            0xEF if matches!(
                (bytes.get(i + 1), bytes.get(i + 2)),
                (Some(0xBF), Some(0xBE | 0xBF))
            ) =>
            {
                let last = bytes.get(i + 2).copied().unwrap_or(0xBE);
                return Err(XmlError::InvalidCharacter {
                    code: 0xFF00 | u32::from(last & 0x3F) | 0xC0,
                    offset: offset + i,
                });
            }
            _ => {
                i += 1;
                continue;
            }
        }
        out.push_str(raw.get(run..i).unwrap_or(""));
        match b {
            b'&' => {
                let body = raw.get(i + 1..).unwrap_or("");
                let end = body.find(';').ok_or_else(|| XmlError::Malformed {
                    offset,
                    reason: "unterminated reference in attribute value".into(),
                })?;
                out.push(resolve_reference(body.get(..end).unwrap_or(""))?);
                i += end + 2;
            }
            b'<' => {
                return Err(XmlError::Malformed {
                    offset,
                    reason: "'<' in attribute value".into(),
                });
            }
            b'\r' => {
                out.push(' ');
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
            }
            _ => {
                out.push(' ');
                i += 1;
            }
        }
        run = i;
    }
    out.push_str(raw.get(run..).unwrap_or(""));
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

    /// The one-pass ASCII split agrees with "split at the first colon, check
    /// both halves" on every name, valid or not.
    #[test]
    fn ascii_qname_agrees_with_the_general_check() {
        let reference = |raw: &str| -> Option<(Option<String>, String)> {
            match raw.split_once(':') {
                None => check_ncname_or_name(raw, true)
                    .ok()
                    .map(|()| (None, raw.to_owned())),
                Some((p, l)) => (check_ncname_or_name(p, true).is_ok()
                    && check_ncname_or_name(l, true).is_ok())
                .then(|| (Some(p.to_owned()), l.to_owned())),
            }
        };
        let mut names: Vec<String> = [
            "",
            ":",
            "a",
            "a:",
            ":a",
            "a:b",
            "a:b:c",
            "a::b",
            "1a",
            "a1",
            "_x",
            "-a",
            "a-b.c_d",
            "xmlns:ds",
            "ds:Signature",
            "a:1",
            "a:-",
            "a b",
            "a\tb",
            "é",
            "aé",
            "a:é",
            "é:a",
            ".a",
            "a.:b_",
            "A:Z",
            "a\u{B7}",
            "x:y.z-9",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for b in 0u8..128 {
            let c = char::from(b);
            names.push(format!("{c}"));
            names.push(format!("a{c}"));
            names.push(format!("a:{c}"));
            names.push(format!("{c}:a"));
        }
        for name in names {
            let got = split_qname(&name)
                .ok()
                .map(|(p, l)| (p.map(str::to_owned), l.to_owned()));
            assert_eq!(got, reference(&name), "{name:?}");
        }
    }

    fn p(s: &str) -> Result<Document, XmlError> {
        parse(s.as_bytes(), &Limits::default())
    }

    /// Prefixes and URIs resolve the same below and above the point where
    /// the small index switches from a scan to a hash map.
    #[test]
    fn many_prefixes_and_namespaces_resolve() {
        let decls: String = (0..20)
            .map(|i| format!(" xmlns:p{i}=\"urn:n{}\"", i % 13))
            .collect();
        let children: String = (0..20)
            .map(|i| format!("<p{i}:e p{i}:a=\"{i}\"/>"))
            .collect();
        let d = p(&format!("<r{decls}>{children}</r>")).unwrap();
        for (i, e) in d.root().children().enumerate() {
            let ns = format!("urn:n{}", i % 13);
            assert!(e.is(&ns, "e"), "{i}");
            assert_eq!(e.prefix(), Some(format!("p{i}").as_str()));
            assert_eq!(e.attr_ns(&ns, "a"), Some(i.to_string().as_str()));
        }
        assert_eq!(d.namespaces.len(), 14);
    }

    /// Values kept as spans of the input and values normalized into the
    /// arena read the same as when everything was copied.
    #[test]
    fn verbatim_and_normalized_values_mix() {
        let d = p("<r a=\"plain\" b=\"t\tab\" c=\"x&lt;y\" d=\"\"><e>one</e><e>cr\r\nlf</e><e>x&amp;y<![CDATA[ z ]]>w</e><e><![CDATA[c]]>d</e><e>a<!--c-->b</e></r>").unwrap();
        let r = d.root();
        assert_eq!(r.attr("a"), Some("plain"));
        assert_eq!(r.attr("b"), Some("t ab"));
        assert_eq!(r.attr("c"), Some("x<y"));
        assert_eq!(r.attr("d"), Some(""));
        let texts: Vec<String> = r.children().map(|e| e.text().unwrap()).collect();
        assert_eq!(texts, ["one", "cr\nlf", "x&y z w", "cd", "ab"]);
        assert_eq!(
            p("<r>a&amp;\u{FFFE}</r>").err(),
            Some(XmlError::InvalidCharacter {
                code: 0xFFFE,
                offset: 9
            })
        );
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
