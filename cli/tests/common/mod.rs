//! What the backend's tests share: `gradcap serve` started as a real process on a free loopback
//! port with a token, and plain HTTP/1.1 requests to it.
//!
//! Each server keeps its store under its data folder (SQLite and a photo folder) — or, when
//! `scripts/with-services` has started a PostgreSQL and an S3 service (`GRADCAP_TEST_POSTGRES`,
//! `GRADCAP_TEST_S3`), in a database and a bucket of its own named after that folder. The same
//! tests run against both.
#![allow(dead_code)] // each test file uses a part

use gradcap_cli::backend::store::{Location, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `jpeg` made another file by a comment segment after its start marker: still a valid JPEG.
pub fn with_comment(jpeg: &[u8], text: &str) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend([0xff, 0xfe]);
    out.extend(((text.len() + 2) as u16).to_be_bytes());
    out.extend(text.as_bytes());
    out.extend(&jpeg[2..]);
    out
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The shared PostgreSQL (its admin URL) and S3 endpoint the tests run against, if started.
pub fn services() -> Option<(String, String)> {
    match (std::env::var("GRADCAP_TEST_POSTGRES"), std::env::var("GRADCAP_TEST_S3")) {
        (Ok(pg), Ok(s3)) if !pg.is_empty() && !s3.is_empty() => Some((pg, s3)),
        _ => None,
    }
}

/// The name of the database and the bucket of the server whose data folder is `data`.
fn store_name(data: &Path) -> String {
    let base = data.file_name().unwrap().to_string_lossy().to_ascii_lowercase();
    let name: String = base.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    name.chars().take(60).collect()
}

/// Where the server with data folder `data` keeps its store.
pub fn location(data: &Path) -> Location {
    let Some((pg, s3)) = services() else { return Location::in_folder(data) };
    let name = store_name(data);
    let (admin, _) = pg.rsplit_once('/').unwrap();
    Location {
        database: format!("{admin}/{}", name.replace('-', "_")),
        photos: format!("s3://{name}/photos"),
        s3: gradcap_cli::backend::photos::S3Options { endpoint: Some(s3), region: None },
        connections: 2,
    }
}

/// The environment that points `gradcap` at the store of data folder `data` (none for the
/// default one, which `--data` names).
pub fn store_env(data: &Path) -> Vec<(String, String)> {
    if services().is_none() {
        return Vec::new();
    }
    let at = location(data);
    vec![
        ("GRADCAP_DATABASE".into(), at.database),
        ("GRADCAP_PHOTOS".into(), at.photos),
        ("AWS_ENDPOINT_URL".into(), at.s3.endpoint.unwrap_or_default()),
    ]
}

/// A fresh, empty store for data folder `data`: with the services, its database made anew and
/// its bucket made.
pub fn fresh_store(data: &Path) {
    let _ = std::fs::remove_dir_all(data);
    let Some((pg, s3)) = services() else { return };
    let name = store_name(data);
    let mut admin = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let db = name.replace('-', "_");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let made = s3_request(&s3, "PUT", &format!("/{name}"));
    assert!(made == 200 || made == 409, "making bucket {name}: {made}");
}

/// An unsigned request to the test's S3 service (no IAM there); its status.
pub fn s3_request(endpoint: &str, method: &str, path: &str) -> u16 {
    let host = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_reply(stream).status
}

/// The store of data folder `data`, opened as the server opens it.
pub fn open_store(data: &Path) -> Store {
    Store::open_at(&location(data)).unwrap()
}

/// Whether the store of data folder `data` holds the photo `sha`.
pub fn has_photo(data: &Path, sha: &str) -> bool {
    open_store(data).file(sha).unwrap().is_some()
}

/// `gradcap serve` (or another command) with the store of data folder `data`.
pub fn gradcap_with_store(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gradcap"));
    command.envs(store_env(data));
    command
}

pub const TOKEN: &str = "s3cret-token";

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The password of the staff accounts every test server has: `reviewer` and `viewer`.
pub const PASSWORD: &str = "correct horse battery";

/// Runs `gradcap ARGS` to its end with `stdin`; its exit status and output. With `--data DIR`
/// among the arguments, it uses that folder's store.
pub fn gradcap(args: &[&str], stdin: &str) -> (bool, String) {
    let data = args.windows(2).find(|w| w[0] == "--data").map(|w| PathBuf::from(w[1]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gradcap"))
        .envs(data.as_deref().map(store_env).unwrap_or_default())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// A test server (see [`start_with`]) with the upload token and no upload rate limit.
pub fn start(name: &str) -> Server {
    start_with(name, &["--uploads-per-minute", "0"])
}

/// `gradcap serve` on a free loopback port with the upload token, a CORS origin, two sessions
/// (one closed), the staff accounts `reviewer` and `viewer`, and `extra` arguments.
pub fn start_with(name: &str, extra: &[&str]) -> Server {
    let data = std::env::temp_dir().join(format!("gradcap-backend-{name}-{}", std::process::id()));
    fresh_store(&data);
    let data_arg = data.to_str().unwrap();
    for (account, role) in [("reviewer", "reviewer"), ("viewer", "viewer")] {
        let (ok, out) =
            gradcap(&["staff", "add", account, "--role", role, "--data", data_arg], &format!("{PASSWORD}\n"));
        assert!(ok, "{out}");
    }
    spawn_server(&data, extra)
}

/// One more `gradcap serve` on the store of data folder `data` (made by [`start_with`]): several
/// servers behind one load balancer share one database and one photo store.
pub fn spawn_server(data: &Path, extra: &[&str]) -> Server {
    spawn(data, extra, Stdio::null())
}

/// [`spawn_server`] with its log (its standard error) written to `log`.
pub fn spawn_server_logged(data: &Path, extra: &[&str], log: &Path) -> Server {
    spawn(data, extra, std::fs::File::create(log).unwrap().into())
}

fn spawn(data: &Path, extra: &[&str], log: Stdio) -> Server {
    let mut child = gradcap_with_store(data)
        .args(["serve", "--addr", "127.0.0.1:0", "--upload-token", TOKEN, "--cors", "https://school.example"])
        .args(extra)
        .args(["--session", "26050704=安徽建筑大学2026届图像采集", "--session", "26050105=旧场次=closed"])
        .arg("--data")
        .arg(data)
        .arg("--root")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().trim_start_matches("gradcap serving http://").trim_end_matches('/').to_string();
    assert!(!addr.is_empty(), "gradcap serve did not start on {}", data.display());
    Server { child, addr, data: data.to_path_buf() }
}

/// Signs `name` in with `password`; the cookie header to send as that staff member.
pub fn sign_in(server: &Server, name: &str, password: &str) -> Reply {
    let body = serde_json::json!({"name": name, "password": password}).to_string();
    request(server, "POST", "/api/staff/sign-in", &[("Content-Type", "application/json")], body.as_bytes())
}

/// The `Cookie` header of a signed-in staff member.
pub fn staff_cookie(server: &Server, name: &str) -> String {
    let reply = sign_in(server, name, PASSWORD);
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let line = reply
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .expect("a session cookie");
    line.split(';').next().unwrap().to_string()
}

pub struct Reply {
    pub status: u16,
    pub headers: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request with `Connection: close`.
pub fn request(server: &Server, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", server.addr);
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    read_reply(stream)
}

/// A GET of `path` with `host` as its `Host` header.
pub fn request_with_host(server: &Server, host: &str, path: &str) -> Reply {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    read_reply(stream)
}

/// Reads the answer on `stream` to its end; status 0 when none came.
pub fn read_reply(mut stream: TcpStream) -> Reply {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Reply { status: 0, headers: String::new(), body: raw };
    };
    let headers = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = headers[9..12].parse().unwrap();
    let mut body = raw[split + 4..].to_vec();
    if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 4 + size..];
    }
}

pub const AUTH: (&str, &str) = ("Authorization", "Bearer s3cret-token");
pub const BOUNDARY: &str = "gradcapBoundary7MA4YWxk";

/// A multipart body of `(name, content type, bytes)` parts.
pub fn multipart(parts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, kind, bytes) in parts {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

pub fn photo() -> Vec<u8> {
    // A 480×640 JPEG: no face in it, which the server's check must report.
    let mut data = Vec::new();
    for y in 0..640u32 {
        for x in 0..480u32 {
            data.extend([(x / 2) as u8, (y / 3) as u8, ((x * y) % 251) as u8, 255]);
        }
    }
    let frame = gradcap::Frame::from_rgba(data, 480, 640).unwrap();
    gradcap::photo::standard::Standard::default().encode(&frame.view()).unwrap().bytes
}

pub fn upload(server: &Server, key: &str, parts: &[(&str, &str, &[u8])]) -> Reply {
    upload_body(server, key, &multipart(parts))
}

/// Posts a ready multipart `body` (boundary [`BOUNDARY`]) as an upload with `key`.
pub fn upload_body(server: &Server, key: &str, body: &[u8]) -> Reply {
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    request(server, "POST", "/api/captures", &[AUTH, ("Idempotency-Key", key), ("Content-Type", &kind)], body)
}

pub const META: &[u8] = br#"{"captureCode": "CHSI-1234", "sessionCode": "26050704", "source": "live", "stream": {"frames": 240, "fps": 15, "liveMs": 16000}}"#;
