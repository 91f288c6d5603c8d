//! Hardened XML: untrusted bytes to an immutable, namespace-resolved tree.
//!
//! SAML security rests on every component seeing the *same* tree: the signature
//! verifier, the canonicalizer and the code that reads the assertion. This module
//! parses once (its own tokenizer, every well-formedness and namespace rule
//! enforced in the same pass, see `parse.rs`) into an arena that nothing can mutate afterwards. Everything
//! later — C14N, signature checks, SAML field access — walks that arena.
//!
//! What the tree keeps is what canonicalization needs: element and attribute order,
//! namespace declarations as written, text with CDATA and references merged in,
//! comments (recorded so C14N can drop them and text readers can skip them) and
//! processing instructions.
//!
//! What is refused, each with its own [`XmlError`] variant: DOCTYPE (and so every
//! DTD feature: external entities, entity expansion, defaulted attributes, DTD-typed
//! IDs), entity references other than the five predefined ones, invalid UTF-8 or a
//! declared non-UTF-8 encoding, truncated or unbalanced documents, more than one
//! root, content after the root, duplicate attributes (also after namespace
//! resolution), undeclared prefixes, relative namespace URIs, and any input over
//! the [`Limits`].

pub mod c14n;
mod error;
mod parse;
mod scope;

use std::fmt;

pub use error::XmlError;
pub use parse::parse;

/// Namespace of the `xml:` prefix (Namespaces in XML 1.0 §3), bound implicitly.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Namespace reserved for `xmlns` declarations; nothing may be bound to it.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Bounds on the work an attacker can make the parser do.
///
/// The defaults are sized for SAML protocol messages: real responses from Keycloak,
/// Entra ID, Okta and ADFS are 4–40 KB with a handful of levels and a few hundred
/// elements even with large group lists; the defaults leave more than ten times that
/// headroom while keeping the worst case to a few milliseconds of CPU. Metadata
/// aggregates need [`Limits::metadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Input size in bytes. 1 MiB: 25x the largest real responses we have seen.
    pub max_input_bytes: usize,
    /// Element nesting depth. A SAML response nests about 8 deep (Response,
    /// Assertion, AttributeStatement, Attribute, AttributeValue, plus signature
    /// children); 64 is generous and keeps recursion in C14N shallow.
    pub max_depth: usize,
    /// Elements in the document. 10,000: an assertion with 2,000 group values
    /// still fits.
    pub max_elements: usize,
    /// Attributes plus namespace declarations on one element. SAML elements carry
    /// at most ~8; 64 bounds the quadratic duplicate check (RUSTSEC-2026-0194 was
    /// that bug in quick-xml's own check, which an earlier version of this
    /// parser used).
    pub max_attributes: usize,
    /// Length in bytes of one text node or attribute value. 256 KiB holds a
    /// certificate chain or a large encrypted assertion's CipherValue.
    pub max_text_bytes: usize,
    /// Namespace declarations in scope at one element: its own plus those of
    /// all its ancestors, shadowed ones included. The deepest path of a real
    /// response holds about 10 (samlp, saml, ds, xenc, xs, xsi, some repeated
    /// by IdPs that declare on every element); metadata aggregates about 20
    /// (md, mdui, mdrpi, mdattr, shibmd, alg, ...). 128 is six times that,
    /// and bounds what C14N 1.0 renders on the apex of a signed subtree,
    /// which inherits every declaration in scope there (C14N 1.0 §2.4).
    pub max_namespaces_in_scope: usize,
    /// Prefixes in one Exclusive C14N `InclusiveNamespaces/@PrefixList`
    /// (Exc-C14N §3). Signers list the few prefixes that QName-valued
    /// content uses (`xs xsi`, `#default saml ds`); a prefix can only
    /// matter if it is in scope, so a list longer than
    /// [`Limits::max_namespaces_in_scope`] names nothing more. 64: half that.
    pub max_prefix_list_names: usize,
    /// Bytes of one `PrefixList` value. Real lists are under 40 bytes;
    /// 1 KiB holds 64 prefixes of 15 characters with their separators.
    pub max_prefix_list_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 1024 * 1024,
            max_depth: 64,
            max_elements: 10_000,
            max_attributes: 64,
            max_text_bytes: 256 * 1024,
            max_namespaces_in_scope: 128,
            max_prefix_list_names: 64,
            max_prefix_list_bytes: 1024,
        }
    }
}

