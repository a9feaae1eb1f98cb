//! The reference backend's storage: the records (sessions, captures, staff and their decisions)
//! in a database ([`Database`]: an SQLite file by default, or PostgreSQL) and the photos,
//! addressed by their SHA-256, in a photo store ([`Photos`]: a folder by default, or an S3
//! bucket). Several servers may share one PostgreSQL and one bucket: everything that must happen
//! once is decided by the database. What it creates on this machine is readable by the server's
//! user only.

use super::db::{Database, Row, Value};
use super::photos::{private_dir, Photos, S3Options};
use super::secret;
use crate::args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

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
    /// How many decisions it has had: a decision names the version it saw, and one made on an
    /// older version is refused ([`Reviewed::Stale`]).
    pub version: i64,
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
    /// The key was seen before, and its capture has been purged since.
    Purged,
}

/// What an idempotency key was used for before.
#[derive(Debug)]
pub enum Seen {
    /// The same request: its capture.
    Same(Box<Capture>),
    /// Another request.
    Other,
    /// A capture purged since (whatever the request was: its hash went with it).
    Purged,
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
    /// Someone decided on it after the version the decision names; the capture as it is now.
    Stale(Box<Capture>),
}

/// Whether a session's code and name can be stored: a code of 1–32 letters, digits, `-` or `_`
/// (it is in the QR code and in file names), a name of 1–100 characters.
pub fn check_session_fields(code: &str, name: &str) -> Result<(), String> {
    let code_ok = !code.is_empty()
        && code.len() <= 32
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !code_ok {
        return Err("a session code is 1–32 of A–Z a–z 0–9 - _".into());
    }
    let length = name.trim().chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) {
        return Err("a session name is 1–100 characters".into());
    }
    Ok(())
}

/// Which captures a listing shows; `None` fields do not filter.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// `pending`, `approved`, `rejected` or `replaced`.
    pub status: Option<&'a str>,
    /// The session's code.
    pub session: Option<&'a str>,
    /// The student's capture code, exactly.
    pub capture_code: Option<&'a str>,
    /// Arrived at or after this time (RFC 3339, UTC).
    pub from: Option<&'a str>,
    /// Arrived before this time (RFC 3339, UTC).
    pub until: Option<&'a str>,
}

/// Captures of one session by status.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Count {
    /// The session's code (`None`: captures that name none).
    pub session: Option<String>,
    /// Waiting for a decision.
    pub pending: i64,
    /// Approved.
    pub approved: i64,
    /// Rejected (the student may retake).
    pub rejected: i64,
    /// Replaced by a retake.
    pub replaced: i64,
    /// Purged (tombstones, whatever their status was).
    pub purged: i64,
    /// All of them.
    pub total: i64,
}

/// An approved photo to hand on (see [`Store::approved`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Approved {
    /// The student's capture code.
    pub capture_code: String,
    /// The capture's id.
    pub id: String,
    /// SHA-256 of the photo.
    pub photo_sha256: String,
    /// Who approved it.
    pub reviewed_by: String,
    /// When (RFC 3339, UTC).
    pub reviewed_at: String,
}

/// A change to a session; `None` fields stay as they are.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionChange {
    /// Its name (学校 20XX 届图像采集 …).
    pub name: Option<String>,
    /// The school.
    pub school: Option<String>,
    /// Whether it takes photos.
    pub open: Option<bool>,
}

/// Which captures a purge deletes.
#[derive(Debug, Clone, Copy)]
pub enum Purge<'a> {
    /// Every capture of one student.
    CaptureCode(&'a str),
    /// Captures decided (or replaced) before this time (RFC 3339).
    Before(&'a str),
}

/// Where a store keeps its records and its photos.
#[derive(Debug, Clone)]
pub struct Location {
    /// `sqlite://PATH` or `postgres://…`.
    pub database: String,
    /// A folder, or `s3://BUCKET/PREFIX`.
    pub photos: String,
    /// How to reach the S3 service, when the photos are in one.
    pub s3: S3Options,
    /// Connections to PostgreSQL at most (SQLite has one).
    pub connections: usize,
}

impl Location {
    /// The default: `data/gradcap.db` and `data/photos/`.
    pub fn in_folder(data: &Path) -> Location {
        Location {
            database: format!("sqlite://{}", data.join("gradcap.db").display()),
            photos: data.join("photos").display().to_string(),
            s3: S3Options::default(),
            connections: super::db::DEFAULT_CONNECTIONS,
        }
    }
}

/// The records and the photos.
pub struct Store {
    db: Database,
    photos: Photos,
    receipt_key: Vec<u8>,
}

/// What `gradcap fsck` found: the records and the photo store compared.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fsck {
    /// Captures whose photos are kept (not purged).
    pub captures: usize,
    /// Photos in the store.
    pub photos: usize,
    /// Photos a capture names that the store lacks.
    pub missing: Vec<String>,
    /// Photos whose bytes do not hash to their name (only looked at with `verify`).
    pub corrupt: Vec<String>,
    /// Photos no capture names: left by a server that stopped between writing a photo and its
    /// row, or by a purge that did not finish.
    pub orphans: Vec<String>,
    /// Orphans removed.
    pub removed: usize,
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
    let (y, m, d, rem) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// `secs` since 1970 as a calendar date and the seconds into that day: `(year, month, day,
/// seconds)` (Howard Hinnant's algorithm for days to a civil date).
pub fn civil(secs: i64) -> (i64, i64, i64, i64) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d, rem)
}

