use thiserror::Error;

/// Why a document was refused by the hardened parser. Offsets are byte positions
/// in the input, for debugging a capture; no variant carries document content
/// beyond a short name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum XmlError {
    #[error("input is {size} bytes, over the limit of {limit}")]
    InputTooLarge { size: usize, limit: usize },
    #[error("input is not valid UTF-8 (at byte {offset})")]
    InvalidUtf8 { offset: usize },
    #[error("declared encoding {encoding:?} is not UTF-8")]
    UnsupportedEncoding { encoding: String },
    #[error("XML version {version:?} is not supported (only 1.0)")]
    UnsupportedVersion { version: String },
    #[error("document type declarations (DTDs) are forbidden (at byte {offset})")]
    DoctypeForbidden { offset: usize },
    #[error("entity reference &{name:?}; is not one of the five predefined entities")]
    UnknownEntity { name: String },
    #[error("character reference &{reference:?}; is malformed or names a character XML forbids")]
    InvalidCharacterReference { reference: String },
    #[error("a character XML 1.0 forbids (U+{code:04X}) appears at byte {offset}")]
    InvalidCharacter { code: u32, offset: usize },
    #[error("document ends before the root element is closed")]
    Truncated,
    #[error("no root element")]
    NoRoot,
    #[error("end tag {found:?} does not match the open element {expected:?}")]
    MismatchedEndTag { expected: String, found: String },
    #[error("end tag {name:?} closes no open element")]
    UnmatchedEndTag { name: String },
    #[error("a second root element starts at byte {offset}")]
    MultipleRoots { offset: usize },
    #[error("character data outside the root element at byte {offset}")]
    ContentAfterRoot { offset: usize },
    #[error("attribute {name:?} appears twice on one element")]
    DuplicateAttribute { name: String },
    #[error("prefix {prefix:?} is not declared")]
    UndeclaredPrefix { prefix: String },
    #[error("invalid namespace declaration: {reason}")]
    InvalidNamespaceDeclaration { reason: &'static str },
    #[error("namespace URI {uri:?} is relative; canonicalization is undefined for it")]
    RelativeNamespaceUri { uri: String },
    #[error("name {name:?} is not a valid XML qualified name")]
    InvalidName { name: String },
    #[error("processing instruction target {target:?} is reserved")]
    ReservedPiTarget { target: String },
    #[error("element nesting deeper than {limit}")]
    TooDeep { limit: usize },
    #[error("more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("more than {limit} namespace declarations in scope at one element")]
    TooManyNamespacesInScope { limit: usize },
    #[error("more than {limit} attributes on one element")]
    TooManyAttributes { limit: usize },
    #[error("a text node or attribute value is longer than {limit} bytes")]
    TextTooLong { limit: usize },
    #[error("malformed XML at byte {offset}: {reason:?}")]
    Malformed { offset: usize, reason: String },
}
