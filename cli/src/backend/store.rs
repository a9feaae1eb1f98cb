//! The reference backend's storage: an SQLite database file (created and migrated on start) for
//! sessions and captures, and the photos on disk, addressed by their SHA-256.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The schema, one step per version (`PRAGMA user_version` says how many have run).
const MIGRATIONS: &[&str] = &["CREATE TABLE sessions (
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
    );"];

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

/// A stored capture, as the status endpoint and the review page see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    /// Its id.
    pub id: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The student's capture code.
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
    /// When staff reviewed it.
    pub reviewed_at: Option<String>,
}

/// A new capture to store.
pub struct NewCapture<'a> {
    /// The client's Idempotency-Key: one record per key.
    pub idempotency_key: &'a str,
    /// The student's capture code, from the metadata.
    pub capture_code: Option<&'a str>,
    /// The session code, from the metadata.
    pub session_code: Option<&'a str>,
    /// The standard photo's bytes.
    pub photo: &'a [u8],
    /// The full frame's bytes, if sent.
    pub original: Option<&'a [u8]>,
    /// The metadata as sent.
    pub meta: &'a serde_json::Value,
    /// The server's own check of the photo.
    pub verdict: &'a serde_json::Value,
}

/// The database and the photo folder.
pub struct Store {
    db: Connection,
    photos: PathBuf,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // Days since 1970 to a civil date (Howard Hinnant's algorithm).
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
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

impl Store {
    /// Opens (creating and migrating) `data/gradcap.db` and `data/photos/`.
    pub fn open(data: &Path) -> Result<Store, String> {
        let photos = data.join("photos");
        std::fs::create_dir_all(&photos).map_err(|e| format!("{}: {e}", photos.display()))?;
        let path = data.join("gradcap.db");
        let db = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        db.pragma_update(None, "journal_mode", "WAL").map_err(|e| e.to_string())?;
        let version: i64 =
            db.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| e.to_string())?;
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            db.execute_batch(step).map_err(|e| format!("migration {}: {e}", i + 1))?;
            db.pragma_update(None, "user_version", (i + 1) as i64).map_err(|e| e.to_string())?;
        }
        Ok(Store { db, photos })
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
                .map_err(|e| e.to_string())?;
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
            .map_err(|e| e.to_string())
    }

    /// The capture stored under `key`, if any.
    pub fn by_key(&self, key: &str) -> Result<Option<Capture>, String> {
        let id: Option<String> = self
            .db
            .query_row("SELECT id FROM captures WHERE idempotency_key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| e.to_string())?;
        id.map_or(Ok(None), |id| self.capture(&id))
    }

    /// Writes `bytes` under its hash (atomically: a temporary file, then a rename).
    fn put_file(&self, bytes: &[u8]) -> Result<String, String> {
        let sha = sha256(bytes);
        let dir = self.photos.join(&sha[..2]);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join(format!("{sha}.jpg"));
        if !path.is_file() {
            let tmp = dir.join(format!("{sha}.tmp{}", std::process::id()));
            std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, &path).map_err(|e| e.to_string())?;
        }
        Ok(sha)
    }

    /// The stored file with hash `sha`.
    pub fn file(&self, sha: &str) -> Option<Vec<u8>> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        std::fs::read(self.photos.join(&sha[..2]).join(format!("{sha}.jpg"))).ok()
    }

    /// Stores a capture once per idempotency key: a second call with the same key returns the
    /// first record (and `false`).
    pub fn add(&mut self, new: &NewCapture<'_>) -> Result<(Capture, bool), String> {
        if let Some(existing) = self.by_key(new.idempotency_key)? {
            return Ok((existing, false));
        }
        let photo_sha = self.put_file(new.photo)?;
        let original_sha = new.original.map(|o| self.put_file(o)).transpose()?;
        let id = format!("c{}", &sha256(new.idempotency_key.as_bytes())[..16]);
        self.db
            .execute(
                "INSERT INTO captures (id, idempotency_key, capture_code, session_code, photo_sha256,
                 original_sha256, photo_bytes, meta, verdict, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10)",
                params![
                    id,
                    new.idempotency_key,
                    new.capture_code,
                    new.session_code,
                    photo_sha,
                    original_sha,
                    new.photo.len() as i64,
                    new.meta.to_string(),
                    new.verdict.to_string(),
                    now()
                ],
            )
            .map_err(|e| e.to_string())?;
        Ok((self.capture(&id)?.ok_or("stored capture vanished")?, true))
    }

    /// The capture with `id`.
    pub fn capture(&self, id: &str) -> Result<Option<Capture>, String> {
        self.db
            .query_row(
                "SELECT id, status, reason, capture_code, session_code, photo_sha256, original_sha256,
                 verdict, created_at, reviewed_at FROM captures WHERE id = ?1",
                [id],
                row,
            )
            .optional()
            .map_err(|e| e.to_string())
    }

    /// Captures with `status` (all when `None`), newest first.
    pub fn list(&self, status: Option<&str>) -> Result<Vec<Capture>, String> {
        let mut stmt = self
            .db
            .prepare(
                "SELECT id, status, reason, capture_code, session_code, photo_sha256, original_sha256,
                 verdict, created_at, reviewed_at FROM captures
                 WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt.query_map([status], row).map_err(|e| e.to_string())?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
    }

    /// Staff's decision on a capture; `None` when there is no such capture.
    pub fn review(&self, id: &str, approved: bool, reason: Option<&str>) -> Result<Option<Capture>, String> {
        let status = if approved { "approved" } else { "rejected" };
        let n = self
            .db
            .execute(
                "UPDATE captures SET status = ?2, reason = ?3, reviewed_at = ?4 WHERE id = ?1",
                params![id, status, reason, now()],
            )
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(None);
        }
        self.capture(id)
    }
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339() {
        let t = now();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }

    #[test]
    fn one_record_per_key_and_files_by_hash() {
        let dir = std::env::temp_dir().join(format!("gradcap-store-{}", std::process::id()));
        let mut store = Store::open(&dir).unwrap();
        let meta = serde_json::json!({"captureCode": "X"});
        let new = NewCapture {
            idempotency_key: "k1",
            capture_code: Some("X"),
            session_code: None,
            photo: b"\xff\xd8photo",
            original: None,
            meta: &meta,
            verdict: &serde_json::json!({"pass": true}),
        };
        let (first, created) = store.add(&new).unwrap();
        let (again, created_again) = store.add(&new).unwrap();
        assert!(created && !created_again);
        assert_eq!(first, again);
        assert_eq!(store.list(None).unwrap().len(), 1);
        assert_eq!(store.file(&first.photo_sha256).unwrap(), b"\xff\xd8photo");
        let reviewed = store.review(&first.id, false, Some("背景不均匀")).unwrap().unwrap();
        assert_eq!((reviewed.status.as_str(), reviewed.reason.as_deref()), ("rejected", Some("背景不均匀")));
        drop(store);
        let reopened = Store::open(&dir).unwrap();
        assert_eq!(reopened.capture(&first.id).unwrap().unwrap().status, "rejected", "kept across restarts");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
