//! The standard photo checked the way the school's reviewer will look at it, before the student
//! is offered it: the background uniform (OFIQ's BackgroundUniformity, its mapping reproduced
//! in [`crate::checks::ofiq`]), nothing of the old room left on it, no light, dark or coloured
//! fringe along the person's outline, the head not cut by the matte, and the standard's layout.
//!
//! Everything is measured on the finished photo with the person found on it again (the caller
//! runs the segmentation on the photo itself), not with the mask that made it: a patch of the
//! old background the first mask kept stands apart on the blue and is seen.

use super::refine::box_mean;
use super::segment::{Mask, Segmenter};
use super::standard::Standard;
use super::{first_row_mostly, Geometry};
use crate::checks::ofiq::Measure;
use crate::face::landmarks::FOREHEAD;
use crate::face::{Face, FaceFinder};
use crate::lang::Text;
use crate::FrameView;

/// Where the person found on the photo is below this, the pixel is background.
const BACKGROUND_BELOW: f32 = 0.05;
/// The background is measured this many pixels away from the person (the outline's own
/// mixing, and the JPEG's blur of it, left out).
const EROSION: usize = 6;
/// A background pixel further than this from the background colour (in any channel) is not the
/// background: what the reviewers call 背景不纯.
pub const BACKGROUND_LEVELS: i32 = 10;
/// The lowest OFIQ BackgroundUniformity score a photo passes with.
pub const UNIFORMITY_MIN: u8 = 90;
/// The most of the background that may be off its colour (JPEG's speckle, a stray pixel).
pub const LEFTOVER_MAX_SHARE: f64 = 0.002;
/// The largest patch off the background colour that may stay, pixels (12×12): anything larger
/// is a thing left of the room.
pub const LEFTOVER_MAX_PATCH: usize = 144;
/// A pixel just outside the outline is a fringe when it is further than this (plus twice the
/// person's own colour spread there) from every mix of the person's colour and the blue.
const FRINGE_LEVELS: f64 = 40.0;
/// The widest fringe a photo passes with: fringe pixels per outline pixel.
pub const FRINGE_MAX_WIDTH: f64 = 0.35;

/// The person's parts narrower than twice this (px, at the working size) are the outgrowths
/// [`SelfCheck::outgrowth`] measures: a head, its hair and its ears are wider.
pub const OUTGROWTH_RADIUS: u32 = 20;
/// The largest outgrowth a photo passes with, pixels: on the cut-outs of the faces-real pictures
/// the good ones reach 129 (curls at a temple) but for a door frame joined to the hair (605); the
/// room's things joined to the head on the others 196–933 (a toy, red clutter beside the hair,
/// an object at the temple, a picture's border, a raised hand; docs/photo.md).
pub const OUTGROWTH_MAX: usize = 160;
/// The brows lie about this far above the eye line (px, at the working size): an outgrowth must
/// lie wholly above that, so that ears and hair beside the face are not counted…
const BROWS_ABOVE_EYES: f64 = 40.0;
/// …or, above the eyes, further out beside the face than this share of its width from its sides
/// (the mesh's points at the ears, [`FACE_SIDES`]): on faces-real the ears' narrow parts reach
/// 0.05 of it out, curls at the temples 0.16, a dark object joined to the head at `032_nuaa`'s
/// temple 0.43.
const EAR_REACH: f64 = 0.25;
/// The mesh's points on the face's sides at the ears.
const FACE_SIDES: [usize; 2] = [234, 454];

/// The lines of the photo compared at a time for streaks ([`streak`]).
const STREAK_WINDOW: usize = 16;
/// A line counts where the steps between its neighbouring pixels average this many levels (a
/// flat white or dark shirt drawn out shows no streak, and at 1 level a real cream T-shirt's
/// clipped folds read as one)…
const STREAK_TEXTURE: f64 = 1.5;
/// …over at least this many of the person's pixels.
const STREAK_MIN_PIXELS: usize = 40;
/// The least ratio of steps from line to line to steps along the lines a photo passes with: on
/// the standard photos of the 70 good portraits of faces-real the least was 0.30; with the
/// picture's edge drawn out where the person runs past it (what the photo did before it painted
/// that part background), 59 of 69 under 0.15: all but flat shirts drawn out (docs/photo.md).
pub const STREAK_MIN_RATIO: f64 = 0.15;

/// The eye line's angle on the finished photo that still counts as level, degrees: the photo was
/// levelled when it was cut, and what is measured again on it is the mesh's own spread (below).
const ROLL_MEASURED: f64 = 2.0;

