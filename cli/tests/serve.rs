//! `gradcap serve` as a user runs it: a real process on a free loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on a project folder with a `www/` and a `pkg/` of known files.
fn serve(root: &Path) -> Server {
    serve_with(root, &[])
}

/// [`serve`] with more arguments.
fn serve_with(root: &Path, more: &[&std::ffi::OsStr]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradcap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root"])
        .arg(root)
        .args(more)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gradcap serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("gradcap serving http://").expect(&line).trim_end_matches('/').to_string();
    Server { child, addr }
}

/// A minimal HTTP/1.1 GET; returns the status line, the headers (lower-cased names) and the body.
fn get(addr: &str, path: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    get_with(addr, path, "")
}

/// [`get`] with `extra` header lines (each ending in CRLF); a chunked body is joined.
fn get_with(addr: &str, path: &str, extra: &str) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = raw[split + 4..].to_vec();
    let chunked = header(&headers, "transfer-encoding") == Some("chunked");
    (status, headers, if chunked { unchunk(&body) } else { body })
}

/// The body of a `Transfer-Encoding: chunked` response.
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line]).trim(), 16).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&raw[line + 2..line + 2 + size]);
        raw = &raw[line + 2 + size + 2..];
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn project() -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    std::fs::create_dir_all(dir.path().join("www")).unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("www/index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(dir.path().join("www/demo.js"), "export {};").unwrap();
    std::fs::write(dir.path().join("pkg/gradcap_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.path().join("pkg/gradcap.js"), "export default 1;").unwrap();
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::write(dir.path().join("models/face_landmark.tflite"), b"TFL3").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    dir
}

/// A throw-away folder, removed on drop (no extra crate needed).
mod tempdir {
    use std::path::{Path, PathBuf};
    pub struct Dir(PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let path = std::env::temp_dir().join(format!("gradcap-serve-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Dir(path)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn serves_the_demo_and_the_component_with_the_right_types() {
    let dir = project();
    let server = serve(dir.path());
    let cases = [
        ("/", "text/html"),
        ("/demo.js", "text/javascript"),
        ("/pkg/gradcap.js", "text/javascript"),
        ("/pkg/gradcap_bg.wasm", "application/wasm"),
        ("/models/face_landmark.tflite", "application/octet-stream"),
    ];
    for (path, mime) in cases {
        let (status, headers, _) = get(&server.addr, path);
        assert!(status.contains(" 200 "), "{path}: {status}");
        let ty = header(&headers, "content-type").unwrap_or("");
        assert!(ty.starts_with(mime), "{path}: {ty}");
        let csp = header(&headers, "content-security-policy").unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("'unsafe-eval'"), "{csp}");
    }
    let (_, _, body) = get(&server.addr, "/pkg/gradcap_bg.wasm");
    assert_eq!(body, b"\0asm\x01\0\0\0");
    // The policy docs/embedding.md gives integrators is the one the demo is tested under.
    let (_, headers, _) = get(&server.addr, "/");
    let csp = header(&headers, "content-security-policy").unwrap();
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/embedding.md")).unwrap();
    assert!(docs.contains(&format!("\n{csp}\n")), "docs/embedding.md does not give the demo's policy: {csp}");
}

/// The component's files go out gzipped to a browser that takes it (a model file here, as the
/// .wasm and the models are the bulk of a first start), and plain to a client that does not.
#[test]
fn files_go_out_gzipped_to_browsers_that_take_it() {
    use std::io::Read as _;
    let dir = project();
    let model: Vec<u8> = (0..64 * 1024u32).map(|i| (i % 251) as u8 / 4).collect();
    std::fs::write(dir.path().join("models/big.tflite"), &model).unwrap();
    let server = serve(dir.path());
    let (status, headers, body) = get_with(&server.addr, "/models/big.tflite", "Accept-Encoding: gzip\r\n");
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
    assert!(body.len() < model.len() / 4, "{} bytes on the wire", body.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain).unwrap();
    assert!(plain == model, "the gzipped body is the file");
    let (_, headers, body) = get(&server.addr, "/models/big.tflite");
    assert_eq!(header(&headers, "content-encoding"), None);
    assert!(body == model);
}

#[test]
fn missing_files_and_paths_outside_the_folders_are_not_served() {
    let dir = project();
    let server = serve(dir.path());
    for path in ["/nope.html", "/../secret.txt", "/pkg/../../secret.txt", "/%2e%2e/secret.txt"] {
        let (status, _, body) = get(&server.addr, path);
        assert!(!status.contains(" 200 "), "{path}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("outside"), "{path} leaked");
    }
}

#[test]
fn a_folder_with_neither_www_nor_an_index_is_refused_with_a_message() {
    let dir = tempdir::Dir::new();
    let out = Command::new(env!("CARGO_BIN_EXE_gradcap"))
        .args(["serve", "--addr", "127.0.0.1:0", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("neither a www/ folder") && stderr.contains("index.html"), "{stderr}");
}

/// An app built with the npm package (a bundler's `dist/`: index.html and hashed assets) served as
/// it is, with the backend beside it and the models from `--models`; nothing of the project's
/// layout (`/pkg/`) is asked for.
#[test]
fn a_built_apps_folder_is_served_as_it_is() {
    let dir = tempdir::Dir::new();
    let (dist, models, data) = (dir.path().join("dist"), dir.path().join("models"), dir.path().join("data"));
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>school</title><grad-capture>").unwrap();
    std::fs::write(dist.join("assets/index-3f9a.js"), "export {};").unwrap();
    std::fs::write(dist.join("assets/gradcap_bg-77c1.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(models.join("face_landmark_with_attention.q8.tflite"), b"TFL3").unwrap();
    let server =
        serve_with(&dist, &["--models".as_ref(), models.as_os_str(), "--data".as_ref(), data.as_os_str()]);
    for (path, mime) in [
        ("/", "text/html"),
        ("/assets/index-3f9a.js", "text/javascript"),
        ("/assets/gradcap_bg-77c1.wasm", "application/wasm"),
        ("/models/face_landmark_with_attention.q8.tflite", "application/octet-stream"),
        ("/review", "text/html"),
    ] {
        let (status, headers, _) = get(&server.addr, path);
        assert!(status.contains(" 200 "), "{path}: {status}");
        let ty = header(&headers, "content-type").unwrap_or("");
        assert!(ty.starts_with(mime), "{path}: {ty}");
    }
    let (status, _, _) = get(&server.addr, "/pkg/gradcap.js");
    assert!(status.contains(" 404 "), "no project layout: {status}");
    assert!(data.is_dir(), "the data kept in --data");
    assert!(!dist.join("data").exists(), "nothing written into the served folder");
}

/// Run from inside a built app's folder, the default data folder (`./data`) would be served to
/// anyone: refused, with the flag that fixes it.
#[test]
fn a_data_folder_inside_the_served_folder_is_refused() {
    let dir = tempdir::Dir::new();
    std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gradcap"))
        .current_dir(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0", "--root", "."])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("inside the served folder") && stderr.contains("--data"), "{stderr}");
    assert!(!dir.path().join("data").exists(), "nothing written before the refusal");
}

/// The flags table of `docs/deploy.md` names every flag of `gradcap serve`, and no other.
#[test]
fn the_deployment_guide_lists_every_serve_flag() {
    let help = Command::new(env!("CARGO_BIN_EXE_gradcap")).args(["serve", "--help"]).output().unwrap();
    let flags = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("--") && w.len() > 2)
            .map(str::to_string)
            .collect()
    };
    let mut served = flags(&String::from_utf8_lossy(&help.stdout));
    served.remove("--help");
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    let table: String = guide
        .split("## Running it")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or("")
        .lines()
        .filter(|l| l.starts_with("| `--"))
        .map(|l| l.split(" | ").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(flags(&table), served, "docs/deploy.md's flags table and `gradcap serve --help`");
}
