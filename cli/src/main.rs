//! `gradcap`: the command line over the gradcap core.

mod analyze;
use gradcap_cli::backend;
mod decode;
mod photo;
mod serve;

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
    /// Make the standard CHSI photo (480×640, blue background, 20–40 KB JPEG) from an image;
    /// prints a JSON report and fails when the photo does not meet the rules.
    Photo {
        /// A PNG, JPEG or WebP portrait.
        input: PathBuf,
        /// Where to write the JPEG.
        output: PathBuf,
        /// The folder holding the models (default: models/ of the project).
        #[arg(long)]
        models: Option<PathBuf>,
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
    },
    /// Serve the demo page (www/) and the built component (pkg/) on a local address.
    Serve {
        /// Address to listen on; port 0 picks a free one.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// The project folder holding www/ and pkg/ (default: the current folder, else the one
        /// this binary was built from).
        #[arg(long)]
        root: Option<PathBuf>,
        /// Where the database (gradcap.db) and the photos go (default: data/ under the root).
        #[arg(long)]
        data: Option<PathBuf>,
        /// A bearer token every API call must carry (default: none, for the local demo).
        #[arg(long, env = "GRADCAP_TOKEN")]
        token: Option<String>,
        /// An origin allowed to call the API from another site (repeatable; "*" for any).
        #[arg(long)]
        cors: Vec<String>,
        /// A JSON file of sessions: [{"code", "name", "school", "open"}].
        #[arg(long)]
        sessions: Option<PathBuf>,
        /// A session as CODE=NAME (CODE=NAME=closed for a closed one); repeatable.
        #[arg(long)]
        session: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze { files, models, rules } => {
            let models = models.unwrap_or_else(|| serve::project_root(None).join("models"));
            let rules = match rules.map(|json| serde_json::from_str(&json)) {
                None => Ok(gradcap::checks::Rules::default()),
                Some(parsed) => parsed.map_err(|e| format!("--rules: {e}")),
            };
            match rules.and_then(|rules| analyze::run(&files, &models, &rules)) {
                Ok(true) => Ok(()),
                Ok(false) => Err("some files could not be read".to_string()),
                Err(e) => Err(e),
            }
        }
        Command::Photo { input, output, models } => {
            let models = models.unwrap_or_else(|| serve::project_root(None).join("models"));
            match photo::run(&input, &output, &models) {
                Ok(true) => Ok(()),
                Ok(false) => Err("the photo does not meet CHSI's rules (see the report)".to_string()),
                Err(e) => Err(e),
            }
        }
        Command::PackModel { input, output } => std::fs::read(&input)
            .map_err(|e| format!("{}: {e}", input.display()))
            .and_then(|bytes| gradcap::face::pack::pack(&bytes).map_err(|e| e.to_string()))
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
        Command::Serve { addr, root, data, token, cors, sessions, session } => {
            let root = serve::project_root(root);
            let data = data.unwrap_or_else(|| root.join("data"));
            serve::sessions(sessions.as_deref(), &session)
                .and_then(|sessions| {
                    let config = backend::Config { token, cors };
                    backend::Backend::new(&data, &sessions, &root.join("models"), config)
                })
                .and_then(|backend| serve::run(addr, root, backend.router()))
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gradcap: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
