//! The reference backend as a client sees it: `gradcap serve` on a free port with an upload
//! token, spoken to over plain HTTP. Sessions, uploads (once per Idempotency-Key), status by
//! receipt, staff review, and bad input refused with a JSON error while the server keeps serving.
//! The roles and the hardening have their own file (`roles.rs`).

mod common;

use common::*;

#[test]
fn sessions_are_looked_up_and_the_token_is_required() {
    let server = start("sessions");
    let open = request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"");
    assert_eq!(open.status, 200);
    assert_eq!(open.json()["name"], "安徽建筑大学2026届图像采集");
    assert_eq!(open.json()["open"], true);
    assert_eq!(request(&server, "GET", "/api/sessions/26050105", &[AUTH], b"").json()["open"], false);
    let unknown = request(&server, "GET", "/api/sessions/99999999", &[AUTH], b"");
    assert_eq!((unknown.status, unknown.json()["error"]["code"].as_str()), (404, Some("session.unknown")));
    let no_token = request(&server, "GET", "/api/sessions/26050704", &[], b"");
    assert_eq!((no_token.status, no_token.json()["error"]["code"].as_str()), (401, Some("unauthorized")));
    let wrong = request(&server, "GET", "/api/sessions/26050704", &[("Authorization", "Bearer nope")], b"");
    assert_eq!(wrong.status, 401);
    // CORS: the allowed origin gets the headers (preflight included), another does not.
    let pre = request(&server, "OPTIONS", "/api/captures", &[("Origin", "https://school.example")], b"");
    assert_eq!(pre.status, 204);
    assert!(pre.headers.to_ascii_lowercase().contains("access-control-allow-origin: https://school.example"));
    assert!(pre.headers.contains("Idempotency-Key"));
    let other =
        request(&server, "GET", "/api/sessions/26050704", &[AUTH, ("Origin", "https://evil.example")], b"");
    assert!(!other.headers.to_ascii_lowercase().contains("access-control-allow-origin"));
}

#[test]
fn an_upload_is_stored_once_per_key_checked_and_reviewed() {
    let server = start("upload");
    let jpeg = photo();
    let parts: [(&str, &str, &[u8]); 3] = [
        ("photo", "image/jpeg", &jpeg),
        ("original", "image/jpeg", &jpeg),
        ("meta", "application/json", META),
    ];
    let first = upload(&server, "key-0001", &parts);
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    let capture = first.json();
    assert_eq!(capture["status"], "pending");
    assert_eq!(capture["captureCode"], "CHSI-1234");
    assert_eq!(capture["verdict"]["dimensionsOk"], true);
    assert_eq!(capture["verdict"]["pass"], false, "no face in it");
    assert_eq!(capture["verdict"]["live"], true, "from the live stream, with its frames");
    let sha: String = {
        use std::fmt::Write as _;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&jpeg);
        digest.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    assert_eq!(capture["photoSha256"], sha.as_str());
    // The same key again (a retry after a lost answer): the same record, not a second one.
    let again = upload(&server, "key-0001", &parts);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], capture["id"]);
    // A repeat is answered only once its whole body is in: a server that answers early and closes
    // with the body unread resets the connection, and the browser loses that answer (seen in CI).
    let repeat = repeat_in_two_halves(&server, "key-0001", &multipart(&parts));
    assert_eq!(repeat.status, 200);
    assert_eq!(repeat.json()["id"], capture["id"]);
    assert_eq!(repeat.json()["receipt"], capture["receipt"], "a repeat is given the receipt again");
    let cookie = staff_cookie(&server, "reviewer");
    let staff = ("Cookie", cookie.as_str());
    let list = request(&server, "GET", "/api/captures", &[staff], b"").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let file = request(&server, "GET", &format!("/api/files/{sha}"), &[staff], b"");
    assert_eq!(file.body, jpeg, "the photo on disk is the one sent");
    // Staff review: a rejection needs a reason; the student's status follows.
    let id = capture["id"].as_str().unwrap();
    let path = format!("/api/captures/{id}/review");
    let json = ("Content-Type", "application/json");
    let no_reason = request(&server, "POST", &path, &[staff, json], br#"{"status": "rejected"}"#);
    assert_eq!(no_reason.status, 400);
    let body = r#"{"status": "rejected", "reason": "背景不是纯色，请重拍"}"#;
    let rejected = request(&server, "POST", &path, &[staff, json], body.as_bytes());
    assert_eq!(rejected.status, 200);
    let receipt = ("X-Gradcap-Receipt", capture["receipt"].as_str().unwrap());
    let status = request(&server, "GET", &format!("/api/captures/{id}"), &[AUTH, receipt], b"").json();
    assert_eq!(
        (status["status"].as_str(), status["reason"].as_str()),
        (Some("rejected"), Some("背景不是纯色，请重拍"))
    );
    let not_live = br#"{"captureCode": "CHSI-1234", "source": "album"}"#;
    let album = upload(
        &server,
        "key-album",
        &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", not_live)],
    );
    assert_eq!(
        album.json()["verdict"]["live"],
        false,
        "the staff see a photo that did not come from the stream"
    );
    let page = request(&server, "GET", "/review", &[], b"");
    assert!(page.status == 200 && String::from_utf8_lossy(&page.body).contains("图像审核"));
}

