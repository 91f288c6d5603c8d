//! The hardened parser: one pass over the bytes that tokenizes *and* applies
//! every rule that decides what the tree means (references, normalization,
//! namespaces, limits), so that the one tree the rest of the crate sees is
//! fully determined by this file.
//!
//! Why a tokenizer of our own rather than a crate's: this parser runs on every
//! login, before anything is trusted, and with a general-purpose pull parser
//! (this file used `quick-xml` before) most of its time went into work done
//! twice: the crate found a tag, then its attributes were iterated and split
//! again, names checked again here, values scanned again for what needs
//! normalization. The XML a SAML message may use is a small subset of XML 1.0
//! — no DTD, hence no entity declarations, no defaulted attributes and no
//! external anything — so the tokenizer is small: start and end tags with
//! their attributes, character data with the five predefined entities and
//! character references, CDATA sections, comments, processing instructions and
//! the XML declaration. Each byte is classified once, by table, and what it
//! belongs to is checked in the same pass; a name or value that needs no
//! normalization stays a span of the input.

use std::collections::HashMap;

use super::scope::{Mark, ScopedSlots};
use super::{
    Attribute, Document, ElementData, Limits, Node, NodeId, NodeKind, NsDecl, NsId, QName, Span,
    XML_NS, XMLNS_NS, XmlError, find_class,
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
    /// One run that needed no normalization, as written in the input, and
    /// whether it has no `>` either (then C14N writes it unchanged).
    Input(Span, bool),
    /// Copied or normalized into the arena from this offset to its end.
    Arena(usize),
}

/// One open element: its node, its last child so far (to link the next) and
/// its name as written (for the end tag, which must repeat it exactly).
#[derive(Clone, Copy)]
struct Open {
    id: NodeId,
    last_child: Option<NodeId>,
    name: Span,
    /// Where its namespace declarations begin in the scope.
    scope: Mark,
}

/// An attribute as scanned: byte ranges of the input.
struct RawAttribute {
    key: (usize, usize),
    /// Position of the colon in the key, if any.
    colon: Option<usize>,
    value: (usize, usize),
    /// The value needs no normalization (see [`ATTR_ATTN`]).
    plain: bool,
    /// It has a `"` (possible between single quotes), which C14N escapes.
    double_quote: bool,
    /// Just after the closing quote.
    end: usize,
}

/// Byte classes of character data: [`TEXT_END`] ends a run (markup or a
/// reference); [`TEXT_ATTN`] does not, but means the run is not kept as
/// written: `]` (which may start a forbidden `]]>`), CR (line ends are
/// normalized, XML 1.0 §2.11), a C0 control other than tab and LF
/// (forbidden, §2.2), and `0xEF`, the lead byte of U+FFFE/U+FFFF.
/// [`TEXT_GT`] is `>`, kept as written but escaped by C14N.
const TEXT_END: u8 = 1;
const TEXT_ATTN: u8 = 2;
const TEXT_GT: u8 = 4;
const fn text_class(b: u8) -> u8 {
    match b {
        b'<' | b'&' => TEXT_END,
        b'>' => TEXT_GT,
        b'\t' | b'\n' => 0,
        b']' | 0..=0x1F | 0xEF => TEXT_ATTN,
        _ => 0,
    }
}

/// Byte classes of attribute values: the two quotes (a value ends at the one
/// that opened it) and [`ATTR_ATTN`], what makes a value differ from its
/// normalized form or be refused (XML 1.0 §3.3.3): a reference, `<`, a
/// whitespace character other than space, another C0 control, `0xEF`.
const ATTR_DQ: u8 = 1;
const ATTR_SQ: u8 = 2;
const ATTR_ATTN: u8 = 4;
const fn attr_class(b: u8) -> u8 {
    match b {
        b'"' => ATTR_DQ,
        b'\'' => ATTR_SQ,
        b'&' | b'<' | 0..=0x1F | 0xEF => ATTR_ATTN,
        _ => 0,
    }
}

/// Bytes that end a name in a tag: whitespace, `/`, `>`, `=`, `<` and the
/// quotes. What lies before is then checked as a QName.
const fn ends_name(b: u8) -> u8 {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>' | b'=' | b'<' | b'"' | b'\''
    ) as u8
}

/// A 256-entry table of `f(byte)`, evaluated at compile time.
macro_rules! byte_table {
    ($f:ident) => {{
        let mut table = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = $f(i as u8);
            i += 1;
        }
        table
    }};
}

