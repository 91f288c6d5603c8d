//! A small XML writer that escapes every text node and attribute value.
//!
//! Everything this crate sends (AuthnRequests, SP metadata, signatures) is
//! written through it, so no configured or caller-supplied string can break out
//! of its text node or attribute (samael wrote `BytesText::from_escaped` for
//! all text and produced malformed XML from an entity ID with `&`).
//!
//! Output is deterministic: attributes in the order given, no whitespace added,
//! `"` for attribute quotes. Escaping follows what Canonical XML produces
//! (C14N 1.0 §2.3), so that a document we write is already close to its
//! canonical form: text escapes `&`, `<`, `>` and CR; attribute values escape
//! `&`, `<`, `"`, TAB, LF and CR.

/// Escapes character data (XML 1.0 §2.4).
pub fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Escapes an attribute value for double quotes (XML 1.0 §3.3.3: whitespace
/// characters are written as references so that normalization keeps them).
pub fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Escapes a string for HTML text or a double- or single-quoted HTML attribute
/// (the five characters OWASP's XSS cheat sheet lists).
pub fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Drops characters XML 1.0 cannot carry at all (§2.2 Char), so that a caller
/// string with a NUL or a lone control character cannot make the output
/// unparseable.
fn xml_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().filter(|&c| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    })
}

/// An append-only XML writer. Element names are written as given (they are
/// always constants of this crate); text and attribute values are escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    /// Open elements: name and whether an element child was written.
    open: Vec<(&'static str, bool)>,
    in_start_tag: bool,
    pretty: bool,
}

impl XmlWriter {
    /// An empty writer producing compact output.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty writer that puts each element on its own line, indented by
    /// two spaces per level (for documents people read, such as metadata).
    /// Text-only elements stay on one line, so no text value gains whitespace.
    pub fn pretty() -> Self {
        XmlWriter {
            pretty: true,
            ..Self::default()
        }
    }

    fn newline(&mut self, depth: usize) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }

    fn close_start_tag(&mut self) {
        if self.in_start_tag {
            self.out.push('>');
            self.in_start_tag = false;
        }
    }

    /// Opens `<name`.
    pub fn start(&mut self, name: &'static str) -> &mut Self {
        self.close_start_tag();
        let depth = self.open.len();
        if let Some(parent) = self.open.last_mut() {
            parent.1 = true;
            self.newline(depth);
        }
        self.out.push('<');
        self.out.push_str(name);
        self.open.push((name, false));
        self.in_start_tag = true;
        self
    }

    /// Adds an attribute to the element just opened. Ignored (by design never
    /// reached) when no start tag is open.
    pub fn attr(&mut self, name: &'static str, value: &str) -> &mut Self {
        if self.in_start_tag {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            let clean: String = xml_chars(value).collect();
            escape_attr(&clean, &mut self.out);
            self.out.push('"');
        }
        self
    }

    /// Adds an attribute when `value` is `Some`.
    pub fn attr_opt(&mut self, name: &'static str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.attr(name, v);
        }
        self
    }

    /// Writes escaped character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.close_start_tag();
        let clean: String = xml_chars(text).collect();
        escape_text(&clean, &mut self.out);
        self
    }

    /// Writes markup produced elsewhere by this crate (a signature block).
    pub(crate) fn raw(&mut self, markup: &str) -> &mut Self {
        self.close_start_tag();
        self.out.push_str(markup);
        self
    }

    /// Closes the innermost open element (`/>` when it is empty).
    pub fn end(&mut self) -> &mut Self {
        if let Some((name, had_children)) = self.open.pop() {
            if self.in_start_tag {
                self.out.push_str("/>");
                self.in_start_tag = false;
            } else {
                if had_children {
                    let depth = self.open.len();
                    self.newline(depth);
                }
                self.out.push_str("</");
                self.out.push_str(name);
                self.out.push('>');
            }
        }
        self
    }

    /// `<name attrs>text</name>` in one call.
    pub fn text_element(
        &mut self,
        name: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.start(name);
        for (k, v) in attrs {
            self.attr(k, v);
        }
        self.text(text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self.open.pop();
        self
    }

    /// Byte length written so far (an insertion point for a signature).
    pub fn position(&mut self) -> usize {
        self.close_start_tag();
        self.out.len()
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.end();
        }
        if self.pretty {
            self.out.push('\n');
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        let mut w = XmlWriter::new();
        w.start("a")
            .attr("x", "1\"<&>\t\n\r'")
            .text("a&b<c>d\r")
            .start("b")
            .end();
        assert_eq!(
            w.finish(),
            "<a x=\"1&quot;&lt;&amp;&gt;&#x9;&#xA;&#xD;'\">a&amp;b&lt;c&gt;d&#xD;<b/></a>"
        );
    }

    #[test]
    fn drops_characters_xml_cannot_carry() {
        let mut w = XmlWriter::new();
        w.text_element("a", &[("k", "x\u{0}y")], "p\u{1}q");
        assert_eq!(w.finish(), "<a k=\"xy\">pq</a>");
    }

    #[test]
    fn pretty_output() {
        let mut w = XmlWriter::pretty();
        w.start("a").attr("x", "1");
        w.text_element("b", &[], "t");
        w.start("c").start("d").end().end();
        assert_eq!(
            w.finish(),
            "<a x=\"1\">\n  <b>t</b>\n  <c>\n    <d/>\n  </c>\n</a>\n"
        );
    }

    #[test]
    fn html_escape() {
        let mut s = String::new();
        escape_html("\"><script>alert('x')</script>&", &mut s);
        assert_eq!(
            s,
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }
}
