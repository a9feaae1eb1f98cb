//! The database under the store: SQLite (one file, the default) or PostgreSQL (several servers
//! at once), spoken to with one set of queries. Queries number their parameters `$1`, `$2`, …
//! (SQLite reads them as `?1`, `?2`, …), cast a parameter that is only compared with `NULL`
//! (`CAST($1 AS TEXT) IS NULL`), and use only what both understand (`ON CONFLICT … DO NOTHING`,
//! row values). The schema's steps are written once too (`MIGRATIONS`).
//!
//! Both are synchronous clients. Inside the server's runtime a call leaves the async worker for
//! its duration ([`blocking`]), so a slow query never holds up other requests' futures.

use std::sync::{Condvar, Mutex};

/// The schema, one step per version, in the SQL both databases read; `{serial}` is an
/// auto-numbered primary key. SQLite counts the steps run in `PRAGMA user_version`, PostgreSQL in
/// the table `schema_version`; whoever migrates holds a lock that a second server starting at
/// the same moment waits on, then finds nothing left to do.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE sessions (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        school TEXT NOT NULL,
        open BOOLEAN NOT NULL
    );
    CREATE TABLE captures (
        id TEXT PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        capture_code TEXT,
        session_code TEXT,
        photo_sha256 TEXT NOT NULL,
        original_sha256 TEXT,
        photo_bytes BIGINT NOT NULL,
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
        expires_at BIGINT NOT NULL
    );
    CREATE TABLE decisions (
        seq {serial},
        capture_id TEXT NOT NULL,
        staff TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_by_capture ON decisions (capture_id, seq);",
    // Orphan checks and purges look photos up by hash.
    "CREATE INDEX captures_by_photo ON captures (photo_sha256);
    CREATE INDEX captures_by_original ON captures (original_sha256);",
    // The review desk: a decision names the version it saw (two reviewers cannot overwrite each
    // other unseen); captures are counted and listed by session.
    "ALTER TABLE captures ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
    CREATE INDEX captures_by_session ON captures (session_code, status);",
    // A session's roster: the students a school expects (who has not submitted; export names).
    "CREATE TABLE roster (
        session_code TEXT NOT NULL,
        capture_code TEXT NOT NULL,
        student_number TEXT,
        name TEXT,
        department TEXT,
        PRIMARY KEY (session_code, capture_code)
    );",
];

/// Any PostgreSQL advisory lock key would do; this one is "gradcap" in ASCII.
const MIGRATION_LOCK: i64 = 0x0067_7261_6463_6170;

/// Connections one server keeps to PostgreSQL at most, unless told otherwise. Each costs about
/// a megabyte of the server's memory and a PostgreSQL backend process; requests past the limit
/// wait for a free one.
pub const DEFAULT_CONNECTIONS: usize = 8;

/// A value sent to or read from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// A boolean (an integer 0/1 in SQLite).
    Bool(bool),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(s.clone())
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Int(n.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a query: `args![a, b]`.
#[macro_export]
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::backend::db::Value::from($v)),*][..] };
}

/// One row of an answer, its columns in the query's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, Error> {
        self.0.get(i).ok_or_else(|| Error::other(format!("no column {i}")))
    }

    /// Column `i` as text.
    pub fn text(&self, i: usize) -> Result<String, Error> {
        self.opt_text(i)?.ok_or_else(|| Error::other(format!("column {i} is null")))
    }

    /// Column `i` as text, or `None` for `NULL`.
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, Error> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(Error::other(format!("column {i} is {other:?}, not text"))),
        }
    }

    /// Column `i` as an integer.
    pub fn int(&self, i: usize) -> Result<i64, Error> {
        match self.at(i)? {
            Value::Int(n) => Ok(*n),
            other => Err(Error::other(format!("column {i} is {other:?}, not an integer"))),
        }
    }

    /// Column `i` as a boolean (SQLite's 0/1 included).
    pub fn bool(&self, i: usize) -> Result<bool, Error> {
        match self.at(i)? {
            Value::Bool(b) => Ok(*b),
            Value::Int(n) => Ok(*n != 0),
            other => Err(Error::other(format!("column {i} is {other:?}, not a boolean"))),
        }
    }
}

/// What went wrong in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// A unique constraint refused the row (another request stored it first).
    pub unique_violation: bool,
    /// What the database said.
    pub message: String,
}

