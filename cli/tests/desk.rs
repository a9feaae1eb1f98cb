//! The review desk's API over HTTP, as a school runs a collection day on it: sessions kept as staff
//! set them across restarts, captures found by session, status, capture code and date, counts
//! that match the rows, decisions that cannot overwrite each other unseen, and the export of the
//! approved photos for 学信网.

mod common;

use common::*;
use std::collections::BTreeMap;

const JSON: (&str, &str) = ("Content-Type", "application/json");

fn meta(code: &str, session: &str) -> String {
    if session.is_empty() {
        return format!(r#"{{"captureCode": "{code}", "source": "live"}}"#);
    }
    format!(r#"{{"captureCode": "{code}", "sessionCode": "{session}", "source": "live"}}"#)
}

/// Stops `server` and keeps its data folder (dropping a [`Server`] removes it).
fn stop_keeping_data(mut server: Server) {
    let _ = server.child.kill();
    let _ = server.child.wait();
    std::mem::forget(server);
}

/// Uploads a photo for `code` in `session`; the capture as answered.
fn capture(server: &Server, key: &str, code: &str, session: &str) -> serde_json::Value {
    let jpeg = with_comment(&photo(), key);
    let meta = meta(code, session);
    let reply =
        upload(server, key, &[("photo", "image/jpeg", &jpeg), ("meta", "application/json", meta.as_bytes())]);
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

fn decide(server: &Server, cookie: &str, id: &str, body: &str) -> Reply {
    request(
        server,
        "POST",
        &format!("/api/captures/{id}/review"),
        &[("Cookie", cookie), JSON],
        body.as_bytes(),
    )
}

fn list(server: &Server, cookie: &str, query: &str) -> Vec<serde_json::Value> {
    let reply = request(server, "GET", &format!("/api/captures?{query}"), &[("Cookie", cookie)], b"");
    assert_eq!(reply.status, 200, "{query}: {}", String::from_utf8_lossy(&reply.body));
    reply.json()["items"].as_array().unwrap().clone()
}

/// The entries of a ZIP of stored files (each CRC checked): name → bytes.
fn unzip(bytes: &[u8]) -> BTreeMap<String, &[u8]> {
    let mut entries = BTreeMap::new();
    let mut at = 0;
    while bytes[at..].starts_with(&0x0403_4b50u32.to_le_bytes()) {
        let word = |o: usize| u32::from_le_bytes(bytes[at + o..at + o + 4].try_into().unwrap()) as usize;
        let half = |o: usize| u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]) as usize;
        assert_eq!(half(8), 0, "stored");
        let (size, name_len, extra) = (word(18), half(26), half(28));
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let data = at + 30 + name_len + extra;
        let mut crc = flate2::Crc::new();
        crc.update(&bytes[data..data + size]);
        assert_eq!(crc.sum() as usize, word(14), "{name}'s CRC");
        entries.insert(name, &bytes[data..data + size]);
        at = data + size;
    }
    assert!(bytes[at..].starts_with(&0x0201_4b50u32.to_le_bytes()), "the central directory follows");
    entries
}

#[test]
fn sessions_are_data_that_a_restart_does_not_change() {
    let data = std::env::temp_dir().join(format!("gradcap-backend-desk-sessions-{}", std::process::id()));
    fresh_store(&data);
    let dir = data.to_str().unwrap();
    let (ok, out) =
        gradcap(&["staff", "add", "admin", "--role", "admin", "--data", dir], &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    let (ok, out) =
        gradcap(&["staff", "add", "viewer", "--role", "viewer", "--data", dir], &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    {
        let server = spawn_server(&data, &["--session", "26050704=安徽建筑大学2026届图像采集"]);
        let admin = staff_cookie(&server, "admin");
        // An admin renames and closes the session on the desk.
        let change = r#"{"name": "安徽建筑大学2026届毕业生图像采集", "open": false}"#;
        let changed = request(
            &server,
            "POST",
            "/api/sessions/26050704",
            &[("Cookie", &admin), JSON],
            change.as_bytes(),
        );
        assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
        let added = request(
            &server,
            "POST",
            "/api/sessions",
            &[("Cookie", &admin), JSON],
            r#"{"code": "26050801", "name": "补拍场次", "school": "安徽建筑大学", "open": true}"#.as_bytes(),
        );
        assert_eq!(added.status, 201);
        let viewer = staff_cookie(&server, "viewer");
        let refused = request(
            &server,
            "POST",
            "/api/sessions/26050801",
            &[("Cookie", &viewer), JSON],
            br#"{"open": false}"#,
        );
        assert_eq!(refused.status, 403, "only an admin manages sessions");
        stop_keeping_data(server);
    }
    // Restarted with the old flags, and without any: nothing staff set is undone, nothing added.
    for flags in [&["--session", "26050704=安徽建筑大学2026届图像采集"][..], &[][..]] {
        let server = spawn_server(&data, flags);
        let student = request(&server, "GET", "/api/sessions/26050704", &[AUTH], b"").json();
        assert_eq!(student["name"], "安徽建筑大学2026届毕业生图像采集");
        assert_eq!(student["open"], false);
        // Without --demo none of the demo's sample sessions appears (the test servers name
        // 26050105 themselves, as 旧场次).
        assert_eq!(request(&server, "GET", "/api/sessions/26050105", &[AUTH], b"").json()["name"], "旧场次");
        assert_eq!(request(&server, "GET", "/api/sessions/26050801", &[AUTH], b"").status, 200);
        stop_keeping_data(server);
    }
    let (ok, out) = gradcap(&["sessions", "list", "--data", dir], "");
    assert!(ok && out.contains("26050704\tclosed\t安徽建筑大学2026届毕业生图像采集"), "{out}");
    let (ok, out) = gradcap(&["sessions", "set", "26050704", "--open", "--data", dir], "");
    assert!(ok, "{out}");
    let (_, out) = gradcap(&["sessions", "list", "--data", dir], "");
    assert!(out.contains("26050704\topen"), "{out}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn the_desk_finds_counts_and_decides_without_overwriting_another_reviewer() {
    let server = start_with("desk", &["--uploads-per-minute", "0", "--session", "26050801=补拍场次"]);
    let reviewer = staff_cookie(&server, "reviewer");
    let a = capture(&server, "k-a", "CHSI-A", "26050704");
    let b = capture(&server, "k-b", "CHSI-B", "26050704");
    let c = capture(&server, "k-c", "CHSI-C", "26050801");
    let _none = capture(&server, "k-d", "CHSI-D", "");
    let id = |v: &serde_json::Value| v["id"].as_str().unwrap().to_string();
    // Filters and search return exactly what matches.
    let ids = |items: Vec<serde_json::Value>| items.iter().map(id).collect::<Vec<_>>();
    assert_eq!(ids(list(&server, &reviewer, "captureCode=CHSI-B")), [id(&b)]);
    let mut in_session = ids(list(&server, &reviewer, "session=26050704"));
    in_session.sort();
    let mut expected = vec![id(&a), id(&b)];
    expected.sort();
    assert_eq!(in_session, expected);
    assert_eq!(ids(list(&server, &reviewer, "session=26050801&status=pending")), [id(&c)]);
    assert!(list(&server, &reviewer, "session=26050801&status=approved").is_empty());
    assert!(list(&server, &reviewer, "from=2999-01-01T00:00:00Z").is_empty());
    assert_eq!(list(&server, &reviewer, "until=2999-01-01T00:00:00Z").len(), 4);
    // A decision names the version it saw; a second reviewer's stale one is refused with who
    // decided.
    assert_eq!(a["version"], 0);
    let first = decide(&server, &reviewer, &id(&a), r#"{"status": "approved", "version": 0}"#);
    assert_eq!((first.status, first.json()["version"].as_i64()), (200, Some(1)));
    let stale =
        decide(&server, &reviewer, &id(&a), r#"{"status": "rejected", "reason": "露齿", "version": 0}"#);
    assert_eq!((stale.status, stale.json()["error"]["code"].as_str()), (409, Some("capture.changed")));
    assert_eq!(stale.json()["capture"]["status"], "approved");
    assert!(stale.json()["error"]["message"].as_str().unwrap().contains("reviewer"));
    let rejected = decide(
        &server,
        &reviewer,
        &id(&b),
        r#"{"status": "rejected", "reason": "背景不均匀", "version": 0}"#,
    );
    assert_eq!(rejected.status, 200);
    // The counts match the rows.
    let sessions = request(&server, "GET", "/api/sessions", &[("Cookie", &reviewer)], b"").json();
    let counts = |code: Option<&str>| {
        sessions["items"].as_array().unwrap().iter().find(|s| s["code"].as_str() == code).unwrap()["counts"]
            .clone()
    };
    let main = counts(Some("26050704"));
    assert_eq!(
        (main["approved"].as_i64(), main["rejected"].as_i64(), main["pending"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(counts(Some("26050801"))["pending"], 1);
    assert_eq!(counts(Some("26050105"))["total"], 0, "a session with no captures is listed, counted 0");
    assert_eq!(counts(None)["total"], 1, "the capture that names no session");
}

#[test]
fn the_export_holds_one_photo_per_approved_student_with_its_manifest() {
    let server = start_with("export", &["--uploads-per-minute", "0"]);
    let reviewer = staff_cookie(&server, "reviewer");
    let approve = |c: &serde_json::Value| {
        let reply = decide(&server, &reviewer, c["id"].as_str().unwrap(), r#"{"status": "approved"}"#);
        assert_eq!(reply.status, 200);
    };
    // Two students approved, one of them twice (a second phone): the later approval is exported.
    let first = capture(&server, "e-1", "CHSI-2026-0001", "26050704");
    approve(&first);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second_phone = capture(&server, "e-2", "CHSI-2026-0001", "26050704");
    approve(&second_phone);
    let other = capture(&server, "e-3", "CHSI-2026-0002", "26050704");
    approve(&other);
    let _pending = capture(&server, "e-4", "CHSI-2026-0003", "26050704");
    let rejected = capture(&server, "e-5", "CHSI-2026-0004", "26050704");
    let reply = decide(
        &server,
        &reviewer,
        rejected["id"].as_str().unwrap(),
        r#"{"status": "rejected", "reason": "露齿"}"#,
    );
    assert_eq!(reply.status, 200);
    let download = request(&server, "GET", "/api/export?session=26050704", &[("Cookie", &reviewer)], b"");
    assert_eq!(download.status, 200, "{}", String::from_utf8_lossy(&download.body));
    assert!(
        download.headers.to_ascii_lowercase().contains("content-type: application/zip"),
        "{}",
        download.headers
    );
    let entries = unzip(&download.body);
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(names, ["CHSI-2026-0001.jpg", "CHSI-2026-0002.jpg", "manifest.csv"]);
    for (name, capture) in [("CHSI-2026-0001.jpg", &second_phone), ("CHSI-2026-0002.jpg", &other)] {
        assert_eq!(sha256_hex(entries[name]), capture["photoSha256"].as_str().unwrap(), "{name}");
    }
    let manifest = String::from_utf8(entries["manifest.csv"].to_vec()).unwrap();
    let lines: Vec<&str> = manifest.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3, "{manifest}");
    assert!(lines[1].starts_with("CHSI-2026-0001,,,,CHSI-2026-0001.jpg,approved,reviewer,"), "{manifest}");
    assert!(lines[1].contains(second_phone["photoSha256"].as_str().unwrap()), "{manifest}");
    // The command line writes the same archive.
    // Beside the data folder, which a server on PostgreSQL and S3 does not make.
    let out = std::env::temp_dir().join(format!("gradcap-export-{}.zip", std::process::id()));
    let (ok, text) = gradcap(
        &[
            "export",
            "--session",
            "26050704",
            "--out",
            out.to_str().unwrap(),
            "--data",
            server.data.to_str().unwrap(),
        ],
        "",
    );
    assert!(ok && text.contains("exported 2 photos"), "{text}");
    let archive = std::fs::read(&out).unwrap();
    let from_cli = unzip(&archive);
    assert_eq!(from_cli.keys().collect::<Vec<_>>(), entries.keys().collect::<Vec<_>>());
    assert_eq!(from_cli["CHSI-2026-0002.jpg"], entries["CHSI-2026-0002.jpg"]);
    let _ = std::fs::remove_file(&out);
    // Only staff export.
    assert_eq!(request(&server, "GET", "/api/export?session=26050704", &[AUTH], b"").status, 401);
    assert_eq!(
        request(&server, "GET", "/api/export?session=99999999", &[("Cookie", &reviewer)], b"").status,
        404
    );
}

/// The most the server's resident memory may grow while it streams the export of a 5,000-photo
/// session, MB: the archive is ~150 MB; a photo and the pipe's few buffers are held at once.
const EXPORT_GROWTH_MB: u64 = 40;

#[test]
fn a_five_thousand_photo_export_is_streamed() {
    if services().is_some() {
        return; // seeded through SQLite below; the streaming is the same over PostgreSQL and S3
    }
    let server = start_with("export-5000", &["--uploads-per-minute", "0"]);
    let store = open_store(&server.data);
    let verdict = serde_json::json!({"pass": true});
    let base = photo();
    let started = std::time::Instant::now();
    for n in 0..5000 {
        let key = format!("bulk-{n}");
        let code = format!("CHSI-2026-{n:05}");
        let jpeg = with_comment(&base, &key);
        let new = gradcap_cli::backend::store::NewCapture {
            idempotency_key: &key,
            fingerprint: &key,
            capture_code: Some(&code),
            session_code: Some("26050704"),
            photo: &jpeg,
            original: None,
            meta: "{}",
            verdict: &verdict,
            replaces: None,
        };
        store.add(&new).unwrap();
    }
    drop(store);
    // Approved in one go, as 5,000 clicks on the desk would leave them.
    let db = rusqlite::Connection::open(server.data.join("gradcap.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let approved = db
        .execute(
            "UPDATE captures SET status = 'approved', reviewed_by = 'reviewer', reviewed_at = created_at, version = 1",
            [],
        )
        .unwrap();
    assert_eq!(approved, 5000);
    eprintln!("5,000 captures stored in {:.1} s", started.elapsed().as_secs_f64());
    let reviewer = staff_cookie(&server, "reviewer");
    let status = |key: &str| {
        let text = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap()
            .trim()
            .trim_end_matches(" kB")
            .trim()
            .parse::<u64>()
            .unwrap()
            / 1024
    };
    let before = status("VmRSS:");
    let started = std::time::Instant::now();
    let download = request(&server, "GET", "/api/export?session=26050704", &[("Cookie", &reviewer)], b"");
    let peak = status("VmHWM:");
    eprintln!(
        "export: {} MB in {:.1} s; server RSS {before} MB before, peak {peak} MB",
        download.body.len() >> 20,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(download.status, 200);
    let entries = unzip(&download.body);
    assert_eq!(entries.len(), 5001, "5,000 photos and the manifest");
    assert!(peak < before + EXPORT_GROWTH_MB, "RSS {before} → peak {peak} MB while exporting");
}

#[test]
fn an_admin_manages_accounts_and_everyone_changes_their_own_password() {
    let server = start("desk-accounts");
    let (ok, out) = gradcap(
        &["staff", "add", "admin", "--role", "admin", "--data", server.data.to_str().unwrap()],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{out}");
    let admin = staff_cookie(&server, "admin");
    let post = |cookie: &str, path: &str, body: &str| {
        request(&server, "POST", path, &[("Cookie", cookie), JSON], body.as_bytes())
    };
    let added = post(
        &admin,
        "/api/accounts",
        r#"{"name": "zhang", "role": "viewer", "password": "zhang's first password"}"#,
    );
    assert_eq!(added.status, 201, "{}", String::from_utf8_lossy(&added.body));
    let viewer = staff_cookie(&server, "viewer");
    assert_eq!(request(&server, "GET", "/api/accounts", &[("Cookie", &viewer)], b"").status, 403);
    let listed = request(&server, "GET", "/api/accounts", &[("Cookie", &admin)], b"").json();
    let names: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "reviewer", "viewer", "zhang"]);
    assert_eq!(post(&admin, "/api/accounts/zhang", r#"{"role": "reviewer"}"#).status, 200);
    let zhang_in = sign_in(&server, "zhang", "zhang's first password");
    assert_eq!(zhang_in.json()["role"], "reviewer");
    let cookie_of = |reply: &Reply| {
        reply
            .headers
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("set-cookie: ")
                    .map(|_| l[12..].split(';').next().unwrap().trim().to_string())
            })
            .unwrap()
    };
    let zhang = cookie_of(&zhang_in);
    // Their own password: the old one is needed; afterwards the old session is over.
    let wrong =
        post(&zhang, "/api/staff/password", r#"{"old": "not it at all", "new": "zhang's second password"}"#);
    assert_eq!(wrong.status, 401);
    let changed = post(
        &zhang,
        "/api/staff/password",
        r#"{"old": "zhang's first password", "new": "zhang's second password"}"#,
    );
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    let fresh = cookie_of(&changed);
    assert_eq!(
        request(&server, "GET", "/api/staff/me", &[("Cookie", &zhang)], b"").status,
        401,
        "the old session ended"
    );
    assert_eq!(request(&server, "GET", "/api/staff/me", &[("Cookie", &fresh)], b"").status, 200);
    assert_eq!(sign_in(&server, "zhang", "zhang's first password").status, 401);
    assert_eq!(sign_in(&server, "zhang", "zhang's second password").status, 200);
    let short = post(&fresh, "/api/staff/password", r#"{"old": "zhang's second password", "new": "short"}"#);
    assert_eq!(short.status, 400);
    // An admin keeps the desk an admin: not demoted or removed by themselves.
    assert_eq!(post(&admin, "/api/accounts/admin", r#"{"role": "viewer"}"#).status, 409);
    assert_eq!(post(&admin, "/api/accounts/admin", r#"{"remove": true}"#).status, 409);
    assert_eq!(post(&admin, "/api/accounts/zhang", r#"{"remove": true}"#).status, 204);
    assert_eq!(
        request(&server, "GET", "/api/staff/me", &[("Cookie", &fresh)], b"").status,
        401,
        "removed, signed out"
    );
    assert_eq!(post(&viewer, "/api/accounts/zhang", r#"{"role": "admin"}"#).status, 403);
}

#[test]
fn a_roster_says_who_has_not_submitted_and_names_the_export() {
    let server = start_with("desk-roster", &["--uploads-per-minute", "0"]);
    let data = server.data.to_str().unwrap();
    let (ok, out) =
        gradcap(&["staff", "add", "admin", "--role", "admin", "--data", data], &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    let admin = staff_cookie(&server, "admin");
    let csv = "\u{feff}学号,姓名,院系,采集码\r\n2022001,\"王, 小明\",建筑学院,CHSI-R1\r\n2022002,李华,土木学院,CHSI-R2\r\n2022003,张三,土木学院,CHSI-R3\r\n";
    let import = |cookie: &str, kind: &str, body: &str| {
        request(
            &server,
            "POST",
            "/api/sessions/26050704/roster",
            &[("Cookie", cookie), ("Content-Type", kind)],
            body.as_bytes(),
        )
    };
    let reviewer = staff_cookie(&server, "reviewer");
    assert_eq!(import(&reviewer, "text/csv", csv).status, 403, "only an admin imports");
    assert_eq!(import(&admin, "application/json", csv).status, 415);
    let bad = import(&admin, "text/csv", "姓名\n王\n");
    assert_eq!((bad.status, bad.json()["error"]["code"].as_str()), (400, Some("roster.invalid")));
    let imported = import(&admin, "text/csv", csv);
    assert_eq!(imported.json()["imported"], 3, "{}", String::from_utf8_lossy(&imported.body));
    // One approved, one rejected, one not submitted.
    let r1 = capture(&server, "r-1", "CHSI-R1", "26050704");
    let r2 = capture(&server, "r-2", "CHSI-R2", "26050704");
    assert_eq!(
        decide(&server, &reviewer, r1["id"].as_str().unwrap(), r#"{"status": "approved"}"#).status,
        200
    );
    let body = r#"{"status": "rejected", "reason": "露齿"}"#;
    assert_eq!(decide(&server, &reviewer, r2["id"].as_str().unwrap(), body).status, 200);
    let roster =
        request(&server, "GET", "/api/sessions/26050704/roster", &[("Cookie", &reviewer)], b"").json();
    let standing: Vec<(&str, &str)> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["captureCode"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(standing, [("CHSI-R1", "approved"), ("CHSI-R2", "rejected"), ("CHSI-R3", "missing")]);
    assert_eq!(roster["counts"]["missing"], 1);
    assert_eq!(roster["items"][0]["name"], "王, 小明");
    // The export names the photo by the student number, and the manifest carries the roster.
    let zip = request(
        &server,
        "GET",
        "/api/export?session=26050704&nameBy=studentNumber",
        &[("Cookie", &reviewer)],
        b"",
    );
    assert_eq!(zip.status, 200);
    let entries = unzip(&zip.body);
    assert_eq!(entries.keys().collect::<Vec<_>>(), ["2022001.jpg", "manifest.csv"]);
    let manifest = String::from_utf8(entries["manifest.csv"].to_vec()).unwrap();
    assert!(
        manifest.contains("CHSI-R1,2022001,\"王, 小明\",建筑学院,2022001.jpg,approved,reviewer,"),
        "{manifest}"
    );
    // A student's purge takes their roster line too.
    let (ok, out) = gradcap(&["purge", "--capture-code", "CHSI-R1", "--data", data], "");
    assert!(ok, "{out}");
    let roster =
        request(&server, "GET", "/api/sessions/26050704/roster", &[("Cookie", &reviewer)], b"").json();
    assert_eq!(roster["counts"]["total"], 2);
    // From the command line, a file replaces the roster.
    let file = std::env::temp_dir().join(format!("gradcap-roster-{}.csv", std::process::id()));
    std::fs::write(&file, "capture_code,name\nCHSI-R9,Li\n").unwrap();
    let (ok, out) = gradcap(&["sessions", "roster", "26050704", file.to_str().unwrap(), "--data", data], "");
    let _ = std::fs::remove_file(&file);
    assert!(ok && out.contains("imported 1"), "{out}");
}
