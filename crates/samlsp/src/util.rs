//! Small shared helpers.

use base64::Engine;

/// Decodes standard base64 that may be wrapped over lines or indented (as
/// in XML and in posted form values). Returns `None` when it is not base64.
pub(crate) fn decode_base64_lenient(input: &[u8]) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    if !input.iter().any(u8::is_ascii_whitespace) {
        return engine.decode(input).ok();
    }
    let mut compact = Vec::with_capacity(input.len());
    for chunk in input.split(u8::is_ascii_whitespace) {
        compact.extend_from_slice(chunk);
    }
    engine.decode(&compact).ok()
}
