//! `gradcap eval DIR --photos OUT`: the standard photo of every picture in a folder, as
//! `gradcap photo --force` makes it, with what became of each (made, failing the standard, or
//! incomplete because the person runs past the picture's edge), the self-check's findings, and
//! a contact sheet of all of them to look at (docs/photo.md).

use crate::photo::{Made, Maker};
use gradcap::frame::Frame;
use gradcap::photo::standard::{resize, Standard};
use gradcap_cli::eval::{image_path, Label};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What became of one picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    /// A photo that meets the standard.
    Made,
    /// A photo of the whole person that fails the standard (its size, layout or self-check).
    Fails,
    /// Part of the person lies past the picture's edge: no photo without inventing it.
    Incomplete,
    /// No photo at all (no face, an unreadable file).
    Error,
}

impl Outcome {
    /// The colour of its band on the contact sheet.
    fn colour(self) -> [u8; 3] {
        match self {
            Outcome::Made => [40, 150, 60],
            Outcome::Fails => [220, 150, 20],
            Outcome::Incomplete => [190, 40, 40],
            Outcome::Error => [90, 90, 90],
        }
    }
}

/// One picture's line of `photos.json`.
#[derive(Debug, Serialize)]
struct Entry {
    /// Its number on the contact sheet (from 1, left to right, top to bottom).
    number: usize,
    file: String,
    verdict: String,
    outcome: Outcome,
    /// The part of the person past the picture's edge: share of the photo and sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<(f64, Vec<&'static str>)>,
    /// The self-check's faults on the photo as written (the missing part marked).
    faults: Vec<&'static str>,
    /// The self-check's faults with the missing part left background: what the cut-out of the
    /// picture shows apart from what is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    faults_unmarked: Option<Vec<&'static str>>,
    /// The self-check's figures (leftover, outgrowth, fringe, streak, layout…): of the cut-out
    /// with its missing part left background when incomplete, else of the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    self_check: Option<gradcap::photo::selfcheck::SelfCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The folder's totals.
#[derive(Debug, Default, Serialize)]
struct Totals {
    pictures: usize,
    made: usize,
    fails: usize,
    incomplete: usize,
    error: usize,
    /// Incomplete pictures by the side the person leaves the picture.
    incomplete_sides: BTreeMap<&'static str, usize>,
    /// Median share of the photo missing, over the incomplete ones.
    median_missing: Option<f64>,
    /// Self-check faults over the photos of the whole person.
    faults: BTreeMap<&'static str, usize>,
    /// Self-check faults over the incomplete ones, their missing part left background.
    faults_unmarked: BTreeMap<&'static str, usize>,
}

const THUMB: (u32, u32) = (120, 160);
const BAND: u32 = 14;
const COLUMNS: u32 = 10;

/// Makes the photo of every labelled picture of `dir` into `out` (`NAME.jpg`, the missing part
/// marked), with `photos.json` and `sheet.png`; prints the totals.
pub fn run(
    dir: &Path,
    labels: &[Label],
    out: &Path,
    maker: &mut Maker,
    standard: &Standard,
) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut entries = Vec::new();
    let mut thumbs = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let made = maker.make(&image_path(dir, label), standard, true);
        let (entry, thumb) = entry(i + 1, label, made, standard, out)?;
        entries.push(entry);
        thumbs.push(thumb);
    }
    let totals = totals(&entries);
    let sheet = sheet(&entries, &thumbs);
    let sheet_path = out.join("sheet.png");
    image::save_buffer(&sheet_path, &sheet.data, sheet.width, sheet.height, image::ColorType::Rgba8)
        .map_err(|e| format!("{}: {e}", sheet_path.display()))?;
    let json = serde_json::json!({ "totals": totals, "photos": entries });
    let json_path = out.join("photos.json");
    std::fs::write(&json_path, json.to_string()).map_err(|e| format!("{}: {e}", json_path.display()))?;
    print!("{}", table(&totals, out));
    Ok(())
}

