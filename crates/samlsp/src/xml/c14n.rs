//! Canonical XML over the parsed tree: Exclusive XML Canonicalization 1.0
//! (<https://www.w3.org/TR/xml-exc-c14n/>) and Canonical XML 1.0
//! (<https://www.w3.org/TR/xml-c14n/>), both *without comments*.
//!
//! Why our own: the only maintained Rust C14N implementations either work on a
//! different tree than the one we verify (a second parser is a parser
//! differential, the root of CVE-2025-25291/25292) or bind libxml2. Canonicalizing
//! the very arena that the SAML code later reads means the digested bytes and the
//! read values cannot disagree. The implementation is checked against libxml2
//! (through lxml) by a differential test over generated namespace-heavy documents.
//!
//! Only document subsets that are whole subtrees are produced (optionally minus
//! one excluded subtree: the enveloped signature), which is all XML-DSig needs
//! for same-document `#id` references.

use std::collections::HashSet;

use super::scope::ScopedMap;
use super::{Document, ElementData, ElementRef, NodeId, NodeKind, XML_NS, find_class};

/// `CanonicalizationMethod` / `Transform` URI of Exclusive C14N 1.0, no comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// URI of Canonical XML 1.0, no comments.
pub const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

/// A canonicalization method this crate implements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Exclusive C14N 1.0 with its `InclusiveNamespaces PrefixList` (prefixes
    /// treated per Canonical XML; `None` stands for `#default`).
    Exclusive {
        /// The InclusiveNamespaces PrefixList (`None` stands for `#default`).
        inclusive_prefixes: Vec<Option<String>>,
    },
    /// Canonical XML 1.0.
    Inclusive,
}

impl Method {
    /// Exclusive C14N with an empty prefix list.
    pub fn exclusive() -> Self {
        Method::Exclusive {
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Parses an `InclusiveNamespaces/@PrefixList` value (whitespace-separated
    /// prefixes, `#default` for the default namespace).
    pub fn exclusive_with_prefix_list(list: &str) -> Self {
        let inclusive_prefixes = list
            .split_ascii_whitespace()
            .map(|p| {
                if p == "#default" {
                    None
                } else {
                    Some(p.to_owned())
                }
            })
            .collect();
        Method::Exclusive { inclusive_prefixes }
    }

    /// The algorithm URI.
    pub fn uri(&self) -> &'static str {
        match self {
            Method::Exclusive { .. } => EXC_C14N,
            Method::Inclusive => C14N_10,
        }
    }
}

/// Canonicalizes the subtree rooted at `apex` into `out`. When `exclude` is set,
/// that element and its subtree are left out (the enveloped-signature transform).
pub fn canonicalize(
    apex: ElementRef<'_>,
    method: &Method,
    exclude: Option<ElementRef<'_>>,
    out: &mut Vec<u8>,
) {
    canonicalize_with(&mut Scratch::default(), apex, method, exclude, out);
}

/// Where canonical bytes go: a buffer ([`canonicalize`]), or straight into a
/// digest context so that the canonical form of a large element is never held
/// in memory (the reference digest of XML-DSig 1.1 §3.2.1).
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
    fn byte(&mut self, b: u8) {
        self.put(&[b]);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// [`canonicalize`] into any [`Sink`], with the work vectors and namespace
/// maps of `scratch` (which may come from an earlier canonicalization of the
/// same document: XML-DSig verification canonicalizes `SignedInfo`, then the
/// signed element).
pub(crate) fn canonicalize_with<'d, S: Sink>(
    scratch: &mut Scratch<'d>,
    apex: ElementRef<'d>,
    method: &Method,
    exclude: Option<ElementRef<'_>>,
    out: &mut S,
) {
    let doc = apex.document();
    let exclude = exclude.map(|e| e.node_id());
    run(doc, apex.node_id(), method, exclude, out, scratch);
}

/// What one canonicalization works with, kept for the next (see
/// [`canonicalize_with`]).
pub(crate) struct Scratch<'d> {
    /// Namespace bindings in scope.
    in_scope: ScopedMap<Option<&'d str>, &'d str>,
    /// Bindings rendered by output ancestors.
    rendered: ScopedMap<Option<&'d str>, &'d str>,
    decls: Vec<(Option<&'d str>, &'d str)>,
    /// Namespace URI, local name, prefix, value, and whether the value is
    /// written unchanged (see [`super::Attribute::c14n_plain`]).
    attrs: Vec<(&'d str, &'d str, Option<&'d str>, &'d str, bool)>,
    candidates: Vec<Option<&'d str>>,
}

impl Default for Scratch<'_> {
    fn default() -> Self {
        // Sized for SAML elements (a few attributes and declarations each) so
        // that a canonicalization allocates each once.
        Scratch {
            in_scope: ScopedMap::default(),
            rendered: ScopedMap::default(),
            decls: Vec::with_capacity(8),
            attrs: Vec::with_capacity(16),
            candidates: Vec::with_capacity(16),
        }
    }
}

