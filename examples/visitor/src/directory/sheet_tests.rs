#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;

use super::*;

/// A minimal XLSX package (ECMA-376 Part 1: content types, the package
/// and workbook relationships, a workbook, one sheet) holding `sheet_xml`.
pub(crate) fn xlsx(sheet_xml: &str) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_xml}</sheetData></worksheet>"#
            ),
        ),
    ];
    for (name, body) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

fn inline(r: &str, text: &str) -> String {
    format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

#[test]
fn csv_with_bom_crlf_and_every_column() {
    let text = "\u{feff}Email,First Name,last_name,Display Name,Location,Role,Action\r\n\
                ann@acme.test,Ann,Lee,,\"HQ, North\",admin,\r\n\
                \r\n\
                bob@acme.test,Bob,,,,,delete\r\n\
                =HYPERLINK(\"http://evil.test\";\"x\")@acme.test,\"=HYPERLINK(\"\"http://evil.test\"\",\"\"click\"\")\",,,,,\r\n";
    let s = read_sheet(text.as_bytes()).unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.records.len(), 3);
    let ann = &s.records[0];
    assert_eq!(ann.origin, "row 2");
    assert_eq!(
        (ann.email.as_str(), ann.given_name.as_str()),
        ("ann@acme.test", "Ann")
    );
    assert_eq!(ann.location.as_deref(), Some("HQ, North"));
    assert_eq!((ann.role, ann.action), (Some(Role::Admin), Action::Upsert));
    // Row 3 is blank and skipped; the numbering keeps the file's.
    assert_eq!(s.records[1].origin, "row 4");
    assert_eq!(s.records[1].action, Action::Deactivate);
    // Formula-looking text is kept verbatim.
    assert_eq!(
        s.records[2].given_name,
        "=HYPERLINK(\"http://evil.test\",\"click\")"
    );
}

#[test]
fn bad_cells_are_row_errors_and_bad_headers_refuse_the_file() {
    let s = read_sheet(b"email,role,action\na@acme.test,boss,\nb@acme.test,,erase\nc@acme.test\n")
        .unwrap();
    let cols: Vec<(&str, &str)> = s
        .errors
        .iter()
        .map(|e| (e.origin.as_str(), e.column.as_str()))
        .collect();
    assert_eq!(cols, vec![("row 2", "role"), ("row 3", "action")]);
    assert_eq!(s.records.len(), 1);
    assert_eq!(
        read_sheet(b"email,phone\n").unwrap_err(),
        SheetError::UnknownColumn("phone".into())
    );
    assert_eq!(
        read_sheet(b"mail,Email\n").unwrap_err(),
        SheetError::RepeatedColumn("email".into())
    );
    assert_eq!(
        read_sheet(b"first name\n").unwrap_err(),
        SheetError::NoEmailColumn
    );
    assert_eq!(read_sheet(b"").unwrap_err(), SheetError::Empty);
    assert!(matches!(
        read_sheet(b"email\n\xff\xfe\n").unwrap_err(),
        SheetError::Unreadable(_)
    ));
}

#[test]
fn budgets_refuse_before_work() {
    let big = vec![b'a'; MAX_UPLOAD_BYTES + 1];
    assert_eq!(read_sheet(&big).unwrap_err(), SheetError::TooLarge);
    let mut many = String::from("email\n");
    for i in 0..=MAX_ROWS {
        many.push_str(&format!("p{i}@acme.test\n"));
    }
    assert_eq!(
        read_sheet(many.as_bytes()).unwrap_err(),
        SheetError::TooManyRows
    );
    // A zip that inflates past the budget (zeros compress ~1000:1).
    let mut out = Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..(MAX_XLSX_INFLATED / zeros.len() as u64 + 1) {
        z.write_all(&zeros).unwrap();
    }
    z.finish().unwrap();
    let bomb = out.into_inner();
    assert!(bomb.len() < MAX_UPLOAD_BYTES);
    assert_eq!(read_sheet(&bomb).unwrap_err(), SheetError::XlsxTooLarge);
}

#[test]
fn xlsx_cells_formulas_and_numbers() {
    let sheet = format!(
        r#"<row r="1">{}{}{}</row><row r="2">{}<c r="B2" t="str"><f>HYPERLINK("http://evil.test","click")</f><v>click</v></c><c r="C2"><v>42</v></c></row>"#,
        inline("A1", "email"),
        inline("B1", "first name"),
        inline("C1", "last name"),
        inline("A2", "ann@acme.test"),
    );
    let s = read_sheet(&xlsx(&sheet)).unwrap();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.records.len(), 1);
    let r = &s.records[0];
    assert_eq!(r.email, "ann@acme.test");
    assert_eq!(r.given_name, "=HYPERLINK(\"http://evil.test\",\"click\")");
    assert_eq!(r.family_name, "42");
    assert_eq!(r.origin, "row 2");
}

#[test]
fn the_template_reads_back() {
    let t = template_csv("acme.test", "Acme HQ, Springfield");
    let s = read_sheet(t.as_bytes()).unwrap();
    assert!(s.errors.is_empty());
    assert_eq!(s.records[0].email, "jane.doe@acme.test");
    assert_eq!(
        s.records[0].location.as_deref(),
        Some("Acme HQ, Springfield")
    );
}
