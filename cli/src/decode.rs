//! `gradcap decode FILE…`: the capture-code decoder on image files, one JSON object per line.

use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::qr;
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

#[derive(Serialize)]
struct Line<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    codes: Option<Vec<qr::Code>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    ms: f64,
}

/// Decodes each file; a file that cannot be read gets an `error` field. Returns whether every file
/// could be read (finding no code is not a failure).
pub fn run(files: &[String]) -> bool {
    let mut all_read = true;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let started = Instant::now();
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| decode_image(&bytes, DecodeLimits::default()).map_err(|e| e.to_string()))
            .map(|frame| qr::decode(&frame.view()));
        let ms = (started.elapsed().as_secs_f64() * 1e5).round() / 100.0;
        let line = match result {
            Ok(codes) => Line { file, codes: Some(codes), error: None, ms },
            Err(error) => {
                all_read = false;
                Line { file, codes: None, error: Some(error), ms }
            }
        };
        let json = serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        if writeln!(out, "{json}").is_err() {
            return all_read;
        }
    }
    all_read
}
