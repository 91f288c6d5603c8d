use thiserror::Error;

/// Why a document was refused by the hardened parser. Offsets are byte positions
/// in the input, for debugging a capture; no variant carries document content
/// beyond a short name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum XmlError {
    /// Input is `size` bytes, over the limit of `limit`.
    #[error("input is {size} bytes, over the limit of {limit}")]
    InputTooLarge {
        /// The size, in bytes.
        size: usize,
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Input is not valid UTF-8 (at byte `offset`)
    #[error("input is not valid UTF-8 (at byte {offset})")]
    InvalidUtf8 {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Declared encoding `encoding` is not UTF-8.
    #[error("declared encoding {encoding:?} is not UTF-8")]
    UnsupportedEncoding {
        /// The declared encoding.
        encoding: String,
    },
    /// XML version `version` is not supported (only 1.0)
    #[error("XML version {version:?} is not supported (only 1.0)")]
    UnsupportedVersion {
        /// The declared version.
        version: String,
    },
    /// Document type declarations (DTDs) are forbidden (at byte `offset`)
    #[error("document type declarations (DTDs) are forbidden (at byte {offset})")]
    DoctypeForbidden {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Entity reference &`name`; is not one of the five predefined entities.
    #[error("entity reference &{name:?}; is not one of the five predefined entities")]
    UnknownEntity {
        /// The name (clipped).
        name: String,
    },
    /// Character reference &`reference`; is malformed or names a character XML forbids.
    #[error("character reference &{reference:?}; is malformed or names a character XML forbids")]
    InvalidCharacterReference {
        /// The reference (clipped).
        reference: String,
    },
    /// A character XML 1.0 forbids (U+`code`) appears at byte `offset`.
    #[error("a character XML 1.0 forbids (U+{code:04X}) appears at byte {offset}")]
    InvalidCharacter {
        /// The code point.
        code: u32,
        /// Byte offset in the input.
        offset: usize,
    },
    /// Document ends before the root element is closed.
    #[error("document ends before the root element is closed")]
    Truncated,
    /// No root element.
    #[error("no root element")]
    NoRoot,
    /// End tag `found` does not match the open element `expected`.
    #[error("end tag {found:?} does not match the open element {expected:?}")]
    MismatchedEndTag {
        /// What was required.
        expected: String,
        /// What the message carried (clipped).
        found: String,
    },
    /// End tag `name` closes no open element.
    #[error("end tag {name:?} closes no open element")]
    UnmatchedEndTag {
        /// The name (clipped).
        name: String,
    },
    /// A second root element starts at byte `offset`.
    #[error("a second root element starts at byte {offset}")]
    MultipleRoots {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Character data outside the root element at byte `offset`.
    #[error("character data outside the root element at byte {offset}")]
    ContentAfterRoot {
        /// Byte offset in the input.
        offset: usize,
    },
    /// Attribute `name` appears twice on one element.
    #[error("attribute {name:?} appears twice on one element")]
    DuplicateAttribute {
        /// The name (clipped).
        name: String,
    },
    /// Prefix `prefix` is not declared.
    #[error("prefix {prefix:?} is not declared")]
    UndeclaredPrefix {
        /// The prefix.
        prefix: String,
    },
    /// Invalid namespace declaration: `reason`.
    #[error("invalid namespace declaration: {reason}")]
    InvalidNamespaceDeclaration {
        /// Why, in words.
        reason: &'static str,
    },
    /// Namespace URI `uri` is relative; canonicalization is undefined for it.
    #[error("namespace URI {uri:?} is relative; canonicalization is undefined for it")]
    RelativeNamespaceUri {
        /// The URI (clipped).
        uri: String,
    },
    /// Name `name` is not a valid XML qualified name.
    #[error("name {name:?} is not a valid XML qualified name")]
    InvalidName {
        /// The name (clipped).
        name: String,
    },
    /// Processing instruction target `target` is reserved.
    #[error("processing instruction target {target:?} is reserved")]
    ReservedPiTarget {
        /// The target.
        target: String,
    },
    /// Element nesting deeper than `limit`.
    #[error("element nesting deeper than {limit}")]
    TooDeep {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More than `limit` elements.
    #[error("more than {limit} elements")]
    TooManyElements {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More than `limit` namespace declarations in scope at one element.
    #[error("more than {limit} namespace declarations in scope at one element")]
    TooManyNamespacesInScope {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// More than `limit` attributes on one element.
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A text node or attribute value is longer than `limit` bytes.
    #[error("a text node or attribute value is longer than {limit} bytes")]
    TextTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// Malformed XML at byte `offset`: `reason`.
    #[error("malformed XML at byte {offset}: {reason:?}")]
    Malformed {
        /// Byte offset in the input.
        offset: usize,
        /// Why, in words.
        reason: String,
    },
}
