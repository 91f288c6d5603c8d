//! Small shared helpers.

use base64::Engine;

/// Decodes standard base64 that may be wrapped over lines or indented (as
/// in XML and in posted form values). Returns `None` when it is not base64.
pub(crate) fn decode_base64_lenient(input: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    // Fast path for the usual shape, lines of 64-76 characters: copy line by
    // line (`str::lines` finds line ends with memchr), trimming each end.
    let mut compact = Vec::with_capacity(input.len());
    for line in input.lines() {
        compact.extend_from_slice(line.trim_ascii().as_bytes());
    }
    if let Ok(bytes) = engine.decode(&compact) {
        return Some(bytes);
    }
    // Whitespace inside a line (rare): drop every ASCII space and retry.
    compact.retain(|b| !b.is_ascii_whitespace());
    engine.decode(&compact).ok()
}
