//! The standard photo (docs/standard.md §3): 480×640, the eye line level, the crown 50–110 px from the top,
//! the eyes 200–300 px down, the face 180–300 px wide and centred; the background replaced by
//! CHSI's light blue; JPEG of 20–40 KB at quality 60 or better, 300 dpi.
//!
//! [`Placement`] says where the standard photo lies in a captured frame (from the face's
//! landmarks), [`render`] cuts it out, [`person_alpha`] finds the person (and only the person)
//! at the cut's resolution, [`compose`] puts the blue behind them without the old background's
//! colour on the outline, and [`standard::Standard::encode`] writes the file at the standard's size (CHSI's by
//! default; [`standard`] says what an integrator may change).

pub mod jpeg;
pub mod person;
pub mod refine;
pub mod rehearsal;
pub mod segment;
pub mod selfcheck;
pub mod standard;

use crate::face::detect::bilinear;
use crate::face::Face;
use crate::guide::{PHOTO_CROWN, PHOTO_EYES, PHOTO_SIZE};
use crate::{Frame, FrameView};
use segment::Mask;

/// CHSI's background colour.
pub const BACKGROUND: [u8; 3] = [100, 197, 255];

/// The narrowest and widest face the placement allows at CHSI's standard, px (inside its
/// 180–300).
pub const FACE_WIDTHS: [f64; 2] = [190.0, 290.0];

/// Where the standard photo lies in a frame: the middle of the eyes in the frame goes to
/// [`PHOTO_EYES`], the frame is turned by the eye line's angle, and scaled so that the crown lands
/// at [`PHOTO_CROWN`] (the face width kept within [`FACE_WIDTHS`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Placement {
    /// The middle of the eyes, in frame pixels.
    pub eyes: [f64; 2],
    /// Photo pixels per frame pixel.
    pub scale: f64,
    /// The eye line's angle in the frame, degrees (clockwise as seen).
    pub roll: f64,
    /// The face width in the frame, pixels.
    pub face_width: f64,
    /// The narrowest and widest face the scale allows on the photo, px ([`FACE_WIDTHS`], or
    /// within the standard's range: [`Placement::for_standard`]).
    #[serde(skip)]
    pub widths: [f64; 2],
}

impl Placement {
    /// The placement that frames `face` as CHSI wants it, the crown estimated above the forehead
    /// ([`Face::crown`]); [`Placement::with_crown`] corrects it once the crown is seen.
    pub fn of(face: &Face) -> Placement {
        Placement::with_widths(face, FACE_WIDTHS)
    }

    /// [`Placement::of`] with the face width kept within `standard`'s range (at the working
    /// size, a twelfth of the range in from each end, as CHSI's 190–290 within 180–300).
    pub fn for_standard(face: &Face, standard: &standard::Standard) -> Placement {
        let [low, high] = standard.working().face_width;
        let inset = (high - low) / 12.0;
        Placement::with_widths(face, [low + inset, high - inset])
    }

    fn with_widths(face: &Face, widths: [f64; 2]) -> Placement {
        let (eyes, face_width, crown) = (face.eyes_middle(), face.span().max(1.0), face.crown());
        let crown_to_eyes = (eyes[0] - crown[0]).hypot(eyes[1] - crown[1]).max(1.0);
        let roll = face.measures.pose.roll as f64;
        let placement = Placement { eyes, scale: 1.0, roll, face_width, widths };
        placement.scaled_for(crown_to_eyes)
    }

    /// The scale that puts a crown `crown_to_eyes` frame pixels above the eyes at
    /// [`PHOTO_CROWN`], within the face-width bounds.
    fn scaled_for(self, crown_to_eyes: f64) -> Placement {
        let wanted = (PHOTO_EYES[1] - PHOTO_CROWN) / crown_to_eyes;
        let [narrow, wide] = self.widths;
        Placement { scale: wanted.clamp(narrow / self.face_width, wide / self.face_width), ..self }
    }