#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const TEXT_CLASS: [u8; 256] = byte_table!(text_class);
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const ATTR_CLASS: [u8; 256] = byte_table!(attr_class);
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const NAME_END: [u8; 256] = byte_table!(ends_name);

/// `table[b]`; a `u8` is always in range, so the compiler drops the check.
fn class(table: &[u8; 256], b: u8) -> u8 {
    table.get(usize::from(b)).copied().unwrap_or(0)
}

/// XML whitespace (S, XML 1.0 §2.3) as a byte.
fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first position at or after `at` that is not whitespace.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|&b| is_space_byte(b)) {
        at += 1;
    }
    at
}

/// The end of the name starting at `at` (see [`ends_name`]).
fn name_end(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(|&b| class(&NAME_END, b) == 0) {
        at += 1;
    }
    at
}

/// Byte classes for [`scan_qname`]: what may start an NCName, continue it,
/// separate prefix and local name, and end the name ([`ends_name`]).
const QN_START: u8 = 1;
const QN_CHAR: u8 = 2;
const QN_COLON: u8 = 4;
const QN_END: u8 = 8;
const fn qname_class(b: u8) -> u8 {
    if b == b':' {
        QN_COLON
    } else if ends_name(b) != 0 {
        QN_END
    } else {
        name_class(b)
    }
}
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const QNAME_CLASS: [u8; 256] = byte_table!(qname_class);

/// The QName starting at `start` (Namespaces in XML 1.0 §4), which ends at
/// the first byte of [`ends_name`] or the end of `input`: its end and the
/// position of its colon. An ASCII name is checked as it is scanned; any
/// other goes through [`split_qname`], which decides exactly as for an
/// ASCII one.
fn scan_qname(input: &str, start: usize) -> Result<(usize, Option<usize>), XmlError> {
    let bytes = input.as_bytes();
    let at = |i: usize| bytes.get(i).map_or(QN_END, |&b| class(&QNAME_CLASS, b));
    let mut i = start;
    let mut colon = None;
    // One NCName per turn: a start character, name characters, then the
    // colon (once) or the end.
    while at(i) & QN_START != 0 {
        i += 1;
        while at(i) & QN_CHAR != 0 {
            i += 1;
        }
        let c = at(i);
        if c & QN_END != 0 {
            return Ok((i, colon));
        }
        if c & QN_COLON == 0 || colon.is_some() {
            break;
        }
        colon = Some(i);
        i += 1;
    }
    let end = name_end(bytes, start);
    let (prefix, _) = split_qname(input.get(start..end).unwrap_or(""))?;
    Ok((end, prefix.map(|p| start + p.len())))
}

/// `s` clipped for an error message.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

fn malformed(offset: usize, reason: &str) -> XmlError {
    XmlError::Malformed {
        offset,
        reason: reason.into(),
    }
}

/// Scans `name="value"` (or single quotes) starting at `start`, a byte that is
/// not whitespace. The end of `input` is the end of what may be scanned.
fn scan_attribute(input: &str, start: usize) -> Result<RawAttribute, XmlError> {
    let bytes = input.as_bytes();
    let (key_end, colon) = scan_qname(input, start)?;
    let mut at = skip_space(bytes, key_end);
    match bytes.get(at) {
        Some(b'=') => at += 1,
        Some(_) => return Err(malformed(at, "attribute without '='")),
        None => return Err(XmlError::Truncated),
    }
    at = skip_space(bytes, at);
    let quote = match bytes.get(at) {
        Some(b'"') => ATTR_DQ,
        Some(b'\'') => ATTR_SQ,
        Some(_) => return Err(malformed(at, "attribute value without quotes")),
        None => return Err(XmlError::Truncated),
    };
    let value_start = at + 1;
    let mut i = value_start;
    let mut plain = true;
    let mut double_quote = false;
    loop {
        i = find_class(bytes, i, &ATTR_CLASS);
        let Some(&b) = bytes.get(i) else {
            return Err(XmlError::Truncated);
        };
        let c = class(&ATTR_CLASS, b);
        if c & quote != 0 {
            break;
        }
        if c & ATTR_ATTN != 0 {
            plain = false;
        }
        double_quote |= c & ATTR_DQ != 0;
        i += 1;
    }
    Ok(RawAttribute {
        key: (start, key_end),
        colon,
        value: (value_start, i),
        plain,
        double_quote,
        end: i + 1,
    })
}

