//! `samlsp keygen`: a private key and a self-signed certificate for an SP.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use samlsp::keys::{KeyAlgorithm, SpKeyPair};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum KeyType {
    /// RSA 2048-bit (signing and encryption).
    Rsa2048,
    /// RSA 3072-bit (signing and encryption).
    Rsa3072,
    /// ECDSA P-256 (signing only).
    P256,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Key type.
    #[arg(long = "type", value_enum, default_value = "rsa2048")]
    key_type: KeyType,
    /// Certificate subject, e.g. "CN=sp.example.org,O=Example".
    #[arg(long)]
    subject: String,
    /// Certificate validity in days.
    #[arg(long, default_value_t = 3650)]
    days: u32,
    /// Where to write the private key (PKCS#8 PEM, mode 0600).
    #[arg(long, value_name = "FILE")]
    key_out: String,
    /// Where to write the certificate (PEM).
    #[arg(long, value_name = "FILE")]
    cert_out: String,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

fn write_file(path: &str, data: &[u8], secret: bool, force: bool) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts
        .open(path)
        .map_err(|e| format!("cannot create {path}: {e}"))?;
    f.write_all(data)
        .map_err(|e| format!("cannot write {path}: {e}"))
}

pub fn run(args: &Args) -> ExitCode {
    let alg = match args.key_type {
        KeyType::Rsa2048 => KeyAlgorithm::Rsa2048,
        KeyType::Rsa3072 => KeyAlgorithm::Rsa3072,
        KeyType::P256 => KeyAlgorithm::EcP256,
    };
    if args.days == 0 {
        eprintln!("samlsp keygen: --days must be at least 1");
        return ExitCode::from(2);
    }
    let pair = match SpKeyPair::generate(alg, &args.subject, args.days, Utc::now()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("samlsp keygen: cannot generate ({e}); is --subject like CN=host,O=Org?");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = write_file(&args.key_out, &pair.private_key_pem(), true, args.force) {
        eprintln!("samlsp keygen: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = write_file(&args.cert_out, &pair.certificate_pem(), false, args.force) {
        eprintln!("samlsp keygen: {e}");
        return ExitCode::from(2);
    }
    eprintln!(
        "wrote {} and {} (certificate SHA-256 {})",
        args.key_out,
        args.cert_out,
        pair.certificate_fingerprint()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_a_usable_pair_and_refuses_to_overwrite() {
        let dir = std::env::temp_dir().join(format!("samlsp-keygen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("k.pem").display().to_string();
        let cert = dir.join("c.pem").display().to_string();
        let args = Args {
            key_type: KeyType::P256,
            subject: "CN=sp.example.org".into(),
            days: 10,
            key_out: key.clone(),
            cert_out: cert.clone(),
            force: false,
        };
        assert_eq!(run(&args), ExitCode::SUCCESS);
        let pair = SpKeyPair::from_pem(
            &std::fs::read(&key).unwrap(),
            &std::fs::read(&cert).unwrap(),
        )
        .unwrap();
        assert!(!pair.is_rsa());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(run(&args), ExitCode::from(2));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
