//! The reference backend's storage: an SQLite database file (created and migrated on start) for
//! sessions, captures, staff and their decisions, and the photos on disk, addressed by their
//! SHA-256. Everything it creates is readable by the server's user only.

use super::secret;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The schema, one step per version (`PRAGMA user_version` says how many have run).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE sessions (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        school TEXT NOT NULL,
        open INTEGER NOT NULL
    );
    CREATE TABLE captures (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        capture_code TEXT,
        session_code TEXT,
        photo_sha256 TEXT NOT NULL,
        original_sha256 TEXT,
        photo_bytes INTEGER NOT NULL,
        meta TEXT NOT NULL,
        verdict TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        reviewed_at TEXT
    );",
    // Roles: receipts for students, staff accounts and their sessions, every decision kept.
    "ALTER TABLE captures ADD COLUMN receipt_sha256 TEXT;
    ALTER TABLE captures ADD COLUMN request_sha256 TEXT;
    ALTER TABLE captures ADD COLUMN replaces TEXT;
    ALTER TABLE captures ADD COLUMN replaced_by TEXT;
    ALTER TABLE captures ADD COLUMN reviewed_by TEXT;
    ALTER TABLE captures ADD COLUMN purged_at TEXT;
    CREATE INDEX captures_by_time ON captures (created_at, id);
    CREATE INDEX captures_by_code ON captures (capture_code);
    CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE staff (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE staff_sessions (
        token_sha256 TEXT PRIMARY KEY,
        staff TEXT NOT NULL REFERENCES staff (name) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        capture_id TEXT NOT NULL,
        staff TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_by_capture ON decisions (capture_id, seq);",
];

/// A collection session (采集场次).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Its 8-digit code.
    pub code: String,
    /// What the student sees to confirm it, e.g. "安徽建筑大学2026届图像采集".
    pub name: String,
    /// The school.
    pub school: String,
    /// Whether it still takes photos.
    pub open: bool,
}

/// A stored capture, as staff see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    /// Its id (random: it says nothing of the upload or the student).
    pub id: String,
    /// `pending`, `approved`, `rejected` or `replaced` (the student took a new one).
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The student's capture code (none once purged).
    pub capture_code: Option<String>,
    /// The session it belongs to.
    pub session_code: Option<String>,
    /// SHA-256 of the standard photo (its name on disk).
    pub photo_sha256: String,
    /// SHA-256 of the full frame, if sent.
    pub original_sha256: Option<String>,
    /// The server's own check of the photo.
    pub verdict: serde_json::Value,
    /// When it arrived (RFC 3339, UTC).
    pub created_at: String,
    /// When staff last decided on it.
    pub reviewed_at: Option<String>,
    /// Who last decided on it.
    pub reviewed_by: Option<String>,
    /// The capture this one replaces (a retake).
    pub replaces: Option<String>,
    /// The capture that replaced this one.
    pub replaced_by: Option<String>,
    /// When its photos and personal data were deleted (a tombstone is left).
    pub purged_at: Option<String>,
}

/// What the student sees of their own capture (with its receipt).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StudentView {
    /// Its id.
    pub id: String,
    /// `pending`, `approved`, `rejected` or `replaced`.
    pub status: String,
    /// The reviewer's reason for a rejection.
    pub reason: Option<String>,
    /// When it arrived.
    pub created_at: String,
    /// When it was decided on.
    pub reviewed_at: Option<String>,
    /// The capture that replaced it.
    pub replaced_by: Option<String>,
    /// SHA-256 of the stored photo.
    pub photo_sha256: String,
}

impl From<&Capture> for StudentView {
    fn from(c: &Capture) -> StudentView {
        StudentView {
            id: c.id.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            created_at: c.created_at.clone(),
            reviewed_at: c.reviewed_at.clone(),
            replaced_by: c.replaced_by.clone(),
            photo_sha256: c.photo_sha256.clone(),
        }
    }
}