    /// The placement corrected by `seen`, the placement of the face found again on the photo this
    /// placement cut (in that photo's pixels): a larger, sharper view of the face than the first.
    pub fn refined(self, seen: &Placement) -> Placement {
        Placement {
            eyes: self.to_frame(seen.eyes[0], seen.eyes[1]),
            scale: self.scale * seen.scale,
            roll: self.roll + seen.roll,
            face_width: seen.face_width / self.scale,
            widths: self.widths,
        }
    }

    /// The placement corrected for the crown actually seen at `crown` px from the top of the
    /// photo this placement cut.
    pub fn with_crown(self, crown: f64) -> Placement {
        self.scaled_for(((PHOTO_EYES[1] - crown) / self.scale).max(1.0))
    }

    /// The frame point that photo pixel centre (`x`, `y`) shows.
    pub fn to_frame(&self, x: f64, y: f64) -> [f64; 2] {
        let (s, c) = self.roll.to_radians().sin_cos();
        let (dx, dy) = ((x - PHOTO_EYES[0]) / self.scale, (y - PHOTO_EYES[1]) / self.scale);
        [self.eyes[0] + c * dx - s * dy, self.eyes[1] + s * dx + c * dy]
    }

    /// The photo's corners in the frame: top-left, top-right, bottom-right, bottom-left.
    pub fn corners(&self) -> [[f64; 2]; 4] {
        let (w, h) = (PHOTO_SIZE.0 as f64, PHOTO_SIZE.1 as f64);
        [self.to_frame(0.0, 0.0), self.to_frame(w, 0.0), self.to_frame(w, h), self.to_frame(0.0, h)]
    }

    /// Whether the whole photo lies inside a `width`×`height` frame, give or take [`EDGE_SLACK`]
    /// photo pixels (a margin that repeated edge pixels fill unseen): otherwise the face is too
    /// near an edge to cut the standard photo from the frame.
    pub fn fits(&self, width: u32, height: u32) -> bool {
        let slack = EDGE_SLACK / self.scale;
        self.corners().iter().all(|&[x, y]| {
            x >= -slack && y >= -slack && x <= width as f64 + slack && y <= height as f64 + slack
        })
    }

    /// The same placement for the frame scaled by `factor` (e.g. from the analysis frame to the
    /// full-resolution capture).
    pub fn scaled(&self, factor: f64) -> Placement {
        Placement {
            eyes: [self.eyes[0] * factor, self.eyes[1] * factor],
            scale: self.scale / factor,
            face_width: self.face_width * factor,
            ..*self
        }
    }
}

/// Cuts the 480×640 standard photo out of `frame` (bilinear; edges repeated where the photo
/// would leave the frame, which [`Placement::fits`] tells beforehand and [`standard_photo`]
/// replaces by background: [`Beyond`]).
pub fn render(frame: &FrameView<'_>, placement: &Placement) -> Frame {
    let (w, h) = PHOTO_SIZE;
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let [sx, sy] = placement.to_frame(x as f64 + 0.5, y as f64 + 0.5);
            let rgb = bilinear(frame, sx as f32 - 0.5, sy as f32 - 0.5);
            data.extend(rgb.map(|v| v.round().clamp(0.0, 255.0) as u8));
            data.push(255);
        }
    }
    Frame::from_rgba(data, w, h).expect("480×640 RGBA")
}

/// How far past the frame's edge a photo pixel may lie and still be cut, photo pixels: a sliver
/// that repeated edge pixels fill unseen ([`Placement::fits`] allows the same). Anything further
/// is the standard's background or, where it would be the person, missing ([`Beyond`]).
pub const EDGE_SLACK: f64 = 8.0;

/// The photo pixels that lie past the edge of the frame they are cut from (by more than
/// [`EDGE_SLACK`]): what [`render`] could only fill by repeating the frame's edge.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Beyond {
    /// Indices (row by row) of the photo's pixels past the frame's edge.
    pub pixels: Vec<u32>,
    /// Those of them the person would cover (the alpha there over ½): the part of the person the
    /// frame does not show.
    pub person: Vec<u32>,
    /// Which edges of the photo the missing part touches: top, right, bottom, left.
    pub sides: [bool; 4],
}

