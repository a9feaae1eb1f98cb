//! `gradcap photo IN OUT.jpg`: the standard photo from an image file, with a JSON report.

use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::photo::jpeg::{self, SIZE_RANGE};
use gradcap::photo::segment::{Mask, Segmenter};
use gradcap::photo::selfcheck::SelfCheck;
use gradcap::photo::{standard_photo, Geometry, Placement};
use serde::Serialize;
use std::path::Path;

/// What `gradcap photo` prints.
#[derive(Serialize)]
struct Report {
    input: String,
    output: String,
    /// The photo's corners in the input, pixels: top-left, top-right, bottom-right, bottom-left.
    crop: [[f64; 2]; 4],
    /// Whether the whole photo lay inside the input.
    fits: bool,
    quality: u8,
    bytes: usize,
    /// Whether the file is within CHSI's 20–40 KB.
    size_ok: bool,
    /// The layout measured again on the written photo (null if no face is found there).
    geometry: Option<Geometry>,
    /// Whether that layout meets CHSI's (crown, eyes, face width, centred, level).
    layout_ok: bool,
    /// The written photo checked as a reviewer would look at it (background, leftovers,
    /// fringe, head cut, layout), with the person found on it again.
    self_check: SelfCheck,
}

/// Makes the photo; returns whether it meets CHSI's rules.
pub fn run(input: &Path, output: &Path, models: &Path) -> Result<bool, String> {
    let read = |name: &str| {
        let path = models.join(name);
        std::fs::read(&path)
            .map_err(|e| format!("{}: {e} (scripts/fetch-models puts the models there)", path.display()))
    };
    let mut finder = super::analyze::finder(models)?;
    let mut segmenter =
        Segmenter::new(&read(gradcap::face::models::SEGMENTATION)?).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let frame =
        decode_image(&bytes, DecodeLimits::default()).map_err(|e| format!("{}: {e}", input.display()))?;
    let face = finder
        .still(&frame.view())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{}: no face", input.display()))?;
    let made = standard_photo(&frame.view(), Placement::of(&face), Some(&mut finder), &mut segmenter)
        .map_err(|e| e.to_string())?;
    let placement = made.placement;
    let file = jpeg::encode_sized(&made.photo.view()).map_err(|e| e.to_string())?;
    std::fs::write(output, &file.bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    let (geometry, self_check) = measure(&mut finder, &mut segmenter, &file.bytes, &made.mask)?;
    let (v, size) = (frame.view(), file.bytes.len());
    let report = Report {
        input: input.display().to_string(),
        output: output.display().to_string(),
        crop: placement.corners(),
        fits: placement.fits(v.width(), v.height()),
        quality: file.quality,
        bytes: size,
        size_ok: (SIZE_RANGE[0]..=SIZE_RANGE[1]).contains(&size),
        layout_ok: geometry.is_some_and(|g| g.meets_chsi()),
        geometry,
        self_check,
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(report.fits && report.size_ok && report.layout_ok && report.self_check.pass())
}

/// The layout of the face on the written JPEG (the crown from the person mask that made it), and
/// the self-check of the JPEG with the person found on it again.
fn measure(
    finder: &mut FaceFinder,
    segmenter: &mut Segmenter,
    jpeg: &[u8],
    mask: &Mask,
) -> Result<(Option<Geometry>, SelfCheck), String> {
    let written = decode_image(jpeg, DecodeLimits::default()).map_err(|e| e.to_string())?;
    let face = finder.still(&written.view()).map_err(|e| e.to_string())?;
    let person = segmenter.mask(&written.view()).map_err(|e| e.to_string())?;
    let check = SelfCheck::standard(&written.view(), face.as_ref(), &person);
    Ok((face.map(|f| Geometry::of(&f, Some(mask))), check))
}
