//! `gradcap photo IN OUT.jpg`: the standard photo from an image file, with a JSON report; CHSI's
//! standard unless `--standard` gives another.

use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::photo::segment::{Mask, Segmenter};
use gradcap::photo::selfcheck::SelfCheck;
use gradcap::photo::standard::Standard;
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
    /// The photo's width and height.
    size: [u32; 2],
    /// Whether the file is within the standard's size range (CHSI: 20–40 KB).
    size_ok: bool,
    /// The layout measured again on the written photo, at the working size (480 px wide; null
    /// if no face is found there).
    geometry: Option<Geometry>,
    /// Whether that layout meets the standard's (crown, eyes, face width, centred, level).
    layout_ok: bool,
    /// The written photo checked as a reviewer would look at it (background, leftovers,
    /// fringe, head cut, layout), with the person found on it again.
    self_check: SelfCheck,
}

/// Makes the photo to `standard`; returns whether it meets it.
pub fn run(input: &Path, output: &Path, models: &Path, standard: &Standard) -> Result<bool, String> {
    let mut finder = gradcap_cli::face_finder(models)?;
    let mut segmenter =
        Segmenter::new(&gradcap_cli::read_model(models, gradcap::face::models::SEGMENTATION)?)
            .map_err(|e| e.to_string())?;
    let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let frame =
        decode_image(&bytes, DecodeLimits::default()).map_err(|e| format!("{}: {e}", input.display()))?;
    let face = finder
        .still(&frame.view())
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{}: no face", input.display()))?;
    let first = Placement::for_standard(&face, standard);
    let made =
        standard_photo(&frame.view(), first, Some(&mut finder), &mut segmenter).map_err(|e| e.to_string())?;
    let placement = made.placement;
    let file = standard.encode(&standard.photo(&made).view()).map_err(|e| e.to_string())?;
    std::fs::write(output, &file.bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    let (geometry, self_check) = measure(&mut finder, &mut segmenter, &file.bytes, &made.mask, standard)?;
    let (v, size) = (frame.view(), file.bytes.len());
    let report = Report {
        input: input.display().to_string(),
        output: output.display().to_string(),
        crop: placement.corners(),
        fits: placement.fits(v.width(), v.height()),
        quality: file.quality,
        bytes: size,
        size: standard.size,
        size_ok: standard.size_ok(size),
        layout_ok: geometry.is_some_and(|g| standard.meets(&g)),
        geometry,
        self_check,
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(report.fits && report.size_ok && report.layout_ok && report.self_check.pass())
}

/// The layout of the face on the written JPEG (the crown from the person mask that made it), and
/// the self-check of the JPEG with the person found on it again, both at the working size.
fn measure(
    finder: &mut FaceFinder,
    segmenter: &mut Segmenter,
    jpeg: &[u8],
    mask: &Mask,
    standard: &Standard,
) -> Result<(Option<Geometry>, SelfCheck), String> {
    let written = decode_image(jpeg, DecodeLimits::default()).map_err(|e| e.to_string())?;
    let written = standard.at_working_size(&written.view());
    let face = finder.still(&written.view()).map_err(|e| e.to_string())?;
    let person = segmenter.mask(&written.view()).map_err(|e| e.to_string())?;
    let check = SelfCheck::of(&written.view(), face.as_ref(), &person, standard);
    Ok((face.map(|f| Geometry::of(&f, Some(mask))), check))
}