impl Limits {
    /// Limits for IdP metadata, which may be a federation aggregate (InCommon's is
    /// about 60 MB with ~10,000 entities, each a few dozen elements).
    pub fn metadata() -> Self {
        Limits {
            max_input_bytes: 128 * 1024 * 1024,
            max_depth: 64,
            max_elements: 5_000_000,
            max_attributes: 64,
            max_text_bytes: 1024 * 1024,
            ..Limits::default()
        }
    }
}

/// Index of a node in its [`Document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in [`Document::strings`]: every name, value and text of the
/// document lives in one arena, so parsing allocates per document, not per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// An interned namespace URI (index into [`Document::namespaces`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct NsId(pub(crate) u32);

/// A namespace-qualified name as written and as resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QName {
    /// The prefix as written (`None` when unprefixed).
    pub(crate) prefix: Option<Span>,
    pub(crate) local: Span,
    /// Resolved namespace URI; `None` is "no namespace".
    pub(crate) ns: Option<NsId>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Attribute {
    pub(crate) name: QName,
    /// The normalized value (XML 1.0 §3.3.3), references resolved.
    pub(crate) value: Span,
    /// C14N writes the value unchanged: it has none of the characters C14N
    /// 1.0 §2.3 replaces in attributes (the parser saw every byte of it).
    pub(crate) c14n_plain: bool,
}

/// A namespace declaration as written on an element: prefix (`None` for the
/// default namespace) and URI (empty only for `xmlns=""`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NsDecl {
    pub(crate) prefix: Option<Span>,
    pub(crate) uri: NsId,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ElementData {
    pub(crate) name: QName,
    /// Range in [`Document::attributes`], in document order.
    pub(crate) attributes: (u32, u32),
    /// Range in [`Document::ns_decls`], in document order.
    pub(crate) ns_decls: (u32, u32),
    pub(crate) first_child: Option<NodeId>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum NodeKind {
    Element(ElementData),
    /// Character data: text, CDATA sections and references merged.
    Text {
        text: Span,
        /// C14N writes it unchanged: none of the characters C14N 1.0 §2.3
        /// replaces in text (the parser saw every byte of it).
        c14n_plain: bool,
    },
    /// Recorded (it splits text nodes) but its content is never read.
    Comment,
    Pi {
        target: Span,
        data: Span,
    },
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) parent: Option<NodeId>,
    pub(crate) next_sibling: Option<NodeId>,
    pub(crate) kind: NodeKind,
}

