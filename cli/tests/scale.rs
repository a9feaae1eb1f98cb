//! Several `gradcap serve` processes on one PostgreSQL and one S3 bucket, as a vendor runs them
//! behind a load balancer. Needs the services `scripts/with-services` starts (scripts/test runs
//! this file under it); without them each test says so and passes without looking.
//!
//! - Three servers started at the same moment on an empty database: one migrates, all serve.
//! - Uploads spread over the servers as a round-robin balancer would, with faults (a connection
//!   dropped mid-body, an answer lost), the same upload sent to two servers at the same moment,
//!   and one server killed mid-run and started again: every upload answered 201 or 200 is one
//!   row and one photo with the right hash, and `gradcap fsck --verify` finds nothing amiss.
//! - `GRADCAP_BENCH=UPLOADS` (with `--ignored`): uploads a second with 1, 2 and 3 servers, the
//!   median and p99 latency, and the share of the server's time in the database and the store.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The servers behind the balancer: a killed one's place is empty until it is started again.
struct Balancer {
    servers: RwLock<Vec<Option<Server>>>,
    next: AtomicUsize,
}

impl Balancer {
    /// The address of the next live server after `skip` others, round-robin.
    fn pick(&self, skip: usize) -> String {
        let servers = self.servers.read().unwrap();
        let live: Vec<&Server> = servers.iter().flatten().collect();
        let n = self.next.fetch_add(1, Ordering::Relaxed) + skip;
        live[n % live.len()].addr.clone()
    }
}