/// Canonicalizes a whole document, including processing instructions before and
/// after the root element (C14N 1.0 §2.1: each followed or preceded by `#xA`).
pub fn canonicalize_document(doc: &Document, method: &Method, out: &mut Vec<u8>) {
    for &id in &doc.prolog {
        if write_pi(doc, id, out) {
            out.byte(b'\n');
        }
    }
    subtree(doc, doc.root, method, None, out);
    for &id in &doc.epilog {
        if matches!(doc.node(id).map(|n| &n.kind), Some(NodeKind::Pi { .. })) {
            out.byte(b'\n');
            write_pi(doc, id, out);
        }
    }
}

pub(crate) fn subtree<S: Sink>(
    doc: &Document,
    apex: NodeId,
    method: &Method,
    exclude: Option<NodeId>,
    out: &mut S,
) {
    run(doc, apex, method, exclude, out, &mut Scratch::default());
}

/// Canonicalizes and returns the namespace work done: prefixes examined as
/// candidates for rendering, across all elements.
fn run<'d, S: Sink>(
    doc: &'d Document,
    apex: NodeId,
    method: &Method,
    exclude: Option<NodeId>,
    out: &mut S,
    scratch: &mut Scratch<'d>,
) -> usize {
    let listed = match method {
        Method::Exclusive { inclusive_prefixes } => {
            inclusive_prefixes.iter().map(|p| p.as_deref()).collect()
        }
        Method::Inclusive => HashSet::new(),
    };
    scratch.in_scope.clear();
    scratch.rendered.clear();
    let mut state = State {
        doc,
        inclusive: matches!(method, Method::Inclusive),
        listed,
        exclude,
        s: scratch,
        work: 0,
    };
    // The namespace context of the apex comes from its ancestors, outermost
    // first so that inner declarations shadow outer ones.
    bind_ancestors(doc, doc.parent(apex), &mut state.s.in_scope);
    let inherited = if state.inclusive {
        inherited_xml_attributes(doc, apex)
    } else {
        Vec::new()
    };
    state.element(apex, true, &inherited, out);
    state.work
}

/// Binds the declarations of `node` and its ancestors, outermost first. The
/// recursion is as deep as the element, which the parser's depth limit bounds.
fn bind_ancestors<'d>(
    doc: &'d Document,
    node: Option<NodeId>,
    in_scope: &mut ScopedMap<Option<&'d str>, &'d str>,
) {
    let Some(node) = node else {
        return;
    };
    bind_ancestors(doc, doc.parent(node), in_scope);
    if let Some(data) = doc.element_data(node) {
        for d in doc.decls_of(data) {
            in_scope.bind(doc.opt_str(d.prefix), doc.ns(d.uri));
        }
    }
}

