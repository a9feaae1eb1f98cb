//! `gradcap serve --tls`: the self-signed certificate is made once and kept (a phone that accepted
//! it once need not again), readable by the server's user only; a school's own certificate is
//! served as given. (The browser side — HTTPS, trust by key, the camera — is
//! `tests/e2e/tls.test.mjs`.)

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `gradcap serve ARGS`, reads what it prints about itself, stops it.
fn announce(args: &[&str]) -> Result<Vec<String>, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradcap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root", concat!(env!("CARGO_MANIFEST_DIR"), "/..")])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while lines.len() < 3 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return Err(format!("{status}: {err}"));
        }
        lines.push(line.trim().to_string());
    }
    let _ = child.kill();
    let _ = child.wait();
    Ok(lines)
}

fn fingerprint(lines: &[String]) -> &str {
    lines.iter().find_map(|l| l.strip_prefix("certificate sha256 ")).expect("a fingerprint")
}

#[test]
fn the_certificate_is_made_once_kept_private_and_a_schools_own_is_served() {
    let base = std::env::temp_dir().join(format!("gradcap-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (data, other) = (base.join("data"), base.join("other"));
    let data_arg = data.to_str().unwrap();
    let first = announce(&["--tls", "--data", data_arg]).unwrap();
    assert!(first[0].starts_with("gradcap serving https://127.0.0.1:"), "{first:?}");
    let again = announce(&["--tls", "--data", data_arg]).unwrap();
    assert_eq!(fingerprint(&first), fingerprint(&again), "kept across restarts");
    assert_eq!(fingerprint(&first).len(), 95, "32 bytes as AB:CD:…");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("tls/key.pem")), 0o600);
    assert_eq!(mode(&data.join("tls")), 0o700);
    assert_eq!(mode(&data), 0o700);
    let (cert, key) = (data.join("tls/cert.pem"), data.join("tls/key.pem"));
    let own = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
        "--data",
        other.to_str().unwrap(),
    ];
    let school = announce(&own).unwrap();
    assert_eq!(fingerprint(&school), fingerprint(&first), "the given certificate, not a new one");
    assert!(!other.join("tls").exists(), "nothing made when one is given");
    let half = announce(&["--tls-cert", cert.to_str().unwrap(), "--data", other.to_str().unwrap()]);
    assert!(half.is_err(), "a certificate without its key is refused: {half:?}");
    let _ = std::fs::remove_dir_all(&base);
}