/// What the self-check found wrong with a photo (serialized as its [`Fault::id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No face on the photo.
    NoFace,
    /// The background is not uniform (OFIQ BackgroundUniformity below [`UNIFORMITY_MIN`]).
    Background,
    /// Something of the old background is left on the blue.
    Leftover,
    /// A light, dark or coloured fringe along the outline.
    Fringe,
    /// The matte cut the top of the head (the hair).
    HeadCut,
    /// The face's place and size are not the standard's.
    Layout,
    /// Rows or columns of the person drawn out from their neighbours: a picture's edge stretched
    /// to fill the photo.
    Streaks,
    /// Part of the person lies outside the picture the photo was cut from (below the chin,
    /// beside the shoulders): the photo would have to invent it ([`super::Beyond`]). Found by the
    /// maker, not on the finished photo.
    Incomplete,
}

impl Fault {
    /// The fault's stable name.
    pub fn id(self) -> &'static str {
        match self {
            Fault::NoFace => "photo.no_face",
            Fault::Background => "photo.background",
            Fault::Leftover => "photo.leftover",
            Fault::Fringe => "photo.fringe",
            Fault::HeadCut => "photo.head_cut",
            Fault::Layout => "photo.layout",
            Fault::Streaks => "photo.streaks",
            Fault::Incomplete => "photo.incomplete",
        }
    }

    /// What the student is asked to do about it.
    pub fn hint(self) -> Text {
        match self {
            Fault::NoFace => Text {
                zh: "照片中找不到人脸，请重拍",
                en: "No face on the photo: please retake it",
            },
            Fault::Background | Fault::Leftover => Text {
                zh: "背景中有杂物，请换一个简单的背景或靠近一些",
                en: "Things in the background: move to a plain background or come closer",
            },
            Fault::Fringe => Text {
                zh: "头发边缘不干净，请换一个与头发颜色不同的简单背景",
                en: "The outline is not clean: use a plain background unlike your hair",
            },
            Fault::HeadCut => Text {
                zh: "头顶被裁掉了，请换一个简单的背景后重拍",
                en: "The top of the head was cut off: retake against a plain background",
            },
            Fault::Layout => Text {
                zh: "头像位置或大小不合要求，请对准虚线框重拍",
                en: "The head's place or size is off: retake inside the dashed guide",
            },
            Fault::Streaks => Text {
                zh: "照片有拉伸的条纹，请用完整拍到头部和双肩的照片重拍",
                en: "The photo has stretched streaks: retake it with your head and shoulders in the picture",
            },
            Fault::Incomplete => Text {
                zh: "肩膀没有完整拍进画面，请离远一些，让头部和双肩都在画面内",
                en: "Your shoulders are not all in the picture: move back so your head and shoulders fit",
            },
        }
    }
}

impl serde::Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// The self-check of one photo: the figures, and the faults in the order the student is told.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfCheck {
    /// OFIQ BackgroundUniformity's raw value: the mean luminance gradient over the background.
    pub uniformity: f64,
    /// Its 0–100 score.
    pub uniformity_score: u8,
    /// The share of the background further than [`BACKGROUND_LEVELS`] from its colour.
    pub leftover: f64,
    /// The largest patch of such pixels, or the room's light left joined to a shoulder
    /// ([`super::person::light_beside_shoulders`]), in pixels.
    pub leftover_patch: usize,
    /// The largest part of the person narrower than `2 ×` [`OUTGROWTH_RADIUS`] px above the
    /// brows, or above the eyes and further out beside the face than an ear reaches, in pixels:
    /// a thing of the room joined to the head.
    pub outgrowth: usize,
    /// Fringe pixels per outline pixel.
    pub fringe: f64,
    /// How alike neighbouring rows or columns of the person are at their most alike, 0–1: near 0
    /// where a picture's edge was stretched across the photo (`photo.streaks`).
    pub streak: f64,
    /// The top of the person at the eyes' column (by colour), and the forehead's top, px from
    /// the top (`null` without a face).
    pub head_top: Option<[f64; 2]>,
    /// The layout measured on the photo, the crown by colour (`null` without a face).
    pub geometry: Option<Geometry>,
    /// What failed, most important first; empty when the photo passes.
    pub faults: Vec<Fault>,
}