impl Error {
    fn other(message: String) -> Error {
        Error { unique_violation: false, message }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Error> for String {
    fn from(e: Error) -> String {
        e.message
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        let unique_violation = matches!(
            &e,
            rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        );
        Error { unique_violation, message: e.to_string() }
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        let unique_violation = e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION);
        // The server's own message says more than the client's summary ("db error").
        let message = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| format!("{}: {}", d.code().code(), d.message()));
        Error { unique_violation, message }
    }
}

/// Runs `f`, which blocks on I/O, off the async runtime's worker when called on one (a
/// multi-threaded runtime's worker lends its thread; elsewhere `f` simply runs), and counts its
/// time against `what` in the request's [`Spent`].
pub fn blocking<T>(what: Waiting, f: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let out = match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let _ = SPENT.try_with(|spent| {
        if let Ok(mut spent) = spent.lock() {
            match what {
                Waiting::Database => spent.database_ms += ms,
                Waiting::Photos => spent.photos_ms += ms,
            }
        }
    });
    out
}

/// What a request waits on.
#[derive(Debug, Clone, Copy)]
pub enum Waiting {
    /// The database.
    Database,
    /// The photo store.
    Photos,
}

/// The time one request spent waiting on the database and on the photo store (its log line
/// says them, so an operator sees which one is slow).
#[derive(Debug, Default, Clone, Copy)]
pub struct Spent {
    /// Milliseconds in the database.
    pub database_ms: f64,
    /// Milliseconds in the photo store.
    pub photos_ms: f64,
}

tokio::task_local! {
    /// The [`Spent`] of the request being served.
    pub static SPENT: std::sync::Arc<Mutex<Spent>>;
}

/// What a transaction's body may ask: the same as [`Database`], inside the transaction.
pub trait Tx {
    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, Error>;
    /// Runs a query; its rows.
    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, Error>;
}

/// Where the records are.
pub enum Database {
    /// One SQLite file, one connection (SQLite writes one at a time anyway).
    Sqlite(Mutex<rusqlite::Connection>),
    /// A PostgreSQL server, through a small pool of connections.
    Postgres(Pool),
}