/// C14N 1.0 §2.4: attributes in the xml namespace of the apex's ancestors (the
/// nearest wins) are rendered on the apex unless it has its own.
fn inherited_xml_attributes(doc: &Document, apex: NodeId) -> Vec<(&str, &str)> {
    let mut seen = HashSet::new();
    let mut found: Vec<(&str, &str)> = Vec::new();
    let mut cur = doc.parent(apex);
    while let Some(a) = cur {
        cur = doc.parent(a);
        if let Some(data) = doc.element_data(a) {
            for attr in doc.attributes_of(data) {
                let local = doc.str(attr.name.local);
                if doc.opt_ns(attr.name.ns) == Some(XML_NS) && seen.insert(local) {
                    found.push((local, doc.str(attr.value)));
                }
            }
        }
    }
    found
}

struct State<'d, 'm, 's> {
    doc: &'d Document,
    /// C14N 1.0 (every namespace in scope) rather than Exc-C14N.
    inclusive: bool,
    /// Exc-C14N's InclusiveNamespaces PrefixList (`None`: `#default`).
    listed: HashSet<Option<&'m str>>,
    exclude: Option<NodeId>,
    s: &'s mut Scratch<'d>,
    /// Prefixes examined by `namespaces_to_render` (see [`run`]).
    work: usize,
}

impl<'d> State<'d, '_, '_> {
    fn element<S: Sink>(
        &mut self,
        id: NodeId,
        apex: bool,
        inherited_xml: &[(&'d str, &'d str)],
        out: &mut S,
    ) {
        let Some(data) = self.doc.element_data(id) else {
            return;
        };
        let doc = self.doc;
        let in_scope_mark = self.s.in_scope.open();
        for d in doc.decls_of(data) {
            self.s.in_scope.bind(doc.opt_str(d.prefix), doc.ns(d.uri));
        }

        // Scratch vectors are reused across elements: each is consumed before
        // the recursion into children.
        let mut decls = std::mem::take(&mut self.s.decls);
        decls.clear();
        self.namespaces_to_render(data, apex, &mut decls);
        decls.sort_by(|a, b| a.0.unwrap_or("").cmp(b.0.unwrap_or("")));
        let rendered_mark = self.s.rendered.open();
        for &(p, uri) in &decls {
            self.s.rendered.bind(p, uri);
        }

        out.byte(b'<');
        data.name.write_qualified(doc, out);
        for (prefix, uri) in &decls {
            match prefix {
                Some(p) => {
                    out.put(b" xmlns:");
                    out.put(p.as_bytes());
                }
                None => out.put(b" xmlns"),
            }
            out.put(b"=\"");
            escape_attr(uri, out);
            out.byte(b'"');
        }
        self.s.decls = decls;

        // Attributes sort by namespace URI (none first), then local name.
        let mut attrs = std::mem::take(&mut self.s.attrs);
        attrs.clear();
        attrs.extend(doc.attributes_of(data).iter().map(|a| {
            (
                doc.opt_ns(a.name.ns).unwrap_or(""),
                doc.str(a.name.local),
                doc.opt_str(a.name.prefix),
                doc.str(a.value),
                a.c14n_plain,
            )
        }));
        if !inherited_xml.is_empty() {
            let own: HashSet<&str> = attrs
                .iter()
                .filter(|a| a.0 == XML_NS)
                .map(|a| a.1)
                .collect();
            for &(local, value) in inherited_xml {
                if !own.contains(local) {
                    attrs.push((XML_NS, local, Some("xml"), value, false));
                }
            }
        }
        if attrs.len() > 1 {
            attrs.sort_by(|a, b| quick_cmp(a.0, b.0).then_with(|| quick_cmp(a.1, b.1)));
        }
        for &(_, local, prefix, value, plain) in &attrs {
            out.byte(b' ');
            if let Some(p) = prefix {
                out.put(p.as_bytes());
                out.byte(b':');
            }
            out.put(local.as_bytes());
            out.put(b"=\"");
            if plain {
                out.put(value.as_bytes());
            } else {
                escape_attr(value, out);
            }
            out.byte(b'"');
        }
        self.s.attrs = attrs;
        out.byte(b'>');

        for (child, kind) in doc.child_nodes(data) {
            if Some(child) == self.exclude {
                continue;
            }
            match kind {
                NodeKind::Element(_) => self.element(child, false, &[], out),
                NodeKind::Text { text, c14n_plain } => {
                    if *c14n_plain {
                        out.put(doc.str(*text).as_bytes());
                    } else {
                        escape_text(doc.str(*text), out);
                    }
                }
                NodeKind::Pi { .. } => {
                    write_pi(doc, child, out);
                }
                NodeKind::Comment => {}
            }
        }

        out.put(b"</");
        data.name.write_qualified(doc, out);
        out.byte(b'>');

        self.s.in_scope.close(in_scope_mark);
        self.s.rendered.close(rendered_mark);
    }