impl SelfCheck {
    /// Checks `photo` (at the working size) against `standard` with the face and the person found
    /// on it again, as the calibration view does before it offers the photo.
    pub fn again(
        photo: &FrameView<'_>,
        finder: &mut FaceFinder,
        segmenter: &mut Segmenter,
        standard: &Standard,
    ) -> Result<SelfCheck, crate::Error> {
        let face = finder.still(photo)?;
        let person = segmenter.mask(photo)?;
        Ok(SelfCheck::of(photo, face.as_ref(), &person, standard))
    }

    /// Checks `photo` (at the working size, 480×640), with `face` found on it and `person`, the
    /// segmentation of the photo itself, against `standard`: its background colour and layout.
    pub fn of(photo: &FrameView<'_>, face: Option<&Face>, person: &Mask, standard: &Standard) -> SelfCheck {
        let background = standard.background;
        let w = photo.width() as usize;
        let clear = background_region(person);
        let (uniformity, uniformity_score) = uniformity(photo, &clear);
        let (leftover, on_blue) = leftover(photo, &clear, background);
        // The room's light joined to a shoulder: the segmentation calls it the person, so it is
        // not on the background measured above; told by its light beside the clothes instead.
        let beside_shoulders =
            super::person::light_beside_shoulders(photo, person).iter().filter(|&&l| l).count();
        let leftover_patch = on_blue.max(beside_shoulders);
        // A thing of the room the segmentation joined to the head (a door frame standing out
        // of the hair, an object on it or at a temple): narrow parts of the person above the
        // brows, or beside the face further out than the ears.
        let outgrowth = face.map_or(0, |f| outgrowth(person, f));
        let fringe = fringe(photo, person, background);
        let streak = streak(photo, background, false).min(streak(photo, background, true));
        // The top of the head by colour: a segmentation's idea of a head's shape carries it on
        // over a crown the matte cut flat.
        let head_top = face.and_then(|f| {
            let top = top_by_colour(photo, f.eyes_middle()[0].clamp(0.0, w as f64 - 1.0), background)?;
            Some([top, f.mesh[FOREHEAD][1] as f64])
        });
        let geometry = face
            .map(|f| Geometry { crown: head_top.map_or(f.crown()[1], |t| t[0]), ..Geometry::of(f, None) });
        let mut faults = Vec::new();
        let mut fault = |failed: bool, fault: Fault| {
            if failed {
                faults.push(fault);
            }
        };
        fault(face.is_none(), Fault::NoFace);
        fault(
            leftover > LEFTOVER_MAX_SHARE || leftover_patch > LEFTOVER_MAX_PATCH || outgrowth > OUTGROWTH_MAX,
            Fault::Leftover,
        );
        fault(uniformity_score < UNIFORMITY_MIN, Fault::Background);
        fault(head_cut(face, head_top), Fault::HeadCut);
        fault(fringe > FRINGE_MAX_WIDTH, Fault::Fringe);
        fault(streak < STREAK_MIN_RATIO, Fault::Streaks);
        fault(geometry.is_some_and(|g| !standard.meets(&levelled(g))), Fault::Layout);
        SelfCheck {
            uniformity,
            uniformity_score,
            leftover,
            leftover_patch,
            outgrowth,
            fringe,
            streak,
            head_top,
            geometry,
            faults,
        }
    }

    /// Whether the photo passes.
    pub fn pass(&self) -> bool {
        self.faults.is_empty()
    }
}

/// How alike neighbouring rows (`columns`: columns) of the person are, at their most alike:
/// over every [`STREAK_WINDOW`] consecutive lines whose pixels off the background step by
/// [`STREAK_TEXTURE`] levels or more on average along each line, the summed steps from line to
/// line over the summed steps along the lines; the least such ratio, 1 where no window has the
/// texture. A picture's edge stretched across the photo repeats one line: its ratio is near 0
/// (JPEG's block edges leave a step every 8th line), where a real picture's texture varies both
/// ways.
fn streak(photo: &FrameView<'_>, background: [u8; 3], columns: bool) -> f64 {
    let (w, h) = (photo.width(), photo.height());
    let (lines, length) = if columns { (w, h) } else { (h, w) };
    let at = |line: u32, i: u32| if columns { (line, i) } else { (i, line) };
    let luma = |(x, y): (u32, u32)| {
        let p = photo.pixel(x, y);
        crate::frame::luma(p[0], p[1], p[2]) as f64
    };
    let on_person = |(x, y): (u32, u32)| {
        let p = photo.pixel(x, y);
        (0..3).any(|k| (p[k] as i32 - background[k] as i32).abs() > BACKGROUND_LEVELS)
    };
    // Per line: the pixels counted, the steps along it, the steps from the line before.
    let steps: Vec<(usize, f64, f64)> = (1..lines)
        .map(|line| {
            let (mut n, mut across, mut along) = (0usize, 0.0, 0.0);
            for i in 1..length {
                let (here, before, beside) = (at(line, i), at(line - 1, i), at(line, i - 1));
                if on_person(here) && on_person(before) && on_person(beside) {
                    n += 1;
                    across += (luma(here) - luma(beside)).abs();
                    along += (luma(here) - luma(before)).abs();
                }
            }
            (n, across, along)
        })
        .collect();
    steps
        .windows(STREAK_WINDOW)
        .filter(|window| {
            window.iter().all(|&(n, across, _)| n >= STREAK_MIN_PIXELS && across >= STREAK_TEXTURE * n as f64)
        })
        .map(|window| {
            let (across, along) = window.iter().fold((0.0, 0.0), |(a, b), &(_, x, y)| (a + x, b + y));
            along / across
        })
        .fold(1.0, f64::min)
}

