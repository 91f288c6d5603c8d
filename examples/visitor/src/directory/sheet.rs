//! Reading an uploaded spreadsheet (CSV, or XLSX with `calamine`) into
//! [`Record`]s, with an error per row that cannot be read (row number as
//! a spreadsheet shows it, column, reason).
//!
//! Columns, by header (any order, case and blanks ignored): `email`
//! (required), `first name`, `last name`, `display name`, `location`,
//! `role` (host or admin; blank keeps it), `action` (create, update,
//! deactivate, delete; blank creates or updates). An unknown or repeated
//! header refuses the file: a misspelt column must not be dropped quietly.
//!
//! Cells are text: a cell that looks like a formula (`=HYPERLINK(…)`) is
//! kept as the literal text, never evaluated; an XLSX formula cell is read
//! as its formula text (`=` and the formula), not its cached result, so
//! the preview shows what the file really holds. CSV must be UTF-8 (a
//! byte-order mark is dropped; CRLF or LF line ends).
//!
//! Budgets, before any work: [`MAX_UPLOAD_BYTES`] of file, [`MAX_ROWS`]
//! rows, and for XLSX (a zip) at most [`MAX_XLSX_ENTRIES`] parts that
//! inflate to at most [`MAX_XLSX_INFLATED`] bytes in all, counted while
//! inflating (a zip's declared sizes can lie).

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::record::{Action, Record, RecordError, Role};

/// Largest file accepted: 20,000 rows of a few hundred bytes.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// Most data rows.
pub const MAX_ROWS: usize = 20_000;
/// Most parts in an XLSX package (a workbook has a dozen).
pub const MAX_XLSX_ENTRIES: usize = 200;
/// Most bytes an XLSX package may inflate to (a zip bomb stops here).
pub const MAX_XLSX_INFLATED: u64 = 64 * 1024 * 1024;

/// The columns of the template, in order.
pub const COLUMNS: [&str; 7] = [
    "email",
    "first name",
    "last name",
    "display name",
    "location",
    "role",
    "action",
];

/// Why a file was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// Over [`MAX_UPLOAD_BYTES`].
    #[error("the file is larger than {} MiB", MAX_UPLOAD_BYTES / 1024 / 1024)]
    TooLarge,
    /// Over [`MAX_ROWS`].
    #[error("the file has more than {MAX_ROWS} rows")]
    TooManyRows,
    /// No header row.
    #[error("the file is empty")]
    Empty,
    /// Not UTF-8 CSV nor XLSX.
    #[error("the file is not CSV (UTF-8) nor XLSX: {0}")]
    Unreadable(String),
    /// A header that is not a known column.
    #[error(
        "unknown column {0:?} (the columns are: email, first name, last name, display name, location, role, action)"
    )]
    UnknownColumn(String),
    /// A column named twice.
    #[error("column {0:?} appears twice")]
    RepeatedColumn(String),
    /// No `email` column.
    #[error("the file has no email column")]
    NoEmailColumn,
    /// An XLSX over its budgets.
    #[error("the XLSX file expands beyond the limits of an upload")]
    XlsxTooLarge,
}

/// A file read: its rows as records, and the rows that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    /// Rows read.
    pub records: Vec<Record>,
    /// Rows refused, and why.
    pub errors: Vec<RecordError>,
}

/// Reads `bytes` (XLSX when it is a zip, else CSV).
pub fn read_sheet(bytes: &[u8]) -> Result<Sheet, SheetError> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(SheetError::TooLarge);
    }
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        xlsx_rows(bytes)?
    } else {
        csv_rows(bytes)?
    };
    records(rows)
}

/// The template: the header and one example row.
pub fn template_csv(domain: &str, location: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "{}\r\njane.doe@{domain},Jane,Doe,,{},host,\r\n",
        COLUMNS.join(","),
        quote(location)
    )
}

/// Rows with the number a spreadsheet shows them under (1 = the first).
type Rows = Vec<(usize, Vec<String>)>;

fn csv_rows(bytes: &[u8]) -> Result<Rows, SheetError> {
    // RFC 4180 fields; a UTF-8 byte-order mark (Excel writes one) is dropped.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut rows = Vec::new();
    let (mut cursor, mut line) = (0usize, 1usize);
    for row in reader.records() {
        let row = row.map_err(|e| SheetError::Unreadable(e.to_string()))?;
        if rows.len() > MAX_ROWS {
            return Err(SheetError::TooManyRows);
        }
        // The line a record starts on: csv skips blank lines, which a
        // spreadsheet shows as empty rows, so its row numbers are lines.
        // A record's position is where the one before it ended: skip the
        // line ends from there, counting them.
        let mut start = row.position().map_or(cursor, |p| p.byte() as usize);
        while body.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        line += body
            .get(cursor..start)
            .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count());
        cursor = start;
        rows.push((line, row.iter().map(str::to_owned).collect()));
    }
    Ok(rows)
}

