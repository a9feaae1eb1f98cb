//! Who may do what on the reference backend, and what an attacker meets, over plain HTTP to a real
//! `gradcap serve`: receipts for students, staff sessions, the audit, retention, and each probe
//! that once got through (a forged cross-site review, a JPEG header declaring a huge image, a
//! reused key, a closed session, slow connections, framing).

mod common;

use common::*;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn parts(jpeg: &[u8]) -> [(&str, &str, &[u8]); 2] {
    [("photo", "image/jpeg", jpeg), ("meta", "application/json", META)]
}

#[test]
fn a_student_reads_only_their_own_capture_and_staff_need_to_sign_in() {
    let server = start("roles");
    let jpeg = photo();
    let mine = upload(&server, "key-mine", &parts(&jpeg)).json();
    let other_photo = with_comment(&jpeg, "theirs");
    let theirs = upload(
        &server,
        "key-theirs",
        &[
            ("photo", "image/jpeg", &other_photo),
            ("meta", "application/json", br#"{"captureCode": "OTHER"}"#),
        ],
    )
    .json();
    let (id, receipt) = (mine["id"].as_str().unwrap(), mine["receipt"].as_str().unwrap());
    assert!(receipt.len() >= 32, "at least 128 bits: {receipt}");
    assert!(!id.contains(&sha256_hex(b"key-mine")[..16]), "the id says nothing of the key");
    let status = |id: &str, receipt: Option<&str>| {
        let mut headers = vec![AUTH];
        headers.extend(receipt.map(|r| ("X-Gradcap-Receipt", r)));
        request(&server, "GET", &format!("/api/captures/{id}"), &headers, b"")
    };
    let own = status(id, Some(receipt));
    assert_eq!((own.status, own.json()["status"].as_str()), (200, Some("pending")));
    assert!(own.json().get("captureCode").is_none(), "a student's view carries only what they need");
    assert!(own.headers.to_ascii_lowercase().contains("cache-control: private, no-store"));
    let photo = request(
        &server,
        "GET",
        &format!("/api/captures/{id}/photo"),
        &[AUTH, ("X-Gradcap-Receipt", receipt)],
        b"",
    );
    assert_eq!(photo.body, jpeg);
    // Without the receipt, with another capture's, or for a capture that does not exist: the
    // same 404, so nothing tells whether it exists.
    let their_id = theirs["id"].as_str().unwrap();
    for (what, reply) in [
        ("no receipt", status(id, None)),
        ("another capture's receipt", status(their_id, Some(receipt))),
        ("a made-up id", status("c000000000000000000000000", Some(receipt))),
        (
            "their photo",
            request(
                &server,
                "GET",
                &format!("/api/captures/{their_id}/photo"),
                &[AUTH, ("X-Gradcap-Receipt", receipt)],
                b"",
            ),
        ),
    ] {
        assert_eq!(
            (reply.status, reply.json()["error"]["code"].as_str()),
            (404, Some("capture.unknown")),
            "{what}"
        );
    }
    // The upload token alone grants no staff right.
    let review = format!("/api/captures/{id}/review");
    for (method, path) in [
        ("GET", "/api/captures"),
        ("GET", &format!("/api/files/{}", mine["photoSha256"].as_str().unwrap())),
        ("POST", &review),
        ("GET", "/api/audit"),
    ] {
        let reply = request(&server, method, path, &[AUTH, JSON], br#"{"status": "approved"}"#);
        assert_eq!(
            (reply.status, reply.json()["error"]["code"].as_str()),
            (401, Some("staff.unauthenticated")),
            "{method} {path}"
        );
    }
    // A viewer may look but not decide; a reviewer decides.
    let viewer = staff_cookie(&server, "viewer");
    assert_eq!(request(&server, "GET", "/api/captures", &[("Cookie", &viewer)], b"").status, 200);
    let refused =
        request(&server, "POST", &review, &[("Cookie", &viewer), JSON], br#"{"status": "approved"}"#);
    assert_eq!((refused.status, refused.json()["error"]["code"].as_str()), (403, Some("staff.forbidden")));
    let reviewer = staff_cookie(&server, "reviewer");
    let staff = ("Cookie", reviewer.as_str());
    let decide = |body: &str| request(&server, "POST", &review, &[staff, JSON], body.as_bytes());
    assert_eq!(decide(r#"{"status": "rejected", "reason": "背景有杂物"}"#).status, 200);
    let approved = decide(r#"{"status": "approved"}"#).json();
    assert_eq!(
        (approved["status"].as_str(), approved["reason"].as_str()),
        (Some("approved"), None),
        "no stale reason"
    );
    assert_eq!(approved["reviewedBy"], "reviewer");
    // Every decision is kept: who, what, why, when.
    let audit = request(&server, "GET", "/api/audit", &[staff], b"").json();
    let rows: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["staff"].as_str(), d["status"].as_str(), d["reason"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("reviewer"), Some("approved"), None),
            (Some("reviewer"), Some("rejected"), Some("背景有杂物"))
        ]
    );
    let detail = request(&server, "GET", &format!("/api/captures/{id}"), &[staff], b"").json();
    assert_eq!(detail["history"].as_array().unwrap().len(), 2);
    // Signed out, the cookie is worth nothing.
    assert_eq!(request(&server, "POST", "/api/staff/sign-out", &[staff], b"").status, 204);
    assert_eq!(request(&server, "GET", "/api/captures", &[staff], b"").status, 401);
}

#[test]
fn sign_in_is_rate_limited_and_its_cookie_is_strict() {
    let server = start("sign-in");
    let good = sign_in(&server, "reviewer", PASSWORD);
    let cookie =
        good.headers.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    for n in 0..10 {
        let wrong = sign_in(&server, "reviewer", "not the password");
        assert_eq!(wrong.status, 401, "attempt {n}");
    }
    let right = sign_in(&server, "reviewer", PASSWORD);
    assert_eq!(
        (right.status, right.json()["error"]["code"].as_str()),
        (429, Some("rate_limited")),
        "refused even when right"
    );
    let text_plain = request(
        &server,
        "POST",
        "/api/staff/sign-in",
        &[("Content-Type", "text/plain")],
        br#"{"name":"viewer","password":"x"}"#,
    );
    assert_eq!(text_plain.status, 415);
}

#[test]
fn a_review_forged_from_another_site_is_refused() {
    let server = start("forged");
    let capture = upload(&server, "key-forged", &parts(&photo())).json();
    let path = format!("/api/captures/{}/review", capture["id"].as_str().unwrap());
    let cookie = staff_cookie(&server, "reviewer");
    let form = br#"{"status": "rejected", "reason": "x"}"#;
    // What an auto-submitted <form enctype="text/plain"> on another site sends (were the cookie
    // sent along, which SameSite=Strict prevents): refused for where it comes from ...
    let cross = request(
        &server,
        "POST",
        &path,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "text/plain"),
            ("Origin", "https://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        form,
    );
    assert_eq!((cross.status, cross.json()["error"]["code"].as_str()), (403, Some("request.cross_site")));
    // ... and for what it is, even from the same site.
    let plain = request(&server, "POST", &path, &[("Cookie", &cookie), ("Content-Type", "text/plain")], form);
    assert_eq!((plain.status, plain.json()["error"]["code"].as_str()), (415, Some("body.type")));
    let staff = ("Cookie", cookie.as_str());
    let stored =
        request(&server, "GET", &format!("/api/captures/{}", capture["id"].as_str().unwrap()), &[staff], b"")
            .json();
    assert_eq!(stored["status"], "pending", "nothing was decided");
    // A page of this server works.
    let same = request(
        &server,
        "POST",
        &path,
        &[staff, JSON, ("Origin", &format!("http://{}", server.addr))],
        br#"{"status": "approved"}"#,
    );
    assert_eq!(same.status, 200);
    // Another host name (DNS rebinding) is not served.
    let rebound = request_with_host(&server, "attacker.example", "/api/captures");
    assert_eq!(rebound.status, 421);
}

#[test]
fn uploads_are_refused_before_anything_is_stored_when_they_cannot_be_right() {
    let server = start("probes");
    let jpeg = photo();
    // A JPEG header declaring 5800×11000 pixels: refused from its header, fast, nothing stored.
    let started = Instant::now();
    let huge = upload(
        &server,
        "key-huge",
        &[("photo", "image/jpeg", &jpeg_header(5800, 11000)), ("meta", "application/json", META)],
    );
    assert_eq!((huge.status, huge.json()["error"]["code"].as_str()), (422, Some("photo.dimensions")));
    assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
    let huge_original = upload(
        &server,
        "key-huge-original",
        &[
            ("photo", "image/jpeg", &jpeg),
            ("original", "image/jpeg", &jpeg_header(20000, 20000)),
            ("meta", "application/json", META),
        ],
    );
    assert_eq!(
        (huge_original.status, huge_original.json()["error"]["code"].as_str()),
        (422, Some("original.too_large"))
    );
    // The same key with another body: a conflict, not the first record.
    assert_eq!(upload(&server, "key-reused", &parts(&jpeg)).status, 201);
    let other_meta = br#"{"captureCode": "SOMEONE-ELSE", "sessionCode": "26050704"}"#;
    let reused = upload(
        &server,
        "key-reused",
        &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", other_meta)],
    );
    assert_eq!(
        (reused.status, reused.json()["error"]["code"].as_str()),
        (422, Some("idempotency_key.reused"))
    );
    // Sessions: a closed one and an unknown one take nothing.
    let closed = upload(
        &server,
        "key-closed",
        &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", br#"{"sessionCode": "26050105"}"#)],
    );
    assert_eq!((closed.status, closed.json()["error"]["code"].as_str()), (409, Some("session.closed")));
    let unknown = upload(
        &server,
        "key-unknown",
        &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", br#"{"sessionCode": "99999999"}"#)],
    );
    assert_eq!((unknown.status, unknown.json()["error"]["code"].as_str()), (422, Some("session.unknown")));
    let cookie = staff_cookie(&server, "viewer");
    let list = request(&server, "GET", "/api/captures", &[("Cookie", &cookie)], b"").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "only the one good upload");
    let photos = open_store(&server.data).photos().list().unwrap().len();
    assert_eq!(photos, 1, "one photo: nothing of the refused uploads was written");
}

/// A small real JPEG whose frame header is changed to declare `width`×`height`: a few hundred
/// bytes that a decoder without bounds would allocate hundreds of megabytes for.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let frame = gradcap::Frame::from_rgba(vec![90; 16 * 16 * 4], 16, 16).unwrap();
    let mut jpeg = gradcap::photo::jpeg::encode(&frame.view(), 80).unwrap().bytes;
    let sof = jpeg.windows(2).position(|w| w == [0xff, 0xc0]).expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

#[test]
fn slow_and_idle_connections_are_closed() {
    let server =
        start_with("slow", &["--uploads-per-minute", "0", "--header-timeout", "1", "--body-timeout", "1"]);
    let closed_within = |mut stream: std::net::TcpStream, limit: Duration| {
        stream.set_read_timeout(Some(limit)).unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => continue, // an error answer first is fine; then it must close
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(started.elapsed()),
                Err(_) => return None,
            }
        }
    };
    // A header never finished.
    let mut half = std::net::TcpStream::connect(&server.addr).unwrap();
    half.write_all(b"GET /api/sessions/26050704 HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    assert!(closed_within(half, Duration::from_secs(4)).is_some(), "a half-sent header is not held open");
    // A connection that never says anything.
    let idle = std::net::TcpStream::connect(&server.addr).unwrap();
    assert!(closed_within(idle, Duration::from_secs(4)).is_some(), "an idle connection is closed");
    // A body that stops coming.
    let mut trickle = std::net::TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST /api/captures HTTP/1.1\r\nHost: 127.0.0.1\r\n{}: {}\r\nIdempotency-Key: slow-1\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 100000\r\n\r\n--{BOUNDARY}\r\n",
        AUTH.0, AUTH.1
    );
    trickle.write_all(head.as_bytes()).unwrap();
    assert!(closed_within(trickle, Duration::from_secs(4)).is_some(), "a stalled body is not waited for");
    // The server still serves.
    assert_eq!(request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"").status, 200);
}