/// A parsed, immutable XML document.
pub struct Document {
    pub(crate) strings: String,
    /// Interned namespace URIs, as spans of `strings`; an [`NsId`] is an
    /// index here, so equal URIs share one span.
    pub(crate) namespaces: Vec<Span>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) ns_decls: Vec<NsDecl>,
    pub(crate) root: NodeId,
    /// Comments and PIs before the root element, in order.
    pub(crate) prolog: Vec<NodeId>,
    /// Comments and PIs after the root element, in order.
    pub(crate) epilog: Vec<NodeId>,
    /// The limits the document was parsed under; the verifier applies the
    /// same ones to what it reads later (the C14N `PrefixList`).
    pub(crate) limits: Limits,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl Document {
    /// The root element.
    pub fn root(&self) -> ElementRef<'_> {
        ElementRef {
            doc: self,
            id: self.root,
        }
    }

    pub(crate) fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    pub(crate) fn element_data(&self, id: NodeId) -> Option<&ElementData> {
        match &self.node(id)?.kind {
            NodeKind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// The text of a span (empty for an out-of-range span, which the parser
    /// never produces).
    pub(crate) fn str(&self, span: Span) -> &str {
        self.strings
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    pub(crate) fn opt_str(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.str(s))
    }

    /// A namespace URI.
    pub(crate) fn ns(&self, id: NsId) -> &str {
        self.namespaces
            .get(id.0 as usize)
            .map_or("", |&u| self.str(u))
    }

    pub(crate) fn opt_ns(&self, id: Option<NsId>) -> Option<&str> {
        id.map(|i| self.ns(i))
    }

    pub(crate) fn attributes_of(&self, e: &ElementData) -> &[Attribute] {
        self.attributes
            .get(e.attributes.0 as usize..e.attributes.1 as usize)
            .unwrap_or_default()
    }

    pub(crate) fn decls_of(&self, e: &ElementData) -> &[NsDecl] {
        self.ns_decls
            .get(e.ns_decls.0 as usize..e.ns_decls.1 as usize)
            .unwrap_or_default()
    }

    /// Child nodes of an element, in document order.
    pub(crate) fn child_nodes(&self, e: &ElementData) -> ChildNodes<'_> {
        ChildNodes {
            doc: self,
            next: e.first_child,
        }
    }

    /// Parent of a node (crate-internal: readers of signed data only go downward).
    pub(crate) fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id)?.parent
    }

    /// True when `node` is `ancestor` or lies inside it.
    pub(crate) fn is_within(&self, node: NodeId, ancestor: NodeId) -> bool {
        let mut cur = Some(node);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.parent(c);
        }
        false
    }

    /// All elements in document order (pre-order).
    pub fn elements(&self) -> impl Iterator<Item = ElementRef<'_>> + '_ {
        Descendants::new(self, self.root)
    }

    /// Every element below the root with its parent, in document order: the
    /// arena holds nodes in the order the parser met them, so this is one
    /// pass over it, with no walk.
    pub(crate) fn elements_below_root(
        &self,
    ) -> impl Iterator<Item = (ElementRef<'_>, ElementRef<'_>)> + '_ {
        self.nodes.iter().enumerate().filter_map(move |(i, n)| {
            let parent = n.parent?;
            matches!(n.kind, NodeKind::Element(_)).then(|| {
                (
                    ElementRef {
                        doc: self,
                        id: NodeId(u32::try_from(i).unwrap_or(u32::MAX)),
                    },
                    ElementRef {
                        doc: self,
                        id: parent,
                    },
                )
            })
        })
    }

    /// Every attribute of every element as (namespace, local name, value),
    /// in one pass over the arena (no tree walk).
    pub(crate) fn all_attributes(&self) -> impl Iterator<Item = (Option<&str>, &str, &str)> + '_ {
        self.attributes.iter().map(|a| {
            (
                self.opt_ns(a.name.ns),
                self.str(a.name.local),
                self.str(a.value),
            )
        })
    }

    /// The interned number of a namespace URI, if the document uses it: an
    /// element's namespace is then compared as a number.
    pub(crate) fn namespace_id(&self, uri: &str) -> Option<NsId> {
        self.namespaces
            .iter()
            .position(|&u| self.str(u) == uri)
            .map(|i| NsId(u32::try_from(i).unwrap_or(u32::MAX)))
    }

    /// Number of elements (for limits and tests).
    pub fn element_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Element(_)))
            .count()
    }
}

/// Iterator over the child nodes of an element.
pub(crate) struct ChildNodes<'d> {
    doc: &'d Document,
    next: Option<NodeId>,
}

impl<'d> Iterator for ChildNodes<'d> {
    type Item = (NodeId, &'d NodeKind);
    fn next(&mut self) -> Option<Self::Item> {
        let id = self.next?;
        let node = self.doc.node(id)?;
        self.next = node.next_sibling;
        Some((id, &node.kind))
    }
}

/// A read-only view of one element.
///
/// It navigates downward only: there is deliberately no `parent()`, so a view
/// handed out from a verified subtree cannot wander outside it.
#[derive(Clone, Copy)]
pub struct ElementRef<'d> {
    pub(crate) doc: &'d Document,
    pub(crate) id: NodeId,
}

impl fmt::Debug for ElementRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElementRef")
            .field("ns", &self.namespace())
            .field("name", &self.local_name())
            .finish()
    }
}

impl PartialEq for ElementRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.doc, other.doc) && self.id == other.id
    }
}
impl Eq for ElementRef<'_> {}

static EMPTY_ELEMENT: ElementData = ElementData {
    name: QName {
        prefix: None,
        local: Span { start: 0, end: 0 },
        ns: None,
    },
    attributes: (0, 0),
    ns_decls: (0, 0),
    first_child: None,
};