#[test]
fn bad_input_gets_a_json_4xx_stores_nothing_and_the_server_keeps_serving() {
    let server = start("bad");
    let jpeg = photo();
    let kind = format!("multipart/form-data; boundary={BOUNDARY}");
    let good: [(&str, &str, &[u8]); 2] = [("photo", "image/jpeg", &jpeg), ("meta", "application/json", META)];
    let cases: Vec<(&str, Reply, u16, &str)> = vec![
        (
            "wrong content type",
            request(
                &server,
                "POST",
                "/api/captures",
                &[AUTH, ("Idempotency-Key", "k1"), ("Content-Type", "application/json")],
                b"{}",
            ),
            415,
            "body.type",
        ),
        (
            "oversized body",
            request(
                &server,
                "POST",
                "/api/captures",
                &[AUTH, ("Idempotency-Key", "k2"), ("Content-Type", &kind), ("Content-Length", "50000000")],
                b"",
            ),
            413,
            "body.too_large",
        ),
        (
            "not a JPEG",
            upload(
                &server,
                "k3",
                &[("photo", "image/jpeg", b"GIF89a not a jpeg at all"), ("meta", "application/json", META)],
            ),
            400,
            "photo.not_jpeg",
        ),
        (
            "a photo of the wrong size",
            upload(
                &server,
                "k3b",
                &[("photo", "image/jpeg", &small_jpeg()), ("meta", "application/json", META)],
            ),
            422,
            "photo.dimensions",
        ),
        (
            "an original that is an HTML page",
            upload(
                &server,
                "k3c",
                &[
                    ("photo", "image/jpeg", &jpeg),
                    ("original", "image/jpeg", b"<html><script>alert(1)</script></html>"),
                    ("meta", "application/json", META),
                ],
            ),
            400,
            "original.not_jpeg",
        ),
        (
            "photo labelled as PNG",
            upload(&server, "k4", &[("photo", "image/png", &jpeg), ("meta", "application/json", META)]),
            415,
            "field.type",
        ),
        (
            "malformed meta",
            upload(
                &server,
                "k5",
                &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", b"{not json")],
            ),
            400,
            "meta.malformed",
        ),
        ("no meta", upload(&server, "k6", &[("photo", "image/jpeg", &jpeg)]), 400, "meta.missing"),
        (
            "photo too large",
            upload(
                &server,
                "k7",
                &[("photo", "image/jpeg", &vec![0xff; 200 * 1024]), ("meta", "application/json", META)],
            ),
            413,
            "field.too_large",
        ),
        (
            "no idempotency key",
            request(&server, "POST", "/api/captures", &[AUTH, ("Content-Type", &kind)], &multipart(&good)),
            400,
            "idempotency_key.missing",
        ),
        (
            "wrong token",
            request(
                &server,
                "POST",
                "/api/captures",
                &[("Authorization", "Bearer wrong"), ("Idempotency-Key", "k9"), ("Content-Type", &kind)],
                &multipart(&good),
            ),
            401,
            "unauthorized",
        ),
        (
            "truncated body",
            {
                let mut body = multipart(&good);
                body.truncate(body.len() / 2);
                request(
                    &server,
                    "POST",
                    "/api/captures",
                    &[AUTH, ("Idempotency-Key", "k10"), ("Content-Type", &kind)],
                    &body,
                )
            },
            400,
            "body.malformed",
        ),
        // Found by the backend_request fuzz target: axum's own rejections were plain text.
        (
            "a path that is not UTF-8",
            request(&server, "GET", "/api/sessions/2605%FF%FFNq0704", &[AUTH], b""),
            400,
            "request.malformed",
        ),
        ("the API's root", request(&server, "GET", "/api/", &[AUTH], b""), 404, "not_found"),
        ("the API's root without a slash", request(&server, "GET", "/api", &[AUTH], b""), 404, "not_found"),
        (
            "a wrong method",
            request(&server, "DELETE", "/api/captures", &[AUTH], b""),
            405,
            "method.not_allowed",
        ),
    ];
    for (what, reply, status, code) in cases {
        assert_eq!(reply.status, status, "{what}: {}", String::from_utf8_lossy(&reply.body));
        assert_eq!(reply.json()["error"]["code"], code, "{what}");
    }
    let cookie = staff_cookie(&server, "viewer");
    let list = request(&server, "GET", "/api/captures", &[("Cookie", &cookie)], b"").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored");
    assert_eq!(upload(&server, "k11", &good).status, 201, "and a good upload still works");
}

/// Every path of `openapi.yaml` is an endpoint of the server (none answers "no such endpoint").
#[test]
fn the_openapi_file_names_the_endpoints_the_server_has() {
    let server = start("openapi");
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    let paths: Vec<&str> =
        spec.lines().filter_map(|l| l.strip_prefix("  /").and_then(|p| p.strip_suffix(':'))).collect();
    assert!(paths.len() >= 5, "{paths:?}");
    for path in paths {
        let concrete = format!("/api/{path}")
            .replace("{code}", "26050704")
            .replace("{id}", "c0")
            .replace("{sha256}", &"0".repeat(64));
        for method in ["GET", "POST"] {
            let reply =
                request(&server, method, &concrete, &[AUTH, ("Content-Type", "application/json")], b"{}");
            let body = String::from_utf8_lossy(&reply.body).to_string();
            assert!(!body.contains("no such endpoint"), "{method} {concrete}: {body}");
        }
    }
}

/// A 240×320 JPEG: a real one, of the wrong size for the standard photo.
fn small_jpeg() -> Vec<u8> {
    let frame = gradcap::Frame::from_rgba(vec![128; 240 * 320 * 4], 240, 320).unwrap();
    gradcap::photo::jpeg::encode(&frame.view(), 80).unwrap().bytes
}

/// Sends an upload's head and the first half of `body`, checks that no answer comes while the rest
/// is outstanding, then sends the rest and reads the answer.
fn repeat_in_two_halves(server: &Server, key: &str, body: &[u8]) -> Reply {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    let head = format!(
        "POST /api/captures HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\
         Idempotency-Key: {key}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_millis(400))).unwrap();
    let mut early = [0u8; 64];
    match stream.read(&mut early) {
        Ok(n) => panic!("answered with half the body unsent: {:?}", String::from_utf8_lossy(&early[..n])),
        Err(e) => assert!(matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
    }
    stream.set_read_timeout(None).unwrap();
    stream.write_all(rest).unwrap();
    read_reply(stream)
}

/// What the component sends is what the backend reads: the core's own `Meta`, serialized as the
/// component serializes it, is stored with its codes and counted live; a field of the wrong type
/// is refused, and a photo whose stream had no frames is not counted live.
#[test]
fn the_components_metadata_is_read_as_the_same_type() {
    use gradcap::upload::{Meta, StreamFacts};
    let server = start("meta-typed");
    let jpeg = photo();
    let sent = Meta {
        capture_code: Some("CHSI-TYPED".into()),
        session_code: Some("26050704".into()),
        source: Meta::LIVE.into(),
        stream: StreamFacts { frames: 40, fps: 14.0, width: 480, height: 640, live_ms: 5000.0 },
        device: "test".into(),
        component_version: gradcap::VERSION.into(),
        captured_at: "2026-12-01T00:00:00.000Z".into(),
        liveness: gradcap::checks::liveness::Evidence {
            watched_ms: 3100.0,
            deep_turns: 12,
            ..Default::default()
        },
        ..Meta::default()
    };
    let text = serde_json::to_vec(&sent).unwrap();
    let reply =
        upload(&server, "typed-1", &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", &text)]);
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    let record = reply.json();
    assert_eq!(
        (record["captureCode"].as_str(), record["sessionCode"].as_str()),
        (Some("CHSI-TYPED"), Some("26050704"))
    );
    assert_eq!(record["verdict"]["live"], true);
    // The cues the component ran before the shutter reach staff with the record.
    let cues = &record["verdict"]["liveness"];
    assert_eq!(
        (cues["watchedMs"].as_f64(), cues["deepTurns"].as_u64(), cues["glareSlides"].as_u64()),
        (Some(3100.0), Some(12), Some(0))
    );

    let still = serde_json::to_vec(&Meta { stream: StreamFacts::default(), ..sent.clone() }).unwrap();
    let reply =
        upload(&server, "typed-2", &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", &still)]);
    assert_eq!((reply.status, reply.json()["verdict"]["live"].as_bool()), (201, Some(false)));

    for wrong in [&br#"{"captureCode": 5}"#[..], br#"{"stream": {"frames": "many"}}"#, br#"[1, 2]"#] {
        let reply = upload(
            &server,
            "typed-3",
            &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", wrong)],
        );
        assert_eq!(
            (reply.status, reply.json()["error"]["code"].as_str()),
            (400, Some("meta.malformed")),
            "{}",
            String::from_utf8_lossy(wrong)
        );
    }
}

/// An integrator who renames the multipart fields in the component's `endpoint` gives the server
/// the same names: uploads under them are stored, the default names are then unknown fields.
#[test]
fn the_field_names_are_the_servers_to_choose_as_the_components_are() {
    let server = start_with(
        "fields",
        &["--photo-field", "image", "--original-field", "frame", "--meta-field", "info"],
    );
    let jpeg = photo();
    let reply = upload(
        &server,
        "fields-1",
        &[("image", "image/jpeg", &jpeg), ("frame", "image/jpeg", &jpeg), ("info", "application/json", META)],
    );
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.json()["captureCode"].as_str(), Some("CHSI-1234"));
    let reply =
        upload(&server, "fields-2", &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", META)]);
    assert_eq!(
        (reply.status, reply.json()["error"]["code"].as_str()),
        (400, Some("field.unknown")),
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

/// A load balancer asks whether the server is alive and whether it can serve: `/readyz` answers
/// 503 with a JSON error while the photo store cannot take a file, and 200 again once it can.
#[test]
fn health_and_readiness_tell_a_load_balancer_what_it_needs() {
    let server = start("health");
    let alive = request(&server, "GET", "/healthz", &[], b"");
    assert_eq!((alive.status, alive.json()["status"].as_str()), (200, Some("ok")));
    let ready = request(&server, "GET", "/readyz", &[], b"");
    assert_eq!((ready.status, ready.json()["status"].as_str()), (200, Some("ready")));
    // The photo store gone — a file where the folder was, or the bucket removed: not ready.
    let gone = || -> Box<dyn FnOnce()> {
        if let Some((_, s3)) = services() {
            let bucket = location(&server.data)
                .photos
                .trim_start_matches("s3://")
                .split('/')
                .next()
                .unwrap()
                .to_string();
            assert_eq!(s3_request(&s3, "DELETE", &format!("/{bucket}")), 204, "the bucket is empty");
            Box::new(move || assert_eq!(s3_request(&s3, "PUT", &format!("/{bucket}")), 200))
        } else {
            let photos = server.data.join("photos");
            let aside = server.data.join("photos-aside");
            std::fs::rename(&photos, &aside).unwrap();
            std::fs::write(&photos, b"not a folder").unwrap();
            Box::new(move || {
                std::fs::remove_file(&photos).unwrap();
                std::fs::rename(&aside, &photos).unwrap();
            })
        }
    };
    let back = gone();
    let unready = request(&server, "GET", "/readyz", &[], b"");
    assert_eq!(
        (unready.status, unready.json()["error"]["code"].as_str()),
        (503, Some("store.unavailable")),
        "{}",
        String::from_utf8_lossy(&unready.body)
    );
    back();
    assert_eq!(request(&server, "GET", "/readyz", &[], b"").status, 200);
}