#[test]
fn pages_cannot_be_framed_and_personal_data_is_not_cached() {
    let server = start("headers");
    let page = request(&server, "GET", "/review", &[], b"");
    let headers = page.headers.to_ascii_lowercase();
    assert!(headers.contains("frame-ancestors 'none'"), "{headers}");
    assert!(headers.contains("x-frame-options: deny"));
    let api = request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"").headers.to_ascii_lowercase();
    assert!(
        api.contains("cache-control: private, no-store") && api.contains("referrer-policy: no-referrer"),
        "{api}"
    );
    if services().is_some() {
        eprintln!("the store is in PostgreSQL and S3: no files of this machine to look at");
        return;
    }
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(&server.data.join("gradcap.db")), 0o600);
    assert_eq!(mode(&server.data.join("photos")), 0o700);
}

#[test]
fn a_retake_replaces_the_rejected_capture() {
    let server = start("retake");
    let jpeg = photo();
    let first = upload(&server, "key-first", &parts(&jpeg)).json();
    let (id, receipt) = (first["id"].as_str().unwrap(), first["receipt"].as_str().unwrap());
    let cookie = staff_cookie(&server, "reviewer");
    let review = format!("/api/captures/{id}/review");
    request(
        &server,
        "POST",
        &review,
        &[("Cookie", &cookie), JSON],
        r#"{"status": "rejected", "reason": "请摘下眼镜"}"#.as_bytes(),
    );
    let meta = format!(r#"{{"captureCode": "CHSI-1234", "sessionCode": "26050704", "replaces": "{id}"}}"#);
    let body = multipart(&[("photo", "image/jpeg", &jpeg), ("meta", "application/json", meta.as_bytes())]);
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    let send = |key: &str, receipt: &str| {
        request(
            &server,
            "POST",
            "/api/captures",
            &[AUTH, ("Idempotency-Key", key), ("Content-Type", &kind), ("X-Gradcap-Receipt", receipt)],
            &body,
        )
    };
    let forged = send("key-forged-retake", "0".repeat(32).as_str());
    assert_eq!(forged.status, 404, "a retake needs the old capture's receipt");
    let retake = send("key-retake", receipt);
    assert_eq!(retake.status, 201, "{}", String::from_utf8_lossy(&retake.body));
    let old =
        request(&server, "GET", &format!("/api/captures/{id}"), &[AUTH, ("X-Gradcap-Receipt", receipt)], b"")
            .json();
    assert_eq!(
        (old["status"].as_str(), old["replacedBy"].as_str()),
        (Some("replaced"), retake.json()["id"].as_str())
    );
    let again = request(&server, "POST", &review, &[("Cookie", &cookie), JSON], br#"{"status": "approved"}"#);
    assert_eq!(again.status, 409, "a replaced capture is not decided on");
}

#[test]
fn retention_and_a_students_purge_remove_exactly_their_data() {
    let server = start("retention");
    let jpeg = photo();
    let decided = upload(&server, "key-decided", &parts(&jpeg)).json();
    let other = {
        let meta = br#"{"captureCode": "CHSI-9999", "sessionCode": "26050704"}"#;
        let photo = with_comment(&jpeg, "other");
        upload(&server, "key-other", &[("photo", "image/jpeg", &photo), ("meta", "application/json", meta)])
            .json()
    };
    let cookie = staff_cookie(&server, "reviewer");
    let review = format!("/api/captures/{}/review", decided["id"].as_str().unwrap());
    assert_eq!(
        request(&server, "POST", &review, &[("Cookie", &cookie), JSON], br#"{"status": "approved"}"#).status,
        200
    );
    let data = server.data.to_str().unwrap();
    // Kept for a day: nothing is old enough yet.
    let (ok, out) = gradcap(&["purge", "--keep-days", "1", "--data", data], "");
    assert!(ok && out.contains("purged 0"), "{out}");
    // Kept for 0 days: the decided capture goes, the pending one stays.
    std::thread::sleep(Duration::from_millis(1100));
    let (ok, out) = gradcap(&["purge", "--keep-days", "0", "--data", data], "");
    assert!(ok && out.contains("purged 1"), "{out}");
    let kept = |sha: &serde_json::Value| has_photo(&server.data, sha.as_str().unwrap());
    assert!(!kept(&decided["photoSha256"]) && kept(&other["photoSha256"]));
    let tomb = request(
        &server,
        "GET",
        &format!("/api/captures/{}", decided["id"].as_str().unwrap()),
        &[("Cookie", &cookie)],
        b"",
    )
    .json();
    assert!(tomb["purgedAt"].is_string() && tomb["captureCode"].is_null(), "{tomb}");
    assert_eq!(tomb["photoSha256"], decided["photoSha256"], "the hash stays");
    let gone = request(
        &server,
        "GET",
        &format!("/api/captures/{}", decided["id"].as_str().unwrap()),
        &[AUTH, ("X-Gradcap-Receipt", decided["receipt"].as_str().unwrap())],
        b"",
    );
    assert_eq!(gone.status, 404, "its receipt is gone too");
    // One student's data on request.
    let (ok, out) = gradcap(&["purge", "--capture-code", "CHSI-9999", "--data", data], "");
    assert!(ok && out.contains("purged 1"), "{out}");
    assert!(!kept(&other["photoSha256"]));
}

/// Starts `gradcap serve ARGS` (no upload token) on `data` with its stderr kept.
fn serve_logged(data: &std::path::Path, args: &[&str]) -> (String, std::process::Child) {
    use std::io::BufRead;
    let mut child = gradcap_with_store(data)
        .args(["serve", "--addr", "127.0.0.1:0", "--root", concat!(env!("CARGO_MANIFEST_DIR"), "/..")])
        .arg("--data")
        .arg(data)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (line.trim().trim_start_matches("gradcap serving http://").trim_end_matches('/').to_string(), child)
}

#[test]
fn each_request_is_logged_once_without_personal_data() {
    let data = std::env::temp_dir().join(format!("gradcap-log-{}", std::process::id()));
    fresh_store(&data);
    let (addr, child) = serve_logged(&data, &["--demo", "--trusted-proxy", "127.0.0.1"]);
    let mut server = Server { child, addr, data: data.clone() };
    let jpeg = photo();
    let meta = br#"{"captureCode": "CHSI-SECRET-CODE", "sessionCode": "26050704"}"#;
    let stored = upload_body_open(
        &server,
        "key-logged",
        &multipart(&[("photo", "image/jpeg", &jpeg), ("meta", "application/json", meta)]),
    );
    assert_eq!(stored.status, 201);
    let id = stored.json()["id"].as_str().unwrap().to_string();
    // Through the (trusted) proxy: the log names the client it forwarded for.
    let forwarded = [("X-Gradcap-Receipt", "wrong"), ("X-Forwarded-For", "198.51.100.77")];
    let status = request(&server, "GET", &format!("/api/captures/{id}"), &forwarded, b"");
    assert_eq!(status.status, 404);
    let _ = server.child.kill();
    let _ = server.child.wait();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.child.stderr.take().unwrap(), &mut log).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let routes: Vec<_> =
        lines.iter().map(|l| (l["method"].as_str(), l["route"].as_str(), l["status"].as_u64())).collect();
    assert_eq!(
        routes,
        [
            (Some("POST"), Some("/api/captures"), Some(201)),
            (Some("GET"), Some("/api/captures/{id}"), Some(404))
        ]
    );
    assert!(lines.iter().all(|l| l["id"].is_string() && l["ms"].is_number() && l["time"].is_string()));
    let clients: Vec<_> = lines.iter().map(|l| l["client"].as_str()).collect();
    assert_eq!(clients, [Some("127.0.0.1"), Some("198.51.100.77")]);
    assert!(!log.contains("CHSI-SECRET-CODE") && !log.contains(&id), "no codes or ids in the log: {log}");
}

/// An upload to a server without an upload token.
fn upload_body_open(server: &Server, key: &str, body: &[u8]) -> Reply {
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    request(server, "POST", "/api/captures", &[("Idempotency-Key", key), ("Content-Type", &kind)], body)
}

#[test]
fn connections_past_the_cap_wait_for_a_free_one() {
    let server =
        start_with("cap", &["--uploads-per-minute", "0", "--max-connections", "2", "--header-timeout", "2"]);
    // Two connections that say nothing hold both places ...
    let idle: Vec<_> = (0..2).map(|_| std::net::TcpStream::connect(&server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // ... so a third is answered only once the header timeout has closed one of them.
    let started = Instant::now();
    let reply = request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"");
    let waited = started.elapsed();
    assert_eq!(reply.status, 200);
    assert!(waited > Duration::from_millis(1200), "answered after {waited:?}, past the cap");
    assert!(waited < Duration::from_secs(6), "{waited:?}");
    drop(idle);
}

#[test]
fn one_address_cannot_hold_every_connection() {
    let server = start_with("per-address", &["--max-connections-per-address", "3", "--header-timeout", "5"]);
    let idle: Vec<_> = (0..3).map(|_| std::net::TcpStream::connect(&server.addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // A fourth from the same address is closed at once, before it is read ...
    let mut fourth = std::net::TcpStream::connect(&server.addr).unwrap();
    fourth.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let started = Instant::now();
    let closed = match fourth.read(&mut [0u8; 64]) {
        Ok(0) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(_) => false,
    };
    assert!(closed && started.elapsed() < Duration::from_secs(2), "closed at once ({:?})", started.elapsed());
    // ... and once one of the three goes, the address is served again.
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"").status, 200);
}

#[test]
fn keep_days_purges_when_the_server_starts() {
    let server = start("keep-days");
    let capture = upload(&server, "key-kept", &parts(&photo())).json();
    let cookie = staff_cookie(&server, "reviewer");
    let review = format!("/api/captures/{}/review", capture["id"].as_str().unwrap());
    assert_eq!(
        request(&server, "POST", &review, &[("Cookie", &cookie), JSON], br#"{"status": "approved"}"#).status,
        200
    );
    std::thread::sleep(Duration::from_millis(1100));
    let sha = capture["photoSha256"].as_str().unwrap();
    assert!(has_photo(&server.data, sha));
    // The same data served again with --keep-days 0: the decided capture's files go at start.
    let (_, mut again) = serve_logged(&server.data, &["--keep-days", "0"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while has_photo(&server.data, sha) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = again.kill();
    let _ = again.wait();
    assert!(!has_photo(&server.data, sha), "purged by the server's retention");
}

/// A student's purge leaves nothing of them: not in the records (the reviewer's reason, the
/// liveness report, the upload's hash), not in the database's files (SQLite's log and free
/// pages), and a late repeat of the upload is told it is gone.
#[test]
fn a_purge_leaves_nothing_of_the_student_behind() {
    let server = start("purge-traces");
    let code = "CHSI-PURGE-7F3A9C";
    let reason = "REASON-PURGE-4E1D please retake without glasses";
    let meta = format!(
        r#"{{"captureCode": "{code}", "sessionCode": "26050704", "source": "live", "device": "DEVICE-MARK-5C2B",
            "liveness": {{"watchedMs": 98765.4321}}}}"#
    );
    let jpeg = photo();
    let parts = [("photo", "image/jpeg", jpeg.as_slice()), ("meta", "application/json", meta.as_bytes())];
    let stored = upload(&server, "purged-key", &parts);
    assert_eq!(stored.status, 201);
    let id = stored.json()["id"].as_str().unwrap().to_string();
    let cookie = staff_cookie(&server, "reviewer");
    let decision = serde_json::json!({"status": "rejected", "reason": reason}).to_string();
    let review = format!("/api/captures/{id}/review");
    assert_eq!(
        request(&server, "POST", &review, &[("Cookie", &cookie), JSON], decision.as_bytes()).status,
        200
    );
    let (ok, out) = gradcap(&["purge", "--capture-code", code, "--data", server.data.to_str().unwrap()], "");
    assert!(ok && out.contains("purged 1"), "{out}");
    // The records keep the tombstone and the decision, without the words.
    let tomb = request(&server, "GET", &format!("/api/captures/{id}"), &[("Cookie", &cookie)], b"").json();
    assert!(tomb["reason"].is_null() && tomb["history"][0]["reason"].is_null(), "{tomb}");
    assert_eq!(tomb["verdict"], serde_json::json!({}), "{tomb}");
    let audit = request(&server, "GET", "/api/audit", &[("Cookie", &cookie)], b"").json();
    assert!(!audit.to_string().contains("REASON-PURGE"), "{audit}");
    // The same upload again: gone, which the component does not retry.
    let late = upload(&server, "purged-key", &parts);
    assert_eq!((late.status, late.json()["error"]["code"].as_str()), (410, Some("capture.purged")));
    if services().is_some() {
        return; // PostgreSQL keeps dead row versions until its vacuum: docs/deploy.md
    }
    // Not a byte of it in the data folder, the database's log included.
    let marks = [code, "REASON-PURGE-4E1D", "DEVICE-MARK-5C2B", "98765.4321"];
    let mut files = vec![server.data.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for mark in marks {
            let found = bytes.windows(mark.len()).any(|w| w == mark.as_bytes());
            assert!(!found, "{mark} is still in {}", path.display());
        }
    }
}