impl<'d> ElementRef<'d> {
    fn data(&self) -> &'d ElementData {
        // An ElementRef is only ever built for an element node of its own
        // document (the parser's root, and children found by kind); an empty element is the harmless
        // answer if that invariant were ever broken.
        self.doc.element_data(self.id).unwrap_or(&EMPTY_ELEMENT)
    }

    pub(crate) fn node_id(&self) -> NodeId {
        self.id
    }

    pub(crate) fn document(&self) -> &'d Document {
        self.doc
    }

    /// Local name.
    pub fn local_name(&self) -> &'d str {
        self.doc.str(self.data().name.local)
    }

    /// Resolved namespace URI (`None`: no namespace).
    pub fn namespace(&self) -> Option<&'d str> {
        self.doc.opt_ns(self.data().name.ns)
    }

    /// The interned namespace (see [`Document::namespace_id`]).
    pub(crate) fn namespace_id(&self) -> Option<NsId> {
        self.data().name.ns
    }

    /// Prefix as written.
    pub fn prefix(&self) -> Option<&'d str> {
        self.doc.opt_str(self.data().name.prefix)
    }

    /// True when the element has this namespace URI and local name. Matching is
    /// by URI, never by prefix.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local_name() == local && self.namespace() == Some(ns)
    }

    /// Value of an attribute with no namespace (SAML's own attributes: `ID`,
    /// `Destination`, ...).
    pub fn attr(&self, local: &str) -> Option<&'d str> {
        let doc = self.doc;
        doc.attributes_of(self.data())
            .iter()
            .find(|a| a.name.ns.is_none() && doc.str(a.name.local) == local)
            .map(|a| doc.str(a.value))
    }

    /// Value of a namespaced attribute.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&'d str> {
        let doc = self.doc;
        doc.attributes_of(self.data())
            .iter()
            .find(|a| doc.opt_ns(a.name.ns) == Some(ns) && doc.str(a.name.local) == local)
            .map(|a| doc.str(a.value))
    }

    /// All attributes as (namespace, local name, value), in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (Option<&'d str>, &'d str, &'d str)> + 'd {
        let doc = self.doc;
        doc.attributes_of(self.data()).iter().map(move |a| {
            (
                doc.opt_ns(a.name.ns),
                doc.str(a.name.local),
                doc.str(a.value),
            )
        })
    }

    /// Child elements in document order.
    pub fn children(&self) -> impl Iterator<Item = ElementRef<'d>> + 'd {
        let doc = self.doc;
        doc.child_nodes(self.data())
            .filter(|(_, k)| matches!(k, NodeKind::Element(_)))
            .map(move |(id, _)| ElementRef { doc, id })
    }

    /// [`ElementRef::children`] as a nameable iterator.
    pub(crate) fn element_children(&self) -> ElementChildren<'d> {
        ElementChildren {
            nodes: self.doc.child_nodes(self.data()),
        }
    }

    /// Child elements with this namespace and local name.
    pub fn children_named<'a>(
        &self,
        ns: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = ElementRef<'d>> + 'a
    where
        'd: 'a,
    {
        self.children().filter(move |c| c.is(ns, local))
    }

    /// True when the element has character data other than whitespace directly
    /// inside it (mixed content where a SAML schema allows none).
    pub fn has_non_whitespace_text(&self) -> bool {
        let doc = self.doc;
        doc.child_nodes(self.data()).any(|(_, k)| {
            matches!(k, NodeKind::Text { text: t, .. } if !doc.str(*t).trim_matches(is_xml_space).is_empty())
        })
    }

    /// The element's character data: the concatenation of *all* its text children,
    /// skipping comments and processing instructions. A comment inside a value
    /// therefore never shortens it (the CVE-2017-11427 family read only the first
    /// text node). Returns `None` when the element has child elements, which no
    /// SAML simple-content element may have.
    pub fn text(&self) -> Option<String> {
        let mut out = String::new();
        for (_, kind) in self.doc.child_nodes(self.data()) {
            match kind {
                NodeKind::Text { text: t, .. } => out.push_str(self.doc.str(*t)),
                NodeKind::Element(_) => return None,
                _ => {}
            }
        }
        Some(out)
    }

    /// [`ElementRef::text`], borrowed from the document when the content is
    /// at most one text node (the usual shape of a value), copied otherwise.
    pub(crate) fn text_cow(&self) -> Option<std::borrow::Cow<'d, str>> {
        let mut single: Option<&'d str> = None;
        for (_, kind) in self.doc.child_nodes(self.data()) {
            match kind {
                NodeKind::Text { text: t, .. } if single.is_none() => {
                    single = Some(self.doc.str(*t))
                }
                NodeKind::Text { .. } => return self.text().map(std::borrow::Cow::Owned),
                NodeKind::Element(_) => return None,
                _ => {}
            }
        }
        Some(std::borrow::Cow::Borrowed(single.unwrap_or("")))
    }

    /// All descendant elements in document order, this one first.
    pub fn descendants(&self) -> impl Iterator<Item = ElementRef<'d>> + 'd {
        Descendants::new(self.doc, self.id)
    }
}

