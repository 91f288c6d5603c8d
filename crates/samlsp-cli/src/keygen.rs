//! `samlsp keygen`: a private key and a self-signed certificate for an SP.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use samlsp::{KeyAlgorithm, SpKeyPair};

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
    /// Replace existing files (atomically; never through a symbolic link).
    #[arg(long)]
    force: bool,
}

/// Writes `data` to `path` so that no one ever sees a partial file, a key
/// never lands in a file someone else created, and nothing is written
/// through a symbolic link:
///
/// 1. a symlink (or anything but a regular file) at `path` is refused, and
///    without `force` so is an existing file;
/// 2. the bytes go to a new file in the same directory, created exclusively
///    (`O_CREAT|O_EXCL`, which does not follow a symlink either) with `mode`
///    from the start, under a random name, then are flushed to disk;
/// 3. that file replaces `path` with `rename(2)` (atomic, and it replaces a
///    directory entry rather than following one), or, without `force`, is
///    linked to `path` with `link(2)`, which fails if `path` appeared in the
///    meantime. So `--force` over an old 0644 file leaves a new 0600 one.
fn write_file(path: &Path, data: &[u8], mode: u32, force: bool) -> Result<(), String> {
    let shown = path.display();
    check_target(path, force)?;
    let name = path
        .file_name()
        .ok_or_else(|| format!("{shown} does not name a file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let (tmp, mut file) = create_temp(dir, name, mode)?;
    let written = file
        .write_all(data)
        .and_then(|()| set_mode(&file, mode))
        .and_then(|()| file.sync_all());
    drop(file);
    let placed = written.and_then(|()| {
        if force {
            std::fs::rename(&tmp, path)
        } else {
            std::fs::hard_link(&tmp, path).and_then(|()| std::fs::remove_file(&tmp))
        }
    });
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {shown}: {e}"));
    }
    // The rename itself is durable once the directory is flushed.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Refuses a symlink (or anything but a regular file) at `path`, and
/// without `force` any existing file.
fn check_target(path: &Path, force: bool) -> Result<(), String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(format!(
                "{shown} is a symbolic link; refusing to write through it"
            ));
        }
        Ok(m) if !m.file_type().is_file() => {
            return Err(format!("{shown} exists and is not a regular file"));
        }
        Ok(_) if !force => {
            return Err(format!("{shown} exists (use --force to replace it)"));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot inspect {shown}: {e}")),
    }
    Ok(())
}

/// Attempts at a fresh temporary name: with 128 random bits a collision
/// means someone is squatting names, so give up quickly.
const TEMP_ATTEMPTS: usize = 4;

fn create_temp(
    dir: &Path,
    name: &std::ffi::OsStr,
    mode: u32,
) -> Result<(PathBuf, std::fs::File), String> {
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let mut rnd = [0u8; 16];
        openssl::rand::rand_bytes(&mut rnd).map_err(|e| format!("random source: {e}"))?;
        let suffix: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{suffix}.tmp"));
        let tmp = dir.join(tmp_name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(format!("cannot create a file in {}: {e}", dir.display())),
        }
    }
    Err(format!(
        "cannot create a file in {}: {}",
        dir.display(),
        last.map_or_else(String::new, |e| e.to_string())
    ))
}

/// Sets the mode exactly (creation applied the umask, which may only have
/// narrowed it; the certificate should stay world-readable).
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
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
    // Both paths before either is written: no key left behind without its
    // certificate.
    for p in [&args.key_out, &args.cert_out] {
        if let Err(e) = check_target(Path::new(p), args.force) {
            eprintln!("samlsp keygen: {e}");
            return ExitCode::from(2);
        }
    }
    if let Err(e) = write_file(
        Path::new(&args.key_out),
        &pair.private_key_pem(),
        0o600,
        args.force,
    ) {
        eprintln!("samlsp keygen: {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = write_file(
        Path::new(&args.cert_out),
        &pair.certificate_pem(),
        0o644,
        args.force,
    ) {
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