/// The entry of picture `number` and its thumbnail; writes its photo into `out`.
fn entry(
    number: usize,
    label: &Label,
    made: Result<Made, String>,
    standard: &Standard,
    out: &Path,
) -> Result<(Entry, Option<Frame>), String> {
    let mut entry = Entry {
        number,
        file: label.file.clone(),
        verdict: label.verdict.clone(),
        outcome: Outcome::Error,
        missing: None,
        faults: Vec::new(),
        faults_unmarked: None,
        self_check: None,
        error: None,
    };
    let made = match made {
        Ok(made) => made,
        Err(error) => {
            entry.error = Some(error);
            return Ok((entry, None));
        }
    };
    let stem = Path::new(&label.file).file_stem().map_or(label.file.clone(), |s| s.to_string_lossy().into());
    let path = out.join(format!("{stem}.jpg"));
    std::fs::write(&path, &made.file.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    entry.outcome = match (&made.missing, made.meets(standard)) {
        (Some(_), _) => Outcome::Incomplete,
        (None, true) => Outcome::Made,
        (None, false) => Outcome::Fails,
    };
    entry.missing = made.missing.as_ref().map(|m| (m.share, m.sides.clone()));
    entry.faults = made.self_check.faults.iter().map(|f| f.id()).collect();
    entry.faults_unmarked =
        made.self_check_unmarked.as_ref().map(|c| c.faults.iter().map(|f| f.id()).collect());
    entry.self_check = Some(made.self_check_unmarked.unwrap_or_else(|| made.self_check.clone()));
    Ok((entry, Some(resize(&made.written.view(), THUMB.0, THUMB.1))))
}

fn totals(entries: &[Entry]) -> Totals {
    let mut totals = Totals { pictures: entries.len(), ..Totals::default() };
    let mut shares = Vec::new();
    for e in entries {
        match e.outcome {
            Outcome::Made => totals.made += 1,
            Outcome::Fails => totals.fails += 1,
            Outcome::Incomplete => totals.incomplete += 1,
            Outcome::Error => totals.error += 1,
        }
        if let Some((share, sides)) = &e.missing {
            shares.push(*share);
            for side in sides {
                *totals.incomplete_sides.entry(side).or_insert(0) += 1;
            }
        }
        if e.outcome != Outcome::Incomplete {
            for fault in &e.faults {
                *totals.faults.entry(fault).or_insert(0) += 1;
            }
        }
        for fault in e.faults_unmarked.iter().flatten() {
            *totals.faults_unmarked.entry(fault).or_insert(0) += 1;
        }
    }
    shares.sort_by(f64::total_cmp);
    totals.median_missing = shares.get(shares.len() / 2).copied();
    totals
}

fn table(totals: &Totals, out: &Path) -> String {
    let counts = |m: &BTreeMap<&str, usize>| match m.is_empty() {
        true => "none".to_string(),
        false => m.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "),
    };
    let mut text = format!(
        "\nStandard photos of {} pictures ({}/sheet.png, photos.json):\n\n\
         | outcome | pictures |\n|---|---|\n\
         | made, meets the standard | {} |\n| made, fails the standard | {} |\n\
         | incomplete: the person past the picture's edge | {} |\n| no photo (no face, unreadable) | {} |\n\n",
        totals.pictures,
        out.display(),
        totals.made,
        totals.fails,
        totals.incomplete,
        totals.error
    );
    if let Some(median) = totals.median_missing {
        text += &format!(
            "Incomplete: median {:.1} % of the photo missing; sides {}.\n",
            100.0 * median,
            counts(&totals.incomplete_sides)
        );
    }
    text += &format!("Self-check faults on the photos of the whole person: {}.\n", counts(&totals.faults));
    text += &format!(
        "Self-check faults on the incomplete ones, their missing part left background: {}.\n",
        counts(&totals.faults_unmarked)
    );
    text
}

/// The contact sheet: every photo's thumbnail in [`COLUMNS`] columns, under each a band in the
/// colour of its outcome with its number (and, on an incomplete one, an amber square when its
/// cut-out fails the self-check too).
fn sheet(entries: &[Entry], thumbs: &[Option<Frame>]) -> Canvas {
    let rows = (entries.len() as u32).div_ceil(COLUMNS).max(1);
    let (cw, ch) = (THUMB.0 + 4, THUMB.1 + BAND + 4);
    let mut sheet = Canvas::new(COLUMNS * cw, rows * ch, [255, 255, 255]);
    for (i, (entry, thumb)) in entries.iter().zip(thumbs).enumerate() {
        let (x0, y0) = ((i as u32 % COLUMNS) * cw + 2, (i as u32 / COLUMNS) * ch + 2);
        match thumb {
            Some(thumb) => sheet.paste(thumb, x0, y0),
            None => sheet.fill(x0, y0, THUMB.0, THUMB.1, [200, 200, 200]),
        }
        sheet.fill(x0, y0 + THUMB.1, THUMB.0, BAND, entry.outcome.colour());
        sheet.number(entry.number, x0 + 3, y0 + THUMB.1 + 2, [255, 255, 255]);
        let unmarked_faults = entry.faults_unmarked.as_ref().is_some_and(|f| !f.is_empty());
        if unmarked_faults {
            sheet.fill(x0 + THUMB.0 - 12, y0 + THUMB.1 + 2, 10, 10, Outcome::Fails.colour());
        }
    }
    sheet
}

/// An RGBA picture to draw the sheet on.
struct Canvas {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

/// The digits 0–9 in a 3×5 pixel font, a row of three bits per line, top line first.
const DIGITS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 2, 2, 2],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

impl Canvas {
    fn new(width: u32, height: u32, rgb: [u8; 3]) -> Canvas {
        let data = [rgb[0], rgb[1], rgb[2], 255].repeat((width * height) as usize);
        Canvas { width, height, data }
    }

    fn set(&mut self, x: u32, y: u32, rgb: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = ((y * self.width + x) * 4) as usize;
            self.data[i..i + 3].copy_from_slice(&rgb);
        }
    }

    fn fill(&mut self, x0: u32, y0: u32, w: u32, h: u32, rgb: [u8; 3]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, rgb);
            }
        }
    }

    fn paste(&mut self, picture: &Frame, x0: u32, y0: u32) {
        let view = picture.view();
        for y in 0..view.height() {
            for x in 0..view.width() {
                let [r, g, b, _] = view.pixel(x, y);
                self.set(x0 + x, y0 + y, [r, g, b]);
            }
        }
    }

    /// `n` in the 3×5 font at twice its size, its top left at (`x0`, `y0`).
    fn number(&mut self, n: usize, x0: u32, y0: u32, rgb: [u8; 3]) {
        for (k, digit) in n.to_string().bytes().enumerate() {
            let glyph = DIGITS[(digit - b'0') as usize];
            let left = x0 + k as u32 * 8;
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        self.fill(left + col * 2, y0 + row as u32 * 2, 2, 2, rgb);
                    }
                }
            }
        }
    }
}
