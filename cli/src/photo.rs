//! `gradcap photo IN OUT.jpg`: the standard photo from an image file, with a JSON report; CHSI's
//! standard unless `--standard` gives another.

use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits, Frame};
use gradcap::photo::jpeg::Jpeg;
use gradcap::photo::segment::{Mask, Segmenter};
use gradcap::photo::selfcheck::{levelled, SelfCheck};
use gradcap::photo::standard::Standard;
use gradcap::photo::{standard_photo, Beyond, Geometry, Placement};
use serde::Serialize;
use std::path::Path;

/// What `gradcap photo` prints.
#[derive(Serialize)]
struct Report {
    input: String,
    output: String,
    /// The photo's corners in the input, pixels: top-left, top-right, bottom-right, bottom-left.
    crop: [[f64; 2]; 4],
    /// Whether the photo lay inside the input, but for background: where it reaches past the
    /// input's edge the person would not be there, and it is painted the standard's background.
    fits: bool,
    /// The part of the person the input does not show (null when it shows all of them).
    missing: Option<Missing>,
    /// Whether the file was written (not when the person is incomplete, unless --force).
    written: bool,
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

/// The part of the person past the input's edge.
#[derive(Serialize)]
pub struct Missing {
    /// Its share of the photo.
    pub share: f64,
    /// The photo's edges it touches: "top", "right", "bottom", "left".
    pub sides: Vec<&'static str>,
}

impl Missing {
    fn of(beyond: &Beyond) -> Option<Missing> {
        let names = ["top", "right", "bottom", "left"];
        let sides = names.iter().zip(beyond.sides).filter(|(_, at)| *at).map(|(n, _)| *n).collect();
        (!beyond.whole()).then(|| Missing { share: beyond.missing_share(), sides })
    }

    /// What to tell the user.
    fn message(&self) -> String {
        format!(
            "the photo cannot be made: {:.1} % of it would be the person beyond the picture's edge ({}); \
             take a picture that shows the head and both shoulders",
            100.0 * self.share,
            self.sides.join(", ")
        )
    }
}

/// The models that make a standard photo and check it: the face finder and the segmentation.
pub struct Maker {
    finder: FaceFinder,
    segmenter: Segmenter,
}

/// A standard photo made from an image, checked as [`Report`] says.
pub struct Made {
    /// The photo's corners in the input.
    pub crop: [[f64; 2]; 4],
    /// The part of the person the input does not show.
    pub missing: Option<Missing>,
    /// The photo as a file, the missing part marked in stripes.
    pub file: Jpeg,
    /// The layout measured again on the file.
    pub geometry: Option<Geometry>,
    /// The file decoded at the working size, as the self-check looked at it.
    pub written: Frame,
    /// The file checked as a reviewer would look at it.
    pub self_check: SelfCheck,
    /// With a missing part: the self-check of the photo with that part left background
    /// (what the picture's cut-out is, unmarked); without one, none.
    pub self_check_unmarked: Option<SelfCheck>,
}

impl Maker {
    /// Loads the models from the folder `models`.
    pub fn new(models: &Path) -> Result<Maker, String> {
        Maker::with_finder(gradcap_cli::face_finder(models)?, models)
    }

    /// With a face finder already loaded, loads the segmentation from the folder `models`.
    pub fn with_finder(finder: FaceFinder, models: &Path) -> Result<Maker, String> {
        let segmenter =
            Segmenter::new(&gradcap_cli::read_model(models, gradcap::face::models::SEGMENTATION)?)
                .map_err(|e| e.to_string())?;
        Ok(Maker { finder, segmenter })
    }

    /// Makes the photo of the image file `input` to `standard` and checks it; with `unmarked`,
    /// an incomplete photo is also checked with its missing part left background.
    pub fn make(&mut self, input: &Path, standard: &Standard, unmarked: bool) -> Result<Made, String> {
        let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let frame =
            decode_image(&bytes, DecodeLimits::default()).map_err(|e| format!("{}: {e}", input.display()))?;
        let face = self
            .finder
            .still(&frame.view())
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: no face", input.display()))?;
        let first = Placement::for_standard(&face, standard);
        let made = standard_photo(&frame.view(), first, Some(&mut self.finder), &mut self.segmenter)
            .map_err(|e| e.to_string())?;
        let missing = Missing::of(&made.beyond);
        let photo = standard.photo(&made);
        let file = standard.encode(&made.beyond.marked(&photo.view()).view()).map_err(|e| e.to_string())?;
        let (written, geometry, self_check) = self.measure(&file.bytes, &made.mask, standard)?;
        let self_check_unmarked = match missing.is_some() && unmarked {
            true => {
                let plain = standard.encode(&photo.view()).map_err(|e| e.to_string())?;
                Some(self.measure(&plain.bytes, &made.mask, standard)?.2)
            }
            false => None,
        };
        let crop = made.placement.corners();
        Ok(Made { crop, missing, file, geometry, written, self_check, self_check_unmarked })
    }

    /// The JPEG decoded at the working size, the layout of the face on it (the crown from the
    /// person mask that made it), and its self-check with the person found on it again.
    fn measure(
        &mut self,
        jpeg: &[u8],
        mask: &Mask,
        standard: &Standard,
    ) -> Result<(Frame, Option<Geometry>, SelfCheck), String> {
        let written = decode_image(jpeg, DecodeLimits::default()).map_err(|e| e.to_string())?;
        let written = standard.at_working_size(&written.view());
        let face = self.finder.still(&written.view()).map_err(|e| e.to_string())?;
        let person = self.segmenter.mask(&written.view()).map_err(|e| e.to_string())?;
        let check = SelfCheck::of(&written.view(), face.as_ref(), &person, standard);
        Ok((written, face.map(|f| Geometry::of(&f, Some(mask))), check))
    }
}

impl Made {
    /// Whether the photo meets `standard`: the person whole, the file's size, the layout and
    /// the self-check.
    pub fn meets(&self, standard: &Standard) -> bool {
        self.missing.is_none()
            && standard.size_ok(self.file.bytes.len())
            && self.layout_ok(standard)
            && self.self_check.pass()
    }

    /// Whether the layout meets `standard`, judged as the self-check judges it (an eye line within
    /// the mesh's own spread counts as level: [`levelled`]).
    pub fn layout_ok(&self, standard: &Standard) -> bool {
        self.geometry.is_some_and(|g| standard.meets(&levelled(g)))
    }
}

/// Makes the photo to `standard` and writes it (a photo that would need the person invented
/// only with `force`, the part marked); fails, after printing the report, when it does not meet
/// the standard.
pub fn run(
    input: &Path,
    output: &Path,
    models: &Path,
    standard: &Standard,
    force: bool,
) -> Result<(), String> {
    let made = Maker::new(models)?.make(input, standard, false)?;
    let written = made.missing.is_none() || force;
    if written {
        std::fs::write(output, &made.file.bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    }
    let size = made.file.bytes.len();
    let meets = made.meets(standard);
    let report = Report {
        input: input.display().to_string(),
        output: output.display().to_string(),
        crop: made.crop,
        fits: made.missing.is_none(),
        written,
        quality: made.file.quality,
        bytes: size,
        size: standard.size,
        size_ok: standard.size_ok(size),
        layout_ok: made.layout_ok(standard),
        geometry: made.geometry,
        self_check: made.self_check,
        missing: made.missing,
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    if let Some(missing) = &report.missing {
        return Err(missing.message());
    }
    match meets {
        true => Ok(()),
        false => Err("the photo does not meet the standard (see the report)".to_string()),
    }
}
