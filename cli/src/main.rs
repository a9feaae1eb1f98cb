//! `gradcap`: the command line over the gradcap core.

mod analyze;
use gradcap_cli::backend;
mod decode;
mod evaluation;
mod photo;
mod photos;
mod serve;
mod tls;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The gradcap command line.
#[derive(Parser)]
#[command(name = "gradcap", version = gradcap::VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the face in image files and measure it; prints one JSON object per file.
    Analyze {
        /// PNG, JPEG or WebP files.
        #[arg(required = true)]
        files: Vec<String>,
        /// The folder holding the face models (default: models/ of the project).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Thresholds of the checks as JSON (see `gradcap::checks::Rules`), e.g.
        /// '{"maxYaw": 8, "disabled": ["clothing.color"]}'.
        #[arg(long)]
        rules: Option<String>,
    },
    /// Measure the photo checks on labelled photographs (DIR/labels.json, the images in DIR/img/):
    /// per check, the faults it owns that it caught and missed and the good photos it refused.
    Eval {
        /// The folder of labelled photographs, e.g. ../shared/faces-real.
        dir: PathBuf,
        /// The folder holding the face models (default: models/ of the project).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Thresholds of the checks as JSON (see `gradcap::checks::Rules`).
        #[arg(long)]
        rules: Option<String>,
        /// Print JSON (the summary and every image's checks) instead of the table.
        #[arg(long)]
        json: bool,
        /// Head poses of another estimator as JSON, `{"FILE": {"yaw", "pitch", "roll"}}`
        /// (scripts/eval writes MediaPipe FaceLandmarker's): the differences are reported.
        #[arg(long)]
        anchor: Option<PathBuf>,
        /// Only the pictures labelled so.
        #[arg(long, value_parser = ["good", "bad", "borderline"])]
        only: Option<String>,
        /// Judge with this face mesh model instead of the models folder's attention mesh
        /// (face_landmark_with_attention.tflite), e.g. models/face_landmark.tflite, the plain
        /// 468-point mesh, to compare.
        #[arg(long, value_name = "FILE")]
        mesh: Option<PathBuf>,
        /// Also make the standard photo of every picture into this folder (as `gradcap photo
        /// --force`: NAME.jpg), with photos.json (made, failing or incomplete, and the
        /// self-check's faults) and sheet.png, a contact sheet of them all. DIR needs no
        /// labels.json for this: without one every picture in it is taken.
        #[arg(long, value_name = "OUT")]
        photos: Option<PathBuf>,
        /// The photo standard for --photos, as for `gradcap photo`.
        #[arg(long, requires = "photos")]
        standard: Option<String>,
    },
    /// Make the standard photo (CHSI's: 480×640, blue background, 20–40 KB JPEG) from an image;
    /// prints a JSON report and fails when the photo does not meet the standard. Where the photo
    /// reaches past the image, it is background if the person would not be there; where the
    /// person would be (below the chin, beside the shoulders) the photo cannot be made, and no
    /// file is written unless --force.
    Photo {
        /// A PNG, JPEG or WebP portrait.
        input: PathBuf,
        /// Where to write the JPEG.
        output: PathBuf,
        /// The folder holding the models (default: models/ of the project).
        #[arg(long)]
        models: Option<PathBuf>,
        /// Another photo standard than CHSI's, as JSON or a JSON file (see
        /// `gradcap::photo::standard::Standard`), e.g. '{"background": "#ffffff"}'.
        #[arg(long)]
        standard: Option<String>,
        /// Write the photo even when part of the person lies outside the image, that part
        /// painted in grey and white stripes (the run still fails).
        #[arg(long)]
        force: bool,
    },
    /// Decode the QR codes in image files; prints one JSON object per file.
    Decode {
        /// PNG, JPEG or WebP files.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Pack a face model for shipping: fp16 weights stored as int8 per output channel.
    PackModel {
        /// The `.tflite` to pack.
        input: PathBuf,
        /// Where to write the packed model.
        output: PathBuf,
        /// Leave out what only this output needs (its weights are not shipped and the engine does
        /// not compute it), e.g. output_left_iris; may be repeated.
        #[arg(long, value_name = "OUTPUT")]
        drop: Vec<String>,
    },
    /// Serve the demo page (www/), the built component (pkg/) and the reference backend.
    Serve(Box<ServeArgs>),
    /// Manage the staff accounts that sign in to the review page.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage the collection sessions (采集场次) students upload into.
    Sessions {
        #[command(subcommand)]
        action: SessionAction,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the approved photos of a session as a ZIP, one per student named by the capture
    /// code, with manifest.csv (code, file, decided by and when, sha256).
    Export {
        /// The session's code.
        #[arg(long)]
        session: String,
        /// The ZIP to write.
        #[arg(long)]
        out: PathBuf,
        /// Name the photos by capture-code, or by student-number (from the session's roster).
        #[arg(long, default_value = "capture-code", value_parser = ["capture-code", "student-number"])]
        name_by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete captures' photos, originals, receipts and personal data (rows stay as tombstones).
    Purge {
        /// Every capture of this student (on request).
        #[arg(long, conflicts_with = "keep_days", required_unless_present = "keep_days")]
        capture_code: Option<String>,
        /// Captures decided more than this many days ago.
        #[arg(long)]
        keep_days: Option<u32>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Compare the records with the photo store: photos a capture names that are missing, photos
    /// whose bytes do not match their name (with --verify), and orphans no capture names (left
    /// when a server stops between writing a photo and its row). Prints JSON; fails when a photo
    /// is missing or corrupt.
    Fsck {
        #[command(flatten)]
        store: StoreArgs,
        /// Read every photo and check its SHA-256.
        #[arg(long)]
        verify: bool,
        /// Remove the orphans written more than this many minutes ago (younger ones may belong
        /// to an upload still being stored).
        #[arg(long, value_name = "MINUTES")]
        remove_orphans: Option<u32>,
    },
}

#[derive(clap::Subcommand)]
enum SessionAction {
    /// List the sessions (code, open or closed, name, school).
    List,
    /// Add a session.
    Add {
        /// Its code (the 8 digits in the session's QR code).
        code: String,
        /// What the student sees to confirm it, e.g. 示例大学2026届图像采集.
        name: String,
        /// The school.
        #[arg(long, default_value = "")]
        school: String,
        /// Add it closed.
        #[arg(long)]
        closed: bool,
    },
    /// Import a session's roster from a CSV (columns 采集码 or capture_code, and optionally 学号,
    /// 姓名, 院系), replacing the one before.
    Roster {
        /// The session's code.
        code: String,
        /// The CSV file.
        file: PathBuf,
    },
    /// Rename, open or close a session.
    Set {
        /// Its code.
        code: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A new school.
        #[arg(long)]
        school: Option<String>,
        /// Take photos again.
        #[arg(long, conflicts_with = "close")]
        open: bool,
        /// Take no more photos.
        #[arg(long)]
        close: bool,
    },
}

/// Where the records and the photos are.
#[derive(clap::Args)]
struct StoreArgs {
    /// The folder of the default store, gradcap.db and photos/ (default: data/ under the project
    /// folder); `serve --tls` keeps its certificate there too.
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// The database instead of DATA/gradcap.db: sqlite://PATH, or
    /// postgres://USER:PASSWORD@HOST:PORT/NAME for several servers at once.
    #[arg(long, global = true, env = "GRADCAP_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// The photo store instead of DATA/photos: a folder, or s3://BUCKET/PREFIX (credentials from
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #[arg(long, global = true, env = "GRADCAP_PHOTOS")]
    photos: Option<String>,
    /// The S3 service's address with --photos s3://…, e.g. http://127.0.0.1:8333 (default: AWS).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    s3_endpoint: Option<String>,
    /// The S3 region (default: us-east-1).
    #[arg(long, global = true, env = "AWS_REGION")]
    s3_region: Option<String>,
    /// Connections to PostgreSQL this process keeps at most; requests past them wait.
    #[arg(long, global = true, default_value_t = backend::db::DEFAULT_CONNECTIONS)]
    database_connections: usize,
}

impl StoreArgs {
    /// The data folder: --data, else data/ under `root`.
    fn data(&self, root: &std::path::Path) -> PathBuf {
        self.data.clone().unwrap_or_else(|| root.join("data"))
    }

    /// Where the store is, the defaults under `root`'s data folder.
    fn location(&self, root: &std::path::Path) -> backend::store::Location {
        let default = backend::store::Location::in_folder(&self.data(root));
        backend::store::Location {
            database: self.database.clone().unwrap_or(default.database),
            photos: self.photos.clone().unwrap_or(default.photos),
            s3: backend::photos::S3Options {
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
            },
            connections: self.database_connections,
        }
    }

    /// Opens the store (the project folder's data/ by default).
    fn open(&self) -> Result<backend::store::Store, String> {
        backend::store::Store::open_at(&self.location(&serve::project_root(None)))
    }
}

#[derive(Subcommand)]
enum StaffAction {
    /// Add an account; its password (at least 10 characters) is read from stdin.
    Add {
        /// The sign-in name.
        name: String,
        /// admin (also manages the sessions), reviewer (may decide) or viewer (may only look).
        #[arg(long, default_value = "reviewer", value_parser = ["admin", "reviewer", "viewer"])]
        role: String,
    },
    /// List the accounts.
    List,
    /// Remove an account (its sessions end).
    Remove {
        /// The sign-in name.
        name: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The project folder holding www/ and pkg/ (default: the current folder, else the one
    /// this binary was built from); or, without www/, a built app's folder (an index.html and its
    /// assets, e.g. a Vite or webpack dist/) served as it is.
    #[arg(long)]
    root: Option<PathBuf>,
    /// The face models (served under /models/ and used to re-check uploads; default: models/
    /// under --root).
    #[arg(long)]
    models: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
    /// A bearer token students' requests must carry (the integrator's credential; default: none).
    /// It never grants a staff right.
    #[arg(long, alias = "token", env = "GRADCAP_UPLOAD_TOKEN")]
    upload_token: Option<String>,
    /// An origin allowed to call the student endpoints from another site (repeatable; "*" for any).
    #[arg(long)]
    cors: Vec<String>,
    /// A host name the server answers for, besides IP addresses and localhost (repeatable).
    #[arg(long)]
    host: Vec<String>,
    /// A proxy (address or CIDR block, repeatable) whose X-Forwarded-For / Forwarded header names
    /// the client: behind it, every per-address limit counts the client, not the proxy, and its
    /// X-Forwarded-Proto says whether the page was HTTPS. Headers from anyone else are ignored.
    #[arg(long, value_name = "CIDR")]
    trusted_proxy: Vec<String>,
    /// Mark the staff cookie Secure (set this behind an HTTPS proxy; --tls sets it).
    #[arg(long)]
    secure_cookies: bool,
    /// Serve HTTPS, with a self-signed certificate made once and kept in the data folder unless
    /// --tls-cert and --tls-key name the school's own (browsers give the camera only to secure
    /// pages, and a phone on the LAN reaches the demo by address).
    #[arg(long)]
    tls: bool,
    /// The certificate chain (PEM) to serve with --tls.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Uploads a minute from one address (0: no limit).
    #[arg(long, default_value_t = 120)]
    uploads_per_minute: usize,
    /// Delete captures' photos and personal data this many days after their decision.
    #[arg(long)]
    keep_days: Option<u32>,
    /// Connections open at once.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Connections open at once from one address (more are closed).
    #[arg(long, default_value_t = 64)]
    max_connections_per_address: usize,
    /// Seconds a client has to send a request's header.
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Longest pause inside a request body, seconds; after as long, a body must also average
    /// --body-min-rate (slower: 408).
    #[arg(long, default_value_t = 20)]
    body_timeout: u64,
    /// Least average rate of a request body after --body-timeout seconds, bytes a second.
    #[arg(long, default_value_t = 2048)]
    body_min_rate: u64,
    /// Memory all upload bodies may hold at once, MiB (more wait, then get 503).
    #[arg(long, default_value_t = 64)]
    upload_memory: usize,
    /// The multipart field of the standard photo (the component's `endpoint` option
    /// `photoField`).
    #[arg(long, default_value_t = gradcap::upload::FieldNames::default().photo)]
    photo_field: String,
    /// The multipart field of the full frame (`originalField`).
    #[arg(long, default_value_t = gradcap::upload::FieldNames::default().original)]
    original_field: String,
    /// The multipart field of the metadata (`metaField`).
    #[arg(long, default_value_t = gradcap::upload::FieldNames::default().meta)]
    meta_field: String,
    /// Add the demo's two sample sessions (示例大学, one open, one closed) if they are not there.
    #[arg(long)]
    demo: bool,
    /// A JSON file of sessions to add if they are not there yet: [{"code", "name", "school",
    /// "open"}]. A session already in the database is left as staff last set it.
    #[arg(long)]
    sessions: Option<PathBuf>,
    /// A session to add if it is not there yet, as CODE=NAME (CODE=NAME=closed for a closed one);
    /// repeatable.
    #[arg(long)]
    session: Vec<String>,
    /// A reason the review desk offers for a rejection with one key (repeatable; the student
    /// reads it); given, these replace the built-in list.
    #[arg(long, value_name = "TEXT")]
    reject_reason: Vec<String>,
    /// The time zone the review desk shows times in (IANA name).
    #[arg(long, default_value = "Asia/Shanghai")]
    time_zone: String,
    /// The photo standard uploads are held to, as JSON or a JSON file, when it is not CHSI's
    /// (give the component the same `standard`), e.g. '{"background": "#ffffff"}'.
    #[arg(long)]
    standard: Option<String>,
}

fn serve(args: ServeArgs) -> Result<(), String> {
    serve::return_large_buffers();
    let root = serve::project_root(args.root);
    let site = serve::Site::at(&root, args.models)?;
    // A built app's folder is served to anyone: its data lives in the current folder by default.
    let home = if site.pkg.is_some() { root.clone() } else { PathBuf::from(".") };
    let data = args.store.data(&home);
    site.keeps_private(&data)?;
    let location = args.store.location(&home);
    let mut sessions = serve::sessions(args.sessions.as_deref(), &args.session)?;
    if args.demo {
        sessions.extend(serve::demo_sessions());
    }
    let with_tls = args.tls || args.tls_cert.is_some();
    let tls = with_tls
        .then(|| tls::load_or_make(&data, args.tls_cert.as_deref(), args.tls_key.as_deref()))
        .transpose()?;
    let config = backend::Config {
        upload_token: args.upload_token,
        cors: args.cors,
        hosts: args.host,
        secure_cookies: args.secure_cookies || with_tls,
        uploads_per_minute: args.uploads_per_minute,
        fields: gradcap::upload::FieldNames {
            photo: args.photo_field,
            original: args.original_field,
            meta: args.meta_field,
        },
        standard: gradcap_cli::standard(args.standard.as_deref())?,
        trusted_proxies: backend::Proxies::parse(&args.trusted_proxy)?,
        desk: backend::Desk {
            reasons: if args.reject_reason.is_empty() {
                backend::Desk::default().reasons
            } else {
                args.reject_reason
            },
            time_zone: args.time_zone,
        },
        pace: backend::pace::Pace {
            pause: std::time::Duration::from_secs(args.body_timeout.max(1)),
            min_rate: args.body_min_rate,
            budget: args.upload_memory.max(gradcap_cli::backend::MAX_BODY.div_ceil(1 << 20)) << 20,
        },
        ..backend::Config::default()
    };
    let backend = backend::Backend::at(&location, &sessions, &site.models, config)?;
    let limits = serve::Limits {
        connections: args.max_connections,
        per_address: args.max_connections_per_address,
        header: std::time::Duration::from_secs(args.header_timeout.max(1)),
        ..serve::Limits::default()
    };
    serve::run(serve::Serving { addr: args.addr, site, limits, keep_days: args.keep_days, tls }, backend)
}

fn staff(action: StaffAction, store: &StoreArgs) -> Result<(), String> {
    use backend::staff::{hash_password, MIN_PASSWORD};
    let store = store.open()?;
    match action {
        StaffAction::Add { name, role } => {
            if !backend::staff::valid_name(&name) {
                return Err("a staff name is 1–64 characters without spaces".into());
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.chars().count() < MIN_PASSWORD {
                return Err(format!(
                    "the password (read from stdin) needs at least {MIN_PASSWORD} characters"
                ));
            }
            if !store.add_staff(&name, &hash_password(password)?, &role)? {
                return Err(format!("there is already an account {name:?}"));
            }
            println!("added {name} ({role})");
        }
        StaffAction::List => {
            for account in store.staff()? {
                println!("{}\t{}\t{}", account.name, account.role, account.created_at);
            }
        }
        StaffAction::Remove { name } => {
            if !store.remove_staff(&name)? {
                return Err(format!("no account {name:?}"));
            }
            println!("removed {name}");
        }
    }
    Ok(())
}

fn sessions(action: SessionAction, store: &StoreArgs) -> Result<(), String> {
    use backend::store::{check_session_fields, Session, SessionChange};
    let store = store.open()?;
    match action {
        SessionAction::List => {
            for s in store.sessions()? {
                println!("{}\t{}\t{}\t{}", s.code, if s.open { "open" } else { "closed" }, s.name, s.school);
            }
        }
        SessionAction::Add { code, name, school, closed } => {
            check_session_fields(&code, &name)?;
            let session = Session { code: code.clone(), name, school, open: !closed };
            if store.put_sessions(&[session])? == 0 {
                return Err(format!("there is already a session {code}"));
            }
            println!("added {code}");
        }
        SessionAction::Roster { code, file } => {
            if store.session(&code)?.is_none() {
                return Err(format!("no session {code}"));
            }
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let students = backend::roster::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            println!("imported {} students into {code}", store.set_roster(&code, &students)?);
        }
        SessionAction::Set { code, name, school, open, close } => {
            if let Some(name) = &name {
                check_session_fields(&code, name)?;
            }
            let open = if open {
                Some(true)
            } else if close {
                Some(false)
            } else {
                None
            };
            if !store.update_session(&code, &SessionChange { name, school, open })? {
                return Err(format!("no session {code}"));
            }
            println!("changed {code}");
        }
    }
    Ok(())
}

fn export(session: &str, out: &std::path::Path, name_by: &str, store: &StoreArgs) -> Result<(), String> {
    let naming = backend::export::Naming::parse(name_by)?;
    let store = store.open()?;
    // Written beside the target and renamed, so a failed export leaves no half archive.
    let partial = out.with_extension("zip.part");
    let file = std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let written = backend::export::export(&store, session, naming, std::io::BufWriter::new(file));
    let exported = match written {
        Ok(exported) => exported,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("exported {} photos of session {session} to {}", exported.photos, out.display());
    Ok(())
}

fn purge(capture_code: Option<String>, keep_days: Option<u32>, store: &StoreArgs) -> Result<(), String> {
    use backend::store::{rfc3339, unix_now, Purge};
    let store = store.open()?;
    let purged = match (capture_code, keep_days) {
        (Some(code), _) => store.purge(Purge::CaptureCode(&code))?,
        (None, Some(days)) => store.purge(Purge::Before(&rfc3339(unix_now() - i64::from(days) * 86_400)))?,
        (None, None) => return Err("say which: --capture-code CODE or --keep-days N".into()),
    };
    println!("purged {purged} captures");
    Ok(())
}

fn fsck(store: &StoreArgs, verify: bool, remove_orphans: Option<u32>) -> Result<(), String> {
    let report = store.open()?.fsck(verify, remove_orphans.map(|m| i64::from(m) * 60))?;
    println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    if report.missing.is_empty() && report.corrupt.is_empty() {
        Ok(())
    } else {
        Err(format!("{} photos missing, {} corrupt", report.missing.len(), report.corrupt.len()))
    }
}

/// The `--rules` option: the default rules without one.
fn parse_rules(json: Option<String>) -> Result<gradcap::checks::Rules, String> {
    match json.map(|json| serde_json::from_str(&json)) {
        None => Ok(gradcap::checks::Rules::default()),
        Some(parsed) => parsed.map_err(|e| format!("--rules: {e}")),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze { files, models, rules } => {
            let models = models.unwrap_or_else(|| serve::project_root(None).join("models"));
            match parse_rules(rules).and_then(|rules| analyze::run(&files, &models, &rules)) {
                Ok(true) => Ok(()),
                Ok(false) => Err("some files could not be read".to_string()),
                Err(e) => Err(e),
            }
        }
        Command::Eval { dir, models, rules, json, anchor, only, mesh, photos, standard } => {
            let models = models.unwrap_or_else(|| serve::project_root(None).join("models"));
            parse_rules(rules).and_then(|rules| {
                let standard = gradcap_cli::standard(standard.as_deref())?;
                let options = evaluation::Options {
                    models: &models,
                    rules: &rules,
                    json,
                    anchor: anchor.as_deref(),
                    only: only.as_deref(),
                    mesh: mesh.as_deref(),
                    photos: photos.as_deref(),
                    standard: &standard,
                };
                evaluation::run(&dir, &options)
            })
        }
        Command::Photo { input, output, models, standard, force } => {
            let models = models.unwrap_or_else(|| serve::project_root(None).join("models"));
            gradcap_cli::standard(standard.as_deref())
                .and_then(|standard| photo::run(&input, &output, &models, &standard, force))
        }
        Command::PackModel { input, output, drop } => std::fs::read(&input)
            .map_err(|e| format!("{}: {e}", input.display()))
            .and_then(|bytes| {
                let drop: Vec<&str> = drop.iter().map(String::as_str).collect();
                gradcap::face::pack::pack_without(&bytes, &drop).map_err(|e| e.to_string())
            })
            .and_then(|packed| {
                std::fs::write(&output, packed).map_err(|e| format!("{}: {e}", output.display()))
            }),
        Command::Decode { files } => {
            if decode::run(&files) {
                Ok(())
            } else {
                Err("some files could not be read".to_string())
            }
        }
        Command::Serve(args) => serve(*args),
        Command::Staff { action, store } => staff(action, &store),
        Command::Sessions { action, store } => sessions(action, &store),
        Command::Export { session, out, name_by, store } => export(&session, &out, &name_by, &store),
        Command::Purge { capture_code, keep_days, store } => purge(capture_code, keep_days, &store),
        Command::Fsck { store, verify, remove_orphans } => fsck(&store, verify, remove_orphans),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gradcap: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