/// The background, [`EROSION`] pixels clear of the person.
fn background_region(person: &Mask) -> Vec<bool> {
    let (w, h) = (person.width as usize, person.height as usize);
    let near_person: Vec<f64> =
        person.values.iter().map(|&v| f64::from(u8::from(v >= BACKGROUND_BELOW))).collect();
    box_mean(&near_person, w, h, EROSION).iter().map(|&v| v == 0.0).collect()
}

/// OFIQ's BackgroundUniformity on the photo at half size (about the scale of OFIQ's aligned
/// face): the mean magnitude of the luminance's Scharr gradient over the background, and its
/// score.
fn uniformity(photo: &FrameView<'_>, clear: &[bool]) -> (f64, u8) {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let (hw, hh) = (w / 2, h / 2);
    let luma = |x: usize, y: usize| {
        let p = &photo.row(y as u32)[4 * x..4 * x + 3];
        crate::frame::luma(p[0], p[1], p[2]) as f64
    };
    let half: Vec<f64> = (0..hw * hh)
        .map(|i| {
            let (x, y) = (2 * (i % hw), 2 * (i / hw));
            (luma(x, y) + luma(x + 1, y) + luma(x, y + 1) + luma(x + 1, y + 1)) / 4.0
        })
        .collect();
    let inside = |x: usize, y: usize| {
        let (x, y) = (2 * x, 2 * y);
        clear[y * w + x] && clear[y * w + x + 1] && clear[(y + 1) * w + x] && clear[(y + 1) * w + x + 1]
    };
    let (mut sum, mut n) = (0.0, 0usize);
    for y in 1..hh - 1 {
        for x in 1..hw - 1 {
            if !inside(x, y) {
                continue;
            }
            let at = |dx: usize, dy: usize| half[(y + dy - 1) * hw + x + dx - 1];
            let gx = 3.0 * (at(2, 0) - at(0, 0)) + 10.0 * (at(2, 1) - at(0, 1)) + 3.0 * (at(2, 2) - at(0, 2));
            let gy = 3.0 * (at(0, 2) - at(0, 0)) + 10.0 * (at(1, 2) - at(1, 0)) + 3.0 * (at(2, 2) - at(2, 0));
            sum += (gx * gx + gy * gy).sqrt();
            n += 1;
        }
    }
    // No background to measure: nothing is uniform (OFIQ's "failure to assess" scores 0).
    let raw = if n == 0 { f64::INFINITY } else { sum / n as f64 };
    (raw, Measure::BackgroundUniformity.score(raw))
}

/// The share of the background off its colour, and the largest 8-connected patch of it.
fn leftover(photo: &FrameView<'_>, clear: &[bool], background: [u8; 3]) -> (f64, usize) {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let mut off = vec![false; w * h];
    let (mut total, mut count) = (0usize, 0usize);
    for y in 0..h {
        for (x, p) in photo.row(y as u32).chunks_exact(4).enumerate() {
            let i = y * w + x;
            if clear[i] {
                total += 1;
                off[i] = (0..3).any(|k| (p[k] as i32 - background[k] as i32).abs() > BACKGROUND_LEVELS);
                count += usize::from(off[i]);
            }
        }
    }
    let share = if total == 0 { 1.0 } else { count as f64 / total as f64 };
    (share, largest_patch(&mut off, w, h, &|_| true))
}

