//! `gradcap eval DIR`: the photo checks measured on labelled real photographs.
//!
//! `DIR` holds `labels.json` (a list of `{file, verdict, faults}`: verdict `good`, `bad` or
//! `borderline`, faults from the vocabulary of `../shared/faces-real/README.md`) and the images,
//! under `DIR/img/` or beside the labels. Each image is judged as `gradcap analyze` judges it;
//! each check is then held to the faults it owns ([`OWNERS`]): how many of the bad photos showing
//! one it catches, how many it misses, and how many good photos it refuses. The placement checks
//! (`face.in_guide`, `face.size`) and the video-only ones are left out: labelled stills are
//! uploads, not framed in a guide.

use gradcap::analysis::Still;
use gradcap::checks::{Check, CheckId, Rules};
use gradcap::face::measures::Pose;
use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which check owns each labelled fault: the one that must catch it. A fault missing here is
/// owned by no check (yet); [`Summary::unowned`] counts them.
pub const OWNERS: &[(&str, CheckId)] = &[
    ("multiple_faces", CheckId::FaceSingle),
    ("tilted", CheckId::PoseRoll),
    ("turned", CheckId::PoseYaw),
    ("nodded_up", CheckId::PosePitch),
    ("nodded_down", CheckId::PosePitch),
    ("backlight", CheckId::LightBacklight),
    ("shadow_half", CheckId::LightEven),
    ("shadow_chin", CheckId::LightChinShadow),
    ("shine", CheckId::LightHighlights),
    ("blurred", CheckId::ImageSharp),
    ("glasses_glare", CheckId::GlassesGlare),
    ("hair_over_brows", CheckId::HairClear),
    ("eyes_closed", CheckId::EyesOpen),
    ("occluded_mask", CheckId::FaceUncovered),
    ("occluded_other", CheckId::FaceUncovered),
    ("teeth", CheckId::MouthClosed),
    ("striped_clothing", CheckId::ClothingStripes),
    ("light_blue_clothing", CheckId::ClothingColor),
];

/// Faults that a good photo may carry (the corpus's soft requirement: hair over the ears).
const SOFT_FAULTS: &[&str] = &["ears_hidden"];

/// The checks judged on a labelled still: every check but placement and the video-only ones.
pub fn content_check(id: CheckId) -> bool {
    !matches!(
        id,
        CheckId::FaceInGuide
            | CheckId::FaceSize
            | CheckId::MotionStable
            | CheckId::LivenessBlink
            | CheckId::LivenessDepth
    )
}

/// One labelled photograph, as `labels.json` lists it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Label {
    /// The image's file name.
    pub file: String,
    /// `good`, `bad` or `borderline`.
    pub verdict: String,
    /// The faults seen in it.
    #[serde(default)]
    pub faults: Vec<String>,
}

/// What the judge made of one labelled photograph.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Its label.
    #[serde(flatten)]
    pub label: Label,
    /// Whether a face was found.
    pub face: bool,
    /// The head pose read, with a face.
    pub pose: Option<Pose>,
    /// The content checks that refused it.
    pub refused_by: Vec<CheckId>,
    /// Every content check's result.
    pub checks: Vec<Check>,
    /// Why the image could not be judged, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Sample {
    fn refuses(&self, id: CheckId) -> bool {
        self.refused_by.contains(&id)
    }

    fn has(&self, fault: &str) -> bool {
        self.label.faults.iter().any(|f| f == fault)
    }

    /// A good photo: the labeller would accept it.
    pub fn good(&self) -> bool {
        self.label.verdict == "good"
    }
}

/// One check's confusion on the corpus.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The check.
    pub id: CheckId,
    /// The faults it owns.
    pub owns: Vec<&'static str>,
    /// Bad photos showing one of them.
    pub faulty: usize,
    /// Of those, the ones it refused.
    pub caught: usize,
    /// Good photos it refused.
    pub good_refused: usize,
    /// Borderline photos it refused.
    pub borderline_refused: usize,
    /// Whether the rules run it (a check off by default reports nothing).
    pub enabled: bool,
    /// The files it missed and the good ones it refused, for looking at.
    pub missed_files: Vec<String>,
    /// The good files it refused.
    pub refused_good_files: Vec<String>,
}

/// The whole evaluation: a row per content check and the corpus's totals.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Labelled images.
    pub images: usize,
    /// Good photos.
    pub good: usize,
    /// Good photos that pass every content check.
    pub good_passed: usize,
    /// Images in which no face was found.
    pub no_face: Vec<String>,
    /// A row per content check.
    pub rows: Vec<Row>,
    /// Faults that no check owns, with the number of bad photos showing each.
    pub unowned: BTreeMap<String, usize>,
    /// Bad photos that pass every content check.
    pub bad_passed: Vec<String>,
}

