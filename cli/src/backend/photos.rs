//! Where the store keeps photos: a folder (the default) or an S3-compatible bucket (several
//! servers at once). Either way a photo is named by its SHA-256 (`ab/abcd….jpg`), so writing the
//! same photo twice is harmless and a name always says what its bytes must hash to.

use super::db::{blocking, Waiting};
use super::store::sha256;
use object_store::{aws::AmazonS3Builder, ObjectStore, PutPayload};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How to reach an S3-compatible store; credentials come from the usual environment variables
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// The service's address, e.g. `http://127.0.0.1:8333` (default: AWS itself).
    pub endpoint: Option<String>,
    /// The region (default: `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
}

/// One stored photo, as a listing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The hash its name says.
    pub sha: String,
    /// When it was written (Unix seconds).
    pub modified: i64,
}

/// The photo store.
pub enum Photos {
    /// A folder on this machine.
    Dir(PathBuf),
    /// A bucket (and a prefix in it).
    S3(Bucket),
}

/// An S3 bucket, spoken to from synchronous code through a runtime of its own.
pub struct Bucket {
    client: object_store::aws::AmazonS3,
    prefix: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Bucket {
    fn drop(&mut self) {
        // A runtime may not be dropped inside another's async context; this one has nothing left.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Whether `sha` is a SHA-256 in hex (and so a safe name).
fn is_sha(sha: &str) -> bool {
    sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Creates `dir` (and its parents) readable by this user only.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))
}

impl Photos {
    /// Opens `spec`: `s3://BUCKET/PREFIX` or a folder (created readable by this user only).
    pub fn open(spec: &str, s3: &S3Options) -> Result<Photos, String> {
        let Some(rest) = spec.strip_prefix("s3://") else {
            let dir = PathBuf::from(spec);
            private_dir(&dir)?;
            return Ok(Photos::Dir(dir));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("--photos: {spec:?} names no bucket"));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = &s3.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        let region = s3.region.clone().or_else(|| std::env::var("AWS_REGION").ok());
        builder = builder.with_region(region.unwrap_or_else(|| "us-east-1".into()));
        let client = builder.build().map_err(|e| format!("--photos {spec}: {e}"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gradcap-s3")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let prefix = prefix.trim_matches('/').to_string();
        Ok(Photos::S3(Bucket { client, prefix, runtime: Some(runtime) }))
    }

    /// Writes `bytes` under their hash (atomically: a file is renamed into place; an object is
    /// written whole or not at all); the hash.
    pub fn put(&self, bytes: &[u8]) -> Result<String, String> {
        let sha = sha256(bytes);
        match self {
            Photos::Dir(dir) => blocking(Waiting::Photos, || put_file(dir, &sha, bytes))?,
            Photos::S3(bucket) => {
                let payload = PutPayload::from(bytes.to_vec());
                bucket.run(bucket.client.put(&bucket.path(&sha), payload))?;
            }
        }
        Ok(sha)
    }

    /// The photo named `sha`, `None` when there is none.
    pub fn get(&self, sha: &str) -> Result<Option<Vec<u8>>, String> {
        if !is_sha(sha) {
            return Ok(None);
        }
        match self {
            Photos::Dir(dir) => match std::fs::read(file_path(dir, sha)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.to_string()),
            },
            Photos::S3(bucket) => {
                let path = bucket.path(sha);
                let got = bucket.run(async { bucket.client.get(&path).await?.bytes().await });
                match got {
                    Ok(bytes) => Ok(Some(bytes.to_vec())),
                    Err(Missing::NotFound) => Ok(None),
                    Err(Missing::Other(e)) => Err(e),
                }
            }
        }
    }

    /// Removes the photo named `sha` (nothing when there is none).
    pub fn remove(&self, sha: &str) -> Result<(), String> {
        if !is_sha(sha) {
            return Ok(());
        }
        match self {
            Photos::Dir(dir) => match std::fs::remove_file(file_path(dir, sha)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.to_string()),
                _ => Ok(()),
            },
            Photos::S3(bucket) => match bucket.run(bucket.client.delete(&bucket.path(sha))) {
                Ok(()) | Err(Missing::NotFound) => Ok(()),
                Err(Missing::Other(e)) => Err(e),
            },
        }
    }