    /// The namespace declarations this element must output: those whose in-scope
    /// value differs from what the nearest output ancestor rendered, among
    /// all in-scope prefixes (C14N 1.0 §2.3) or only the visibly utilized ones
    /// plus the InclusiveNamespaces list (Exc-C14N §3).
    ///
    /// Only the apex looks at every prefix in scope. Below it, the parent was
    /// output and left, for every prefix it considered, the rendered binding
    /// equal to the one in scope; a prefix this element does not declare keeps
    /// its parent's binding, so only the element's own declarations (and, for
    /// Exc-C14N, the prefixes it visibly uses) can need rendering. That keeps
    /// the work per element proportional to what is written on it.
    fn namespaces_to_render(
        &mut self,
        data: &'d ElementData,
        apex: bool,
        result: &mut Vec<(Option<&'d str>, &'d str)>,
    ) {
        let doc = self.doc;
        let mut candidates = std::mem::take(&mut self.s.candidates);
        candidates.clear();
        if apex {
            let listed = &self.listed;
            let inclusive = self.inclusive;
            // Keys bound more than once are deduplicated with the rest below.
            candidates.extend(
                self.s
                    .in_scope
                    .keys()
                    .copied()
                    .filter(|p| inclusive || listed.contains(p)),
            );
        } else {
            let listed = &self.listed;
            let inclusive = self.inclusive;
            candidates.extend(
                doc.decls_of(data)
                    .iter()
                    .map(|d| doc.opt_str(d.prefix))
                    .filter(|p| inclusive || listed.contains(p)),
            );
        }
        if !self.inclusive {
            candidates.push(doc.opt_str(data.name.prefix));
            for a in doc.attributes_of(data) {
                if let Some(p) = doc.opt_str(a.name.prefix) {
                    candidates.push(Some(p));
                }
            }
        }
        self.work += candidates.len();
        candidates.retain(|p| *p != Some("xml"));
        if candidates.len() > 1 {
            candidates.sort_unstable();
            candidates.dedup();
        }
        for &p in &candidates {
            let uri = match self.s.in_scope.get(&p) {
                Some(u) => u,
                None if p.is_none() => "",
                None => continue,
            };
            let current = self.s.rendered.get(&p).unwrap_or("");
            // Both usually come from the document's one interned copy of the
            // URI: the same pointer settles it without comparing the text.
            if !std::ptr::eq(current, uri) && current != uri {
                result.push((p, uri));
            }
        }
        self.s.candidates = candidates;
    }
}

/// `a.cmp(b)` for the attribute sort, deciding most pairs on the first byte
/// (local names usually differ there; namespace URIs are mostly empty)
/// without a call to the library string comparison.
fn quick_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match (a.first(), b.first()) {
        (None, None) => std::cmp::Ordering::Equal,
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

fn write_pi<S: Sink>(doc: &Document, id: NodeId, out: &mut S) -> bool {
    if let Some(NodeKind::Pi { target, data }) = doc.node(id).map(|n| &n.kind) {
        let (target, data) = (doc.str(*target), doc.str(*data));
        out.put(b"<?");
        out.put(target.as_bytes());
        if !data.is_empty() {
            out.byte(b' ');
            out.put(data.as_bytes());
        }
        out.put(b"?>");
        true
    } else {
        false
    }
}

/// What C14N 1.0 §2.3 writes for a byte of a text node (empty: the byte itself).
const fn text_escape(b: u8) -> &'static [u8] {
    match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'\r' => b"&#xD;",
        _ => b"",
    }
}

