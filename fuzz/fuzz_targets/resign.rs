//! Input = Response XML with `<!--SIG:id-->` markers (see `fuzz/common/resign.rs`).
//! Each marked element is signed with the test IdP key after mutation, so the
//! signature always verifies and every SAML rule after it is fuzzed.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private};
use samlsp::ServiceProvider;

#[path = "../common/resign.rs"]
mod resign;

static KEY: LazyLock<PKey<Private>> = LazyLock::new(resign::idp_key);
static SP: LazyLock<ServiceProvider> = LazyLock::new(resign::service_provider);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let xml = resign::resign(text, &KEY);
    resign::exercise(&SP, xml.as_bytes());
});