impl Beyond {
    /// The photo pixels of `placement` past a `width`×`height` frame's edge.
    pub fn of(placement: &Placement, width: u32, height: u32) -> Beyond {
        let (pw, ph) = PHOTO_SIZE;
        let (fw, fh) = (width as f64, height as f64);
        let slack = EDGE_SLACK / placement.scale;
        // The placement is affine: the first pixel's centre and one step along each axis.
        let origin = placement.to_frame(0.5, 0.5);
        let [across, down] = [placement.to_frame(1.5, 0.5), placement.to_frame(0.5, 1.5)]
            .map(|p| [p[0] - origin[0], p[1] - origin[1]]);
        let mut pixels = Vec::new();
        for y in 0..ph {
            for x in 0..pw {
                let (fx, fy) = (x as f64, y as f64);
                let sx = origin[0] + fx * across[0] + fy * down[0];
                let sy = origin[1] + fx * across[1] + fy * down[1];
                if sx < -slack || sy < -slack || sx > fw + slack || sy > fh + slack {
                    pixels.push(y * pw + x);
                }
            }
        }
        Beyond { pixels, ..Beyond::default() }
    }

    /// Whether the whole person lies inside the frame (what lies past it is background).
    pub fn whole(&self) -> bool {
        self.person.is_empty()
    }

    /// The missing part of the person as a share of the photo.
    pub fn missing_share(&self) -> f64 {
        self.person.len() as f64 / (PHOTO_SIZE.0 * PHOTO_SIZE.1) as f64
    }

    /// Sorts the pixels past the edge by `alpha`: those the person would cover are missing, and
    /// every one of them becomes background in `alpha`, so that nothing the frame does not show
    /// is drawn.
    fn settle(&mut self, alpha: &mut Mask) {
        let (pw, ph) = PHOTO_SIZE;
        self.person.clear();
        self.sides = [false; 4];
        for &i in &self.pixels {
            if alpha.values[i as usize] > 0.5 {
                self.person.push(i);
                let (x, y) = (i % pw, i / pw);
                for (side, at) in self.sides.iter_mut().zip([y == 0, x == pw - 1, y == ph - 1, x == 0]) {
                    *side |= at;
                }
            }
            alpha.values[i as usize] = 0.0;
        }
    }

    /// `photo` with the missing part of the person painted in grey and white stripes (what
    /// `gradcap photo --force` writes, so that nobody takes it for a photo).
    pub fn marked(&self, photo: &FrameView<'_>) -> Frame {
        let width = photo.width();
        let mut data: Vec<u8> = (0..photo.height()).flat_map(|y| photo.row(y).to_vec()).collect();
        for &i in &self.person {
            let (x, y) = (i % width, i / width);
            let v = if (x + y) / 8 % 2 == 0 { 128 } else { 255 };
            data[i as usize * 4..i as usize * 4 + 3].copy_from_slice(&[v, v, v]);
        }
        Frame::from_rgba(data, width, photo.height()).expect("same size")
    }
}

/// Puts [`BACKGROUND`] behind the person, quickly: each pixel is mixed with the blue by how
/// surely it is background, the old background's colour left in the edge (what [`compose`] takes
/// out; this one shows the segmentation model the person on the blue). The mask is sharpened
/// (0.25–0.75 stretched to 0–1) so the person keeps their colours to the edge and only the soft
/// rim of hair mixes, without a blue halo inside.
pub fn replace_background(photo: &FrameView<'_>, mask: &Mask) -> Frame {
    let (w, h) = (photo.width(), photo.height());
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for (x, p) in photo.row(y).chunks_exact(4).enumerate() {
            let m = mask.at(x as u32, y);
            let t = ((m - 0.25) / 0.5).clamp(0.0, 1.0);
            let person = t * t * (3.0 - 2.0 * t);
            for k in 0..3 {
                let v = p[k] as f32 * person + BACKGROUND[k] as f32 * (1.0 - person);
                data.push(v.round() as u8);
            }
            data.push(255);
        }
    }
    Frame::from_rgba(data, w, h).expect("same size")
}

