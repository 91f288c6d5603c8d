"""Employees -> Bulk upload, in a real browser (browser/upload.mjs): Alice, admin of Acme, signs
in through Keycloak, uploads a CSV (UTF-8 byte-order mark, Windows line ends) with good rows and
bad ones (an invalid email, a foreign domain, an unknown location, an email twice, a
formula-looking cell), sees the per-row errors in the preview with nothing written, applies it and
finds the new people; then an XLSX file with a formula cell. (A file of its own, sorted after
test_keycloak_login.py, whose cases expect Alice's first sign-in to create her account.)"""

from __future__ import annotations

import zipfile

import pytest

from harness.browser import check_steps, run_plan

CSV = (
    "\ufeffemail,first name,last name,display name,location,role,action\r\n"
    "uma.upload@acme.test,Uma,Upload,,Acme HQ,host,\r\n"
    "vic.upload@acme.test,Vic,Upload,,,admin,\r\n"
    "not-an-email,Xavier,,,,,\r\n"
    "eve.upload@globex.test,Eve,,,,,\r\n"
    "wes.upload@acme.test,Wes,,,Moon Base,,\r\n"
    "dup.upload@acme.test,Dee,,,,,\r\n"
    "DUP.upload@acme.test,Dan,,,,,\r\n"
    'zed.upload@acme.test,"=HYPERLINK(""http://evil.test"",""click"")",Zed,,,,\r\n'
)


def xlsx(path, rows: list[list[str]], formula: tuple[str, str] | None = None) -> None:
    """A minimal XLSX package (ECMA-376: content types, relationships, workbook, one sheet of
    inline strings), with `formula` = (cell, formula text) as a formula cell."""
    def cell(ref: str, text: str) -> str:
        esc = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{esc}</t></is></c>'
    body = []
    for i, row in enumerate(rows, start=1):
        cells = ""
        for j, v in enumerate(row):
            ref = f"{chr(65 + j)}{i}"
            if formula and formula[0] == ref:
                f = formula[1].replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
                cells += f'<c r="{ref}" t="str"><f>{f}</f><v>click</v></c>'
            elif v:
                cells += cell(ref, v)
        body.append(f'<row r="{i}">{cells}</row>')
    ns = "http://schemas.openxmlformats.org"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{"".join(body)}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text)


@pytest.fixture(scope="module")
def upload_run(env, clients, demo):
    files = env.artifacts / "upload"
    files.mkdir(parents=True, exist_ok=True)
    csv_file = files / "people.csv"
    csv_file.write_bytes(CSV.encode("utf-8"))
    xlsx_file = files / "people.xlsx"
    xlsx(xlsx_file, [["email", "first name", "last name", "location"],
                     ["xena.xlsx@acme.test", "", "Sheet", "Acme HQ"]],
         formula=("B2", 'HYPERLINK("http://evil.test","click")'))
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "button": "Sign in with Acme Corp", "username": "alice", "password": "alice-conformance-pw",
        "csv": {
            "file": str(csv_file),
            "preview": ["people.csv: 8 rows. Nothing has been written yet.", "3 to create",
                        "5 rows with errors (not used)",
                        "row 4", "not a valid email address",
                        "row 5", "globex.test is not one of the organization's verified domains",
                        "row 6", 'the organization has no location "Moon Base"',
                        "row 7", "row 8", "first at row 7",
                        '=HYPERLINK("http://evil.test","click") Zed'],
            "applied": ["Applied: 3 created, 0 updated, 0 deactivated, 0 reactivated; 5 rows not used."],
            "created": ["uma.upload@acme.test", "vic.upload@acme.test", "zed.upload@acme.test"],
        },
        "xlsx": {
            "file": str(xlsx_file),
            "preview": ["people.xlsx: 1 row.", "1 to create", "xena.xlsx@acme.test",
                        '=HYPERLINK("http://evil.test","click") Sheet'],
            "applied": ["Applied: 1 created"],
        },
        "history": ["Sync history", "upload", "applied"],
    }
    return run_plan(env, "upload.mjs", plan, "browser-upload")


def test_browser_bulk_upload_csv(upload_run, record):
    """Chromium: Alice uploads a CSV with BOM and CRLF; the preview lists rows 4-8 with their
    column and reason (invalid email, foreign domain, unknown location, duplicate email) and
    shows the formula-looking cell as text; nothing is written until Apply; then 3 people
    exist."""
    check_steps(upload_run, ["sign-in", "csv-preview", "csv-nothing-written-yet", "csv-apply",
                             "csv-users-listed"], record)


def test_browser_bulk_upload_xlsx(upload_run, record):
    """Chromium: an XLSX with a formula cell is previewed (the formula shown as its text) and
    applied; the sync history lists the uploads."""
    check_steps(upload_run, ["xlsx-preview", "xlsx-apply"], record)