/// What C14N 1.0 §2.3 writes for a byte of an attribute value (empty: the
/// byte itself).
const fn attr_escape(b: u8) -> &'static [u8] {
    match b {
        b'&' => b"&amp;",
        b'<' => b"&lt;",
        b'"' => b"&quot;",
        b'\t' => b"&#x9;",
        b'\n' => b"&#xA;",
        b'\r' => b"&#xD;",
        _ => b"",
    }
}

/// `f(byte)` for every byte, so that the escaping loops below test one table
/// entry per byte.
macro_rules! escape_table {
    ($f:ident) => {{
        let mut table: [&[u8]; 256] = [b""; 256];
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
const TEXT_ESCAPES: [&[u8]; 256] = escape_table!(text_escape);
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const ATTR_ESCAPES: [&[u8]; 256] = escape_table!(attr_escape);

/// 1 for the bytes of a table above that have a replacement (for
/// [`find_class`]).
macro_rules! escaped_bytes {
    ($f:ident) => {{
        let mut table = [0u8; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = !$f(i as u8).is_empty() as u8;
            i += 1;
        }
        table
    }};
}

#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const TEXT_ESCAPED: [u8; 256] = escaped_bytes!(text_escape);
#[allow(
    clippy::indexing_slicing,
    reason = "const evaluation: i < 256, the table's length; `get_mut` is not const"
)]
const ATTR_ESCAPED: [u8; 256] = escaped_bytes!(attr_escape);

/// Writes `s` with each byte that has a replacement in `table` replaced
/// (`escaped` marks them), runs of the others in one piece.
fn escape<S: Sink>(s: &str, table: &[&[u8]; 256], escaped: &[u8; 256], out: &mut S) {
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let i = find_class(bytes, start, escaped);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        out.put(bytes.get(start..i).unwrap_or_default());
        out.put(table.get(usize::from(b)).copied().unwrap_or_default());
        start = i + 1;
    }
    out.put(bytes.get(start..).unwrap_or_default());
}

/// C14N 1.0 §2.3 text node escaping.
fn escape_text<S: Sink>(s: &str, out: &mut S) {
    escape(s, &TEXT_ESCAPES, &TEXT_ESCAPED, out);
}

