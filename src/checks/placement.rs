//! `face.in_guide` and `face.size`: where the face sits in the dashed guide, measured on the
//! standard photo (at its working size, 480×640) that the guide stands for, against the
//! standard's head geometry (`Rules::standard`).

use super::{graded, ranged, Check, CheckId, Rules, Scene};
use crate::face::Face;
use crate::guide::{PHOTO_EYES as EYES_AT, PHOTO_SIZE};

/// Maps frame pixels to standard-photo pixels through the guide.
struct ToPhoto {
    x: f64,
    y: f64,
    scale: f64,
}

impl ToPhoto {
    fn new(scene: &Scene<'_>) -> ToPhoto {
        let photo = scene.guide.photo;
        ToPhoto { x: photo.x, y: photo.y, scale: PHOTO_SIZE.0 as f64 / photo.w.max(1e-9) }
    }

    fn point(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.x) * self.scale, (p[1] - self.y) * self.scale]
    }
}

/// The middle of the eyes, the face width, and the crown, on the standard photo.
struct Layout {
    eyes: [f64; 2],
    face_width: f64,
    crown: f64,
}

impl Layout {
    fn of(face: &Face, to: &ToPhoto) -> Layout {
        Layout {
            eyes: to.point(face.eyes_middle()),
            face_width: face.span() * to.scale,
            crown: to.point(face.crown())[1],
        }
    }
}

/// `face.in_guide` (value: the larger offset of the eyes from where the guide puts them, as a
/// share of the photo's width or height; it fails too when the face contour leaves the frame,
/// or when the standard photo cannot be cut from the frame) and `face.size` (value: the face width on the photo, px).
pub fn checks(scene: &Scene<'_>, face: &Face, rules: &Rules) -> [Check; 2] {
    let to = ToPhoto::new(scene);
    let layout = Layout::of(face, &to);
    let (pw, ph) = (PHOTO_SIZE.0 as f64, PHOTO_SIZE.1 as f64);
    let offset = ((layout.eyes[0] - EYES_AT[0]).abs() / pw).max((layout.eyes[1] - EYES_AT[1]).abs() / ph);
    let mut in_guide = graded(CheckId::FaceInGuide, offset, 0.0, rules.max_offset);
    // The photo is cut around the face, not around the guide: a face within the offset whose
    // outline leaves the dashed oval (a wide face shifted or rolled a little) still gives it.
    let (fw, fh) = (scene.frame.width() as f32, scene.frame.height() as f32);
    let outside = face.measures.contour.iter().any(|&[x, y]| x < 0.0 || y < 0.0 || x >= fw || y >= fh);
    // The standard photo must be cut from this frame: a face too near an edge cannot give it.
    let cut_fits = crate::photo::Placement::of(face).fits(scene.frame.width(), scene.frame.height());
    if outside || !cut_fits {
        in_guide.pass = false;
        in_guide.score = in_guide.score.min(25);
    }
    let wanted = rules.standard.working();
    let parts = [
        ranged(CheckId::FaceSize, layout.face_width, wanted.face_width),
        ranged(CheckId::FaceSize, layout.eyes[1], wanted.eye_line),
        ranged(CheckId::FaceSize, layout.crown, wanted.crown),
    ];
    let worst = parts.iter().min_by_key(|c| c.score).cloned().unwrap_or(parts[0].clone());
    let size = Check {
        id: CheckId::FaceSize,
        pass: parts.iter().all(|c| c.pass),
        score: worst.score,
        value: Some(layout.face_width),
    };
    [in_guide, size]
}

/// What move puts `face` where the guide wants it, when `face.in_guide` or `face.size` fails:
/// nearer or farther when the face's size is out of range (or too large for the photo to be cut
/// from the frame), else the way the eyes are off the guide's place for them. `None` when
/// neither tells.
pub fn needed_move(scene: &Scene<'_>, face: &Face, rules: &Rules) -> Option<crate::analysis::Move> {
    use crate::analysis::Move;
    let layout = Layout::of(face, &ToPhoto::new(scene));
    let [narrow, wide] = rules.standard.working().face_width;
    if layout.face_width > wide {
        return Some(Move::Farther);
    }
    if layout.face_width < narrow {
        return Some(Move::Closer);
    }
    let cut_fits = crate::photo::Placement::of(face).fits(scene.frame.width(), scene.frame.height());
    if !cut_fits && layout.face_width > (narrow + wide) / 2.0 {
        return Some(Move::Farther);
    }
    let (pw, ph) = (PHOTO_SIZE.0 as f64, PHOTO_SIZE.1 as f64);
    let (dx, dy) = ((layout.eyes[0] - EYES_AT[0]) / pw, (layout.eyes[1] - EYES_AT[1]) / ph);
    if dx.abs().max(dy.abs()) < rules.max_offset / 2.0 {
        return None;
    }
    Some(match (dx.abs() >= dy.abs(), dx < 0.0, dy < 0.0) {
        (true, true, _) => Move::Left,
        (true, false, _) => Move::Right,
        (false, _, true) => Move::Up,
        (false, _, false) => Move::Down,
    })
}
