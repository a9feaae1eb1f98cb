//! The student's skin, read from the cheeks (between the eyes and the nose tip, each side of the
//! nose): the reference that hair and teeth are told apart from. Medians, so that a shiny spot
//! or a shadowed edge does not move it.

use super::region::oval;
use crate::face::landmarks::UNDER_NOSE;
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Fewest cheek pixels a side needs.
const MIN_PIXELS: usize = 20;

/// Median luma and BT.601 chroma of one cheek.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skin {
    /// Luma, 0–255.
    pub luma: f32,
    /// Blue-difference chroma.
    pub cb: f32,
    /// Red-difference chroma.
    pub cr: f32,
    /// Saturation, (max − min) ÷ max of the channels.
    pub saturation: f32,
}

/// (max − min) ÷ max of a pixel's channels, 0 for black.
pub fn saturation(r: u8, g: u8, b: u8) -> f32 {
    let (max, min) = (r.max(g).max(b) as f32, r.min(g).min(b) as f32);
    if max > 0.0 {
        (max - min) / max
    } else {
        0.0
    }
}

/// BT.601 chroma (Cb, Cr) of a pixel.
pub fn chroma(r: u8, g: u8, b: u8) -> (f32, f32) {
    let (r, g, b) = (r as f32, g as f32, b as f32);
    (-0.1687 * r - 0.3313 * g + 0.5 * b, 0.5 * r - 0.4187 * g - 0.0813 * b)
}

fn median(values: &mut [f32]) -> f32 {
    let mid = values.len() / 2;
    *values.select_nth_unstable_by(mid, f32::total_cmp).1
}

impl Skin {
    /// Whether a pixel is much darker than this skin (hair, a hat, a shadow).
    pub fn darker(&self, [r, g, b, _]: [u8; 4]) -> bool {
        luma(r, g, b) < 0.6 * self.luma
    }
}

/// The skin of both cheeks: `[image-left, image-right]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cheeks(pub [Option<Skin>; 2]);

impl Cheeks {
    /// Reads both cheeks of `face`.
    pub fn of(frame: &FrameView<'_>, face: &Face) -> Cheeks {
        let m = &face.mesh;
        let eyes = face.eye_line() as f64;
        let nose = m[UNDER_NOSE];
        let band =
            oval(face).clip_y(eyes + 0.3 * (nose[1] as f64 - eyes), false).clip_y(nose[1] as f64, true);
        let mut sides: [[Vec<f32>; 4]; 2] = Default::default();
        band.for_each_pixel(frame, |x, _, [r, g, b, _]| {
            let side = &mut sides[((x as f32 + 0.5) >= nose[0]) as usize];
            let (cb, cr) = chroma(r, g, b);
            side[0].push(luma(r, g, b));
            side[1].push(cb);
            side[2].push(cr);
            side[3].push(saturation(r, g, b));
        });
        Cheeks(sides.map(|[mut l, mut cb, mut cr, mut s]| {
            (l.len() >= MIN_PIXELS).then(|| Skin {
                luma: median(&mut l),
                cb: median(&mut cb),
                cr: median(&mut cr),
                saturation: median(&mut s),
            })
        }))
    }

    /// The cheek on the image side of `x` about the nose, else the other one.
    pub fn near(&self, x: f64, nose_x: f64) -> Option<Skin> {
        let [left, right] = self.0;
        if x < nose_x {
            left.or(right)
        } else {
            right.or(left)
        }
    }

    /// The darker cheek's luma, if any cheek was read.
    pub fn luma(&self) -> Option<f32> {
        self.0.iter().flatten().map(|s| s.luma).reduce(f32::min)
    }

    /// The brighter cheek's luma (the lit skin that shine and glare stand out from).
    pub fn bright_luma(&self) -> Option<f32> {
        self.0.iter().flatten().map(|s| s.luma).reduce(f32::max)
    }

    /// The less saturated cheek's saturation.
    pub fn saturation(&self) -> Option<f32> {
        self.0.iter().flatten().map(|s| s.saturation).reduce(f32::min)
    }
}
