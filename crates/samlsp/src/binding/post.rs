//! HTTP-POST binding (SAML Bindings 2.0 §3.5): an HTML form that the browser
//! submits to the IdP, automatically when scripts run and by a button when
//! they do not (§3.5.4).
//!
//! Every value in the page is HTML-escaped, the action URL included (samael
//! interpolated RelayState raw: an XSS). The auto-submit script is a constant,
//! so a Content-Security-Policy can allow it by hash
//! ([`PostForm::SCRIPT_CSP_HASH`]) or by nonce ([`PostForm::to_html_with_nonce`]).

use super::MessageKind;
use crate::xmlwriter::escape_html;

/// A form to POST a SAML message: the action URL and the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostForm {
    action: String,
    fields: Vec<(&'static str, String)>,
}

impl PostForm {
    /// The auto-submit script, byte for byte as it appears in the page.
    pub const SCRIPT: &'static str = "document.forms[0].submit();";

    /// CSP source for [`Self::SCRIPT`]: `'sha256-' base64(SHA-256(SCRIPT))`.
    /// A test recomputes it.
    pub const SCRIPT_CSP_HASH: &'static str =
        "'sha256-8lDeP0UDwCO6/RhblgeH/ctdBzjVpJxrXizsnIk3cEQ='";

    pub(crate) fn new(
        action: &str,
        kind: MessageKind,
        message_b64: String,
        relay_state: Option<&str>,
    ) -> Self {
        let mut fields = vec![(kind.parameter(), message_b64)];
        if let Some(rs) = relay_state {
            fields.push(("RelayState", rs.to_owned()));
        }
        PostForm {
            action: action.to_owned(),
            fields,
        }
    }

    /// The URL the form posts to.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The form fields (name, value), unescaped.
    pub fn fields(&self) -> &[(&'static str, String)] {
        &self.fields
    }

    /// The HTML page, with the script inline and no nonce.
    pub fn to_html(&self) -> String {
        self.render(None)
    }

    /// The HTML page with `nonce` on the script element (for a CSP
    /// `script-src 'nonce-...'`). The nonce is escaped like everything else.
    pub fn to_html_with_nonce(&self, nonce: &str) -> String {
        self.render(Some(nonce))
    }

    fn render(&self, nonce: Option<&str>) -> String {
        let mut h =
            String::with_capacity(1024 + self.fields.iter().map(|f| f.1.len()).sum::<usize>());
        h.push_str(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <title>Continue to sign in</title></head><body>\n<form method=\"post\" action=\"",
        );
        escape_html(&self.action, &mut h);
        h.push_str("\">\n");
        for (name, value) in &self.fields {
            h.push_str("<input type=\"hidden\" name=\"");
            escape_html(name, &mut h);
            h.push_str("\" value=\"");
            escape_html(value, &mut h);
            h.push_str("\">\n");
        }
        h.push_str(
            "<noscript><p>Scripts are disabled. Press the button to continue.</p>\
             <button type=\"submit\">Continue</button></noscript>\n</form>\n<script",
        );
        if let Some(n) = nonce {
            h.push_str(" nonce=\"");
            escape_html(n, &mut h);
            h.push('"');
        }
        h.push('>');
        h.push_str(Self::SCRIPT);
        h.push_str("</script>\n</body></html>\n");
        h
    }
}