impl Database {
    /// Opens `url` (`sqlite://PATH` or `postgres://…`, with at most `connections` connections)
    /// and brings its schema up to date.
    pub fn open(url: &str, connections: usize) -> Result<Database, String> {
        let db = if let Some(path) = url.strip_prefix("sqlite://") {
            Database::Sqlite(Mutex::new(open_sqlite(std::path::Path::new(path))?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Database::Postgres(Pool::new(url, connections.max(1))?)
        } else {
            return Err(format!("--database: {url:?} is neither sqlite://PATH nor postgres://…"));
        };
        db.migrate()?;
        Ok(db)
    }

    /// Runs a statement on its own (no transaction around it); the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &[Value]) -> Result<u64, Error> {
        self.alone(|db| db.execute(sql, args))
    }

    /// Runs a query on its own; its rows.
    pub fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>, Error> {
        self.alone(|db| db.query(sql, args))
    }

    /// Runs `body` on a connection, each statement committed by itself (one round trip to
    /// PostgreSQL a statement, not three with a transaction's begin and commit).
    fn alone<T>(&self, body: impl FnOnce(&mut dyn Tx) -> Result<T, Error>) -> Result<T, Error> {
        blocking(Waiting::Database, || match self {
            Database::Sqlite(conn) => {
                let conn = conn.lock().map_err(|e| Error::other(e.to_string()))?;
                body(&mut Sqlite(&conn))
            }
            Database::Postgres(pool) => body(&mut Postgres(&mut *pool.get()?)),
        })
    }

    /// Makes what was deleted gone from the database's files too: SQLite's write-ahead log
    /// (which still holds the pages as they were) is copied into the database and truncated to
    /// nothing; PostgreSQL's dead row versions are vacuumed from the tables named. Best effort:
    /// the log is left for the next checkpoint while a reader holds it.
    pub fn scrub(&self, tables: &[&str]) -> Result<(), Error> {
        blocking(Waiting::Database, || match self {
            Database::Sqlite(conn) => {
                let conn = conn.lock().map_err(|e| Error::other(e.to_string()))?;
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
                Ok(())
            }
            Database::Postgres(pool) => {
                let mut conn = pool.get()?;
                for table in tables {
                    conn.batch_execute(&format!("VACUUM {table}"))?;
                }
                Ok(())
            }
        })
    }

    /// Runs a query; its first row, if any.
    pub fn query_opt(&self, sql: &str, args: &[Value]) -> Result<Option<Row>, Error> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// Runs `body` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    pub fn transaction<T>(&self, body: impl FnOnce(&mut dyn Tx) -> Result<T, Error>) -> Result<T, Error> {
        blocking(Waiting::Database, || match self {
            Database::Sqlite(conn) => {
                let mut conn = conn.lock().map_err(|e| Error::other(e.to_string()))?;
                let tx = conn.transaction()?;
                let out = body(&mut Sqlite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            // Dropped without a commit, a transaction rolls back.
            Database::Postgres(pool) => {
                let mut client = pool.get()?;
                let mut tx = client.transaction()?;
                let out = body(&mut Postgres(&mut tx))?;
                tx.commit()?;
                Ok(out)
            }
        })
    }

    fn migrate(&self) -> Result<(), String> {
        let serial = match self {
            Database::Sqlite(_) => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Database::Postgres(_) => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        let steps: Vec<String> = MIGRATIONS.iter().map(|s| s.replace("{serial}", serial)).collect();
        let result = blocking(Waiting::Database, || match self {
            Database::Sqlite(conn) => {
                let mut conn = conn.lock().map_err(|e| Error::other(e.to_string()))?;
                // An immediate transaction takes the write lock before reading the version.
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
                for (i, step) in steps.iter().enumerate().skip(version.max(0) as usize) {
                    tx.execute_batch(step).map_err(|e| Error::other(format!("migration {}: {e}", i + 1)))?;
                    tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                }
                tx.commit()?;
                Ok(())
            }
            Database::Postgres(pool) => {
                let mut client = pool.get()?;
                let mut tx = client.transaction()?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
                tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
                let version: i64 = match tx.query_opt("SELECT version FROM schema_version", &[])? {
                    Some(row) => row.get(0),
                    None => {
                        tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
                        0
                    }
                };
                for (i, step) in steps.iter().enumerate().skip(version.max(0) as usize) {
                    tx.batch_execute(step)
                        .map_err(|e| Error::other(format!("migration {}: {}", i + 1, Error::from(e))))?;
                    tx.execute("UPDATE schema_version SET version = $1", &[&((i + 1) as i64)])?;
                }
                tx.commit()?;
                Ok(())
            }
        });
        result.map_err(|e: Error| e.message)
    }
}

/// Opens the SQLite file at `path` for the store: write-ahead log, foreign keys, a wait for a lock.
fn open_sqlite(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    let db = rusqlite::Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let setup = || -> rusqlite::Result<()> {
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        // What is deleted or overwritten is zeroed in the file, not left in free space: a purge
        // must leave nothing of the student behind.
        db.pragma_update(None, "secure_delete", "ON")?;
        db.busy_timeout(std::time::Duration::from_secs(5))
    };
    setup().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(db)
}

/// `$1`, `$2`, … as SQLite's `?1`, `?2`, ….
fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let numbered = c == '$' && chars.peek().is_some_and(char::is_ascii_digit);
        out.push(if numbered { '?' } else { c });
    }
    out
}

/// An SQLite connection, or a transaction on one.
struct Sqlite<'a>(&'a rusqlite::Connection);

impl Tx for Sqlite<'_> {
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, Error> {
        let mut stmt = self.0.prepare_cached(&sqlite_sql(sql))?;
        Ok(stmt.execute(rusqlite::params_from_iter(args.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, Error> {
        let mut stmt = self.0.prepare_cached(&sqlite_sql(sql))?;
        let columns = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            (0..columns)
                .map(|i| r.get_ref(i).map(sqlite_value))
                .collect::<rusqlite::Result<Vec<_>>>()
                .map(Row)
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(x) => Value::Text(x.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
        })
    }
}

/// A PostgreSQL connection, or a transaction on one.
struct Postgres<'a, C: postgres::GenericClient>(&'a mut C);

fn pg_args(args: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn postgres::types::ToSql + Sync)).collect()
}

impl<C: postgres::GenericClient> Tx for Postgres<'_, C> {
    fn execute(&mut self, sql: &str, args: &[Value]) -> Result<u64, Error> {
        Ok(self.0.execute(sql, &pg_args(args))?)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> Result<Vec<Row>, Error> {
        let rows = self.0.query(sql, &pg_args(args))?;
        rows.iter().map(pg_row).collect()
    }
}

