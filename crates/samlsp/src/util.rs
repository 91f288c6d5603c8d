//! Small shared helpers.

use base64::Engine;

/// Decodes standard base64 (RFC 4648 §4, padding required) that may be
/// wrapped over lines or indented, as in XML element content and in posted
/// form values: ASCII whitespace anywhere is ignored. Returns `None` when the
/// rest is not base64. The one decoder behind every base64 field the crate
/// reads; callers map `None` (and, where it matters, an empty result) to their
/// own error.
///
/// It decodes each whitespace-free run straight into the output instead of
/// first copying the input without its whitespace: a posted `SAMLResponse` is
/// usually one run, an XML value one run per line. A run whose length is not a
/// multiple of four is completed with the first characters of the next run.
/// The result equals decoding the input with its whitespace removed: `=` is
/// accepted only in the last group of the whole input (the base64 engine
/// checks padding and trailing bits there), and anywhere else it is refused.
pub(crate) fn decode_base64_lenient(input: &str) -> Option<Vec<u8>> {
    let engine = &base64::engine::general_purpose::STANDARD;
    let bytes = input.as_bytes();
    let end = bytes.trim_ascii_end().len();
    let bytes = bytes.get(..end).unwrap_or_default();
    let mut out = Vec::with_capacity(end / 4 * 3 + 3);
    // Characters of a group not yet complete (a run ended inside it).
    let mut carry = [0u8; 4];
    let mut carried = 0usize;
    let mut rest = bytes;
    loop {
        rest = rest.trim_ascii_start();
        if rest.is_empty() {
            break;
        }
        let run_len = rest
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (mut run, after) = rest.split_at(run_len);
        let last_run = after.is_empty();
        if carried > 0 {
            let take = (4 - carried).min(run.len());
            let (head, tail) = run.split_at(take);
            carry
                .get_mut(carried..carried + take)?
                .copy_from_slice(head);
            carried += take;
            run = tail;
            if carried < 4 {
                rest = after;
                continue;
            }
            // '=' only in the group that ends the input.
            if !(last_run && run.is_empty()) && carry.contains(&b'=') {
                return None;
            }
            engine.decode_vec(carry, &mut out).ok()?;
        }
        let whole = run.len() / 4 * 4;
        let (groups, partial) = run.split_at(whole);
        if !groups.is_empty() {
            if !(last_run && partial.is_empty()) && groups.last() == Some(&b'=') {
                return None;
            }
            engine.decode_vec(groups, &mut out).ok()?;
        }
        carry.get_mut(..partial.len())?.copy_from_slice(partial);
        carried = partial.len();
        rest = after;
    }
    if carried > 0 {
        // Not a multiple of four characters: the engine refuses it with the
        // right reason, and we only need the refusal.
        engine.decode_vec(carry.get(..carried)?, &mut out).ok()?;
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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
        for case in &cases {
            assert_eq!(
                decode_base64_lenient(case),
                compact_then_decode(case),
                "{case:?}"
            );
        }
    }
}
