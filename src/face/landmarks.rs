//! Named points of MediaPipe's 468-point face mesh, and the measures of a [`Face`] the checks
//! and the photo share: its outline box, its width, its eye line, the middle of its eyes, its
//! crown. "Right" and "left" are the
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
/// The right eye's upper lid, above its middle.
pub const RIGHT_EYE_TOP: usize = 159;
/// The right eye's lower lid, below its middle.
pub const RIGHT_EYE_BOTTOM: usize = 145;
/// The left eye's upper lid, above its middle.
pub const LEFT_EYE_TOP: usize = 386;
/// The left eye's lower lid, below its middle.
pub const LEFT_EYE_BOTTOM: usize = 374;
/// The upper lip's inner edge, in the middle.
pub const UPPER_LIP_INNER: usize = 13;
/// The lower lip's inner edge, in the middle.
pub const LOWER_LIP_INNER: usize = 14;
/// The mouth's right corner (inner lip line).
pub const MOUTH_RIGHT: usize = 78;
/// The mouth's left corner (inner lip line).
pub const MOUTH_LEFT: usize = 308;
/// The middle of the forehead, below [`FOREHEAD`].
pub const MID_FOREHEAD: usize = 151;
/// The nose just above its tip.
pub const ABOVE_NOSE_TIP: usize = 4;
/// The right cheekbone.
pub const RIGHT_CHEEKBONE: usize = 50;
/// The left cheekbone.
pub const LEFT_CHEEKBONE: usize = 280;
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

/// The crown above the top of the forehead ([`FOREHEAD`]), as a share of the forehead-to-chin
/// height. Measured with the person mask on the four standard photos made from
/// `../shared/faces`: 0.32–0.52 (the hair makes the difference), 0.42 on average.
pub const CROWN_ABOVE_FOREHEAD: f64 = 0.42;

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

    /// The middle of the eyes: the mean of both eyes' inner and outer corners, frame pixels.
    pub fn eyes_middle(&self) -> [f64; 2] {
        [RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_OUTER, LEFT_EYE_INNER]
            .iter()
            .map(|&i| self.mesh[i])
            .fold([0.0, 0.0], |acc, q| [acc[0] + q[0] as f64 / 4.0, acc[1] + q[1] as f64 / 4.0])
    }

    /// The distance between mesh points `a` and `b`, frame pixels.
    pub fn distance(&self, a: usize, b: usize) -> f64 {
        let (p, q) = (self.mesh[a], self.mesh[b]);
        ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)
    }

    /// The face's width along its own axis, cheek side to cheek side (unlike [`Face::width`],
    /// which is horizontal): the width CHSI's layout ranges measure.
    pub fn span(&self) -> f64 {
        self.distance(RIGHT_CHEEK, LEFT_CHEEK)
    }

    /// Where the crown of the head is estimated to be, from the forehead and the chin
    /// ([`CROWN_ABOVE_FOREHEAD`]), frame pixels; the standard photo corrects it with the person
    /// mask once it is cut.
    pub fn crown(&self) -> [f64; 2] {
        let (top, chin) = (self.mesh[FOREHEAD], self.mesh[CHIN]);
        let up = |t: f32, c: f32| t as f64 - CROWN_ABOVE_FOREHEAD * (c - t) as f64;
        [up(top[0], chin[0]), up(top[1], chin[1])]
    }
}
