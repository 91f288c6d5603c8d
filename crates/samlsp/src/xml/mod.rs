//! Hardened XML: untrusted bytes to an immutable, namespace-resolved tree.
//!
//! SAML security rests on every component seeing the *same* tree: the signature
//! verifier, the canonicalizer and the code that reads the assertion. This module
//! parses once (tokens from `quick-xml`, every well-formedness and namespace rule
//! enforced here) into an arena that nothing can mutate afterwards. Everything
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

use std::fmt;
use std::sync::Arc;

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
    /// that bug in quick-xml's own check).
    pub max_attributes: usize,
    /// Length in bytes of one text node or attribute value. 256 KiB holds a
    /// certificate chain or a large encrypted assertion's CipherValue.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 1024 * 1024,
            max_depth: 64,
            max_elements: 10_000,
            max_attributes: 64,
            max_text_bytes: 256 * 1024,
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

/// A namespace-qualified name as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QName {
    /// The prefix as written (`None` when unprefixed).
    pub(crate) prefix: Option<Box<str>>,
    pub(crate) local: Box<str>,
    /// Resolved namespace URI; `None` is "no namespace". Shared with the
    /// declaration, so resolving costs no allocation.
    pub(crate) ns: Option<Arc<str>>,
}

impl QName {
    fn write_qualified(&self, out: &mut Vec<u8>) {
        if let Some(p) = &self.prefix {
            out.extend_from_slice(p.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(self.local.as_bytes());
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Attribute {
    pub(crate) name: QName,
    /// The normalized value (XML 1.0 §3.3.3), references resolved.
    pub(crate) value: Box<str>,
}

/// A namespace declaration as written on an element: prefix (`None` for the
/// default namespace) and URI (empty only for `xmlns=""`).
#[derive(Debug, Clone)]
pub(crate) struct NsDecl {
    pub(crate) prefix: Option<Box<str>>,
    pub(crate) uri: Arc<str>,
}

#[derive(Debug)]
pub(crate) struct ElementData {
    pub(crate) name: QName,
    pub(crate) attributes: Vec<Attribute>,
    pub(crate) ns_decls: Vec<NsDecl>,
    pub(crate) children: Vec<NodeId>,
}

#[derive(Debug)]
pub(crate) enum NodeKind {
    Element(ElementData),
    /// Character data: text, CDATA sections and references merged.
    Text(Box<str>),
    /// Recorded (it splits text nodes) but its content is never read.
    Comment,
    Pi {
        target: Box<str>,
        data: Box<str>,
    },
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) parent: Option<NodeId>,
    pub(crate) kind: NodeKind,
}

/// A parsed, immutable XML document.
pub struct Document {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
    /// Comments and PIs before the root element, in order.
    pub(crate) prolog: Vec<NodeId>,
    /// Comments and PIs after the root element, in order.
    pub(crate) epilog: Vec<NodeId>,
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

    pub(crate) fn element(&self, id: NodeId) -> Option<ElementRef<'_>> {
        self.element_data(id)?;
        Some(ElementRef { doc: self, id })
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

    /// Number of elements (for limits and tests).
    pub fn element_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Element(_)))
            .count()
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

impl<'d> ElementRef<'d> {
    fn data(&self) -> &'d ElementData {
        match self.doc.element_data(self.id) {
            Some(d) => d,
            // An ElementRef is only ever built for an element node of its own
            // document (see `Document::element`), so this branch is unreachable;
            // an empty element is the harmless answer if it ever were.
            None => &EMPTY_ELEMENT,
        }
    }

    pub(crate) fn node_id(&self) -> NodeId {
        self.id
    }

    pub(crate) fn document(&self) -> &'d Document {
        self.doc
    }

    /// Local name.
    pub fn local_name(&self) -> &'d str {
        &self.data().name.local
    }

    /// Resolved namespace URI (`None`: no namespace).
    pub fn namespace(&self) -> Option<&'d str> {
        self.data().name.ns.as_deref()
    }

    /// Prefix as written.
    pub fn prefix(&self) -> Option<&'d str> {
        self.data().name.prefix.as_deref()
    }

    /// True when the element has this namespace URI and local name. Matching is
    /// by URI, never by prefix.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.namespace() == Some(ns) && self.local_name() == local
    }

    /// Value of an attribute with no namespace (SAML's own attributes: `ID`,
    /// `Destination`, ...).
    pub fn attr(&self, local: &str) -> Option<&'d str> {
        self.data()
            .attributes
            .iter()
            .find(|a| a.name.ns.is_none() && &*a.name.local == local)
            .map(|a| &*a.value)
    }

    /// Value of a namespaced attribute.
    pub fn attr_ns(&self, ns: &str, local: &str) -> Option<&'d str> {
        self.data()
            .attributes
            .iter()
            .find(|a| a.name.ns.as_deref() == Some(ns) && &*a.name.local == local)
            .map(|a| &*a.value)
    }

    /// All attributes as (namespace, local name, value), in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (Option<&'d str>, &'d str, &'d str)> + 'd {
        self.data()
            .attributes
            .iter()
            .map(|a| (a.name.ns.as_deref(), &*a.name.local, &*a.value))
    }

    /// Child elements in document order.
    pub fn children(&self) -> impl Iterator<Item = ElementRef<'d>> + 'd {
        let doc = self.doc;
        self.data()
            .children
            .iter()
            .filter_map(move |&c| doc.element(c))
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
        self.data().children.iter().any(|&c| {
            matches!(self.doc.node(c).map(|n| &n.kind),
                Some(NodeKind::Text(t)) if !t.trim_matches(is_xml_space).is_empty())
        })
    }

    /// The element's character data: the concatenation of *all* its text children,
    /// skipping comments and processing instructions. A comment inside a value
    /// therefore never shortens it (the CVE-2017-11427 family read only the first
    /// text node). Returns `None` when the element has child elements, which no
    /// SAML simple-content element may have.
    pub fn text(&self) -> Option<String> {
        let mut out = String::new();
        for &c in &self.data().children {
            match self.doc.node(c).map(|n| &n.kind) {
                Some(NodeKind::Text(t)) => out.push_str(t),
                Some(NodeKind::Element(_)) => return None,
                _ => {}
            }
        }
        Some(out)
    }

    /// All descendant elements in document order, this one first.
    pub fn descendants(&self) -> impl Iterator<Item = ElementRef<'d>> + 'd {
        Descendants::new(self.doc, self.id)
    }
}

static EMPTY_ELEMENT: std::sync::LazyLock<ElementData> = std::sync::LazyLock::new(|| ElementData {
    name: QName {
        prefix: None,
        local: Box::from(""),
        ns: None,
    },
    attributes: Vec::new(),
    ns_decls: Vec::new(),
    children: Vec::new(),
});

struct Descendants<'d> {
    doc: &'d Document,
    stack: Vec<NodeId>,
}

impl<'d> Descendants<'d> {
    fn new(doc: &'d Document, start: NodeId) -> Self {
        Descendants {
            doc,
            stack: vec![start],
        }
    }
}

impl<'d> Iterator for Descendants<'d> {
    type Item = ElementRef<'d>;
    fn next(&mut self) -> Option<Self::Item> {
        while let Some(id) = self.stack.pop() {
            if let Some(data) = self.doc.element_data(id) {
                self.stack.extend(data.children.iter().rev().copied());
                return Some(ElementRef { doc: self.doc, id });
            }
        }
        None
    }
}

/// XML whitespace (S production, XML 1.0 §2.3).
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}