fn head(addr: &str, key: &str, length: usize) -> String {
    format!(
        "POST /api/captures HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\
         Idempotency-Key: {key}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// One try of an upload to `addr`; `None` when the connection failed or no answer came.
fn try_upload(addr: &str, key: &str, body: &[u8]) -> Option<Reply> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    stream.write_all(head(addr, key, body.len()).as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let reply = read_reply(stream);
    (reply.status != 0).then_some(reply)
}

/// An upload, and what goes wrong on its first try.
struct Job {
    key: String,
    photo_sha: String,
    original_sha: String,
    body: Vec<u8>,
    fault: usize,
}

fn job(base: &[u8], n: usize) -> Job {
    let key = format!("scale-{n}");
    let photo = with_comment(base, &key);
    let original = with_comment(base, &format!("{key}-original"));
    let meta = format!(r#"{{"captureCode": "CHSI-S{n}", "sessionCode": "26050704", "source": "live"}}"#);
    let parts: [(&str, &str, &[u8]); 3] = [
        ("photo", "image/jpeg", &photo),
        ("original", "image/jpeg", &original),
        ("meta", "application/json", meta.as_bytes()),
    ];
    Job {
        photo_sha: sha256_hex(&photo),
        original_sha: sha256_hex(&original),
        body: multipart(&parts),
        fault: n % 4,
        key,
    }
}

/// The faulty first try: 1, the connection cut halfway through the body; 2, the answer lost
/// (the server finished with it); 3, the same upload to two servers at the same moment.
fn first_try(balancer: &Balancer, job: &Job) -> Vec<u16> {
    let addr = balancer.pick(0);
    match job.fault {
        1 => {
            if let Ok(mut stream) = TcpStream::connect(&addr) {
                let _ = stream.write_all(head(&addr, &job.key, job.body.len()).as_bytes());
                let _ = stream.write_all(&job.body[..job.body.len() / 2]);
                let _ = stream.shutdown(Shutdown::Both);
            }
            Vec::new()
        }
        2 => {
            if let Ok(mut stream) = TcpStream::connect(&addr) {
                let _ = stream.write_all(head(&addr, &job.key, job.body.len()).as_bytes());
                let _ = stream.write_all(&job.body);
                let _ = stream.read_exact(&mut [0; 1]);
            }
            Vec::new()
        }
        3 => {
            let other = balancer.pick(1);
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(|| try_upload(&addr, &job.key, &job.body));
                let b = s.spawn(|| try_upload(&other, &job.key, &job.body));
                (a.join().unwrap(), b.join().unwrap())
            });
            let (Some(a), Some(b)) = (a, b) else { return Vec::new() };
            assert_eq!(a.json()["id"], b.json()["id"], "{}: one record whichever server", job.key);
            let mut statuses = vec![a.status, b.status];
            statuses.sort();
            assert_eq!(statuses, [200, 201], "{}: one stored it, the other answered with it", job.key);
            statuses
        }
        _ => Vec::new(),
    }
}

/// Sends `job` to one server after another until one accepts it; the accepting status and id.
fn deliver(balancer: &Balancer, job: &Job) -> (u16, String) {
    let first = first_try(balancer, job);
    for attempt in 0..40 {
        if let Some(reply) = try_upload(&balancer.pick(0), &job.key, &job.body) {
            if reply.status == 200 || reply.status == 201 {
                let capture = reply.json();
                assert_eq!(capture["photoSha256"], job.photo_sha.as_str(), "{}", job.key);
                assert!(first.is_empty() || reply.status == 200, "{}: stored twice", job.key);
                return (reply.status, capture["id"].as_str().unwrap().to_string());
            }
            assert!(
                reply.status < 500,
                "{}: {} {}",
                job.key,
                reply.status,
                String::from_utf8_lossy(&reply.body)
            );
        }
        std::thread::sleep(Duration::from_millis(50 * (attempt + 1).min(10)));
    }
    panic!("{} was never accepted", job.key)
}

/// Three servers started at once on the fresh store `data` (one migrates, the others wait), and
/// the staff accounts added.
fn three_servers(name: &str) -> (std::path::PathBuf, Vec<Server>) {
    let data = std::env::temp_dir().join(format!("gradcap-scale-{name}-{}", std::process::id()));
    fresh_store(&data);
    let servers: Vec<Server> = std::thread::scope(|s| {
        let starting: Vec<_> =
            (0..3).map(|_| s.spawn(|| spawn_server(&data, &["--uploads-per-minute", "0"]))).collect();
        starting.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let data_arg = data.to_str().unwrap();
    for (account, role) in [("reviewer", "reviewer"), ("viewer", "viewer")] {
        let (ok, out) =
            gradcap(&["staff", "add", account, "--role", role, "--data", data_arg], &format!("{PASSWORD}\n"));
        assert!(ok, "{out}");
    }
    (data, servers)
}

#[test]
fn uploads_spread_over_three_servers_are_stored_exactly_once_even_when_one_is_killed() {
    if services().is_none() {
        eprintln!("skipped: no PostgreSQL and S3 (run it under scripts/with-services, as scripts/test does)");
        return;
    }
    let (data, servers) = three_servers("once");
    for server in &servers {
        assert_eq!(request(server, "GET", "/readyz", &[], b"").status, 200);
    }
    // A staff session started on one server is known to the others.
    let cookie = staff_cookie(&servers[0], "reviewer");
    let me = request(&servers[2], "GET", "/api/staff/me", &[("Cookie", &cookie)], b"");
    assert_eq!((me.status, me.json()["name"].as_str()), (200, Some("reviewer")));
    let balancer =
        Balancer { servers: RwLock::new(servers.into_iter().map(Some).collect()), next: AtomicUsize::new(0) };
    let base = photo();
    let jobs: Vec<Job> = (0..96).map(|n| job(&base, n)).collect();
    let done = AtomicUsize::new(0);
    let answers = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for chunk in jobs.chunks(8) {
            let (balancer, done, answers) = (&balancer, &done, &answers);
            s.spawn(move || {
                for job in chunk {
                    let (status, id) = deliver(balancer, job);
                    answers.lock().unwrap().push((job.key.clone(), status, id));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // A third of the way through, server 1 dies mid-upload (SIGKILL: no goodbye) and is
        // started again a second later, as a supervisor would.
        while done.load(Ordering::Relaxed) < jobs.len() / 3 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let killed = balancer.servers.write().unwrap()[1].take().unwrap();
        drop(killed);
        eprintln!("killed server 1 after {} uploads", done.load(Ordering::Relaxed));
        std::thread::sleep(Duration::from_secs(1));
        balancer.servers.write().unwrap()[1] = Some(spawn_server(&data, &["--uploads-per-minute", "0"]));
    });
    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), jobs.len());
    let created = answers.iter().filter(|a| a.1 == 201).count();
    eprintln!(
        "{} uploads: {created} stored by the try that was answered, the rest answered 200",
        answers.len()
    );
    // Every answered upload is one row with its photos, whichever server stored it.
    let store = open_store(&data);
    let rows = store
        .database()
        .query("SELECT idempotency_key, id, photo_sha256, original_sha256 FROM captures", &[])
        .unwrap();
    assert_eq!(rows.len(), jobs.len(), "one row per upload");
    for job in &jobs {
        let row =
            rows.iter().find(|r| r.text(0).unwrap() == job.key).unwrap_or_else(|| panic!("{}", job.key));
        let answered = answers.iter().find(|a| a.0 == job.key).unwrap();
        assert_eq!(row.text(1).unwrap(), answered.2, "{}: the answer named the row", job.key);
        assert_eq!(
            (row.text(2).unwrap(), row.text(3).unwrap()),
            (job.photo_sha.clone(), job.original_sha.clone())
        );
    }
    let (ok, out) = gradcap(&["fsck", "--verify", "--data", data.to_str().unwrap()], "");
    assert!(ok, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["captures"], jobs.len(), "{report}");
    assert_eq!(report["photos"], 2 * jobs.len(), "a photo and an original each: {report}");
    assert_eq!(report["orphans"].as_array().unwrap().len(), 0, "{report}");
}

/// One benchmark run: `uploads` uploads (photo, original, metadata) from 12 clients over
/// `servers` servers; uploads a second, median and p99 ms, and the servers' database and store
/// milliseconds as shares of their request time (from their request logs).
fn throughput(servers: usize, uploads: usize) -> (f64, f64, f64, f64, f64) {
    let data = std::env::temp_dir().join(format!("gradcap-scale-bench{servers}-{}", std::process::id()));
    fresh_store(&data);
    let logs: Vec<std::path::PathBuf> =
        (0..servers).map(|i| data.with_extension(format!("log{i}"))).collect();
    let running: Vec<Server> =
        logs.iter().map(|log| spawn_server_logged(&data, &["--uploads-per-minute", "0"], log)).collect();
    let balancer =
        Balancer { servers: RwLock::new(running.into_iter().map(Some).collect()), next: AtomicUsize::new(0) };
    let base = photo();
    let jobs: Vec<Job> = (0..uploads).map(|n| Job { fault: 0, ..job(&base, n) }).collect();
    let latencies = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for chunk in jobs.chunks(uploads.div_ceil(12)) {
            let (balancer, latencies) = (&balancer, &latencies);
            s.spawn(move || {
                for job in chunk {
                    let t = Instant::now();
                    let reply = try_upload(&balancer.pick(0), &job.key, &job.body).expect("an answer");
                    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
                    latencies.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                }
            });
        }
    });
    let rate = uploads as f64 / started.elapsed().as_secs_f64();
    drop(balancer);
    let mut ms = latencies.into_inner().unwrap();
    ms.sort_by(f64::total_cmp);
    let (median, p99) = (ms[ms.len() / 2], ms[(ms.len() * 99 / 100).min(ms.len() - 1)]);
    let (mut total, mut db, mut store) = (0.0, 0.0, 0.0);
    for log in &logs {
        for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            if entry["route"] == "/api/captures" && entry["method"] == "POST" {
                total += entry["ms"].as_f64().unwrap_or(0.0);
                db += entry["dbMs"].as_f64().unwrap_or(0.0);
                store += entry["storeMs"].as_f64().unwrap_or(0.0);
            }
        }
        let _ = std::fs::remove_file(log);
    }
    (rate, median, p99, db / total.max(1e-9), store / total.max(1e-9))
}

#[test]
#[ignore = "a benchmark: GRADCAP_BENCH=UPLOADS cargo test --release --test scale -- --ignored (under scripts/with-services)"]
fn benchmark_uploads_with_one_two_and_three_servers() {
    let Some(uploads) = std::env::var("GRADCAP_BENCH").ok().and_then(|n| n.parse::<usize>().ok()) else {
        eprintln!("skipped: set GRADCAP_BENCH=UPLOADS");
        return;
    };
    if services().is_none() {
        eprintln!("skipped: no PostgreSQL and S3 (run it under scripts/with-services)");
        return;
    }
    println!("| servers | uploads/s | median ms | p99 ms | database | photo store |");
    println!("|---|---|---|---|---|---|");
    for servers in 1..=3 {
        let (rate, median, p99, db, store) = throughput(servers, uploads);
        println!(
            "| {servers} | {rate:.1} | {median:.0} | {p99:.0} | {:.0} % | {:.0} % |",
            db * 100.0,
            store * 100.0
        );
    }
}