/// Reads `DIR/labels.json`; without one, every PNG, JPEG and WebP file of `DIR` (and `DIR/img/`)
/// in name order, verdict `unlabelled` (a folder of pictures a school already has).
pub fn labels(dir: &Path) -> Result<Vec<Label>, String> {
    let path = dir.join("labels.json");
    if !path.exists() {
        return unlabelled(dir);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn unlabelled(dir: &Path) -> Result<Vec<Label>, String> {
    let picture = |name: &str| {
        let name = name.to_ascii_lowercase();
        [".png", ".jpg", ".jpeg", ".webp"].iter().any(|ext| name.ends_with(ext))
    };
    let mut files = Vec::new();
    for folder in [dir.join("img"), dir.to_path_buf()] {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if picture(&name) && entry.path().is_file() && !files.contains(&name) {
                files.push(name);
            }
        }
    }
    if files.is_empty() {
        return Err(format!("{}: no labels.json and no pictures", dir.display()));
    }
    files.sort();
    Ok(files
        .into_iter()
        .map(|file| Label { file, verdict: "unlabelled".to_string(), faults: Vec::new() })
        .collect())
}

/// Where the image of `label` is: `DIR/img/FILE`, else `DIR/FILE`.
pub fn image_path(dir: &Path, label: &Label) -> PathBuf {
    let in_img = dir.join("img").join(&label.file);
    if in_img.exists() {
        in_img
    } else {
        dir.join(&label.file)
    }
}

/// Judges one labelled image.
pub fn judge(finder: &mut FaceFinder, dir: &Path, label: Label, rules: &Rules) -> Sample {
    let judged = std::fs::read(image_path(dir, &label))
        .map_err(|e| e.to_string())
        .and_then(|bytes| decode_image(&bytes, DecodeLimits::default()).map_err(|e| e.to_string()))
        .and_then(|frame| Still::judge(finder, &frame.view(), rules).map_err(|e| e.to_string()));
    match judged {
        Ok(still) => {
            let checks: Vec<Check> = still.checks.into_iter().filter(|c| content_check(c.id)).collect();
            Sample {
                label,
                face: still.face.is_some(),
                pose: still.face.as_ref().map(|f| f.measures.pose),
                refused_by: checks.iter().filter(|c| !c.pass).map(|c| c.id).collect(),
                checks,
                error: None,
            }
        }
        Err(error) => Sample {
            label,
            face: false,
            pose: None,
            refused_by: vec![CheckId::FacePresent],
            checks: Vec::new(),
            error: Some(error),
        },
    }
}

/// Judges every labelled image of `dir`.
pub fn evaluate(finder: &mut FaceFinder, dir: &Path, rules: &Rules) -> Result<Vec<Sample>, String> {
    Ok(judge_all(finder, dir, labels(dir)?, rules))
}

/// Judges the images `labels` lists in `dir`.
pub fn judge_all(finder: &mut FaceFinder, dir: &Path, labels: Vec<Label>, rules: &Rules) -> Vec<Sample> {
    labels.into_iter().map(|label| judge(finder, dir, label, rules)).collect()
}

fn row(samples: &[Sample], id: CheckId, rules: &Rules) -> Row {
    let owns: Vec<&'static str> = OWNERS.iter().filter(|(_, c)| *c == id).map(|(f, _)| *f).collect();
    let faulty: Vec<&Sample> =
        samples.iter().filter(|s| s.label.verdict == "bad" && owns.iter().any(|f| s.has(f))).collect();
    let refused =
        |verdict: &'static str| samples.iter().filter(move |s| s.label.verdict == verdict && s.refuses(id));
    Row {
        id,
        enabled: rules.enabled(id),
        owns,
        faulty: faulty.len(),
        caught: faulty.iter().filter(|s| s.refuses(id)).count(),
        good_refused: refused("good").count(),
        borderline_refused: refused("borderline").count(),
        missed_files: faulty.iter().filter(|s| !s.refuses(id)).map(|s| s.label.file.clone()).collect(),
        refused_good_files: refused("good").map(|s| s.label.file.clone()).collect(),
    }
}

/// The confusion of every content check on `samples`, judged with `rules`.
pub fn summarize(samples: &[Sample], rules: &Rules) -> Summary {
    let ids = CheckId::ALL.into_iter().filter(|id| content_check(*id));
    let owned = |fault: &str| SOFT_FAULTS.contains(&fault) || OWNERS.iter().any(|(f, _)| *f == fault);
    let mut unowned = BTreeMap::new();
    for sample in samples.iter().filter(|s| s.label.verdict == "bad") {
        for fault in sample.label.faults.iter().filter(|f| !owned(f)) {
            *unowned.entry(fault.clone()).or_insert(0) += 1;
        }
    }
    Summary {
        images: samples.len(),
        good: samples.iter().filter(|s| s.good()).count(),
        good_passed: samples.iter().filter(|s| s.good() && s.refused_by.is_empty()).count(),
        no_face: samples.iter().filter(|s| !s.face).map(|s| s.label.file.clone()).collect(),
        rows: ids.map(|id| row(samples, id, rules)).collect(),
        unowned,
        bad_passed: samples
            .iter()
            .filter(|s| s.label.verdict == "bad" && s.refused_by.is_empty())
            .map(|s| s.label.file.clone())
            .collect(),
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".to_string()
    } else {
        format!("{:.0} %", 100.0 * part as f64 / whole as f64)
    }
}

impl Summary {
    /// The summary as a Markdown table with its totals (what docs/checks.md carries).
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} images, {} good: {} of the good pass every content check ({}); no face found in {}.\n\n",
            self.images,
            self.good,
            self.good_passed,
            percent(self.good_passed, self.good),
            self.no_face.len()
        );
        out += "| check | owns | caught | good refused | borderline refused |\n|---|---|---|---|---|\n";
        for r in &self.rows {
            let owns = if r.owns.is_empty() { "–".to_string() } else { r.owns.join(", ") };
            let caught = if r.faulty == 0 {
                "–".to_string()
            } else {
                format!("{} of {} ({})", r.caught, r.faulty, percent(r.caught, r.faulty))
            };
            let off = if r.enabled { "" } else { " (off)" };
            out += &format!(
                "| `{}`{off} | {} | {} | {} ({}) | {} |\n",
                r.id.id(),
                owns,
                caught,
                r.good_refused,
                percent(r.good_refused, self.good),
                r.borderline_refused
            );
        }
        let unowned: Vec<String> = self.unowned.iter().map(|(f, n)| format!("{f} {n}")).collect();
        out += &format!("\nFaults no check owns (bad photos): {}.\n", unowned.join(", "));
        out += &format!("Bad photos that pass every content check: {}.\n", self.bad_passed.len());
        out
    }
}
