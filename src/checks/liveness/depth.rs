//! The optional active cue of `liveness.depth`: near and far. The helper moves the phone slowly
//! closer and back (请将手机缓慢靠近，再移远). A real head is not flat: as the camera comes
//! closer, what is nearer to it (the nose, the middle of the face) grows faster than what is
//! further away (the cheeks, the outline) — perspective. A print or a screen grows as one plane.
//!
//! Each frame is compared with the view of the same face at the most different size in the last
//! seconds: that view's grid of luma over the inner face, each sample given its depth from the
//! mesh (`ẑ`, face widths behind the face's middle), is aligned with the frame by an affine map
//! `A` plus a growth that changes with depth, `u = A·q + c·ẑ·(q − m)` ([`super::register`]; the
//! mesh alone jitters by ~1 % of the face's width and is not equivariant enough to show this).
//! A plane gives `c = 0`. Under a pinhole camera whose distance goes from `D₀` to `D`, a point
//! at depth `Z` grows by `(D₀+Z)/(D+Z)`: with `K = √det A` the overall growth, the depth's gain
//! `g = −c/K` is about `W·(1/D − 1/D₀)` for a face `W` wide, so the *relief* `g / (K − 1)` is
//! about `W/D₀` whichever way the phone moved and however far: a live head filmed from two to
//! five face widths away gives about 0.2–0.5 (less, as the mesh's depth is the model's guess), a
//! picture about 0. The median over the comparisons decides.

use std::collections::VecDeque;

use super::planar;
use super::register::Patch;
use crate::face::Face;
use crate::FrameView;

/// How far back views are kept to compare with, ms: one slow approach or retreat.
const HISTORY_MS: f64 = 3000.0;
/// The least growth between the two views compared (the face's width, either way).
const MIN_GROWTH: f64 = 1.15;
/// The comparisons the median is taken over (the latest).
const KEPT: usize = 15;
/// The largest RMS difference of the two views aligned as a plane that a comparison is made on.
const MAX_FLAT_RESIDUAL: f64 = 0.45;
/// Views closer together than this are not kept, ms.
const VIEW_GAP_MS: f64 = 100.0;

/// One remembered view: when, the face's width, the mesh points the tracker keeps and its
/// pixels with their depths.
#[derive(Debug, Clone)]
struct View {
    at_ms: f64,
    width: f64,
    points: Vec<[f32; 3]>,
    patch: Patch,
}

/// The views of the last seconds and what comparing them showed.
#[derive(Debug, Clone, Default)]
pub struct Approach {
    views: VecDeque<View>,
    /// Per comparison, the relief `g / (K − 1)`.
    reliefs: VecDeque<f64>,
}

impl Approach {
    /// Takes `frame` at `now_ms` with its face and the mesh `points` that guess the alignment
    /// (the tracker's every third: 156 of 468 span the whole face).
    pub fn update(&mut self, frame: &FrameView<'_>, face: &Face, points: &[[f32; 3]], now_ms: f64) {
        while self.views.front().is_some_and(|v| now_ms - v.at_ms > HISTORY_MS) {
            self.views.pop_front();
        }
        let width = face.width() as f64;
        if width <= 0.0 {
            return;
        }
        let ratio = |v: &View| (width / v.width).max(v.width / width);
        let other = self.views.iter().max_by(|a, b| ratio(a).total_cmp(&ratio(b)));
        if let Some(then) = other.filter(|v| ratio(v) >= MIN_GROWTH) {
            if let Some(r) = relief(&then.patch, &then.points, frame, points) {
                self.reliefs.push_back(r);
                if self.reliefs.len() > KEPT {
                    self.reliefs.pop_front();
                }
            }
        }
        if self.views.back().is_none_or(|v| now_ms - v.at_ms >= VIEW_GAP_MS) {
            if let Some(patch) = Patch::with_depth(frame, face) {
                self.views.push_back(View { at_ms: now_ms, width, points: points.to_vec(), patch });
            }
        }
    }

    /// The median relief over the comparisons so far, once there are at least `min` of them.
    pub fn relief(&self, min: usize) -> Option<f64> {
        if self.reliefs.len() < min.max(1) {
            return None;
        }
        let mut values: Vec<f64> = self.reliefs.iter().copied().collect();
        values.sort_by(f64::total_cmp);
        Some(values[values.len() / 2])
    }
}

/// The relief between the view `then` (its `patch` with depths and its mesh `points`) and
/// `frame` (its mesh `now`): see the module's doc. `None` when the views do not align or do not
/// differ in size.
fn relief(patch: &Patch, then: &[[f32; 3]], frame: &FrameView<'_>, now: &[[f32; 3]]) -> Option<f64> {
    // The mesh's guess is first refined as a plane: started from the guess itself, a guess a few
    // per cent off in scale (the attention mesh's on a screen's moiré) left the depth's growth to
    // absorb the difference, and a screen read as a head (obama on a screen: 0.14).
    let guess = planar::affine(then, now)?;
    let flat = patch.register(frame, guess)?;
    // Views that do not align even as a plane (the normalised luma's RMS difference) show no
    // relief either way: live heads left 0.06–0.21 in the tests, a screen's moiré that the
    // alignment cannot follow 0.5–0.99.
    if flat.residual > MAX_FLAT_RESIDUAL {
        return None;
    }
    let (a, c) = patch.register_depth(frame, flat.affine)?;
    let growth = (a[0][0] * a[1][1] - a[0][1] * a[1][0]).abs().sqrt();
    if (growth - 1.0).abs() < 0.05 {
        return None;
    }
    Some(-c / growth / (growth - 1.0))
}
