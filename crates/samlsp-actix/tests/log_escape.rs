//! A newline an attacker writes into a SAML message cannot start a log line:
//! the ACS failure is logged through `tracing`'s formatter (the one a
//! deployment uses), and the whole event stays on one line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use samlsp_actix::{SignInError, SignInFailure};
use samlsp_tests::corpus;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn newline_in_status_message_stays_on_one_log_line() {
    // The corpus' Requester status, its StatusMessage given a forged log line.
    let case = corpus::case("testdata/responses/manifest.json", "status-requester");
    let file = case.entry["file"].as_str().unwrap();
    let xml = String::from_utf8(samlsp_tests::read_repo_file(file)).unwrap();
    let forged = xml.replacen(
        "Access denied by policy",
        "denied\n2026-01-01T00:00:00Z  INFO samlsp_actix: signed in user=admin",
        1,
    );
    assert_ne!(forged, xml, "the fixture's StatusMessage moved");
    let sp = corpus::service_provider(&case).unwrap();
    let err = sp
        .verify_response_xml(
            forged.as_bytes(),
            samlsp_tests::instant(case.entry["now"].as_str().unwrap()),
            samlsp::RequestContext::Pending {
                request_id: &samlsp::RequestId::new(case.entry["request_id"].as_str().unwrap())
                    .unwrap(),
                idp: None,
            },
        )
        .unwrap_err();
    assert!(matches!(
        err,
        samlsp::Error::Protocol(samlsp::ProtocolError::Status { .. })
    ));

    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        SignInFailure::log(SignInError::Saml(err), "acs", Some("tenant"));
    });
    let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains("SAML sign-in failed"), "{out}");
    assert!(lines[0].contains(r"denied\n2026-01-01T00:00:00Z"), "{out}");
}