/// Puts [`BACKGROUND`] behind the person of `cut` covered by `alpha` ([`compose_on`]).
pub fn compose(cut: &FrameView<'_>, alpha: &Mask) -> Frame {
    compose_on(cut, alpha, BACKGROUND)
}

/// Puts `background` behind the person of `cut` covered by `alpha` (refined to the cut's
/// resolution, [`refine::refine`]): each pixel mixes the person's own colour there
/// ([`refine::foreground`], the old background taken out) with the background colour. The alpha
/// is sharpened a little (0.1–0.9 stretched to 0–1), so the outline stays crisp.
pub fn compose_on(cut: &FrameView<'_>, alpha: &Mask, background: [u8; 3]) -> Frame {
    let (w, h) = (cut.width(), cut.height());
    let fore = refine::foreground(cut, alpha);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for (i, &a) in alpha.values.iter().enumerate() {
        let t = ((a - 0.1) / 0.8).clamp(0.0, 1.0) as f64;
        let person = t * t * (3.0 - 2.0 * t);
        for k in 0..3 {
            let v = fore[k][i] * person + background[k] as f64 * (1.0 - person);
            data.push(v.round().clamp(0.0, 255.0) as u8);
        }
        data.push(255);
    }
    Frame::from_rgba(data, w, h).expect("same size")
}

/// A standard photo and how it was made.
#[derive(Debug, Clone)]
pub struct StandardPhoto {
    /// The photo, background replaced.
    pub photo: Frame,
    /// The same cut before the background was replaced.
    pub cut: Frame,
    /// Where it lies in the frame it was cut from.
    pub placement: Placement,
    /// The person's alpha on the cut ([`person_alpha`]), 0 past the frame's edge.
    pub mask: Mask,
    /// The photo's pixels past the frame's edge, and the part of the person among them.
    pub beyond: Beyond,
}

/// Makes the standard photo in `frame` from a first placement ([`Placement::of`] the face, with
/// the crown estimated): with a `finder`, finds the face again on that cut (larger and sharper
/// than in an analysis frame) and corrects the eye line and the eyes' place; then finds the
/// person, cuts again with the crown where the mask shows it, and replaces the background
/// ([`person_alpha`], [`compose`]).
pub fn standard_photo(
    frame: &FrameView<'_>,
    mut first: Placement,
    finder: Option<&mut crate::face::FaceFinder>,
    segmenter: &mut segment::Segmenter,
) -> Result<StandardPhoto, crate::Error> {
    if let Some(finder) = finder {
        // Twice: the second pass sees the face levelled and at its final size.
        for _ in 0..2 {
            if let Some(face) = finder.still(&render(frame, &first).view())? {
                first = first.refined(&Placement::of(&face));
            }
        }
    }
    let cut = render(frame, &first);
    let mask = segmenter.mask(&cut.view())?;
    let (placement, cut, mask) = match crown(&mask, PHOTO_EYES[0]) {
        Some(seen) if (seen - PHOTO_CROWN).abs() > 3.0 => {
            let placement = first.with_crown(seen);
            let cut = render(frame, &placement);
            let mask = segmenter.mask(&cut.view())?;
            (placement, cut, mask)
        }
        _ => (first, cut, mask),
    };
    let mut mask = person_alpha(&cut.view(), mask, segmenter)?;
    // Past the frame's edge the cut only repeats the edge: that is background colour, or the
    // person missing — never streaks of the edge's pixels.
    let mut beyond = Beyond::of(&placement, frame.width(), frame.height());
    beyond.settle(&mut mask);
    let photo = compose(&cut.view(), &mask);
    Ok(StandardPhoto { photo, cut, placement, mask, beyond })
}

/// The person of a standard cut, and only the person, at the cut's resolution: from the model's
/// `mask` of the cut, the room's clutter beside the shoulders dropped ([`person::keep_person`]);
/// the model asked again with the blue behind what is left, where the room's colours no longer
/// mislead it (a bright lamp joined to the shoulder on the first look stands apart on the
/// second), keeping what both looks call the person and is joined to the face; then the outline
/// decided by the cut's colours ([`refine::refine`]).
pub fn person_alpha(
    cut: &FrameView<'_>,
    mut mask: Mask,
    segmenter: &mut segment::Segmenter,
) -> Result<Mask, crate::Error> {
    person::keep_person(cut, &mut mask);
    let again = segmenter.mask(&replace_background(cut, &mask).view())?;
    for (m, a) in mask.values.iter_mut().zip(&again.values) {
        *m = m.min(*a);
    }
    person::drop_light_beside_shoulders(cut, &mut mask);
    person::keep_joined(&mut mask);
    Ok(refine::refine(cut, &mask))
}