/// C14N 1.0 §2.3 attribute value escaping.
fn escape_attr<S: Sink>(s: &str, out: &mut S) {
    escape(s, &ATTR_ESCAPES, &ATTR_ESCAPED, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, parse};

    fn c14n_doc(input: &str, method: &Method) -> String {
        let doc = parse(input.as_bytes(), &Limits::default()).unwrap();
        let mut out = Vec::new();
        canonicalize_document(&doc, method, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn c14n_el(input: &str, index: usize, method: &Method) -> String {
        let doc = parse(input.as_bytes(), &Limits::default()).unwrap();
        let el = doc.elements().nth(index).unwrap();
        let mut out = Vec::new();
        canonicalize(el, method, None, &mut out);
        String::from_utf8(out).unwrap()
    }

    // W3C Canonical XML 1.0 §3.1: PIs, comments, and outside of document element.
    #[test]
    fn w3c_c14n_3_1_pis_comments_outside_document_element() {
        let input = "<?xml version=\"1.0\"?>\n\n<?xml-stylesheet   href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n\n<doc>Hello, world!<!-- Comment 1 --></doc>\n\n<?pi-without-data     ?>\n\n<!-- Comment 2 -->\n\n<!-- Comment 3 -->";
        let expected = "<?xml-stylesheet href=\"doc.xsl\"\n   type=\"text/xsl\"   ?>\n<doc>Hello, world!</doc>\n<?pi-without-data?>";
        assert_eq!(c14n_doc(input, &Method::Inclusive), expected);
    }

    // W3C Canonical XML 1.0 §3.2: whitespace in document content.
    #[test]
    fn w3c_c14n_3_2_whitespace_in_document_content() {
        let input = "<doc>\n   <clean>   </clean>\n   <dirty>   A   B   </dirty>\n   <mixed>\n      A\n      <clean>   </clean>\n      B\n      <dirty>   A   B   </dirty>\n      C\n   </mixed>\n</doc>";
        assert_eq!(c14n_doc(input, &Method::Inclusive), input);
    }

    // W3C Canonical XML 1.0 §3.3 start and end tags, without its DTD (which this
    // parser refuses): the attribute defaulted by the DTD is therefore absent.
    #[test]
    fn w3c_c14n_3_3_start_and_end_tags_without_dtd() {
        let input = r#"<doc>
   <e1   />
   <e2   ></e2>
   <e3   name = "elem3"   id="elem3"   />
   <e4   name="elem4"   id="elem4"   ></e4>
   <e5 a:attr="out" b:attr="sorted" attr2="all" attr="I'm"
      xmlns:b="http://www.ietf.org"
      xmlns:a="http://www.w3.org"
      xmlns="http://example.org"/>
   <e6 xmlns="" xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="" xmlns:a="http://www.w3.org">
            <e9 xmlns="" xmlns:a="http://www.ietf.org"/>
         </e8>
      </e7>
   </e6>
</doc>"#;
        let expected = r#"<doc>
   <e1></e1>
   <e2></e2>
   <e3 id="elem3" name="elem3"></e3>
   <e4 id="elem4" name="elem4"></e4>
   <e5 xmlns="http://example.org" xmlns:a="http://www.w3.org" xmlns:b="http://www.ietf.org" attr="I'm" attr2="all" b:attr="sorted" a:attr="out"></e5>
   <e6 xmlns:a="http://www.w3.org">
      <e7 xmlns="http://www.ietf.org">
         <e8 xmlns="">
            <e9 xmlns:a="http://www.ietf.org"></e9>
         </e8>
      </e7>
   </e6>
</doc>"#;
        assert_eq!(c14n_doc(input, &Method::Inclusive), expected);
    }

    // W3C Canonical XML 1.0 §3.4 character modifications and character
    // references, without the DTD-typed attributes (ID/NMTOKENS normalization
    // needs the DTD we refuse).
    #[test]
    fn w3c_c14n_3_4_character_modifications() {
        let input = "<doc>\n   <text>First line&#x0d;&#10;Second line</text>\n   <value>&#x32;</value>\n   <compute><![CDATA[value>\"0\" && value<\"10\" ?\"valid\":\"error\"]]></compute>\n   <compute expr='value>\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"'>valid</compute>\n   <norm attr=' &apos;   &#x20;&#13;&#xa;&#9;   &apos; '/>\n</doc>";
        let expected = "<doc>\n   <text>First line&#xD;\nSecond line</text>\n   <value>2</value>\n   <compute>value&gt;\"0\" &amp;&amp; value&lt;\"10\" ?\"valid\":\"error\"</compute>\n   <compute expr=\"value>&quot;0&quot; &amp;&amp; value&lt;&quot;10&quot; ?&quot;valid&quot;:&quot;error&quot;\">valid</compute>\n   <norm attr=\" '    &#xD;&#xA;&#x9;   ' \"></norm>\n</doc>";
        assert_eq!(c14n_doc(input, &Method::Inclusive), expected);
    }

    // W3C Canonical XML 1.0 §3.6: UTF-8 output of a character reference.
    #[test]
    fn w3c_c14n_3_6_utf8_encoding() {
        assert_eq!(
            c14n_doc("<doc>&#169;</doc>", &Method::Inclusive),
            "<doc>\u{a9}</doc>"
        );
    }

    // Exclusive XML Canonicalization §2.2: the n1:elem2 subtree of two
    // different documents canonicalizes identically under Exc-C14N, and
    // differently under C14N 1.0.
    #[test]
    fn w3c_exc_c14n_2_2_same_subtree_in_two_contexts() {
        let doc1 = "<n0:local xmlns:n0=\"foo:bar\" xmlns:n3=\"ftp://example.org\"><n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"/></n1:elem2></n0:local>";
        let doc2 = "<n2:pdu xmlns:n1=\"http://example.com\" xmlns:n2=\"http://foo.example\" xml:lang=\"fr\" xml:space=\"retain\"><n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"/></n1:elem2></n2:pdu>";
        let exc = "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\"><n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff></n1:elem2>";
        assert_eq!(c14n_el(doc1, 1, &Method::exclusive()), exc);
        assert_eq!(c14n_el(doc2, 1, &Method::exclusive()), exc);
        assert_eq!(
            c14n_el(doc1, 1, &Method::Inclusive),
            "<n1:elem2 xmlns:n0=\"foo:bar\" xmlns:n1=\"http://example.net\" xmlns:n3=\"ftp://example.org\" xml:lang=\"en\"><n3:stuff></n3:stuff></n1:elem2>"
        );
        assert_eq!(
            c14n_el(doc2, 1, &Method::Inclusive),
            "<n1:elem2 xmlns:n1=\"http://example.net\" xmlns:n2=\"http://foo.example\" xml:lang=\"en\" xml:space=\"retain\"><n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff></n1:elem2>"
        );
    }

    /// Levels x declarations per level, every level rebinding the same
    /// prefixes and toggling the default namespace, with `wide` empty children
    /// on every level: the shape that made per-element work grow with the
    /// namespaces in scope.
    fn namespace_heavy(levels: usize, decls: usize, wide: usize) -> String {
        let mut s = String::new();
        for d in 0..levels {
            s.push_str(&format!("<p0:e p1:a=\"{d}\""));
            for i in 0..decls {
                s.push_str(&format!(" xmlns:p{i}=\"urn:{d}:{i}\""));
            }
            s.push_str(if d % 2 == 0 {
                " xmlns=\"urn:d\">"
            } else {
                " xmlns=\"\">"
            });
            for _ in 0..wide {
                s.push_str("<w/>");
            }
        }
        s.push_str(&"</p0:e>".repeat(levels));
        s
    }

    /// What a linear canonicalizer may examine: every prefix in scope at the
    /// apex once, then per element its name's prefix, its attributes' and its
    /// own declarations.
    fn linear_bound(apex: ElementRef<'_>) -> usize {
        let doc = apex.document();
        let mut in_scope_at_apex = 0;
        let mut cur = doc.parent(apex.node_id());
        while let Some(a) = cur {
            in_scope_at_apex += doc.element_data(a).map_or(0, |e| doc.decls_of(e).len());
            cur = doc.parent(a);
        }
        let per_element: usize = apex
            .descendants()
            .map(|e| {
                let data = e.data();
                1 + doc.attributes_of(data).len() + doc.decls_of(data).len()
            })
            .sum();
        in_scope_at_apex + per_element
    }

    #[test]
    fn namespace_heavy_input_canonicalizes_in_linear_work() {
        let roomy = Limits {
            max_namespaces_in_scope: usize::MAX,
            ..Limits::default()
        };
        // 60 levels x 63 declarations (with the attribute, the most one
        // element may carry): 3,780 in scope at the innermost element; a
        // stack search per element would examine over 100,000 at the root.
        let xml = namespace_heavy(60, 62, 20);
        let doc = parse(xml.as_bytes(), &roomy).unwrap();
        let prefix_list: String =
            (0..64).map(|i| format!("p{i} ")).collect::<String>() + "#default";
        let methods = [
            Method::Inclusive,
            Method::exclusive(),
            Method::exclusive_with_prefix_list(&prefix_list),
        ];
        let mut checked = 0;
        for method in &methods {
            for apex in [0, 1, 30].map(|i| doc.elements().step_by(21).nth(i).unwrap()) {
                let mut out = Vec::new();
                let work = run(
                    apex.document(),
                    apex.node_id(),
                    method,
                    None,
                    &mut out,
                    &mut Scratch::default(),
                );
                let bound = linear_bound(apex);
                assert!(
                    work <= bound,
                    "{method:?} at {apex:?}: {work} prefixes examined, linear bound {bound}"
                );
                let elements = apex.descendants().count();
                assert!(work >= elements, "every element is examined");
                checked += 1;
            }
        }
        assert_eq!(checked, 9);
    }

    /// The parser's "written unchanged" flags hold exactly when escaping
    /// changes nothing, and are set where they can be.
    #[test]
    fn plain_flags_match_the_escaping() {
        let input = "<r a=\"x\" b='say \"hi\"' c=\"x&amp;y\" d=\"a>b\" e='it&apos;s' f=\"t\tab\">t>x<e>plain</e>a&amp;b<e>cr\r\n</e><e><![CDATA[c]]></e><e>\u{e9}\u{F000}</e></r>";
        let doc = parse(input.as_bytes(), &Limits::default()).unwrap();
        let mut plain = Vec::new();
        for a in &doc.attributes {
            let value = doc.str(a.value);
            let mut escaped = Vec::new();
            escape_attr(value, &mut escaped);
            if a.c14n_plain {
                assert_eq!(escaped, value.as_bytes(), "{value:?}");
            }
            plain.push((value.to_owned(), a.c14n_plain));
        }
        for n in &doc.nodes {
            if let NodeKind::Text { text, c14n_plain } = n.kind {
                let value = doc.str(text);
                let mut escaped = Vec::new();
                escape_text(value, &mut escaped);
                if c14n_plain {
                    assert_eq!(escaped, value.as_bytes(), "{value:?}");
                }
                plain.push((value.to_owned(), c14n_plain));
            }
        }
        let expected: Vec<(String, bool)> = [
            ("x", true),
            ("say \"hi\"", false),
            ("x&y", false),
            ("a>b", true),
            ("it's", false),
            ("t ab", false),
            ("t>x", false),
            ("plain", true),
            ("a&b", false),
            ("cr\n", false),
            ("c", false),
            ("\u{e9}\u{F000}", false),
        ]
        .iter()
        .map(|(s, b)| ((*s).to_owned(), *b))
        .collect();
        assert_eq!(plain, expected);
    }

    #[test]
    fn exclusive_prefix_list_renders_listed_prefixes() {
        let doc = "<r xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><x:e xmlns:x=\"urn:x\"><b:f/></x:e></r>";
        assert_eq!(
            c14n_el(doc, 1, &Method::exclusive_with_prefix_list("a #default")),
            "<x:e xmlns=\"urn:d\" xmlns:a=\"urn:a\" xmlns:x=\"urn:x\"><b:f xmlns:b=\"urn:b\"></b:f></x:e>"
        );
    }

    #[test]
    fn exclusive_undeclares_default_namespace_only_when_rendered() {
        let doc = "<r xmlns=\"urn:d\"><e><f xmlns=\"\"/></e></r>";
        assert_eq!(
            c14n_el(doc, 1, &Method::exclusive()),
            "<e xmlns=\"urn:d\"><f xmlns=\"\"></f></e>"
        );
        let doc = "<r xmlns:p=\"urn:p\"><p:e><f/></p:e></r>";
        assert_eq!(
            c14n_el(doc, 1, &Method::exclusive()),
            "<p:e xmlns:p=\"urn:p\"><f></f></p:e>"
        );
    }
}