fn xlsx_rows(bytes: &[u8]) -> Result<Rows, SheetError> {
    check_zip_budget(bytes)?;
    let unreadable = |e: &dyn std::fmt::Display| SheetError::Unreadable(e.to_string());
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::Empty)?;
    let values = book.worksheet_range(&name).map_err(|e| unreadable(&e))?;
    let formulas = book.worksheet_formula(&name).map_err(|e| unreadable(&e))?;
    let Some((top, left)) = values.start() else {
        return Ok(Vec::new());
    };
    if values.height() > MAX_ROWS + 1 {
        return Err(SheetError::TooManyRows);
    }
    let mut rows = Vec::with_capacity(values.height());
    for (r, row) in values.rows().enumerate() {
        let mut cells = Vec::with_capacity(row.len());
        for (c, v) in row.iter().enumerate() {
            let pos = (top + r as u32, left + c as u32);
            let cell = match formulas.get_value(pos) {
                Some(f) if !f.is_empty() => format!("={f}"),
                _ => cell_text(v),
            };
            cells.push(cell);
        }
        rows.push((top as usize + r + 1, cells));
    }
    Ok(rows)
}

/// A cell's value as text (numbers without a spurious `.0`).
fn cell_text(v: &Data) -> String {
    match v {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Refuses a package with too many parts, or that inflates past the
/// budget (counted while inflating, at most one byte past the limit).
fn check_zip_budget(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(e.to_string()))?;
    if zip.len() > MAX_XLSX_ENTRIES {
        return Err(SheetError::XlsxTooLarge);
    }
    let mut left = MAX_XLSX_INFLATED;
    let mut sink = [0u8; 8192];
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| SheetError::Unreadable(e.to_string()))?;
        loop {
            let n = part
                .read(&mut sink)
                .map_err(|e| SheetError::Unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            left = left.checked_sub(n as u64).ok_or(SheetError::XlsxTooLarge)?;
        }
    }
    Ok(())
}

/// Which cell of a row holds which field.
#[derive(Default)]
struct Layout {
    email: usize,
    given: Option<usize>,
    family: Option<usize>,
    display: Option<usize>,
    location: Option<usize>,
    role: Option<usize>,
    action: Option<usize>,
}

fn layout(header: &[String]) -> Result<Layout, SheetError> {
    let mut l = Layout::default();
    let mut email = None;
    let mut seen: Vec<&str> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let key: String = h
            .trim()
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c == '_' || c == '-' { ' ' } else { c })
            .collect();
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = match key.as_str() {
            "" => continue,
            "email" | "e mail" | "mail" => "email",
            "first name" | "given name" => "first name",
            "last name" | "family name" | "surname" => "last name",
            "display name" | "name" => "display name",
            "location" | "office" => "location",
            "role" => "role",
            "action" => "action",
            _ => return Err(SheetError::UnknownColumn(h.trim().to_owned())),
        };
        if seen.contains(&name) {
            return Err(SheetError::RepeatedColumn(name.to_owned()));
        }
        seen.push(name);
        match name {
            "email" => email = Some(i),
            "first name" => l.given = Some(i),
            "last name" => l.family = Some(i),
            "display name" => l.display = Some(i),
            "location" => l.location = Some(i),
            "role" => l.role = Some(i),
            _ => l.action = Some(i),
        }
    }
    l.email = email.ok_or(SheetError::NoEmailColumn)?;
    Ok(l)
}

fn records(rows: Rows) -> Result<Sheet, SheetError> {
    let mut rows = rows.into_iter();
    let (_, header) = rows.next().ok_or(SheetError::Empty)?;
    let l = layout(&header)?;
    let mut sheet = Sheet::default();
    for (number, row) in rows {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let origin = format!("row {number}");
        let cell = |at: Option<usize>| {
            at.and_then(|i| row.get(i))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let role = match cell(l.role).to_ascii_lowercase().as_str() {
            "" => None,
            "host" => Some(Role::Host),
            "admin" => Some(Role::Admin),
            other => {
                sheet.errors.push(RecordError::new(
                    &origin,
                    "role",
                    format!("{other:?} is not host or admin"),
                ));
                continue;
            }
        };
        let action = match cell(l.action).to_ascii_lowercase().as_str() {
            "" => Action::Upsert,
            "create" => Action::Create,
            "update" => Action::Update,
            // People are never erased (their visits keep their host).
            "deactivate" | "delete" => Action::Deactivate,
            other => {
                sheet.errors.push(RecordError::new(
                    &origin,
                    "action",
                    format!("{other:?} is not create, update, deactivate, delete or blank"),
                ));
                continue;
            }
        };
        let location = Some(cell(l.location)).filter(|s| !s.is_empty());
        sheet.records.push(Record {
            external_id: None,
            email: cell(Some(l.email)),
            given_name: cell(l.given),
            family_name: cell(l.family),
            display_name: cell(l.display),
            location,
            role,
            enabled: true,
            action,
            origin,
        });
    }
    Ok(sheet)
}

#[cfg(test)]
#[path = "sheet_tests.rs"]
mod tests;
