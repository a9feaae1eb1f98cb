//! `gradcap eval DIR`: the photo checks' confusion on labelled real photographs (the work is in
//! [`gradcap_cli::eval`]), with the head pose compared to another estimator's when one is given.

use gradcap::checks::Rules;
use gradcap::face::FaceFinder;
use gradcap::photo::standard::Standard;
use gradcap_cli::eval::{self, Sample};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A head pose another estimator read, degrees, in gradcap's signs (docs/checks.md).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
struct AnchorPose {
    yaw: f64,
    pitch: f64,
    roll: f64,
}

/// How far gradcap's pose lies from the anchor's on one axis, over the photos both read.
#[derive(Debug, Serialize)]
struct Difference {
    axis: &'static str,
    photos: usize,
    /// Median of gradcap − anchor (the bias).
    median: f64,
    /// Median and 90th percentile of |gradcap − anchor|.
    median_abs: f64,
    p90_abs: f64,
}

#[derive(Serialize)]
struct Output<'a> {
    summary: &'a eval::Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor: Option<Vec<Difference>>,
    samples: &'a [Sample],
}

/// The value at fraction `q` of the sorted `values` (nearest rank).
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return f64::NAN;
    }
    values[((values.len() - 1) as f64 * q).round() as usize]
}

fn compare(samples: &[Sample], anchor: &BTreeMap<String, AnchorPose>) -> Vec<Difference> {
    let pairs: Vec<_> = samples.iter().filter_map(|s| Some((s.pose?, anchor.get(&s.label.file)?))).collect();
    let axis = |name: &'static str, delta: &dyn Fn(&(gradcap::face::measures::Pose, &AnchorPose)) -> f64| {
        let mut d: Vec<f64> = pairs.iter().map(delta).collect();
        let mut abs: Vec<f64> = d.iter().map(|v| v.abs()).collect();
        Difference {
            axis: name,
            photos: d.len(),
            median: quantile(&mut d, 0.5),
            median_abs: quantile(&mut abs, 0.5),
            p90_abs: quantile(&mut abs, 0.9),
        }
    };
    vec![
        axis("yaw", &|(p, a)| p.yaw as f64 - a.yaw),
        axis("pitch", &|(p, a)| p.pitch as f64 - a.pitch),
        axis("roll", &|(p, a)| p.roll as f64 - a.roll),
    ]
}

/// For pictures without labels: how many each content check refused.
fn unlabelled_table(samples: &[Sample]) -> String {
    let mut refused: BTreeMap<&str, usize> = BTreeMap::new();
    for id in samples.iter().flat_map(|s| &s.refused_by) {
        *refused.entry(id.id()).or_insert(0) += 1;
    }
    let passed = samples.iter().filter(|s| s.refused_by.is_empty()).count();
    let mut text = format!(
        "{} pictures without labels: {passed} pass every content check; no face found in {}.\n\n\
         | check | refused |\n|---|---|\n",
        samples.len(),
        samples.iter().filter(|s| !s.face).count()
    );
    for (id, n) in refused {
        text += &format!("| `{id}` | {n} |\n");
    }
    text
}

/// What `gradcap eval` is asked for besides the folder.
pub struct Options<'a> {
    /// The folder holding the models.
    pub models: &'a Path,
    /// The checks' thresholds.
    pub rules: &'a Rules,
    /// Print JSON instead of the table.
    pub json: bool,
    /// Another estimator's head poses to compare with.
    pub anchor: Option<&'a Path>,
    /// Only the pictures of this verdict (`good`, `bad`, `borderline`).
    pub only: Option<&'a str>,
    /// A face mesh model to judge with instead of the models folder's.
    pub mesh: Option<&'a Path>,
    /// Make the standard photo of every picture into this folder, with a contact sheet.
    pub photos: Option<&'a Path>,
    /// The photo standard.
    pub standard: &'a Standard,
}

/// Evaluates `dir` and prints the table (or JSON); fails only when the corpus cannot be read.
pub fn run(dir: &Path, options: &Options<'_>) -> Result<(), String> {
    let anchor: Option<BTreeMap<String, AnchorPose>> = options
        .anchor
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        })
        .transpose()?;
    let mut labels = eval::labels(dir)?;
    if let Some(only) = options.only {
        labels.retain(|l| l.verdict == only);
        if labels.is_empty() {
            return Err(format!("{}: no picture labelled {only}", dir.display()));
        }
    }
    let mut finder = match options.mesh {
        None => gradcap_cli::face_finder(options.models)?,
        Some(mesh) => {
            let detector = gradcap_cli::read_model(options.models, gradcap::face::models::DETECTOR)?;
            let mesh_bytes = std::fs::read(mesh).map_err(|e| format!("{}: {e}", mesh.display()))?;
            FaceFinder::new(&detector, &mesh_bytes).map_err(|e| format!("{}: {e}", mesh.display()))?
        }
    };
    let samples = eval::judge_all(&mut finder, dir, labels.clone(), options.rules);
    let summary = eval::summarize(&samples, options.rules);
    let differences = anchor.map(|a| compare(&samples, &a));
    if options.json {
        let output = Output { summary: &summary, anchor: differences, samples: &samples };
        println!("{}", serde_json::to_string(&output).map_err(|e| e.to_string())?);
    } else if samples.iter().all(|s| s.label.verdict == "unlabelled") {
        print!("{}", unlabelled_table(&samples));
    } else {
        print!("{}", summary.table());
        if let Some(differences) = differences {
            println!("\nHead pose against the anchor (gradcap − anchor, degrees):\n");
            println!("| axis | photos | median | median abs | 90th pct abs |\n|---|---|---|---|---|");
            for d in differences {
                println!(
                    "| {} | {} | {:+.1} | {:.1} | {:.1} |",
                    d.axis, d.photos, d.median, d.median_abs, d.p90_abs
                );
            }
        }
    }
    match options.photos {
        Some(out) => {
            let mut maker = crate::photo::Maker::with_finder(finder, options.models)?;
            crate::photos::run(dir, &labels, out, &mut maker, options.standard)
        }
        None => Ok(()),
    }
}