/// Where the face lies on a standard photo, measured again on the photo itself.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Geometry {
    /// The crown, px from the top: the top of the person where the mask is given, else
    /// estimated above the forehead as `face.size` does.
    pub crown: f64,
    /// The eye line, px from the top.
    pub eyes: f64,
    /// The face width, px.
    pub face_width: f64,
    /// The middle of the eyes, px from the left.
    pub centre: f64,
    /// The eye line's angle, degrees.
    pub roll: f64,
}

impl Geometry {
    /// Measures `face`, found on a standard photo, with the person `mask` of that photo if any.
    pub fn of(face: &Face, mask: Option<&Mask>) -> Geometry {
        let p = Placement::of(face);
        Geometry {
            crown: mask.and_then(|mask| crown(mask, p.eyes[0])).unwrap_or(face.crown()[1]),
            eyes: p.eyes[1],
            face_width: p.face_width,
            centre: p.eyes[0],
            roll: p.roll,
        }
    }
}

/// The top of the person in `mask`: the first row where most of a band a tenth of the width
/// wide around `x` is person.
pub fn crown(mask: &Mask, x: f64) -> Option<f64> {
    first_row_mostly(mask.width, mask.height, x, |x, y| mask.at(x, y) > 0.5)
}

/// The first row of a `width`×`height` picture where `is_person` holds for most of a band a
/// tenth of the width wide around `x`.
pub(crate) fn first_row_mostly(
    width: u32,
    height: u32,
    x: f64,
    is_person: impl Fn(u32, u32) -> bool,
) -> Option<f64> {
    let half = (width / 20).max(1) as f64;
    let (x0, x1) = ((x - half).max(0.0) as u32, ((x + half) as u32).min(width));
    (0..height)
        .find(|&y| {
            let n = (x0..x1).filter(|&x| is_person(x, y)).count();
            x1 > x0 && 2 * n > (x1 - x0) as usize
        })
        .map(f64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placement_maps_the_eyes_to_their_place_and_fits_only_inside() {
        let p =
            Placement { eyes: [320.0, 200.0], scale: 0.5, roll: 0.0, face_width: 400.0, widths: FACE_WIDTHS };
        assert_eq!(p.to_frame(PHOTO_EYES[0], PHOTO_EYES[1]), [320.0, 200.0]);
        assert_eq!(p.to_frame(0.0, 0.0), [320.0 - 480.0, 200.0 - 520.0]);
        assert!(!p.fits(640, 480));
        let small = Placement { scale: 2.0, ..p };
        assert!(small.fits(640, 480));
        let turned = Placement { roll: 90.0, ..small };
        let [x, y] = turned.to_frame(PHOTO_EYES[0] + 2.0, PHOTO_EYES[1]);
        assert!((x - 320.0).abs() < 1e-9 && (y - 201.0).abs() < 1e-9, "photo x runs down the frame");
        assert_eq!(small.scaled(2.0).eyes, [640.0, 400.0]);
    }

    #[test]
    fn the_crown_seen_corrects_the_scale_within_the_face_widths() {
        let p = Placement { eyes: [0.0, 0.0], scale: 1.0, roll: 0.0, face_width: 250.0, widths: FACE_WIDTHS };
        // The crown came out 40 px too high: 230 px above the eyes instead of 190.
        let fixed = p.with_crown(PHOTO_CROWN - 40.0);
        assert!((fixed.scale - 190.0 / 230.0).abs() < 1e-9);
        // Far too high: the face would be narrower than 190 px, so the width bound wins.
        assert!((p.with_crown(-200.0).scale - 190.0 / 250.0).abs() < 1e-9);
    }
}
