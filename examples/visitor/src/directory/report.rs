//! A run's plan as text, for the command line and the log. Source text
//! (names, DNs, reasons) is printed with control characters escaped, so a
//! directory entry cannot forge lines of the report.

use std::fmt::Write;

use super::run::RunReport;
use crate::store::Outcome;

/// `s` with control characters escaped (`\u{1b}`, `\n`).
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The report: a summary line, then at most `max` lines of each part.
pub fn describe(r: &RunReport, max: usize) -> String {
    let p = &r.plan;
    let mut out = String::new();
    let verdict = match r.outcome {
        Outcome::Applied => "applied",
        Outcome::DryRun => "dry run, nothing changed",
        Outcome::Refused => "REFUSED, nothing changed",
        Outcome::Failed => "FAILED, nothing changed",
    };
    let _ = writeln!(
        out,
        "{verdict}: {} records; {} to create, {} to update, {} to deactivate, {} to reactivate, \
         {} new locations, {} left alone, {} unchanged, {} errors",
        r.records,
        p.creates.len(),
        p.updates.len(),
        p.deactivations.len(),
        p.reactivations.len(),
        p.new_locations.len(),
        p.left_alone.len(),
        p.unchanged,
        p.errors.len()
    );
    if !r.message.is_empty() {
        let _ = writeln!(out, "  {}", clean(&r.message));
    }
    let mut section = |title: &str, lines: Vec<String>| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title}:");
        for l in lines.iter().take(max) {
            let _ = writeln!(out, "  {}", clean(l));
        }
        if lines.len() > max {
            let _ = writeln!(out, "  … {} more", lines.len() - max);
        }
    };
    section(
        "create",
        p.creates
            .iter()
            .map(|c| format!("{} ({}, {})", c.email, c.display_name, c.role.as_str()))
            .collect(),
    );
    section(
        "update",
        p.updates
            .iter()
            .map(|u| {
                let mut l = u.email.clone();
                for c in &u.changes {
                    let _ = write!(l, "; {}: {:?} → {:?}", c.field.label(), c.from, c.to);
                }
                if u.adopt {
                    l.push_str("; adopted from sign-in");
                }
                l
            })
            .collect(),
    );
    section(
        "deactivate",
        p.deactivations.iter().map(|t| t.email.clone()).collect(),
    );
    section(
        "reactivate",
        p.reactivations.iter().map(|t| t.email.clone()).collect(),
    );
    section("new location", p.new_locations.clone());
    section(
        "left alone",
        p.left_alone
            .iter()
            .map(|l| format!("{} (owned by {})", l.email, l.owner))
            .collect(),
    );
    section("error", p.errors.iter().map(ToString::to_string).collect());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{Plan, RecordError};

    #[test]
    fn control_characters_in_source_text_are_escaped() {
        let mut plan = Plan::default();
        plan.errors.push(RecordError::new(
            "uid=x\nforged: line",
            "email",
            "bad \u{1b}[31m",
        ));
        let text = describe(
            &RunReport {
                outcome: Outcome::Refused,
                plan,
                records: 1,
                message: "limit".into(),
            },
            5,
        );
        assert!(
            text.starts_with("REFUSED, nothing changed: 1 records;"),
            "{text}"
        );
        assert!(
            text.contains("uid=x\\nforged: line, email: bad \\u{1b}[31m"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}
