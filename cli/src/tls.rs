//! HTTPS for `gradcap serve --tls`: browsers give the camera only to secure pages, and a phone on
//! the LAN reaches the demo by an address, not `localhost`. Without a certificate of the school's
//! own (`--tls-cert`, `--tls-key`), a self-signed one is made once and kept under `data/tls/`.

use gradcap_cli::backend::store::{rfc3339, sha256, unix_now};
use sha2::Digest as _;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The server's TLS setup and how a client recognises its certificate.
pub struct Tls {
    /// Accepts TLS connections with the certificate.
    pub acceptor: TlsAcceptor,
    /// SHA-256 of the certificate, as a browser's certificate viewer shows it (`AB:CD:…`).
    pub fingerprint: String,
    /// Base64 of the SHA-256 of the public key (what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes).
    pub spki: String,
}

/// The LAN address of this machine, if it has a route out (nothing is sent).
pub fn lan_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?; // a documentation address: only the route is looked up
    Some(socket.local_addr().ok()?.ip()).filter(|ip| !ip.is_unspecified() && !ip.is_loopback())
}

/// The school's certificate and key, or the one made for this server under `data/tls/`.
pub fn load_or_make(data: &Path, cert: Option<&Path>, key: Option<&Path>) -> Result<Tls, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let (cert_pem, key_pem) = match (cert, key) {
        (Some(cert), Some(key)) => (read(cert)?, read(key)?),
        (None, None) => {
            let dir = data.join("tls");
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if !cert.is_file() || !key.is_file() {
                make(&dir)?;
            }
            (read(&cert)?, read(&key)?)
        }
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate: {e}"))?;
    let first = chain.first().ok_or("the certificate file holds no certificate")?;
    let fingerprint = sha256(first)
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    let key_text = String::from_utf8_lossy(&key_pem);
    let spki = rcgen::KeyPair::from_pem(&key_text).map_err(|e| format!("the key: {e}"))?.public_key_der();
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("the key: {e}"))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        fingerprint,
        spki: base64(&sha2::Sha256::digest(&spki)),
    })
}

/// Makes a self-signed certificate for `localhost`, the loopback addresses and the LAN address,
/// valid for a year (iOS refuses server certificates valid for longer than 825 days).
fn make(dir: &Path) -> Result<(), String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    names.extend(lan_address().map(|ip| ip.to_string()));
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| e.to_string())?;
    let day = |secs: i64| -> Result<_, String> {
        let date = rfc3339(secs);
        let part = |r: std::ops::Range<usize>| date[r].parse::<i32>().map_err(|e| e.to_string());
        Ok(rcgen::date_time_ymd(part(0..4)?, part(5..7)? as u8, part(8..10)? as u8))
    };
    params.not_before = day(unix_now() - 86_400)?;
    params.not_after = day(unix_now() + 365 * 86_400)?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "gradcap serve (self-signed)");
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in [("key.pem", key.serialize_pem()), ("cert.pem", cert.pem())] {
        let path = dir.join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, coded) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }
}
