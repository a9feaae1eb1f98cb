//! `gradcap analyze FILE…`: the face and the photo checks of image files, one JSON object per
//! line. A still image is judged as a single, stable frame.

use gradcap::analysis::Still;
use gradcap::checks::{Check, Rules};
use gradcap::face::Face;
use gradcap::frame::{decode_image, DecodeLimits};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

#[derive(Serialize)]
struct Line<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ready: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    face: Option<Option<Face>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<Vec<CheckLine>>,
    /// What the recapture cues a still can show saw: `{peak, border, …}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    liveness: Option<gradcap::checks::liveness::Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A check as printed: its id, verdict, score, raw value and the hint in both languages; `off`
/// for a check the rules leave off by default (measured and shown, not counted in `ready`).
#[derive(Serialize)]
struct CheckLine {
    id: &'static str,
    pass: bool,
    score: u8,
    value: Option<f64>,
    hint: Hint,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    off: bool,
}

#[derive(Serialize)]
struct Hint {
    zh: &'static str,
    en: &'static str,
}

impl CheckLine {
    fn of(c: &Check, rules: &Rules) -> CheckLine {
        let hint = c.id.hint();
        CheckLine {
            id: c.id.id(),
            pass: c.pass,
            score: c.score,
            value: c.value,
            hint: Hint { zh: hint.zh, en: hint.en },
            off: !rules.enabled(c.id),
        }
    }
}

/// Analyses each file; returns whether every file could be read.
pub fn run(files: &[String], models: &Path, rules: &Rules) -> Result<bool, String> {
    let mut finder = gradcap_cli::face_finder(models)?;
    let mut all_read = true;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let result = std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|bytes| decode_image(&bytes, DecodeLimits::default()).map_err(|e| e.to_string()))
            // Every check is measured, those off by default too; only the rules' count.
            .and_then(|frame| {
                Still::judge(&mut finder, &frame.view(), &rules.clone().every_check())
                    .map_err(|e| e.to_string())
            });
        let line = match result {
            Ok(still) => Line {
                file,
                ready: Some(
                    still.face.is_some() && still.checks.iter().all(|c| c.pass || !rules.enabled(c.id)),
                ),
                checks: Some(still.checks.iter().map(|c| CheckLine::of(c, rules)).collect()),
                face: Some(still.face),
                liveness: still.liveness,
                error: None,
            },
            Err(error) => {
                all_read = false;
                Line { file, ready: None, face: None, checks: None, liveness: None, error: Some(error) }
            }
        };
        let json = serde_json::to_string(&line).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        if writeln!(out, "{json}").is_err() {
            break;
        }
    }
    Ok(all_read)
}