    /// Every stored photo (anything else there — a temporary file — is left out).
    pub fn list(&self) -> Result<Vec<Stored>, String> {
        match self {
            Photos::Dir(dir) => list_dir(dir),
            Photos::S3(bucket) => {
                use futures::TryStreamExt as _;
                let prefix = (!bucket.prefix.is_empty())
                    .then(|| object_store::path::Path::from(bucket.prefix.as_str()));
                let all: Vec<object_store::ObjectMeta> =
                    bucket.run(bucket.client.list(prefix.as_ref()).try_collect())?;
                Ok(all
                    .into_iter()
                    .filter_map(|meta| {
                        let name = meta.location.filename()?.strip_suffix(".jpg")?.to_string();
                        is_sha(&name).then(|| Stored { sha: name, modified: meta.last_modified.timestamp() })
                    })
                    .collect())
            }
        }
    }

    /// Whether photos can be written: a probe is written and removed; the reason when not.
    pub fn ready(&self) -> Result<(), String> {
        let probe = format!(".ready-{}", super::store::hex(&super::secret::random::<6>()));
        match self {
            Photos::Dir(dir) => {
                let path = dir.join(&probe);
                std::fs::write(&path, b"ok").map_err(|e| format!("{}: {e}", dir.display()))?;
                std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))
            }
            Photos::S3(bucket) => {
                let path = object_store::path::Path::from(format!("{}/{probe}", bucket.prefix));
                bucket.run(bucket.client.put(&path, PutPayload::from_static(b"ok")))?;
                bucket.run(bucket.client.delete(&path)).map_err(String::from)
            }
        }
    }
}

/// An S3 answer that found nothing, told apart from a failure.
enum Missing {
    NotFound,
    Other(String),
}

impl From<object_store::Error> for Missing {
    fn from(e: object_store::Error) -> Missing {
        match e {
            object_store::Error::NotFound { .. } => Missing::NotFound,
            other => Missing::Other(other.to_string()),
        }
    }
}

impl From<Missing> for String {
    fn from(m: Missing) -> String {
        match m {
            Missing::NotFound => "not found".into(),
            Missing::Other(e) => e,
        }
    }
}

impl Bucket {
    fn path(&self, sha: &str) -> object_store::path::Path {
        let name = format!("{}/{sha}.jpg", &sha[..2]);
        object_store::path::Path::from(if self.prefix.is_empty() {
            name
        } else {
            format!("{}/{name}", self.prefix)
        })
    }

    /// Runs `request` to its end from synchronous code.
    fn run<T>(
        &self,
        request: impl std::future::Future<Output = object_store::Result<T>>,
    ) -> Result<T, Missing> {
        let runtime = self.runtime.as_ref().expect("kept until dropped");
        blocking(Waiting::Photos, || runtime.block_on(request)).map_err(Missing::from)
    }
}

fn file_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(format!("{sha}.jpg"))
}

fn put_file(photos: &Path, sha: &str, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let dir = photos.join(&sha[..2]);
    private_dir(&dir)?;
    let path = dir.join(format!("{sha}.jpg"));
    if path.is_file() {
        return Ok(());
    }
    let tmp = dir.join(format!(
        "{sha}.tmp{}-{}",
        std::process::id(),
        super::store::hex(&super::secret::random::<4>())
    ));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| e.to_string())?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &path).map_err(|e| e.to_string())
}

fn list_dir(photos: &Path) -> Result<Vec<Stored>, String> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(photos).map_err(|e| format!("{}: {e}", photos.display()))?.flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            let Some(sha) = name.strip_suffix(".jpg").filter(|s| is_sha(s)) else { continue };
            let modified = file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            out.push(Stored { sha: sha.to_string(), modified });
        }
    }
    Ok(out)
}
