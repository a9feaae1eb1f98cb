//! Named points of MediaPipe's 468-point face mesh, and the measures of a [`Face`] the checks
//! and the photo share: its outline box, its width, its eye line. "Right" and "left" are the
//! person's own (the right eye is on the image's left).

use super::Face;

/// Top of the face oval, mid-forehead.
pub const FOREHEAD: usize = 10;
/// Bottom of the chin.
pub const CHIN: usize = 152;
/// The oval's outermost point on the right cheek (the image's left).
pub const RIGHT_CHEEK: usize = 234;
/// The oval's outermost point on the left cheek.
pub const LEFT_CHEEK: usize = 454;
/// Outer corner of the right eye.
pub const RIGHT_EYE_OUTER: usize = 33;
/// Inner corner of the right eye.
pub const RIGHT_EYE_INNER: usize = 133;
/// Outer corner of the left eye.
pub const LEFT_EYE_OUTER: usize = 263;
/// Inner corner of the left eye.
pub const LEFT_EYE_INNER: usize = 362;
/// The top of the right eyebrow's arch.
pub const RIGHT_BROW: usize = 105;
/// The top of the left eyebrow's arch.
pub const LEFT_BROW: usize = 334;
/// The nose's tip.
pub const NOSE_TIP: usize = 1;
/// Below the nose, above the upper lip.
pub const UNDER_NOSE: usize = 2;
/// The bridge of the nose between the eyes.
pub const NOSE_BRIDGE: usize = 168;
/// The lower lip's lower edge.
pub const LOWER_LIP: usize = 17;

impl Face {
    /// Mesh point `i` in frame pixels, `[x, y]`.
    pub fn point(&self, i: usize) -> [f32; 2] {
        [self.mesh[i][0], self.mesh[i][1]]
    }

    /// The face oval's box, cheek to cheek and forehead to chin: `[left, top, right, bottom]` in
    /// frame pixels (left ≤ right whichever way the face is turned).
    pub fn outline(&self) -> [f32; 4] {
        let (r, l) = (self.mesh[RIGHT_CHEEK][0], self.mesh[LEFT_CHEEK][0]);
        [r.min(l), self.mesh[FOREHEAD][1], r.max(l), self.mesh[CHIN][1]]
    }

    /// The face's width, cheek to cheek, frame pixels.
    pub fn width(&self) -> f32 {
        (self.mesh[LEFT_CHEEK][0] - self.mesh[RIGHT_CHEEK][0]).abs()
    }

    /// The height of the eye line: the mean of the outer eye corners' heights, frame pixels.
    pub fn eye_line(&self) -> f32 {
        (self.mesh[RIGHT_EYE_OUTER][1] + self.mesh[LEFT_EYE_OUTER][1]) / 2.0
    }

    /// The top of the brows: the higher of the two arches, frame pixels.
    pub fn brows(&self) -> f32 {
        self.mesh[RIGHT_BROW][1].min(self.mesh[LEFT_BROW][1])
    }
}
