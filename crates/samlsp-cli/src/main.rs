//! `samlsp`: the command-line companion of the samlsp library.
//!
//! Exit codes: 0 success (for `verify`: accepted), 1 rejected, 2 usage or
//! configuration error. It never panics on input.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod decode;
mod keygen;
mod metadata;
mod verify;

#[derive(Parser, Debug)]
#[command(name = "samlsp", version, about = "SAML 2.0 service provider tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify a SAMLResponse offline, as an SP would on its ACS.
    Verify(verify::Args),
    /// Generate an SP key and a self-signed certificate.
    Keygen(keygen::Args),
    /// Print SP metadata for an entity ID, ACS URL and certificates.
    Metadata(metadata::Args),
    /// Decode a SAMLRequest/SAMLResponse value, redirect URL or POST body to XML.
    Decode(decode::Args),
}

/// Largest input file read (the SAML parser's own limit is lower).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a file, or standard input for `-`, with a size bound.
pub(crate) fn read_input(path: &str) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    let result = if path == "-" {
        std::io::stdin().take(MAX_FILE_BYTES).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES).read_to_end(&mut buf))
    };
    result.map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(buf)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Verify(args) => verify::run(&args),
        Command::Keygen(args) => keygen::run(&args),
        Command::Metadata(args) => metadata::run(&args),
        Command::Decode(args) => decode::run(&args),
    }
}