fn pg_row(row: &postgres::Row) -> Result<Row, Error> {
    use postgres::types::Type;
    let mut out = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let ty = column.type_();
        let value = if *ty == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?.map(|n| Value::Int(n.into()))
        } else if *ty == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(Value::Bool)
        } else {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        };
        out.push(value.unwrap_or(Value::Null));
    }
    Ok(Row(out))
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) if *ty == Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
            Value::Int(n) => n.to_sql(ty, out),
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        // Checked per value in `to_sql`: the inner type's own serialiser refuses a wrong column.
        true
    }

    postgres::types::to_sql_checked!();
}

/// Connections to one PostgreSQL server: up to `size` at once, idle ones kept.
pub struct Pool {
    url: String,
    size: usize,
    idle: Mutex<Vec<postgres::Client>>,
    /// Connections handed out now; a caller past the limit waits.
    busy: Mutex<usize>,
    freed: Condvar,
}

/// A connection lent by the [`Pool`], given back when dropped (unless it broke).
pub struct Lent<'a> {
    pool: &'a Pool,
    client: Option<postgres::Client>,
}

impl std::ops::Deref for Lent<'_> {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        self.client.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        self.client.as_mut().expect("held until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|c| !c.is_closed()) {
            if let Ok(mut idle) = self.pool.idle.lock() {
                idle.push(client);
            }
        }
        if let Ok(mut busy) = self.pool.busy.lock() {
            *busy -= 1;
        }
        self.pool.freed.notify_one();
    }
}

impl Pool {
    fn new(url: &str, size: usize) -> Result<Pool, String> {
        let pool = Pool {
            url: url.to_string(),
            size,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(0),
            freed: Condvar::new(),
        };
        // Connect once now, so that a wrong address or password stops the server at its start.
        drop(pool.get().map_err(|e| format!("{}: {e}", redacted(url)))?);
        Ok(pool)
    }

    fn get(&self) -> Result<Lent<'_>, Error> {
        let poisoned = |e: std::sync::PoisonError<_>| Error::other(format!("{e}"));
        {
            let mut busy = self.busy.lock().map_err(|e| Error::other(e.to_string()))?;
            while *busy >= self.size {
                busy = self.freed.wait(busy).map_err(poisoned)?;
            }
            *busy += 1;
        }
        let mut lent = Lent { pool: self, client: None };
        let idle = self.idle.lock().map_err(|e| Error::other(e.to_string()))?.pop();
        lent.client = Some(match idle {
            Some(client) => client,
            None => postgres::Client::connect(&self.url, postgres::NoTls)?,
        });
        Ok(lent)
    }
}

/// `url` without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user_info = &url[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_read_the_same_in_sqlite() {
        assert_eq!(sqlite_sql("SELECT $1, '$x', $12 WHERE a = $2"), "SELECT ?1, '$x', ?12 WHERE a = ?2");
        assert_eq!(redacted("postgres://gradcap:s3cret@db:5432/x"), "postgres://gradcap:***@db:5432/x");
        assert_eq!(redacted("sqlite:///tmp/a.db"), "sqlite:///tmp/a.db");
    }

    #[test]
    fn sqlite_migrates_once_and_answers_typed_rows() {
        let path = std::env::temp_dir().join(format!("gradcap-db-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}", path.display());
        let db = Database::open(&url, 1).unwrap();
        db.execute(
            "INSERT INTO sessions (code, name, school, open) VALUES ($1, $2, $3, $4)",
            args!["1", "n", "s", true],
        )
        .unwrap();
        let dup = db.execute(
            "INSERT INTO sessions (code, name, school, open) VALUES ($1, $2, $3, $4)",
            args!["1", "n", "s", false],
        );
        assert!(dup.unwrap_err().unique_violation);
        let row = db
            .query_opt("SELECT code, open, CAST($1 AS TEXT) IS NULL FROM sessions", args![None::<&str>])
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.text(0).unwrap(), row.bool(1).unwrap(), row.bool(2).unwrap()),
            ("1".into(), true, true)
        );
        drop(db);
        // Opened again: nothing to migrate, the row is there.
        let again = Database::open(&url, 1).unwrap();
        assert_eq!(again.query("SELECT code FROM sessions", &[]).unwrap().len(), 1);
        let _ = std::fs::remove_file(&path);
    }
}