struct Parser<'a> {
    /// The whole input; `strings` starts with a copy of it, so a name or
    /// value that needs no normalization is a span of the input as written.
    input: &'a str,
    bytes: &'a [u8],
    /// Where the tokenizer is.
    pos: usize,
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
    /// Character data not yet turned into a node: text, CDATA and references
    /// arrive as separate pieces and merge into one node.
    pending: Option<Pending>,
    /// Scratch buffer for namespace URIs that need normalization.
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
        let mut parser = Parser {
            input: text,
            bytes: text.as_bytes(),
            pos: 0,
            limits,
            strings: String::with_capacity(text.len() + text.len() / 8),
            namespaces: Vec::with_capacity(8),
            ns_index: SmallIndex::default(),
            nodes: Vec::with_capacity(text.len() / 32),
            // About one attribute per 100 bytes in SAML messages.
            attributes: Vec::with_capacity(text.len() / 64),
            ns_decls: Vec::with_capacity(8),
            root: None,
            root_closed: false,
            prolog: Vec::new(),
            epilog: Vec::new(),
            stack: Vec::with_capacity(16),
            scope: ScopedSlots::default(),
            prefix_ids: SmallIndex::default(),
            prefixes: Vec::with_capacity(8),
            pending: None,
            scratch: String::new(),
            xml_ns: NsId(0),
            elements: 0,
        };
        parser.strings.push_str(text);
        parser.xml_ns = parser.intern(XML_NS);
        parser
    }

    /// `input[start..end]` (empty if out of range, which the scanners, whose
    /// positions come from the input itself, never produce).
    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.input.get(start..end).unwrap_or("")
    }

    fn run(mut self) -> Result<Document, XmlError> {
        let bytes = self.bytes;
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'<' => match bytes.get(self.pos + 1) {
                    Some(b'/') => self.end_tag()?,
                    Some(b'!') => self.bang()?,
                    Some(b'?') => self.question_mark()?,
                    Some(_) => self.start_tag()?,
                    None => return Err(XmlError::Truncated),
                },
                b'&' => self.reference()?,
                _ => self.text()?,
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

    /// Character data up to the next markup or reference.
    fn text(&mut self) -> Result<(), XmlError> {
        let bytes = self.bytes;
        let start = self.pos;
        if self.stack.is_empty() {
            // Outside the root only whitespace may appear (XML 1.0 §2.8 Misc).
            let end = skip_space(bytes, start);
            return match bytes.get(end) {
                None | Some(b'<') => {
                    self.pos = end;
                    Ok(())
                }
                Some(_) => Err(XmlError::ContentAfterRoot { offset: start }),
            };
        }
        let mut i = start;
        let mut plain = true;
        let mut gt = false;
        loop {
            i = find_class(bytes, i, &TEXT_CLASS);
            let Some(&b) = bytes.get(i) else {
                break;
            };
            let c = class(&TEXT_CLASS, b);
            if c & TEXT_END != 0 {
                break;
            }
            // XML 1.0 §2.4: `]]>` may not appear in character data.
            if b == b']' {
                if bytes.get(i + 1..i + 3) == Some(b"]>".as_slice()) {
                    return Err(malformed(start, "']]>' in character data"));
                }
            } else if c & TEXT_GT != 0 {
                gt = true;
            } else {
                plain = false;
            }
            i += 1;
        }
        self.pos = i;
        let raw = self.slice(start, i);
        if plain && self.pending.is_none() {
            self.pending = Some(Pending::Input(span(start, i), !gt));
            return self.check_pending();
        }
        self.begin_text();
        push_normalized_text(&mut self.strings, raw, start)?;
        self.check_pending()
    }

    /// `&name;`: one of the five predefined entities or a character reference.
    fn reference(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        if self.stack.is_empty() {
            return Err(XmlError::ContentAfterRoot { offset: start });
        }
        let bytes = self.bytes;
        let mut i = start + 1;
        loop {
            match bytes.get(i) {
                Some(b';') => break,
                Some(b'<' | b'&') | None => {
                    return Err(malformed(start, "reference without ';'"));
                }
                Some(_) => i += 1,
            }
        }
        let c = resolve_reference(self.slice(start + 1, i))?;
        self.pos = i + 1;
        self.begin_text();
        self.strings.push(c);
        self.check_pending()
    }

    /// `<!--`, `<![CDATA[` or a refused `<!DOCTYPE`.
    fn bang(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let rest = self.bytes.get(start + 2..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return self.comment();
        }
        if rest.starts_with(b"[CDATA[") {
            return self.cdata();
        }
        // Any DOCTYPE, whatever its case or content: no DTD is ever read.
        if rest.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'D')) {
            return Err(XmlError::DoctypeForbidden { offset: start });
        }
        if rest.len() < 7 && (b"--".starts_with(rest) || b"[CDATA[".starts_with(rest)) {
            return Err(XmlError::Truncated);
        }
        Err(malformed(
            start,
            "'<!' that starts no comment or CDATA section",
        ))
    }

    /// A comment (XML 1.0 §2.5): recorded, never read.
    fn comment(&mut self) -> Result<(), XmlError> {
        let body_start = self.pos + 4;
        let rest = self.input.get(body_start..).unwrap_or("");
        let Some(len) = rest.find("-->") else {
            return Err(XmlError::Truncated);
        };
        let body = rest.get(..len).unwrap_or("");
        // `--` may not occur inside, nor may the comment end with `--->`.
        if let Some(i) = body.find("--") {
            return Err(malformed(body_start + i, "'--' in a comment"));
        }
        if body.ends_with('-') {
            return Err(malformed(body_start + len - 1, "'--' in a comment"));
        }
        if let Some((i, ch)) = first_invalid_char(body) {
            return Err(XmlError::InvalidCharacter {
                code: ch as u32,
                offset: body_start + i,
            });
        }
        self.pos = body_start + len + 3;
        self.misc_node(NodeKind::Comment)
    }

    /// A CDATA section (XML 1.0 §2.7): character data taken literally.
    fn cdata(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let body_start = start + 9;
        let rest = self.input.get(body_start..).unwrap_or("");
        let Some(len) = rest.find("]]>") else {
            return Err(XmlError::Truncated);
        };
        if self.stack.is_empty() {
            return Err(XmlError::ContentAfterRoot { offset: start });
        }
        let body = rest.get(..len).unwrap_or("");
        self.pos = body_start + len + 3;
        self.begin_text();
        push_normalized_text(&mut self.strings, body, body_start)?;
        self.check_pending()
    }

    /// A processing instruction (XML 1.0 §2.6), or the XML declaration
    /// (§2.8), which only the very start of the document may hold.
    fn question_mark(&mut self) -> Result<(), XmlError> {
        let start = self.pos;
        let body_start = start + 2;
        let rest = self.input.get(body_start..).unwrap_or("");
        let Some(len) = rest.find("?>") else {
            return Err(XmlError::Truncated);
        };
        let body = rest.get(..len).unwrap_or("");
        let target_len = body.bytes().position(is_space_byte).unwrap_or(body.len());
        let target = body.get(..target_len).unwrap_or("");
        if target == "xml" {
            if start != 0 {
                return Err(XmlError::ReservedPiTarget {
                    target: "xml".into(),
                });
            }
            self.declaration(body_start + 3, body_start + len)?;
            self.pos = body_start + len + 2;
            return Ok(());
        }
        if target.eq_ignore_ascii_case("xml") {
            return Err(XmlError::ReservedPiTarget {
                target: clip(target),
            });
        }
        check_ncname_or_name(target, false)?;
        self.flush_text()?;
        let data = body.get(target_len..).unwrap_or("").trim_start();
        let data_offset = body_start + len - data.len();
        let t0 = self.strings.len();
        self.strings.push_str(target);
        let t1 = self.strings.len();
        push_normalized_text(&mut self.strings, data, data_offset)?;
        let t2 = self.strings.len();
        self.pos = body_start + len + 2;
        self.misc_node(NodeKind::Pi {
            target: span(t0, t1),
            data: span(t1, t2),
        })
    }

    /// The pseudo-attributes of `<?xml ...?>` between `start` and `end`:
    /// `version` first and "1.0", then optionally `encoding` (UTF-8 only)
    /// and `standalone` (XML 1.0 §2.8, §4.3.3).
    fn declaration(&mut self, start: usize, end: usize) -> Result<(), XmlError> {
        let decl = self.input.get(..end).unwrap_or("");
        let bytes = decl.as_bytes();
        let mut at = start;
        let mut version = None;
        let mut encoding = None;
        let mut seen = 0;
        loop {
            let next = skip_space(bytes, at);
            if next >= end {
                break;
            }
            if next == at {
                return Err(malformed(at, "XML declaration without whitespace"));
            }
            let a = scan_attribute(decl, next).map_err(|e| match e {
                XmlError::Truncated => malformed(next, "unterminated XML declaration value"),
                other => other,
            })?;
            let key = self.slice(a.key.0, a.key.1);
            let value = self.slice(a.value.0, a.value.1);
            match (seen, key) {
                (0, "version") => version = Some(value),
                (1, "encoding") => encoding = Some(value),
                (1 | 2, "standalone") => {}
                _ => return Err(malformed(next, "unexpected XML declaration attribute")),
            }
            seen = if key == "standalone" { 3 } else { seen + 1 };
            at = a.end;
        }
        let Some(version) = version else {
            return Err(malformed(start, "XML declaration without version"));
        };
        if version != "1.0" {
            return Err(XmlError::UnsupportedVersion {
                version: clip(version),
            });
        }
        if let Some(enc) = encoding {
            if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                return Err(XmlError::UnsupportedEncoding {
                    encoding: clip(enc),
                });
            }
        }
        Ok(())
    }

    /// Makes the pending text appendable: a span of the input is copied to
    /// the end of the arena first.
    fn begin_text(&mut self) {
        match self.pending {
            None => self.pending = Some(Pending::Arena(self.strings.len())),
            Some(Pending::Input(sp, _)) => {
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
            Some(Pending::Input(sp, _)) => (sp.end - sp.start) as usize,
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
        // Text merged from pieces in the arena is escaped by C14N the long
        // way; one run as written knows whether it needs it.
        let (text, c14n_plain) = match self.pending.take() {
            None => return Ok(()),
            Some(Pending::Input(sp, no_gt)) => (sp, no_gt),
            Some(Pending::Arena(start)) => (span(start, self.strings.len()), false),
        };
        if text.end == text.start {
            return Ok(());
        }
        let Some(parent) = self.stack.last().map(|o| o.id) else {
            return Ok(());
        };
        self.push_node(Some(parent), NodeKind::Text { text, c14n_plain })?;
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

    /// A span of the input for `s` when `s` is a slice of it.
    fn input_span(&self, s: &str) -> Option<Span> {
        let start = (s.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        let end = start.checked_add(s.len())?;
        (end <= self.input.len()).then(|| span(start, end))
    }

    /// `s` as a span: of the input when it is a slice of it, else copied.
    fn borrow_or_push(&mut self, s: &str) -> Span {
        match self.input_span(s) {
            Some(sp) => sp,
            None => {
                let start = self.strings.len();
                self.strings.push_str(s);
                span(start, self.strings.len())
            }
        }
    }

    fn str(&self, s: Span) -> &str {
        self.strings
            .get(s.start as usize..s.end as usize)
            .unwrap_or("")
    }

    /// A start tag or empty-element tag (XML 1.0 §3.1) with its attributes,
    /// namespace declarations resolved (Namespaces in XML 1.0 §5, §6).
    fn start_tag(&mut self) -> Result<(), XmlError> {
        let offset = self.pos;
        let bytes = self.bytes;
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
        let name_start = offset + 1;
        let (name_stop, colon) = match scan_qname(self.input, name_start) {
            Ok((stop, _)) if stop >= bytes.len() => return Err(XmlError::Truncated),
            Ok(found) => found,
            // A name cut by the end of the input is a truncation first.
            Err(_) if name_end(bytes, name_start) >= bytes.len() => {
                return Err(XmlError::Truncated);
            }
            Err(e) => return Err(e),
        };
        let (prefix, prefix_span, local_span) = match colon {
            Some(c) => (
                Some(self.slice(name_start, c)),
                Some(span(name_start, c)),
                span(c + 1, name_stop),
            ),
            None => (None, None, span(name_start, name_stop)),
        };

        // One pass over the attributes: declarations bound in this element's
        // frame as they are read, others kept with their namespace unresolved
        // until all declarations are in scope (they apply to the element's
        // own name and attributes).
        let attr_start = self.attributes.len();
        let decl_start = self.ns_decls.len();
        let scope = self.scope.open();
        let mut at = name_stop;
        let empty = loop {
            let next = skip_space(bytes, at);
            match bytes.get(next) {
                Some(b'>') => {
                    at = next + 1;
                    break false;
                }
                Some(b'/') => {
                    if bytes.get(next + 1) == Some(&b'>') {
                        at = next + 2;
                        break true;
                    }
                    return Err(match bytes.get(next + 1) {
                        None => XmlError::Truncated,
                        Some(_) => malformed(next, "'/' not followed by '>' in a tag"),
                    });
                }
                None => return Err(XmlError::Truncated),
                // XML 1.0 §3.1: attributes are separated by whitespace.
                Some(_) if next == at => {
                    return Err(malformed(next, "attribute not preceded by whitespace"));
                }
                Some(_) => {}
            }
            let count = (self.attributes.len() - attr_start) + (self.ns_decls.len() - decl_start);
            if count >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                });
            }
            let raw = scan_attribute(self.input, next)?;
            at = raw.end;
            self.attribute(&raw, attr_start, decl_start)?;
        };

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
        self.pos = at;
        if empty {
            self.scope.close(scope);
            if self.stack.is_empty() {
                self.root_closed = true;
            }
        } else {
            self.stack.push(Open {
                id,
                last_child: None,
                name: span(name_start, name_stop),
                scope,
            });
        }
        Ok(())
    }

    /// One scanned attribute of the element being read: a namespace
    /// declaration, or an attribute kept with its namespace unresolved.
    fn attribute(
        &mut self,
        raw: &RawAttribute,
        attr_start: usize,
        decl_start: usize,
    ) -> Result<(), XmlError> {
        let key = self.slice(raw.key.0, raw.key.1);
        let raw_value = self.slice(raw.value.0, raw.value.1);
        let (key_prefix, key_local) = match raw.colon {
            Some(c) => (Some(self.slice(raw.key.0, c)), self.slice(c + 1, raw.key.1)),
            None => (None, key),
        };
        let decl_prefix = match (key_prefix, key_local) {
            (None, "xmlns") => Some(None),
            (Some("xmlns"), p) => Some(Some(p)),
            _ => None,
        };
        if let Some(p) = decl_prefix {
            // Duplicates are checked here: on the raw names, then after
            // namespace resolution (Namespaces in XML §6.3). Both are bounded
            // by the attribute limit.
            let taken = self
                .ns_decls
                .get(decl_start..)
                .unwrap_or_default()
                .iter()
                .any(|d| d.prefix.map(|s| self.str(s)) == p);
            let mut scratch = std::mem::take(&mut self.scratch);
            let uri: &str = if raw.plain {
                raw_value
            } else {
                scratch.clear();
                normalize_attribute_value(&mut scratch, raw_value, raw.value.0)?;
                &scratch
            };
            if uri.len() > self.limits.max_text_bytes {
                return Err(XmlError::TextTooLong {
                    limit: self.limits.max_text_bytes,
                });
            }
            check_namespace_binding(p, uri)?;
            if taken {
                return Err(XmlError::DuplicateAttribute { name: clip(key) });
            }
            let uri_id = self.intern(uri);
            self.scratch = scratch;
            let slot = self.prefix_id(p);
            self.scope.bind(slot, uri_id);
            let prefix = p.map(|p| span(raw.key.1 - p.len(), raw.key.1));
            self.ns_decls.push(NsDecl {
                prefix,
                uri: uri_id,
            });
            return Ok(());
        }
        let taken = self
            .attributes
            .get(attr_start..)
            .unwrap_or_default()
            .iter()
            .any(|a| {
                a.name.prefix.map(|s| self.str(s)) == key_prefix
                    && self.str(a.name.local) == key_local
            });
        if taken {
            return Err(XmlError::DuplicateAttribute { name: clip(key) });
        }
        let prefix = key_prefix.map(|p| span(raw.key.0, raw.key.0 + p.len()));
        let local = span(raw.key.1 - key_local.len(), raw.key.1);
        // As written, the value has no `&`, `<`, tab, LF or CR; with no `"`
        // either, C14N writes it unchanged (C14N 1.0 §2.3).
        let c14n_plain = raw.plain && !raw.double_quote;
        let value = if raw.plain {
            span(raw.value.0, raw.value.1)
        } else {
            let v0 = self.strings.len();
            normalize_attribute_value(&mut self.strings, raw_value, raw.value.0)?;
            span(v0, self.strings.len())
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
            c14n_plain,
        });
        Ok(())
    }

    /// An end tag (XML 1.0 §3.1): the name of the open element, exactly.
    fn end_tag(&mut self) -> Result<(), XmlError> {
        let offset = self.pos;
        let bytes = self.bytes;
        let name_start = offset + 2;
        // Usually the end tag repeats the open element's name: compared in
        // place (that name holds no byte that ends a name, so where it ends
        // in the input is where a scan would stop).
        let expected_len = self
            .stack
            .last()
            .map_or(0, |o| (o.name.end - o.name.start) as usize);
        let expected_end = name_start + expected_len;
        let name_stop = match self.stack.last() {
            Some(open)
                if bytes.get(name_start..expected_end)
                    == bytes.get(open.name.start as usize..open.name.end as usize)
                    && bytes
                        .get(expected_end)
                        .is_none_or(|&b| class(&NAME_END, b) != 0) =>
            {
                expected_end
            }
            _ => name_end(bytes, name_start),
        };
        let close = skip_space(bytes, name_stop);
        match bytes.get(close) {
            Some(b'>') => {}
            Some(_) => return Err(malformed(close, "unexpected character in an end tag")),
            None => return Err(XmlError::Truncated),
        }
        let found = self.slice(name_start, name_stop);
        let Some(open) = self.stack.last() else {
            return Err(if self.root_closed {
                XmlError::ContentAfterRoot { offset }
            } else {
                XmlError::UnmatchedEndTag { name: clip(found) }
            });
        };
        let expected = self.slice(open.name.start as usize, open.name.end as usize);
        if found != expected {
            return Err(XmlError::MismatchedEndTag {
                expected: expected.to_owned(),
                found: clip(found),
            });
        }
        self.pos = close + 1;
        self.flush_text()?;
        if let Some(open) = self.stack.pop() {
            self.scope.close(open.scope);
        }
        if self.stack.is_empty() {
            self.root_closed = true;
        }
        Ok(())
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
/// through the full check. (The tokenizer's byte classes decide this as they
/// scan; the tests check them against this definition.)
#[cfg(test)]
fn text_is_verbatim(raw: &str) -> bool {
    raw.bytes()
        .all(|b| (b >= 0x20 && b != 0xEF) || b == b'\n' || b == b'\t')
}

/// True when [`normalize_attribute_value`] would copy `raw` unchanged and
/// accept it: no reference, no `<`, no whitespace to replace, no C0 control,
/// no `0xEF` lead byte (see [`text_is_verbatim`]).
#[cfg(test)]
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

    /// The scanner splits and refuses names exactly as "up to the next
    /// delimiter, then `split_qname`" does, whatever follows the name.
    #[test]
    fn scan_qname_agrees_with_split_qname() {
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
            "é",
            "aé:b",
            "a:é",
            "x.y-z_9:q",
            "a\u{B7}",
            "-a",
            "a:-",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for b in 0u8..128 {
            let c = char::from(b);
            names.extend([
                format!("{c}"),
                format!("a{c}"),
                format!("a:{c}b"),
                format!("{c}:a"),
            ]);
        }
        for name in names {
            for tail in ["", ">", " x", "/>", "=\"", "é"] {
                let input = format!("{name}{tail}");
                let end = name_end(input.as_bytes(), 0);
                let expected = split_qname(&input[..end]).map(|(p, _)| (end, p.map(str::len)));
                assert_eq!(scan_qname(&input, 0), expected, "{input:?}");
            }
        }
    }

    fn malformed_reason(s: &str) -> String {
        match p(s) {
            Err(XmlError::Malformed { reason, .. }) => reason,
            other => panic!("{s:?}: expected Malformed, got {other:?}"),
        }
    }

    /// The tokenizer's byte classes keep a run as written exactly when the
    /// definitions of "needs no normalization" say so.
    #[test]
    fn byte_classes_agree_with_the_verbatim_definitions() {
        for b in 0u8..0x80 {
            let s = char::from(b).to_string();
            if !matches!(b, b'<' | b'&' | b']') {
                assert_eq!(
                    class(&TEXT_CLASS, b) & TEXT_ATTN == 0,
                    text_is_verbatim(&s),
                    "text byte {b:#x}"
                );
            }
            if !matches!(b, b'"' | b'\'') {
                assert_eq!(
                    class(&ATTR_CLASS, b) & ATTR_ATTN == 0,
                    attribute_value_is_verbatim(&s),
                    "attribute byte {b:#x}"
                );
            }
        }
        // 0xEF leads U+F000..U+FFFF, where the forbidden U+FFFE/U+FFFF lie.
        assert!(!text_is_verbatim("\u{F000}") && class(&TEXT_CLASS, 0xEF) == TEXT_ATTN);
        assert!(!attribute_value_is_verbatim("\u{F000}") && class(&ATTR_CLASS, 0xEF) == ATTR_ATTN);
        for b in 0x80..=0xFF_u8 {
            if b != 0xEF {
                assert_eq!(
                    (class(&TEXT_CLASS, b), class(&ATTR_CLASS, b)),
                    (0, 0),
                    "{b:#x}"
                );
            }
        }
    }

    #[test]
    fn tags_follow_the_xml_grammar() {
        // XML 1.0 §3.1: whitespace between attributes, `=`, quotes.
        for (doc, reason) in [
            (
                "<r a=\"1\"b=\"2\"/>",
                "attribute not preceded by whitespace",
            ),
            ("<r a/>", "attribute without '='"),
            ("<r a=1/>", "attribute value without quotes"),
            ("<r a=\"1\"/ >", "'/' not followed by '>' in a tag"),
            ("<r></r x>", "unexpected character in an end tag"),
        ] {
            assert_eq!(malformed_reason(doc), reason, "{doc}");
        }
        let d = p("<r  a = '1'\n\tb=\"'\" ></r >").unwrap();
        assert_eq!(
            (d.root().attr("a"), d.root().attr("b")),
            (Some("1"), Some("'"))
        );
        assert!(matches!(
            p("<r></R>"),
            Err(XmlError::MismatchedEndTag { .. })
        ));
        assert_eq!(p("<r><ab").err(), Some(XmlError::Truncated));
        assert_eq!(p("<r a=\"1").err(), Some(XmlError::Truncated));
        assert_eq!(p("<r a=").err(), Some(XmlError::Truncated));
        assert_eq!(p("<r><").err(), Some(XmlError::Truncated));
    }

    #[test]
    fn the_xml_declaration_is_strict() {
        // XML 1.0 §2.8: version, then encoding, then standalone.
        assert!(p("<?xml version='1.0' encoding='utf8' standalone='yes'?><r/>").is_ok());
        assert!(p("<?xml version=\"1.0\" standalone=\"no\"?>\n<r/>").is_ok());
        for (doc, reason) in [
            (
                "<?xml encoding=\"UTF-8\" version=\"1.0\"?><r/>",
                "unexpected XML declaration attribute",
            ),
            (
                "<?xml version=\"1.0\" foo=\"x\"?><r/>",
                "unexpected XML declaration attribute",
            ),
            (
                "<?xml version=\"1.0\"encoding=\"UTF-8\"?><r/>",
                "XML declaration without whitespace",
            ),
            (
                "<?xml version=\"1.0?><r/>",
                "unterminated XML declaration value",
            ),
            ("<?xml?><r/>", "XML declaration without version"),
        ] {
            assert_eq!(malformed_reason(doc), reason, "{doc}");
        }
        assert!(matches!(
            p("<?XML version=\"1.0\"?><r/>"),
            Err(XmlError::ReservedPiTarget { .. })
        ));
        assert!(matches!(
            p(" <?xml version=\"1.0\"?><r/>"),
            Err(XmlError::ReservedPiTarget { .. })
        ));
    }

    #[test]
    fn comments_cdata_pis_and_references_follow_the_grammar() {
        // XML 1.0 §2.5: no `--` inside a comment, none just before `-->`.
        assert_eq!(
            malformed_reason("<r><!-- a -- b --></r>"),
            "'--' in a comment"
        );
        assert_eq!(malformed_reason("<r><!-- a ---></r>"), "'--' in a comment");
        assert_eq!(p("<r><!-- a").err(), Some(XmlError::Truncated));
        assert_eq!(p("<r><!").err(), Some(XmlError::Truncated));
        assert_eq!(p("<r><![CDATA[x</r>").err(), Some(XmlError::Truncated));
        assert_eq!(
            malformed_reason("<r><!ELEMENT r ANY></r>"),
            "'<!' that starts no comment or CDATA section"
        );
        assert!(matches!(
            p("<!doctype r><r/>"),
            Err(XmlError::DoctypeForbidden { .. })
        ));
        assert!(matches!(
            p("<r/><![CDATA[x]]>"),
            Err(XmlError::ContentAfterRoot { .. })
        ));
        assert!(matches!(
            p("<r/> &amp;"),
            Err(XmlError::ContentAfterRoot { .. })
        ));
        assert_eq!(malformed_reason("<r>&amp</r>"), "reference without ';'");
        assert_eq!(
            malformed_reason("<r>a&amp<b/>;</r>"),
            "reference without ';'"
        );
        let d = p("<?pi  data ?><r><!----><?t?><![CDATA[]]>]</r>").unwrap();
        assert_eq!(d.root().text().as_deref(), Some("]"));
        assert_eq!(d.prolog.len(), 1);
        // An offset points at the character itself, in a value as in text.
        assert_eq!(
            p("<r a=\"x\u{1}\"/>").err(),
            Some(XmlError::InvalidCharacter { code: 1, offset: 7 })
        );
        assert_eq!(
            p("<r><![CDATA[\u{1}]]></r>").err(),
            Some(XmlError::InvalidCharacter {
                code: 1,
                offset: 12
            })
        );
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