/// The size of the largest 8-connected patch of `set` (cleared on the way) whose last row
/// `counts`.
fn largest_patch(set: &mut [bool], w: usize, h: usize, counts: &dyn Fn(usize) -> bool) -> usize {
    let mut largest = 0;
    for start in 0..w * h {
        if !set[start] {
            continue;
        }
        set[start] = false;
        let (mut stack, mut size) = (vec![start], 0);
        let mut bottom = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            let (x, y) = (i % w, i / w);
            bottom = bottom.max(y);
            for ny in y.saturating_sub(1)..(y + 2).min(h) {
                for nx in x.saturating_sub(1)..(x + 2).min(w) {
                    let j = ny * w + nx;
                    if set[j] {
                        set[j] = false;
                        stack.push(j);
                    }
                }
            }
        }
        if counts(bottom) {
            largest = largest.max(size);
        }
    }
    largest
}

/// Fringe pixels per outline pixel: on the outline's soft rim (within 3 px of the sure person),
/// a pixel should be a mix of the person's colour there and the background; one far from every such mix is a
/// fringe (a light or dark halo, the old background's colour).
fn fringe(photo: &FrameView<'_>, person: &Mask, background: [u8; 3]) -> f64 {
    let (w, h) = (person.width as usize, person.height as usize);
    let inside: Vec<f64> = person.values.iter().map(|&v| f64::from(u8::from(v >= 0.5))).collect();
    let sure: Vec<f64> = person.values.iter().map(|&v| f64::from(u8::from(v >= 0.95))).collect();
    let near = box_mean(&sure, w, h, 3);
    let colour: Vec<Vec<f64>> = (0..3)
        .map(|k| (0..h).flat_map(|y| photo.row(y as u32).chunks_exact(4).map(move |p| p[k] as f64)).collect())
        .collect();
    let share = box_mean(&sure, w, h, 8);
    let local = |values: &[f64]| -> Vec<f64> {
        let weighted: Vec<f64> = values.iter().zip(&sure).map(|(v, s)| v * s).collect();
        box_mean(&weighted, w, h, 8).iter().zip(&share).map(|(m, s)| m / s.max(1e-9)).collect()
    };
    let means: Vec<Vec<f64>> = colour.iter().map(|c| local(c)).collect();
    let squares: Vec<Vec<f64>> =
        colour.iter().map(|c| local(&c.iter().map(|v| v * v).collect::<Vec<_>>())).collect();
    let (mut outline, mut fringe) = (0usize, 0usize);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > 0).then(|| i - w),
                (y + 1 < h).then(|| i + w),
            ];
            if inside[i] == 1.0 && neighbours.into_iter().flatten().any(|j| inside[j] == 0.0) {
                outline += 1;
            }
            if sure[i] == 1.0 || near[i] == 0.0 || share[i] == 0.0 {
                continue;
            }
            let mean: [f64; 3] = std::array::from_fn(|k| means[k][i]);
            let spread = (0..3).map(|k| (squares[k][i] - mean[k] * mean[k]).max(0.0)).sum::<f64>().sqrt();
            let pixel: [f64; 3] = std::array::from_fn(|k| colour[k][i]);
            let blue = background.map(f64::from);
            if off_segment(pixel, mean, blue) > FRINGE_LEVELS + 2.0 * spread {
                fringe += 1;
            }
        }
    }
    if outline == 0 {
        0.0
    } else {
        fringe as f64 / outline as f64
    }
}

/// The distance from `p` to the segment from `a` to `b`.
fn off_segment(p: [f64; 3], a: [f64; 3], b: [f64; 3]) -> f64 {
    let d: [f64; 3] = std::array::from_fn(|k| b[k] - a[k]);
    let length = d.iter().map(|v| v * v).sum::<f64>();
    let t = if length == 0.0 {
        0.0
    } else {
        ((0..3).map(|k| (p[k] - a[k]) * d[k]).sum::<f64>() / length).clamp(0.0, 1.0)
    };
    (0..3).map(|k| (p[k] - a[k] - t * d[k]).powi(2)).sum::<f64>().sqrt()
}

/// The first row from the top where most of a band a tenth of the photo wide around `x` is off
/// the background colour.
fn top_by_colour(photo: &FrameView<'_>, x: f64, background: [u8; 3]) -> Option<f64> {
    first_row_mostly(photo.width(), photo.height(), x, |x, y| {
        let p = photo.pixel(x, y);
        (0..3).any(|k| (p[k] as i32 - background[k] as i32).abs() > BACKGROUND_LEVELS)
    })
}

