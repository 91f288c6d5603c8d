//! The few pages this crate renders itself, and HTML escaping.
//!
//! Pages are self-contained: an inline style (allowed by their own CSP,
//! `style-src 'unsafe-inline'`), no scripts, no external assets.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(s, &mut out);
    out
}

/// [`escape`] into an existing buffer (the core's HTML escaper, so the
/// AuthnRequest form and these pages escape identically).
pub fn escape_into(s: &str, out: &mut String) {
    samlsp::internal::xmlwriter::escape_html(s, out);
}

/// Content-Security-Policy of the pages rendered here: nothing may load,
/// only the inline style, forms post to this site only.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                            frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5;color:#1a1a1a;background:#fff}h1{font-size:1.6rem}\
code{background:#f0f0f0;padding:.1rem .3rem;border-radius:3px}a{color:#0645ad}\
a:focus{outline:3px solid #f90;outline-offset:2px}";

/// A minimal page: title, then the already-escaped `body_html`.
pub fn page(status: StatusCode, title: &str, body_html: &str) -> HttpResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{t}</title><style>{STYLE}</style></head>\
         <body><main><h1>{t}</h1>\n{body_html}\n</main></body></html>\n",
        t = escape(title),
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