impl QName {
    fn write_qualified<S: c14n::Sink>(&self, doc: &Document, out: &mut S) {
        match self.prefix {
            // As written in the input: `prefix:local` is one span.
            Some(p) if p.end + 1 == self.local.start => {
                let whole = Span {
                    start: p.start,
                    end: self.local.end,
                };
                out.put(doc.str(whole).as_bytes());
            }
            Some(p) => {
                out.put(doc.str(p).as_bytes());
                out.byte(b':');
                out.put(doc.str(self.local).as_bytes());
            }
            None => out.put(doc.str(self.local).as_bytes()),
        }
    }
}

/// Child elements of an element, in document order.
pub(crate) struct ElementChildren<'d> {
    nodes: ChildNodes<'d>,
}

impl<'d> Iterator for ElementChildren<'d> {
    type Item = ElementRef<'d>;
    fn next(&mut self) -> Option<Self::Item> {
        let doc = self.nodes.doc;
        self.nodes
            .find(|(_, k)| matches!(k, NodeKind::Element(_)))
            .map(|(id, _)| ElementRef { doc, id })
    }
}

/// Pre-order walk of a subtree's elements, following sibling links.
struct Descendants<'d> {
    doc: &'d Document,
    stack: Vec<NodeId>,
}

impl<'d> Descendants<'d> {
    fn new(doc: &'d Document, start: NodeId) -> Self {
        // Sized for the pending siblings of a SAML message's path, so the
        // walk usually allocates once (it still grows for larger documents).
        let mut stack = Vec::with_capacity(32);
        stack.push(start);
        Descendants { doc, stack }
    }
}

impl<'d> Iterator for Descendants<'d> {
    type Item = ElementRef<'d>;
    fn next(&mut self) -> Option<Self::Item> {
        while let Some(id) = self.stack.pop() {
            let Some(node) = self.doc.node(id) else {
                continue;
            };
            // The start node's siblings are outside the subtree: only
            // children's siblings are followed (pushed by their parent below).
            if let NodeKind::Element(data) = &node.kind {
                let first = self.stack.len();
                self.stack
                    .extend(self.doc.child_nodes(data).map(|(c, _)| c));
                if let Some(slice) = self.stack.get_mut(first..) {
                    slice.reverse();
                }
                return Some(ElementRef { doc: self.doc, id });
            }
        }
        None
    }
}

/// The position of the first byte at or after `from` whose entry in `table`
/// is not zero, or the length of `bytes`. The scanning loops of the parser
/// and of C14N: most bytes of a name, value or text need nothing, so eight
/// at a time are looked up and or-ed together before any is looked at alone.
pub(crate) fn find_class(bytes: &[u8], from: usize, table: &[u8; 256]) -> usize {
    let class = |b: u8| table.get(usize::from(b)).copied().unwrap_or(0);
    let mut at = from;
    let rest = bytes.get(from..).unwrap_or_default();
    for chunk in rest.chunks_exact(8) {
        if chunk.iter().fold(0, |any, &b| any | class(b)) != 0 {
            break;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if class(b) != 0 {
            return at;
        }
        at += 1;
    }
    bytes.len()
}

/// XML whitespace (S production, XML 1.0 §2.3).
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

#[cfg(test)]
mod tests {
    use super::find_class;

    /// Eight bytes at a time finds what one at a time finds, wherever the
    /// byte is, from any start, at any length.
    #[test]
    fn find_class_agrees_with_a_bytewise_search() {
        let mut table = [0u8; 256];
        table[usize::from(b'<')] = 1;
        table[0xEF] = 2;
        for len in 0..40 {
            for special in (0..len).map(Some).chain([None]) {
                for byte in [b'<', 0xEF] {
                    let mut bytes = vec![b'a'; len];
                    if let Some(at) = special {
                        bytes[at] = byte;
                    }
                    for from in 0..=len + 1 {
                        let naive = bytes
                            .iter()
                            .enumerate()
                            .skip(from)
                            .find(|(_, b)| table[usize::from(**b)] != 0)
                            .map_or(len, |(i, _)| i);
                        assert_eq!(
                            find_class(&bytes, from, &table),
                            naive,
                            "{len} {special:?} {from}"
                        );
                    }
                }
            }
        }
    }
}