/// One staff decision, as the audit keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Its place in the audit (increasing).
    pub seq: i64,
    /// The capture decided on.
    pub capture_id: String,
    /// Who decided.
    pub staff: String,
    /// `approved` or `rejected`.
    pub status: String,
    /// Why (for a rejection).
    pub reason: Option<String>,
    /// When (RFC 3339, UTC).
    pub decided_at: String,
}

/// A staff account, as `gradcap staff list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffAccount {
    /// The sign-in name.
    pub name: String,
    /// `reviewer` (may decide) or `viewer` (may only look).
    pub role: String,
    /// When it was added.
    pub created_at: String,
}

/// A new capture to store.
pub struct NewCapture<'a> {
    /// The client's Idempotency-Key: one record per key.
    pub idempotency_key: &'a str,
    /// What the request carried (its parts' hashes): a key reused for another body is refused.
    pub fingerprint: &'a str,
    /// The student's capture code, from the metadata.
    pub capture_code: Option<&'a str>,
    /// The session code, from the metadata.
    pub session_code: Option<&'a str>,
    /// The standard photo's bytes.
    pub photo: &'a [u8],
    /// The full frame's bytes, if sent.
    pub original: Option<&'a [u8]>,
    /// The metadata as sent.
    pub meta: &'a str,
    /// The server's own check of the photo.
    pub verdict: &'a serde_json::Value,
    /// The earlier capture this retake replaces (its receipt already checked).
    pub replaces: Option<&'a str>,
}

/// What storing an upload came to.
#[derive(Debug)]
pub enum Added {
    /// A new record.
    Created(Box<Capture>),
    /// The key was seen before with the same request: the first record.
    Existing(Box<Capture>),
    /// The key was seen before with another request.
    KeyReused,
    /// The capture to replace is decided (approved) or gone.
    CannotReplace,
}

/// What a review came to.
#[derive(Debug)]
pub enum Reviewed {
    /// Recorded; the capture as it is now.
    Done(Box<Capture>),
    /// No such capture.
    Unknown,
    /// It was replaced or purged: nothing to decide.
    Closed,
}