fn now() -> String {
    rfc3339(unix_now())
}

const CAPTURE_COLUMNS: &str = "id, status, reason, capture_code, session_code, photo_sha256, original_sha256,
     verdict, created_at, reviewed_at, reviewed_by, replaces, replaced_by, purged_at, version";

impl Store {
    /// Opens (creating and migrating) `data/gradcap.db` and `data/photos/`.
    pub fn open(data: &Path) -> Result<Store, String> {
        private_dir(data)?;
        Store::open_at(&Location::in_folder(data))
    }

    /// Opens the database and the photo store `at` names, bringing the schema up to date (one
    /// server migrates; another starting at the same moment waits for it).
    pub fn open_at(at: &Location) -> Result<Store, String> {
        if let Some(parent) = at.database.strip_prefix("sqlite://").and_then(|p| Path::new(p).parent()) {
            private_dir(parent)?;
        }
        let photos = Photos::open(&at.photos, &at.s3)?;
        let db = Database::open(&at.database, at.connections)?;
        if let Some(path) = at.database.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                let p = format!("{path}{suffix}");
                if Path::new(&p).exists() {
                    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                        .map_err(|e| format!("{p}: {e}"))?;
                }
            }
        }
        db.execute(
            "INSERT INTO secrets (name, value) VALUES ('receipt', $1) ON CONFLICT (name) DO NOTHING",
            args![hex(&secret::random::<32>())],
        )?;
        let key =
            db.query_opt("SELECT value FROM secrets WHERE name = 'receipt'", &[])?.ok_or("no receipt key")?;
        Ok(Store { db, photos, receipt_key: key.text(0)?.into_bytes() })
    }

    /// The database, for tests and tools that look at it directly.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The photo store.
    pub fn photos(&self) -> &Photos {
        &self.photos
    }

    /// Whether the store can serve: the database answers, and the photo store takes a photo
    /// (written and removed); the reason when it cannot.
    pub fn ready(&self) -> Result<(), String> {
        self.db.query("SELECT count(*) FROM captures", &[])?;
        self.photos.ready()
    }

    /// Adds the sessions not known yet; one known already is left as it is (staff may have renamed
    /// or closed it since). How many were added.
    pub fn put_sessions(&self, sessions: &[Session]) -> Result<usize, String> {
        let mut added = 0;
        for s in sessions {
            added += self.db.execute(
                "INSERT INTO sessions (code, name, school, open) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO NOTHING",
                args![&s.code, &s.name, &s.school, s.open],
            )? as usize;
        }
        Ok(added)
    }

    /// The session with `code`.
    pub fn session(&self, code: &str) -> Result<Option<Session>, String> {
        let row = self
            .db
            .query_opt("SELECT code, name, school, open FROM sessions WHERE code = $1", args![code])?;
        let read = |r: Row| -> Result<Session, super::db::Error> {
            Ok(Session { code: r.text(0)?, name: r.text(1)?, school: r.text(2)?, open: r.bool(3)? })
        };
        Ok(row.map(read).transpose()?)
    }

    /// The receipt of capture `id`: what its student presents to read it. Derived from a secret
    /// kept in the database, so a repeated upload can be given it again; only its hash is stored.
    pub fn receipt(&self, id: &str) -> String {
        receipt_for(&self.receipt_key, id)
    }

    /// What the key `key` was used for before, if anything: the capture stored from the request
    /// `fingerprint` names, another request, or a capture purged since.
    pub fn by_key_matching(&self, key: &str, fingerprint: &str) -> Result<Option<Seen>, String> {
        let seen = self.db.query_opt(
            "SELECT id, request_sha256, purged_at FROM captures WHERE idempotency_key = $1",
            args![key],
        )?;
        let Some(seen) = seen else { return Ok(None) };
        if seen.opt_text(2)?.is_some() {
            return Ok(Some(Seen::Purged));
        }
        if seen.opt_text(1)?.as_deref() != Some(fingerprint) {
            return Ok(Some(Seen::Other));
        }
        Ok(self.capture(&seen.text(0)?)?.map(|c| Seen::Same(Box::new(c))))
    }

    /// The stored photo (or full frame) with hash `sha`.
    pub fn file(&self, sha: &str) -> Result<Option<Vec<u8>>, String> {
        self.photos.get(sha)
    }

    /// Stores a capture once per idempotency key (see [`Added`]), whichever server the upload
    /// and its repeats reach: the key is unique in the database, and the row that loses the race
    /// is answered with the one that won.
    pub fn add(&self, new: &NewCapture<'_>) -> Result<Added, String> {
        match self.by_key_matching(new.idempotency_key, new.fingerprint)? {
            Some(Seen::Same(existing)) => return Ok(Added::Existing(existing)),
            Some(Seen::Other) => return Ok(Added::KeyReused),
            Some(Seen::Purged) => return Ok(Added::Purged),
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
        // The photos first: a crash before the row leaves an orphan photo, never a row without one.
        let photo_sha = self.photos.put(new.photo)?;
        let original_sha = new.original.map(|o| self.photos.put(o)).transpose()?;
        let id = format!("c{}", hex(&secret::random::<12>()));
        let stored = self.db.transaction(|tx| {
            if let Some(old) = new.replaces {
                // Only a capture not yet decided, replaced or purged; two retakes at once: one wins.
                let taken = tx.execute(
                    "UPDATE captures SET replaced_by = $2, status = 'replaced'
                     WHERE id = $1 AND replaced_by IS NULL AND purged_at IS NULL AND status <> 'approved'",
                    args![old, &id],
                )?;
                if taken == 0 {
                    return Ok(false);
                }
            }
            tx.execute(
                "INSERT INTO captures (id, idempotency_key, capture_code, session_code, photo_sha256,
                 original_sha256, photo_bytes, meta, verdict, status, created_at, receipt_sha256,
                 request_sha256, replaces)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12, $13)",
                args![
                    &id,
                    new.idempotency_key,
                    new.capture_code,
                    new.session_code,
                    &photo_sha,
                    original_sha.as_deref(),
                    new.photo.len() as i64,
                    new.meta,
                    new.verdict.to_string(),
                    now(),
                    sha256(receipt_for(&self.receipt_key, &id).as_bytes()),
                    new.fingerprint,
                    new.replaces,
                ],
            )?;
            Ok(true)
        });
        match stored {
            Ok(true) => Ok(Added::Created(Box::new(self.capture(&id)?.ok_or("stored capture vanished")?))),
            Ok(false) => Ok(Added::CannotReplace),
            // The same key stored by another request meanwhile (on this server or another).
            Err(e) if e.unique_violation => {
                match self.by_key_matching(new.idempotency_key, new.fingerprint)? {
                    Some(Seen::Same(existing)) => Ok(Added::Existing(existing)),
                    Some(Seen::Other) => Ok(Added::KeyReused),
                    Some(Seen::Purged) => Ok(Added::Purged),
                    None => Err(e.message),
                }
            }
            Err(e) => Err(e.message),
        }
    }

    /// The capture with `id`.
    pub fn capture(&self, id: &str) -> Result<Option<Capture>, String> {
        let found =
            self.db.query_opt(&format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id = $1"), args![id])?;
        Ok(found.map(capture).transpose()?)
    }

    /// The capture with `id` if `receipt` is its receipt (and it still has one).
    pub fn capture_with_receipt(&self, id: &str, receipt: &str) -> Result<Option<Capture>, String> {
        let found = self.db.query_opt(
            &format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id = $1 AND receipt_sha256 = $2"),
            args![id, sha256(receipt.as_bytes())],
        )?;
        Ok(found.map(capture).transpose()?)
    }

    /// Up to `limit` captures that match `filter`, newest first, after the capture `before`
    /// when given (the previous page's last).
    pub fn list(
        &self,
        filter: &Filter<'_>,
        limit: u32,
        before: Option<&str>,
    ) -> Result<Vec<Capture>, String> {
        let cursor = match before {
            Some(id) => self.db.query_opt("SELECT created_at, id FROM captures WHERE id = $1", args![id])?,
            None => None,
        };
        let (at, id) = match cursor {
            Some(row) => (Some(row.text(0)?), Some(row.text(1)?)),
            None => (None, None),
        };
        let rows = self.db.query(
            &format!(
                "SELECT {CAPTURE_COLUMNS} FROM captures
                 WHERE (CAST($1 AS TEXT) IS NULL OR status = $1)
                   AND (CAST($2 AS TEXT) IS NULL OR (created_at, id) < ($2, $3))
                   AND (CAST($5 AS TEXT) IS NULL OR session_code = $5)
                   AND (CAST($6 AS TEXT) IS NULL OR capture_code = $6)
                   AND (CAST($7 AS TEXT) IS NULL OR created_at >= $7)
                   AND (CAST($8 AS TEXT) IS NULL OR created_at < $8)
                 ORDER BY created_at DESC, id DESC LIMIT $4"
            ),
            args![
                filter.status,
                at,
                id,
                limit,
                filter.session,
                filter.capture_code,
                filter.from,
                filter.until
            ],
        )?;
        Ok(rows.into_iter().map(capture).collect::<Result<_, _>>()?)
    }

    /// Records staff's decision on a capture (see [`Reviewed`]); an approval clears an earlier
    /// rejection's reason. Every decision is kept in the audit.
    ///
    /// With `seen` (the [`Capture::version`] the reviewer was shown), the decision is made only
    /// if nobody decided since; otherwise it is [`Reviewed::Stale`] with the capture as it is now.
    pub fn review(
        &self,
        id: &str,
        staff: &str,
        approved: bool,
        reason: Option<&str>,
        seen: Option<i64>,
    ) -> Result<Reviewed, String> {
        let status = if approved { "approved" } else { "rejected" };
        let reason = if approved { None } else { reason };
        let at = now();
        let done = self.db.transaction(|tx| {
            let open = tx.query(
                "SELECT replaced_by IS NULL AND purged_at IS NULL, version FROM captures WHERE id = $1",
                args![id],
            )?;
            let Some(open) = open.first() else { return Ok(Outcome::Unknown) };
            if !open.bool(0)? {
                return Ok(Outcome::Closed);
            }
            // Compared again in the update itself: another server may decide between the two.
            let version = open.int(1)?;
            if seen.is_some_and(|v| v != version) {
                return Ok(Outcome::Stale);
            }
            let changed = tx.execute(
                "UPDATE captures SET status = $2, reason = $3, reviewed_at = $4, reviewed_by = $5,
                 version = version + 1 WHERE id = $1 AND version = $6",
                args![id, status, reason, &at, staff, version],
            )?;
            if changed == 0 {
                return Ok(Outcome::Stale);
            }
            tx.execute(
                "INSERT INTO decisions (capture_id, staff, status, reason, decided_at) VALUES ($1, $2, $3, $4, $5)",
                args![id, staff, status, reason, &at],
            )?;
            Ok(Outcome::Done)
        })?;
        enum Outcome {
            Done,
            Unknown,
            Closed,
            Stale,
        }
        let now = || -> Result<Box<Capture>, String> {
            Ok(Box::new(self.capture(id)?.ok_or("reviewed capture vanished")?))
        };
        match done {
            Outcome::Done => Ok(Reviewed::Done(now()?)),
            Outcome::Unknown => Ok(Reviewed::Unknown),
            Outcome::Closed => Ok(Reviewed::Closed),
            Outcome::Stale => Ok(Reviewed::Stale(now()?)),
        }
    }

    /// Captures per session and status: what the desk counts at its top. Captures that name no
    /// session are counted under `None`.
    pub fn counts(&self) -> Result<Vec<Count>, String> {
        let rows = self.db.query(
            "SELECT session_code, status, purged_at IS NOT NULL, count(*) FROM captures
             GROUP BY session_code, status, purged_at IS NOT NULL ORDER BY session_code, status",
            &[],
        )?;
        let mut counts: Vec<Count> = Vec::new();
        for row in rows {
            let session = row.opt_text(0)?;
            let at = match counts.iter().position(|c| c.session == session) {
                Some(at) => at,
                None => {
                    counts.push(Count { session, ..Count::default() });
                    counts.len() - 1
                }
            };
            let n = row.int(3)?;
            let count = &mut counts[at];
            count.total += n;
            if row.bool(2)? {
                count.purged += n;
                continue;
            }
            match row.text(1)?.as_str() {
                "pending" => count.pending += n,
                "approved" => count.approved += n,
                "rejected" => count.rejected += n,
                _ => count.replaced += n,
            }
        }
        Ok(counts)
    }

    /// The approved photos of session `session` to hand on: one per capture code, its latest
    /// approval, in capture-code order (captures without a code are left out: a file needs a
    /// name). Purged captures have no photo and are not among them.
    pub fn approved(&self, session: &str) -> Result<Vec<Approved>, String> {
        let rows = self.db.query(
            "SELECT capture_code, id, photo_sha256, reviewed_by, reviewed_at FROM captures
             WHERE session_code = $1 AND status = 'approved' AND purged_at IS NULL
               AND capture_code IS NOT NULL
             ORDER BY capture_code, reviewed_at DESC, id",
            args![session],
        )?;
        let mut out: Vec<Approved> = Vec::new();
        for row in rows {
            let code = row.text(0)?;
            if out.last().is_some_and(|a| a.capture_code == code) {
                continue; // an older approval of the same student (a second phone)
            }
            out.push(Approved {
                capture_code: code,
                id: row.text(1)?,
                photo_sha256: row.text(2)?,
                reviewed_by: row.opt_text(3)?.unwrap_or_default(),
                reviewed_at: row.opt_text(4)?.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Replaces the roster of session `session` with `students`; how many there are now.
    pub fn set_roster(&self, session: &str, students: &[super::roster::Student]) -> Result<usize, String> {
        self.db.transaction(|tx| {
            tx.execute("DELETE FROM roster WHERE session_code = $1", args![session])?;
            for s in students {
                tx.execute(
                    "INSERT INTO roster (session_code, capture_code, student_number, name, department)
                     VALUES ($1, $2, $3, $4, $5)",
                    args![
                        session,
                        &s.capture_code,
                        s.student_number.as_deref(),
                        s.name.as_deref(),
                        s.department.as_deref()
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(students.len())
    }

    /// The roster of session `session`, by capture code, each student with where they stand:
    /// `missing` (nothing uploaded), `pending`, `rejected` (to retake) or `approved` — an approval
    /// of any of their captures counts, else the latest capture that is not replaced or purged.
    pub fn roster(&self, session: &str) -> Result<Vec<(super::roster::Student, &'static str)>, String> {
        let students = self.db.query(
            "SELECT capture_code, student_number, name, department FROM roster WHERE session_code = $1
             ORDER BY capture_code",
            args![session],
        )?;
        let captures = self.db.query(
            "SELECT capture_code, status FROM captures WHERE session_code = $1 AND capture_code IS NOT NULL
               AND purged_at IS NULL AND status <> 'replaced' ORDER BY created_at, id",
            args![session],
        )?;
        let mut standing: std::collections::HashMap<String, &'static str> = std::collections::HashMap::new();
        for row in captures {
            let status = match row.text(1)?.as_str() {
                "approved" => "approved",
                "rejected" => "rejected",
                _ => "pending",
            };
            let entry = standing.entry(row.text(0)?).or_insert(status);
            if *entry != "approved" {
                *entry = status;
            }
        }
        let read = |r: Row| -> Result<(super::roster::Student, &'static str), super::db::Error> {
            let student = super::roster::Student {
                capture_code: r.text(0)?,
                student_number: r.opt_text(1)?,
                name: r.opt_text(2)?,
                department: r.opt_text(3)?,
            };
            let status = standing.get(&student.capture_code).copied().unwrap_or("missing");
            Ok((student, status))
        };
        Ok(students.into_iter().map(read).collect::<Result<_, _>>()?)
    }

    /// Every session, by code.
    pub fn sessions(&self) -> Result<Vec<Session>, String> {
        let rows = self.db.query("SELECT code, name, school, open FROM sessions ORDER BY code", &[])?;
        let read = |r: Row| -> Result<Session, super::db::Error> {
            Ok(Session { code: r.text(0)?, name: r.text(1)?, school: r.text(2)?, open: r.bool(3)? })
        };
        Ok(rows.into_iter().map(read).collect::<Result<_, _>>()?)
    }

    /// Changes session `code`: its name, school, or whether it takes photos; `false` when there
    /// is no such session.
    pub fn update_session(&self, code: &str, change: &SessionChange) -> Result<bool, String> {
        let changed = self.db.execute(
            "UPDATE sessions SET name = COALESCE($2, name), school = COALESCE($3, school),
             open = COALESCE($4, open) WHERE code = $1",
            args![code, change.name.as_deref(), change.school.as_deref(), change.open],
        )?;
        Ok(changed > 0)
    }

    /// The decisions on capture `id`, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<Decision>, String> {
        self.decisions("WHERE capture_id = $1 ORDER BY seq", args![id])
    }

    /// Up to `limit` decisions, newest first, before `before` (a `seq`) when given.
    pub fn audit(&self, limit: u32, before: Option<i64>) -> Result<Vec<Decision>, String> {
        self.decisions(
            "WHERE CAST($1 AS BIGINT) IS NULL OR seq < $1 ORDER BY seq DESC LIMIT $2",
            args![before, limit],
        )
    }

    fn decisions(&self, tail: &str, args: &[Value]) -> Result<Vec<Decision>, String> {
        let sql = format!("SELECT seq, capture_id, staff, status, reason, decided_at FROM decisions {tail}");
        let read = |r: Row| -> Result<Decision, super::db::Error> {
            Ok(Decision {
                seq: r.int(0)?,
                capture_id: r.text(1)?,
                staff: r.text(2)?,
                status: r.text(3)?,
                reason: r.opt_text(4)?,
                decided_at: r.text(5)?,
            })
        };
        Ok(self.db.query(&sql, args)?.into_iter().map(read).collect::<Result<_, _>>()?)
    }

    /// Deletes the photos, originals, receipts, capture codes and metadata of the captures
    /// `which` names, keeping each row as a tombstone (id, status, hashes, times). Returns how
    /// many captures were purged.
    pub fn purge(&self, which: Purge<'_>) -> Result<usize, String> {
        let (filter, arg) = match which {
            Purge::CaptureCode(code) => ("capture_code = $1", code),
            Purge::Before(at) => ("(reviewed_at < $1 OR (replaced_by IS NOT NULL AND created_at < $1))", at),
        };
        let at = now();
        // The rows first: a photo no row names any more is an orphan that fsck finds if the
        // server stops before removing it.
        let purged = self.db.transaction(|tx| {
            let rows = tx.query(
                &format!("SELECT id, photo_sha256, original_sha256 FROM captures WHERE purged_at IS NULL AND {filter}"),
                args![arg],
            )?;
            let mut hashes = Vec::new();
            for row in &rows {
                // What stays is the tombstone: the id, the status, the files' hashes, the times,
                // who decided, and the upload's key (to answer a late repeat "gone", nothing
                // more). The reason written for the student, the verdict with the client's
                // liveness report and the request's hash go with the photo.
                tx.execute(
                    "UPDATE captures SET capture_code = NULL, session_code = NULL, meta = '{}',
                     verdict = '{}', reason = NULL, receipt_sha256 = NULL, request_sha256 = NULL,
                     purged_at = $2 WHERE id = $1",
                    args![row.text(0)?, &at],
                )?;
                tx.execute("UPDATE decisions SET reason = NULL WHERE capture_id = $1", args![row.text(0)?])?;
                hashes.push(row.text(1)?);
                hashes.extend(row.opt_text(2)?);
            }
            Ok((rows.len(), hashes))
        })?;
        let (count, hashes) = purged;
        // A student's own purge takes their line of every roster too (name, number).
        if let Purge::CaptureCode(code) = which {
            self.db.execute("DELETE FROM roster WHERE capture_code = $1", args![code])?;
        }
        for sha in hashes {
            if !self.is_kept(&sha)? {
                self.photos.remove(&sha)?;
            }
        }
        if count > 0 {
            self.db.scrub(&["captures", "decisions"])?;
        }
        Ok(count)
    }

    /// Whether a capture still holding its data names the photo `sha`.
    fn is_kept(&self, sha: &str) -> Result<bool, String> {
        let named = self.db.query_opt(
            "SELECT 1 FROM captures WHERE purged_at IS NULL AND (photo_sha256 = $1 OR original_sha256 = $1) LIMIT 1",
            args![sha],
        )?;
        Ok(named.is_some())
    }

    /// Compares the records with the photo store: photos missing, photos whose bytes do not
    /// match their name (read and hashed with `verify`), and orphans — which are removed when
    /// `remove_older_than` (seconds) is given and they are older than that, so that a photo an
    /// upload has just written, its row not yet committed, is never taken for one.
    pub fn fsck(&self, verify: bool, remove_older_than: Option<i64>) -> Result<Fsck, String> {
        let stored = self.photos.list()?;
        let rows = self.db.query(
            "SELECT photo_sha256 FROM captures WHERE purged_at IS NULL
             UNION ALL SELECT original_sha256 FROM captures WHERE purged_at IS NULL AND original_sha256 IS NOT NULL",
            &[],
        )?;
        let named: std::collections::BTreeSet<String> =
            rows.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?;
        let captures = self.db.query_opt("SELECT count(*) FROM captures WHERE purged_at IS NULL", &[])?;
        let have: std::collections::BTreeSet<&str> = stored.iter().map(|s| s.sha.as_str()).collect();
        let mut report = Fsck {
            captures: captures.map_or(Ok(0), |r| r.int(0))? as usize,
            photos: stored.len(),
            missing: named.iter().filter(|sha| !have.contains(sha.as_str())).cloned().collect(),
            ..Fsck::default()
        };
        let cutoff = remove_older_than.map(|secs| unix_now() - secs);
        for photo in &stored {
            if !named.contains(&photo.sha) {
                report.orphans.push(photo.sha.clone());
                // Looked up again: a row may have been committed since the list was read.
                if cutoff.is_some_and(|c| photo.modified < c) && !self.is_kept(&photo.sha)? {
                    self.photos.remove(&photo.sha)?;
                    report.removed += 1;
                }
            } else if verify && self.photos.get(&photo.sha)?.is_some_and(|bytes| sha256(&bytes) != photo.sha)
            {
                report.corrupt.push(photo.sha.clone());
            }
        }
        Ok(report)
    }

    /// Adds a staff account with an already hashed password; `false` when the name is taken.
    pub fn add_staff(&self, name: &str, password_hash: &str, role: &str) -> Result<bool, String> {
        let n = self.db.execute(
            "INSERT INTO staff (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
            args![name, password_hash, role, now()],
        )?;
        Ok(n == 1)
    }

    /// Removes a staff account and its sessions; `false` when there was none.
    pub fn remove_staff(&self, name: &str) -> Result<bool, String> {
        let removed = self.db.transaction(|tx| {
            tx.execute("DELETE FROM staff_sessions WHERE staff = $1", args![name])?;
            tx.execute("DELETE FROM staff WHERE name = $1", args![name])
        })?;
        Ok(removed == 1)
    }

    /// Changes account `name`: its role, its password (an Argon2id hash); a new password ends
    /// every session of the account. `false` when there is no such account.
    pub fn change_staff(
        &self,
        name: &str,
        role: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<bool, String> {
        let changed = self.db.transaction(|tx| {
            let n = tx.execute(
                "UPDATE staff SET role = COALESCE($2, role), password_hash = COALESCE($3, password_hash)
                 WHERE name = $1",
                args![name, role, password_hash],
            )?;
            if n == 1 && password_hash.is_some() {
                tx.execute("DELETE FROM staff_sessions WHERE staff = $1", args![name])?;
            }
            Ok(n)
        })?;
        Ok(changed == 1)
    }

    /// Every staff account, by name.
    pub fn staff(&self) -> Result<Vec<StaffAccount>, String> {
        let rows = self.db.query("SELECT name, role, created_at FROM staff ORDER BY name", &[])?;
        let read = |r: Row| -> Result<StaffAccount, super::db::Error> {
            Ok(StaffAccount { name: r.text(0)?, role: r.text(1)?, created_at: r.text(2)? })
        };
        Ok(rows.into_iter().map(read).collect::<Result<_, _>>()?)
    }

    /// The stored password hash and role of account `name`.
    pub fn staff_password(&self, name: &str) -> Result<Option<(String, String)>, String> {
        let row = self.db.query_opt("SELECT password_hash, role FROM staff WHERE name = $1", args![name])?;
        Ok(row.map(|r| Ok::<_, super::db::Error>((r.text(0)?, r.text(1)?))).transpose()?)
    }

    /// Starts a staff session: `token`'s hash is kept until `expires_at` (Unix seconds), in the
    /// database, so that any server answers its requests.
    pub fn start_staff_session(&self, name: &str, token: &str, expires_at: i64) -> Result<(), String> {
        self.db.transaction(|tx| {
            tx.execute("DELETE FROM staff_sessions WHERE expires_at <= $1", args![unix_now()])?;
            tx.execute(
                "INSERT INTO staff_sessions (token_sha256, staff, expires_at) VALUES ($1, $2, $3)",
                args![sha256(token.as_bytes()), name, expires_at],
            )
        })?;
        Ok(())
    }

    /// The account (name, role) a live session `token` belongs to.
    pub fn staff_session(&self, token: &str) -> Result<Option<(String, String)>, String> {
        let row = self.db.query_opt(
            "SELECT s.name, s.role FROM staff_sessions t JOIN staff s ON s.name = t.staff
             WHERE t.token_sha256 = $1 AND t.expires_at > $2",
            args![sha256(token.as_bytes()), unix_now()],
        )?;
        Ok(row.map(|r| Ok::<_, super::db::Error>((r.text(0)?, r.text(1)?))).transpose()?)
    }

    /// Ends the session `token`.
    pub fn end_staff_session(&self, token: &str) -> Result<(), String> {
        self.db
            .execute("DELETE FROM staff_sessions WHERE token_sha256 = $1", args![sha256(token.as_bytes())])?;
        Ok(())
    }
}

fn receipt_for(key: &[u8], id: &str) -> String {
    hex(&secret::hmac_sha256(key, id.as_bytes())[..16])
}

fn capture(r: Row) -> Result<Capture, super::db::Error> {
    let verdict = r.text(7)?;
    Ok(Capture {
        id: r.text(0)?,
        status: r.text(1)?,
        reason: r.opt_text(2)?,
        capture_code: r.opt_text(3)?,
        session_code: r.opt_text(4)?,
        photo_sha256: r.text(5)?,
        original_sha256: r.opt_text(6)?,
        verdict: serde_json::from_str(&verdict).unwrap_or(serde_json::Value::Null),
        created_at: r.text(8)?,
        reviewed_at: r.opt_text(9)?,
        reviewed_by: r.opt_text(10)?,
        replaces: r.opt_text(11)?,
        replaced_by: r.opt_text(12)?,
        purged_at: r.opt_text(13)?,
        version: r.int(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
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
        let store = Store::open(&dir).unwrap();
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
        assert_eq!(store.list(&Filter::default(), 10, None).unwrap().len(), 1);
        assert_eq!(store.file(&first.photo_sha256).unwrap().unwrap(), b"\xff\xd8photo");
        let receipt = store.receipt(&first.id);
        assert_eq!(receipt.len(), 32, "128 bits");
        assert!(store.capture_with_receipt(&first.id, &receipt).unwrap().is_some());
        assert!(store.capture_with_receipt(&first.id, &store.receipt("c0")).unwrap().is_none());
        let Reviewed::Done(r) = store.review(&first.id, "li", false, Some("背景不均匀"), None).unwrap()
        else {
            panic!()
        };
        assert_eq!((r.status.as_str(), r.reason.as_deref()), ("rejected", Some("背景不均匀")));
        let Reviewed::Done(a) = store.review(&first.id, "wang", true, Some("ignored"), None).unwrap() else {
            panic!()
        };
        assert_eq!((a.status.as_str(), a.reason, a.reviewed_by.as_deref()), ("approved", None, Some("wang")));
        let history = store.history(&first.id).unwrap();
        let who: Vec<_> = history.iter().map(|d| (d.staff.as_str(), d.status.as_str())).collect();
        assert_eq!(who, [("li", "rejected"), ("wang", "approved")]);
        assert!(matches!(store.review("c-none", "li", true, None, None).unwrap(), Reviewed::Unknown));
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
        let store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({});
        for n in 0..7 {
            let key = format!("k{n}");
            let photo = format!("photo {n}");
            store.add(&new(&key, "X", photo.as_bytes(), &verdict)).unwrap();
        }
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = store.list(&Filter::default(), 3, before.as_deref()).unwrap();
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
        let store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({});
        let Added::Created(a) = store.add(&new("ka", "A", b"photo a", &verdict)).unwrap() else { panic!() };
        let Added::Created(b) = store.add(&new("kb", "B", b"photo b", &verdict)).unwrap() else { panic!() };
        store.review(&a.id, "li", true, None, None).unwrap();
        assert_eq!(store.purge(Purge::Before("2000-01-01T00:00:00Z")).unwrap(), 0, "nothing that old");
        assert_eq!(store.purge(Purge::Before("2999-01-01T00:00:00Z")).unwrap(), 1, "the decided one");
        let gone = store.capture(&a.id).unwrap().unwrap();
        assert!(gone.purged_at.is_some() && gone.capture_code.is_none());
        assert_eq!(gone.photo_sha256, a.photo_sha256, "the hash stays as a tombstone");
        assert!(
            store.file(&a.photo_sha256).unwrap().is_none() && store.file(&b.photo_sha256).unwrap().is_some()
        );
        assert!(store.capture_with_receipt(&a.id, &store.receipt(&a.id)).unwrap().is_none());
        assert_eq!(store.purge(Purge::CaptureCode("B")).unwrap(), 1, "a pending one, on request");
        assert!(store.file(&b.photo_sha256).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fsck_finds_missing_corrupt_and_orphaned_photos_and_removes_only_old_orphans() {
        let dir = temp("fsck");
        let store = Store::open(&dir).unwrap();
        let verdict = serde_json::json!({});
        let Added::Created(a) = store.add(&new("ka", "A", b"photo a", &verdict)).unwrap() else { panic!() };
        let Added::Created(b) = store.add(&new("kb", "B", b"photo b", &verdict)).unwrap() else { panic!() };
        assert_eq!(store.fsck(true, None).unwrap(), Fsck { captures: 2, photos: 2, ..Fsck::default() });
        // A server that stopped between the photo and its row; a photo lost; a photo changed.
        let orphan = store.photos().put(b"never committed").unwrap();
        let path = |sha: &str| dir.join("photos").join(&sha[..2]).join(format!("{sha}.jpg"));
        std::fs::remove_file(path(&a.photo_sha256)).unwrap();
        std::fs::write(path(&b.photo_sha256), b"photo c").unwrap();
        let report = store.fsck(false, Some(3600)).unwrap();
        assert_eq!(
            (report.missing.clone(), report.orphans.clone(), report.removed),
            (vec![a.photo_sha256.clone()], vec![orphan.clone()], 0)
        );
        assert!(report.corrupt.is_empty(), "bytes are read only with verify");
        let report = store.fsck(true, Some(-10)).unwrap();
        assert_eq!((report.corrupt, report.removed), (vec![b.photo_sha256.clone()], 1));
        assert!(store.file(&orphan).unwrap().is_none(), "an orphan older than asked is removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
