//! Small shared helpers.

/// Decodes standard base64 (RFC 4648 §4, padding required) that may be
/// wrapped over lines or indented, as in XML element content and in posted
/// form values: ASCII whitespace anywhere is ignored. Returns `None` when the
/// rest is not base64. The one decoder behind every base64 field the crate
/// reads; callers map `None` (and, where it matters, an empty result) to their
/// own error.
///
/// The usual shapes cost one pass: a posted `SAMLResponse` or a
/// `DigestValue` is a single run and is decoded whole. Otherwise (a
/// certificate or `SignatureValue` wrapped over lines) each whitespace-free
/// run is decoded straight into the output, never copying the input without
/// its whitespace first. A run whose length is not a multiple of four is
/// completed with the first characters of the next run. The result equals
/// decoding the input with its whitespace removed: `=` is accepted only in
/// the last group of the whole input (where padding and the unused trailing
/// bits are checked), and anywhere else it is refused.
pub(crate) fn decode_base64_lenient(input: &str) -> Option<Vec<u8>> {
    let bytes = input.as_bytes().trim_ascii();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 3);
    if decode_append(bytes, &mut out) {
        return Some(out);
    }
    out.clear();
    // Characters of a group not yet complete (a run ended inside it).
    let mut carry = [0u8; 4];
    let mut carried = 0usize;
    let mut rest = bytes;
    while !rest.is_empty() {
        let (mut run, after) = rest.split_at(first_space(rest));
        let last_run = after.is_empty();
        if carried > 0 {
            let take = (4 - carried).min(run.len());
            let (head, tail) = run.split_at(take);
            carry
                .get_mut(carried..carried + take)?
                .copy_from_slice(head);
            carried += take;
            run = tail;
            if carried == 4 {
                // '=' only in the group that ends the input.
                if !(last_run && run.is_empty()) && carry.contains(&b'=') {
                    return None;
                }
                if !decode_append(&carry, &mut out) {
                    return None;
                }
                carried = 0;
            }
        }
        let whole = run.len() / 4 * 4;
        let (groups, partial) = run.split_at(whole);
        if !groups.is_empty() {
            if !(last_run && partial.is_empty()) && groups.last() == Some(&b'=') {
                return None;
            }
            if !decode_append(groups, &mut out) {
                return None;
            }
        }
        if !partial.is_empty() {
            carry.get_mut(..partial.len())?.copy_from_slice(partial);
            carried = partial.len();
        }
        rest = after.trim_ascii_start();
    }
    // A group left incomplete: not a multiple of four characters.
    (carried == 0).then_some(out)
}

/// Appends the decoding of `b64` (whole groups, padding only at its end).
fn decode_append(b64: &[u8], out: &mut Vec<u8>) -> bool {
    base64_simd::STANDARD.decode_append(b64, out).is_ok()
}

/// Index of the first ASCII whitespace byte (`bytes.len()` if none). Eight
/// bytes at a time: a word with no byte below 0x21 has no whitespace (SWAR
/// "has less than", Hacker's Delight §6-1), then the word is scanned bytewise.
fn first_space(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut start = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_ne_bytes(word);
        if w.wrapping_sub(ONES * 0x21) & !w & HIGHS != 0 {
            break;
        }
        start += 8;
    }
    let tail = bytes.get(start..).unwrap_or_default();
    start
        + tail
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use base64::Engine;

    /// The reference: whitespace removed, then the strict engine.
    fn compact_then_decode(input: &str) -> Option<Vec<u8>> {
        let compact: Vec<u8> = input.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
    }

    #[test]
    fn same_answer_as_decoding_the_compacted_input() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(b"any carnal pleasure.");
        let mut cases: Vec<String> = vec![
            String::new(),
            " \n\t".into(),
            encoded.clone(),
            "QQ==".into(),
            "QQ==QQ==".into(),
            "QQ= =".into(),
            "Q Q = =".into(),
            "QQ\n==".into(),
            "QR==".into(),
            "QUJ=".into(),
            "QUI=".into(),
            "QUJDRB==".into(),
            "QU\nJ=".into(),
            "QQ=".into(),
            "QQ".into(),
            "QUJD\nRA==".into(),
            "QUJD=\nRA==".into(),
            "QUJDRA==\n".into(),
            "  QUJD\r\n  RA==  \n".into(),
            "QU JD RA ==".into(),
            "QUJ\nD".into(),
            "QUJ!".into(),
            "====".into(),
            "QUJD\u{a0}RA==".into(),
        ];
        // Every split of the encoding into two or three runs.
        for i in 0..=encoded.len() {
            for j in i..=encoded.len() {
                cases.push(format!(
                    "{}\n{} {}",
                    &encoded[..i],
                    &encoded[i..j],
                    &encoded[j..]
                ));
            }
        }
        // Whitespace at every position of a longer value (the word scan).
        let long = base64::engine::general_purpose::STANDARD.encode([7u8; 40]);
        for i in 0..=long.len() {
            for ws in [" ", "\t", "\n", "\r\n", "\x0c"] {
                cases.push(format!("{}{ws}{}", &long[..i], &long[i..]));
            }
        }
        for case in &cases {
            assert_eq!(
                decode_base64_lenient(case),
                compact_then_decode(case),
                "{case:?}"
            );
        }
    }
}