/// Which captures a purge deletes.
pub enum Purge<'a> {
    /// Every capture of one student.
    CaptureCode(&'a str),
    /// Captures decided (or replaced) before this time (RFC 3339).
    Before(&'a str),
}

/// The database and the photo folder.
pub struct Store {
    db: Connection,
    photos: PathBuf,
    receipt_key: Vec<u8>,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since 1970 (UTC).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `secs` since 1970 as an RFC 3339 UTC time.
pub fn rfc3339(secs: i64) -> String {
    // Days since 1970 to a civil date (Howard Hinnant's algorithm).
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

fn now() -> String {
    rfc3339(unix_now())
}

const CAPTURE_COLUMNS: &str = "id, status, reason, capture_code, session_code, photo_sha256, original_sha256,
     verdict, created_at, reviewed_at, reviewed_by, replaces, replaced_by, purged_at";

/// Creates `dir` (and its parents) readable by this user only.
fn private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

fn db_err(e: rusqlite::Error) -> String {
    e.to_string()
}

impl Store {
    /// Opens (creating and migrating) `data/gradcap.db` and `data/photos/`.
    pub fn open(data: &Path) -> Result<Store, String> {
        private_dir(data)?;
        let photos = data.join("photos");
        private_dir(&photos)?;
        let path = data.join("gradcap.db");
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        db.pragma_update(None, "journal_mode", "WAL").map_err(db_err)?;
        db.pragma_update(None, "foreign_keys", "ON").map_err(db_err)?;
        db.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_err)?;
        for file in ["gradcap.db", "gradcap.db-wal", "gradcap.db-shm"] {
            let p = data.join(file);
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
        let version: i64 = db.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db_err)?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            db.execute_batch(step).map_err(|e| format!("migration {}: {e}", i + 1))?;
            db.pragma_update(None, "user_version", (i + 1) as i64).map_err(db_err)?;
        }
        db.execute(
            "INSERT OR IGNORE INTO secrets (name, value) VALUES ('receipt', ?1)",
            [hex(&secret::random::<32>())],
        )
        .map_err(db_err)?;
        let key: String = db
            .query_row("SELECT value FROM secrets WHERE name = 'receipt'", [], |r| r.get(0))
            .map_err(db_err)?;
        Ok(Store { db, photos, receipt_key: key.into_bytes() })
    }

    /// Whether the store can serve: the database answers, and the photo folder takes a file
    /// (written and removed); the reason when it cannot.
    pub fn ready(&self) -> Result<(), String> {
        self.db.query_row("SELECT count(*) FROM captures", [], |r| r.get::<_, i64>(0)).map_err(db_err)?;
        let probe = self.photos.join(format!(".ready-{}", hex(&secret::random::<6>())));
        std::fs::write(&probe, b"ok").map_err(|e| format!("{}: {e}", self.photos.display()))?;
        std::fs::remove_file(&probe).map_err(|e| format!("{}: {e}", probe.display()))
    }

    /// Adds or replaces sessions.
    pub fn put_sessions(&self, sessions: &[Session]) -> Result<(), String> {
        for s in sessions {
            self.db
                .execute(
                    "INSERT INTO sessions (code, name, school, open) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(code) DO UPDATE SET name = ?2, school = ?3, open = ?4",
                    params![s.code, s.name, s.school, s.open],
                )
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// The session with `code`.
    pub fn session(&self, code: &str) -> Result<Option<Session>, String> {
        self.db
            .query_row("SELECT code, name, school, open FROM sessions WHERE code = ?1", [code], |r| {
                Ok(Session { code: r.get(0)?, name: r.get(1)?, school: r.get(2)?, open: r.get(3)? })
            })
            .optional()
            .map_err(db_err)
    }

    /// The receipt of capture `id`: what its student presents to read it. Derived from a secret
    /// kept in the database, so a repeated upload can be given it again; only its hash is stored.
    pub fn receipt(&self, id: &str) -> String {
        receipt_for(&self.receipt_key, id)
    }

    /// The capture stored under `key`: `Ok` if it was stored from the request `fingerprint`
    /// names, `Err` if from another.
    pub fn by_key_matching(
        &self,
        key: &str,
        fingerprint: &str,
    ) -> Result<Option<Result<Capture, ()>>, String> {
        let seen: Option<(String, Option<String>)> = self
            .db
            .query_row("SELECT id, request_sha256 FROM captures WHERE idempotency_key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db_err)?;
        let Some((id, stored)) = seen else { return Ok(None) };
        if stored.as_deref() != Some(fingerprint) {
            return Ok(Some(Err(())));
        }
        Ok(self.capture(&id)?.map(Ok))
    }

    /// Writes `bytes` under its hash (atomically: a temporary file, then a rename).
    fn put_file(&self, bytes: &[u8]) -> Result<String, String> {
        use std::io::Write as _;
        let sha = sha256(bytes);
        let dir = self.photos.join(&sha[..2]);
        private_dir(&dir)?;
        let path = dir.join(format!("{sha}.jpg"));
        if !path.is_file() {
            let tmp = dir.join(format!("{sha}.tmp{}", std::process::id()));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| e.to_string())?;
            file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
        }
        Ok(sha)
    }

    fn file_path(&self, sha: &str) -> Option<PathBuf> {
        (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.photos.join(&sha[..2]).join(format!("{sha}.jpg")))
    }

    /// The stored file with hash `sha`.
    pub fn file(&self, sha: &str) -> Option<Vec<u8>> {
        std::fs::read(self.file_path(sha)?).ok()
    }

    /// Stores a capture once per idempotency key (see [`Added`]).
    pub fn add(&mut self, new: &NewCapture<'_>) -> Result<Added, String> {
        match self.by_key_matching(new.idempotency_key, new.fingerprint)? {
            Some(Ok(existing)) => return Ok(Added::Existing(Box::new(existing))),
            Some(Err(())) => return Ok(Added::KeyReused),
            None => {}
        }
        if let Some(old) = new.replaces {
            let replaceable = self
                .capture(old)?
                .is_some_and(|c| c.replaced_by.is_none() && c.purged_at.is_none() && c.status != "approved");
            if !replaceable {
                return Ok(Added::CannotReplace);
            }
        }
        // The files first: a crash before the row leaves an orphan file, never a row without one.
        let photo_sha = self.put_file(new.photo)?;
        let original_sha = new.original.map(|o| self.put_file(o)).transpose()?;
        let id = format!("c{}", hex(&secret::random::<12>()));
        let tx = self.db.transaction().map_err(db_err)?;
        tx.execute(
            "INSERT INTO captures (id, idempotency_key, capture_code, session_code, photo_sha256,
             original_sha256, photo_bytes, meta, verdict, status, created_at, receipt_sha256,
             request_sha256, replaces)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, ?12, ?13)",
            params![
                id,
                new.idempotency_key,
                new.capture_code,
                new.session_code,
                photo_sha,
                original_sha,
                new.photo.len() as i64,
                new.meta,
                new.verdict.to_string(),
                now(),
                sha256(receipt_for(&self.receipt_key, &id).as_bytes()),
                new.fingerprint,
                new.replaces,
            ],
        )
        .map_err(db_err)?;
        if let Some(old) = new.replaces {
            tx.execute(
                "UPDATE captures SET replaced_by = ?2, status = 'replaced' WHERE id = ?1",
                params![old, id],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(Added::Created(Box::new(self.capture(&id)?.ok_or("stored capture vanished")?)))
    }

    /// The capture with `id`.
    pub fn capture(&self, id: &str) -> Result<Option<Capture>, String> {
        self.db
            .query_row(&format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id = ?1"), [id], row)
            .optional()
            .map_err(db_err)
    }

    /// The capture with `id` if `receipt` is its receipt (and it still has one).
    pub fn capture_with_receipt(&self, id: &str, receipt: &str) -> Result<Option<Capture>, String> {
        self.db
            .query_row(
                &format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id = ?1 AND receipt_sha256 = ?2"),
                params![id, sha256(receipt.as_bytes())],
                row,
            )
            .optional()
            .map_err(db_err)
    }

    /// Up to `limit` captures with `status` (all when `None`), newest first, after the capture
    /// `before` when given (the previous page's last).
    pub fn list(
        &self,
        status: Option<&str>,
        limit: u32,
        before: Option<&str>,
    ) -> Result<Vec<Capture>, String> {
        let cursor: Option<(String, String)> = match before {
            Some(id) => self
                .db
                .query_row("SELECT created_at, id FROM captures WHERE id = ?1", [id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(db_err)?,
            None => None,
        };
        let (at, id) = cursor.unzip();
        let mut stmt = self
            .db
            .prepare(&format!(
                "SELECT {CAPTURE_COLUMNS} FROM captures
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR (created_at, id) < (?2, ?3))
                 ORDER BY created_at DESC, id DESC LIMIT ?4"
            ))
            .map_err(db_err)?;
        let rows = stmt.query_map(params![status, at, id, limit], row).map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Records staff's decision on a capture (see [`Reviewed`]); an approval clears an earlier
    /// rejection's reason. Every decision is kept in the audit.
    pub fn review(
        &mut self,
        id: &str,
        staff: &str,
        approved: bool,
        reason: Option<&str>,
    ) -> Result<Reviewed, String> {
        let Some(capture) = self.capture(id)? else { return Ok(Reviewed::Unknown) };
        if capture.replaced_by.is_some() || capture.purged_at.is_some() {
            return Ok(Reviewed::Closed);
        }
        let status = if approved { "approved" } else { "rejected" };
        let reason = if approved { None } else { reason };
        let at = now();
        let tx = self.db.transaction().map_err(db_err)?;
        tx.execute(
            "UPDATE captures SET status = ?2, reason = ?3, reviewed_at = ?4, reviewed_by = ?5 WHERE id = ?1",
            params![id, status, reason, at, staff],
        )
        .map_err(db_err)?;
        tx.execute(
            "INSERT INTO decisions (capture_id, staff, status, reason, decided_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, staff, status, reason, at],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)?;
        Ok(Reviewed::Done(Box::new(self.capture(id)?.ok_or("reviewed capture vanished")?)))
    }

    /// The decisions on capture `id`, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<Decision>, String> {
        self.decisions("WHERE capture_id = ?1 ORDER BY seq", params![id])
    }

    /// Up to `limit` decisions, newest first, before `before` (a `seq`) when given.
    pub fn audit(&self, limit: u32, before: Option<i64>) -> Result<Vec<Decision>, String> {
        self.decisions("WHERE ?1 IS NULL OR seq < ?1 ORDER BY seq DESC LIMIT ?2", params![before, limit])
    }

    fn decisions(&self, tail: &str, args: impl rusqlite::Params) -> Result<Vec<Decision>, String> {
        let mut stmt = self
            .db
            .prepare(&format!(
                "SELECT seq, capture_id, staff, status, reason, decided_at FROM decisions {tail}"
            ))
            .map_err(db_err)?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(Decision {
                    seq: r.get(0)?,
                    capture_id: r.get(1)?,
                    staff: r.get(2)?,
                    status: r.get(3)?,
                    reason: r.get(4)?,
                    decided_at: r.get(5)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// Deletes the photos, originals, receipts, capture codes and metadata of the captures
    /// `which` names, keeping each row as a tombstone (id, status, hashes, times). Returns how
    /// many captures were purged.
    pub fn purge(&mut self, which: Purge<'_>) -> Result<usize, String> {
        let (filter, arg) = match which {
            Purge::CaptureCode(code) => ("capture_code = ?1", code),
            Purge::Before(at) => ("(reviewed_at < ?1 OR (replaced_by IS NOT NULL AND created_at < ?1))", at),
        };
        let ids: Vec<String> = {
            let mut stmt = self
                .db
                .prepare(&format!("SELECT id FROM captures WHERE purged_at IS NULL AND {filter}"))
                .map_err(db_err)?;
            let rows = stmt.query_map([arg], |r| r.get(0)).map_err(db_err)?;
            rows.collect::<Result<_, _>>().map_err(db_err)?
        };
        let at = now();
        for id in &ids {
            self.db
                .execute(
                    "UPDATE captures SET capture_code = NULL, session_code = NULL, meta = '{}',
                     receipt_sha256 = NULL, purged_at = ?2 WHERE id = ?1",
                    params![id, at],
                )
                .map_err(db_err)?;
        }
        self.remove_unreferenced_files()?;
        Ok(ids.len())
    }

    /// Removes every stored file that no capture still holding its data refers to.
    fn remove_unreferenced_files(&self) -> Result<(), String> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT photo_sha256 FROM captures WHERE purged_at IS NULL
                 UNION SELECT original_sha256 FROM captures WHERE purged_at IS NULL AND original_sha256 IS NOT NULL",
            )
            .map_err(db_err)?;
        let kept: std::collections::HashSet<String> =
            stmt.query_map([], |r| r.get(0)).map_err(db_err)?.collect::<Result<_, _>>().map_err(db_err)?;
        for dir in std::fs::read_dir(&self.photos).map_err(|e| e.to_string())?.flatten() {
            for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                let name = file.file_name().to_string_lossy().into_owned();
                let sha = name.strip_suffix(".jpg").unwrap_or("");
                if sha.len() == 64 && !kept.contains(sha) {
                    std::fs::remove_file(file.path()).map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }

    /// Adds a staff account with an already hashed password; `false` when the name is taken.
    pub fn add_staff(&self, name: &str, password_hash: &str, role: &str) -> Result<bool, String> {
        let n = self
            .db
            .execute(
                "INSERT OR IGNORE INTO staff (name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![name, password_hash, role, now()],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    /// Removes a staff account and its sessions; `false` when there was none.
    pub fn remove_staff(&self, name: &str) -> Result<bool, String> {
        self.db.execute("DELETE FROM staff_sessions WHERE staff = ?1", [name]).map_err(db_err)?;
        Ok(self.db.execute("DELETE FROM staff WHERE name = ?1", [name]).map_err(db_err)? == 1)
    }

    /// Every staff account, by name.
    pub fn staff(&self) -> Result<Vec<StaffAccount>, String> {
        let mut stmt =
            self.db.prepare("SELECT name, role, created_at FROM staff ORDER BY name").map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| Ok(StaffAccount { name: r.get(0)?, role: r.get(1)?, created_at: r.get(2)? }))
            .map_err(db_err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
    }

    /// The stored password hash and role of account `name`.
    pub fn staff_password(&self, name: &str) -> Result<Option<(String, String)>, String> {
        self.db
            .query_row("SELECT password_hash, role FROM staff WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db_err)
    }

    /// Starts a staff session: `token`'s hash is kept until `expires_at` (Unix seconds).
    pub fn start_staff_session(&self, name: &str, token: &str, expires_at: i64) -> Result<(), String> {
        self.db.execute("DELETE FROM staff_sessions WHERE expires_at <= ?1", [unix_now()]).map_err(db_err)?;
        self.db
            .execute(
                "INSERT INTO staff_sessions (token_sha256, staff, expires_at) VALUES (?1, ?2, ?3)",
                params![sha256(token.as_bytes()), name, expires_at],
            )
            .map_err(db_err)?;
        Ok(())
    }

    /// The account (name, role) a live session `token` belongs to.
    pub fn staff_session(&self, token: &str) -> Result<Option<(String, String)>, String> {
        self.db
            .query_row(
                "SELECT s.name, s.role FROM staff_sessions t JOIN staff s ON s.name = t.staff
                 WHERE t.token_sha256 = ?1 AND t.expires_at > ?2",
                params![sha256(token.as_bytes()), unix_now()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
    }

    /// Ends the session `token`.
    pub fn end_staff_session(&self, token: &str) -> Result<(), String> {
        self.db
            .execute("DELETE FROM staff_sessions WHERE token_sha256 = ?1", [sha256(token.as_bytes())])
            .map_err(db_err)?;
        Ok(())
    }
}

fn receipt_for(key: &[u8], id: &str) -> String {
    hex(&secret::hmac_sha256(key, id.as_bytes())[..16])
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Capture> {
    let verdict: String = r.get(7)?;
    Ok(Capture {
        id: r.get(0)?,
        status: r.get(1)?,
        reason: r.get(2)?,
        capture_code: r.get(3)?,
        session_code: r.get(4)?,
        photo_sha256: r.get(5)?,
        original_sha256: r.get(6)?,
        verdict: serde_json::from_str(&verdict).unwrap_or(serde_json::Value::Null),
        created_at: r.get(8)?,
        reviewed_at: r.get(9)?,
        reviewed_by: r.get(10)?,
        replaces: r.get(11)?,
        replaced_by: r.get(12)?,
        purged_at: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gradcap-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn new<'a>(
        key: &'a str,
        code: &'a str,
        photo: &'a [u8],
        verdict: &'a serde_json::Value,
    ) -> NewCapture<'a> {
        NewCapture {
            idempotency_key: key,
            fingerprint: key,
            capture_code: Some(code),
            session_code: None,
            photo,
            original: None,
            meta: "{}",
            verdict,
            replaces: None,
        }
    }

    #[test]
    fn dates_are_rfc3339() {
        let t = now();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_780_000_000), "2026-05-28T20:26:40Z");
    }

    #[test]
    fn one_record_per_key_files_by_hash_and_every_decision_kept() {
        let dir = temp("once");
        let mut store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({"pass": true});
        let first = match store.add(&new("k1", "X", b"\xff\xd8photo", &verdict)).unwrap() {
            Added::Created(c) => c,
            other => panic!("{other:?}"),
        };
        let Added::Existing(again) = store.add(&new("k1", "X", b"\xff\xd8photo", &verdict)).unwrap() else {
            panic!("a repeat is the first record")
        };
        assert_eq!(first, again);
        let other = NewCapture { fingerprint: "another body", ..new("k1", "X", b"\xff\xd8other", &verdict) };
        assert!(matches!(store.add(&other).unwrap(), Added::KeyReused));
        assert_eq!(store.list(None, 10, None).unwrap().len(), 1);
        assert_eq!(store.file(&first.photo_sha256).unwrap(), b"\xff\xd8photo");
        let receipt = store.receipt(&first.id);
        assert_eq!(receipt.len(), 32, "128 bits");
        assert!(store.capture_with_receipt(&first.id, &receipt).unwrap().is_some());
        assert!(store.capture_with_receipt(&first.id, &store.receipt("c0")).unwrap().is_none());
        let Reviewed::Done(r) = store.review(&first.id, "li", false, Some("背景不均匀")).unwrap() else {
            panic!()
        };
        assert_eq!((r.status.as_str(), r.reason.as_deref()), ("rejected", Some("背景不均匀")));
        let Reviewed::Done(a) = store.review(&first.id, "wang", true, Some("ignored")).unwrap() else {
            panic!()
        };
        assert_eq!((a.status.as_str(), a.reason, a.reviewed_by.as_deref()), ("approved", None, Some("wang")));
        let history = store.history(&first.id).unwrap();
        let who: Vec<_> = history.iter().map(|d| (d.staff.as_str(), d.status.as_str())).collect();
        assert_eq!(who, [("li", "rejected"), ("wang", "approved")]);
        assert!(matches!(store.review("c-none", "li", true, None).unwrap(), Reviewed::Unknown));
        drop(store);
        let reopened = Store::open(&dir).unwrap();
        assert_eq!(reopened.capture(&first.id).unwrap().unwrap().status, "approved", "kept across restarts");
        assert_eq!(reopened.receipt(&first.id), receipt, "the receipt key is kept too");
        let mode = std::fs::metadata(dir.join("gradcap.db")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pages_follow_each_other_without_gaps() {
        let dir = temp("pages");
        let mut store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({});
        for n in 0..7 {
            let key = format!("k{n}");
            let photo = format!("photo {n}");
            store.add(&new(&key, "X", photo.as_bytes(), &verdict)).unwrap();
        }
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store.list(None, 3, before.as_deref()).unwrap();
            if page.is_empty() {
                break;
            }
            before = page.last().map(|c| c.id.clone());
            seen.extend(page.into_iter().map(|c| c.id));
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (7, 7));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_purge_removes_the_files_and_personal_data_and_keeps_a_tombstone() {
        let dir = temp("purge");
        let mut store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({});
        let Added::Created(a) = store.add(&new("ka", "A", b"photo a", &verdict)).unwrap() else { panic!() };
        let Added::Created(b) = store.add(&new("kb", "B", b"photo b", &verdict)).unwrap() else { panic!() };
        store.review(&a.id, "li", true, None).unwrap();
        assert_eq!(store.purge(Purge::Before("2000-01-01T00:00:00Z")).unwrap(), 0, "nothing that old");
        assert_eq!(store.purge(Purge::Before("2999-01-01T00:00:00Z")).unwrap(), 1, "the decided one");
        let gone = store.capture(&a.id).unwrap().unwrap();
        assert!(gone.purged_at.is_some() && gone.capture_code.is_none());
        assert_eq!(gone.photo_sha256, a.photo_sha256, "the hash stays as a tombstone");
        assert!(store.file(&a.photo_sha256).is_none() && store.file(&b.photo_sha256).is_some());
        assert!(store.capture_with_receipt(&a.id, &store.receipt(&a.id)).unwrap().is_none());
        assert_eq!(store.purge(Purge::CaptureCode("B")).unwrap(), 1, "a pending one, on request");
        assert!(store.file(&b.photo_sha256).is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