/// The photo's layout with an eye line within 2° (`ROLL_MEASURED`) counted as level: the photo was
/// levelled when it was cut, and measured again on the finished photo the same face's eye line
/// varies by up to 1.2° with the plain mesh (a pattern behind the head moves the mesh a little)
/// and 1.52° with the attention mesh on the turned head of `obama3` (yaw 10°), levelled on the cut
/// and measured again on the blue.
pub fn levelled(g: Geometry) -> Geometry {
    Geometry { roll: if g.roll.abs() <= ROLL_MEASURED { 0.0 } else { g.roll }, ..g }
}

/// Whether the matte cut the head: the person's top at the eyes' column no higher than half way
/// from the forehead's top to the crown estimated above it.
fn head_cut(face: Option<&Face>, head_top: Option<[f64; 2]>) -> bool {
    match (face, head_top) {
        (Some(face), Some([top, forehead])) => top > forehead - 0.5 * (forehead - face.crown()[1]),
        // A face, and nothing but background above it at its column.
        (Some(_), None) => true,
        _ => false,
    }
}

/// The 3-4 chamfer distance (within a few per cent of the straight-line one), in pixels ×3,
/// from every pixel where `inside` holds to the nearest where it does not (0 outside).
fn chamfer(inside: &[bool], w: usize, h: usize) -> Vec<u32> {
    let mut d: Vec<u32> = inside.iter().map(|&i| if i { u32::MAX / 2 } else { 0 }).collect();
    // The backward pass is the forward one over the reversed picture (turned half a turn).
    chamfer_pass(&mut d, w, h);
    d.reverse();
    chamfer_pass(&mut d, w, h);
    d.reverse();
    d
}

/// One pass of [`chamfer`]: each pixel from its neighbours to the left and above.
fn chamfer_pass(d: &mut [u32], w: usize, h: usize) {
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if d[i] == 0 {
                continue;
            }
            let mut best = d[i];
            if x > 0 {
                best = best.min(d[i - 1] + 3);
            }
            if y > 0 {
                best = best.min(d[i - w] + 3);
                if x > 0 {
                    best = best.min(d[i - w - 1] + 4);
                }
                if x + 1 < w {
                    best = best.min(d[i - w + 1] + 4);
                }
            }
            d[i] = best;
        }
    }
}

/// The parts of the person narrower than `2 × radius` px: the person less its opening by a
/// disc of that radius (the union of the discs that fit inside it).
fn thin_parts(person: &Mask, radius: u32) -> Vec<bool> {
    let (w, h) = (person.width as usize, person.height as usize);
    let inside: Vec<bool> = person.values.iter().map(|&v| v > 0.5).collect();
    let depth = chamfer(&inside, w, h);
    // Distance to the nearest pixel deep enough for a disc: within the radius, covered.
    let not_core: Vec<bool> = depth.iter().map(|&d| d < 3 * radius).collect();
    let to_core = chamfer(&not_core, w, h);
    inside.iter().zip(&to_core).map(|(&i, &d)| i && d > 3 * radius).collect()
}

/// The largest part of `person` narrower than `2 ×` [`OUTGROWTH_RADIUS`] that lies wholly above
/// `face`'s brows, or wholly above its eyes and further out beside the face than an ear reaches
/// ([`EAR_REACH`]; counted from there out, as a thing joined to the hair is), in pixels.
fn outgrowth(person: &Mask, face: &Face) -> usize {
    let (w, h) = (person.width as usize, person.height as usize);
    let thin = thin_parts(person, OUTGROWTH_RADIUS);
    let eyes = face.eyes_middle()[1];
    let brows = eyes - BROWS_ABOVE_EYES;
    let above_brows = largest_patch(&mut thin.clone(), w, h, &|bottom| (bottom as f64) < brows);
    let [a, b] = [face.mesh[FACE_SIDES[0]][0] as f64, face.mesh[FACE_SIDES[1]][0] as f64];
    let reach = EAR_REACH * (b - a).abs();
    let (left, right) = (a.min(b) - reach, a.max(b) + reach);
    let mut beside: Vec<bool> =
        thin.iter().enumerate().map(|(i, &t)| t && !(left..=right).contains(&((i % w) as f64))).collect();
    let beside = largest_patch(&mut beside, w, h, &|bottom| (bottom as f64) < eyes);
    above_brows.max(beside)
}
