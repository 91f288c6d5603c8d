//! The audit log as a file: CSV (RFC 4180) for spreadsheets, JSON Lines for
//! log tools. Written by hand rather than with the `csv` crate: ten fixed
//! columns, always quoted, are a few lines, and the one rule a library
//! would not apply for us is the spreadsheet-formula guard below.

use crate::store::AuditRow;

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/csv`, one header line.
    Csv,
    /// `application/x-ndjson`, one JSON object per line.
    JsonLines,
}

impl Format {
    /// From the `format` query parameter.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }

    /// The response's content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::JsonLines => "application/x-ndjson",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::JsonLines => "jsonl",
        }
    }
}

const HEADER: &str =
    "id,at,category,action,outcome,actor,connection,code,correlation_id,detail\r\n";

/// One CSV field: quoted, quotes doubled (RFC 4180 §2), and a value a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first:
/// the OWASP "CSV injection" list) prefixed with `'`.
fn field(out: &mut String, s: &str) {
    out.push('"');
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    out.push_str(&s.replace('"', "\"\""));
    out.push('"');
}

/// `rows` in `format`.
pub fn export(rows: &[AuditRow], format: Format) -> String {
    let mut out = String::new();
    match format {
        Format::Csv => {
            out.push_str(HEADER);
            for r in rows {
                let detail = r.detail.to_string();
                let cols: [&str; 10] = [
                    &r.id.to_string(),
                    &r.at,
                    &r.category,
                    &r.action,
                    &r.outcome,
                    r.actor.as_deref().unwrap_or(""),
                    r.connection.as_deref().unwrap_or(""),
                    r.code.as_deref().unwrap_or(""),
                    r.correlation_id.as_deref().unwrap_or(""),
                    &detail,
                ];
                for (i, c) in cols.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    field(&mut out, c);
                }
                out.push_str("\r\n");
            }
        }
        Format::JsonLines => {
            for r in rows {
                // serde_json escapes control characters: one line per row.
                out.push_str(&serde_json::to_string(r).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(detail: &str) -> AuditRow {
        AuditRow {
            id: 7,
            at: "2026-01-02T03:04:05Z".into(),
            category: "sign_in".into(),
            action: "sign_in_failed".into(),
            outcome: "failed".into(),
            actor: Some("=HYPERLINK(\"http://evil\")".into()),
            connection: Some("acme".into()),
            code: Some("audience_mismatch".into()),
            correlation_id: Some("abc".into()),
            detail: serde_json::json!({ "reason": detail }),
        }
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let out = export(&[row("a \"quoted\"\nline")], Format::Csv);
        let mut lines = out.split("\r\n");
        assert_eq!(lines.next(), Some(HEADER.trim_end()));
        let line = lines.next().unwrap_or_default();
        assert!(line.starts_with("\"7\",\"2026-01-02T03:04:05Z\""), "{line}");
        assert!(
            line.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
            "{line}"
        );
        // The newline inside the detail is JSON-escaped: one record, one line.
        assert!(line.contains("a \\\"\"quoted\\\"\"\\nline"), "{line}");
        assert_eq!(lines.next(), Some(""));
    }

    #[test]
    fn json_lines_are_one_object_per_line() {
        let out = export(&[row("x\ny"), row("z")], Format::JsonLines);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap_or_default();
        assert_eq!(v["code"], "audience_mismatch");
        assert_eq!(v["detail"]["reason"], "x\ny");
    }
}
