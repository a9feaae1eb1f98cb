//! The face's pixels aligned between two views. The mesh's points jitter by about 1 % of the
//! face's width from frame to frame, too much to see a picture's plane turn a few degrees; its
//! pixels, aligned by one affine map, show it to a tenth of that, and how well one affine map
//! fits them says whether the face moved as a plane.

use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Samples per side of the grid laid over the face.
const GRID: usize = 24;
/// Gauss–Newton steps at most.
const STEPS: usize = 12;

/// The face's luma on a grid, kept from an earlier frame: where each sample was and its value
/// (normalised to mean 0, deviation 1).
#[derive(Debug, Clone)]
pub struct Patch {
    points: Vec<[f32; 2]>,
    values: Vec<f32>,
    /// Each sample's depth behind the face's middle in face widths (nearer is smaller), from
    /// the mesh; empty unless asked for ([`Patch::with_depth`]).
    depths: Vec<f32>,
    /// The middle of the grid, which the depth's growth is about.
    middle: [f32; 2],
}

/// An affine map `[[a, b, c], [d, e, f]]`: `(x, y) → (a·x + b·y + c, d·x + e·y + f)`.
pub type Affine = [[f64; 3]; 2];

/// How a patch aligns with a later frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Registration {
    /// The map from the patch's points to the frame.
    pub affine: Affine,
    /// The ratio of the map's two stretches, minus one: how much more one way than the other the
    /// face was foreshortened (a plane turned away). Turning in the image's plane, moving nearer
    /// and shifting do not count.
    pub foreshortening: f64,
    /// The RMS difference of the aligned, normalised luma (0: the same picture moved as one
    /// plane; a live face that turned leaves its nose and outline unexplained).
    pub residual: f64,
}

impl Patch {
    /// The grid over the inner face of `face` in `frame` (cheek to cheek, brows to chin).
    pub fn of(frame: &FrameView<'_>, face: &Face) -> Option<Patch> {
        let [x0, _, x1, chin] = face.outline();
        Patch::grid(frame, [x0, face.brows(), x1, chin])
    }

    /// The grid over the box `[x0, y0, x1, y1]` of `frame`.
    fn grid(frame: &FrameView<'_>, [x0, y0, x1, y1]: [f32; 4]) -> Option<Patch> {
        if x1 - x0 < GRID as f32 || y1 - y0 < GRID as f32 {
            return None;
        }
        let mut points = Vec::with_capacity(GRID * GRID);
        let mut values = Vec::with_capacity(GRID * GRID);
        for gy in 0..GRID {
            for gx in 0..GRID {
                let x = x0 + (x1 - x0) * (gx as f32 + 0.5) / GRID as f32;
                let y = y0 + (y1 - y0) * (gy as f32 + 0.5) / GRID as f32;
                values.push(sample(frame, x as f64, y as f64)?);
                points.push([x, y]);
            }
        }
        normalise(&mut values)?;
        Some(Patch { points, values, depths: Vec::new(), middle: [(x0 + x1) / 2.0, (y0 + y1) / 2.0] })
    }

    /// [`Patch::of`] with each sample's depth: the z of the nearest of the face's mesh points,
    /// less their mean, in face widths.
    pub fn with_depth(frame: &FrameView<'_>, face: &Face) -> Option<Patch> {
        let mut patch = Patch::of(frame, face)?;
        let width = face.width().max(1.0);
        let mean = face.mesh.iter().map(|p| p[2]).sum::<f32>() / face.mesh.len().max(1) as f32;
        let nearest = |q: &[f32; 2]| {
            let d = |p: &&[f32; 3]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
            face.mesh.iter().min_by(|a, b| d(a).total_cmp(&d(b))).map_or(mean, |p| p[2])
        };
        patch.depths = patch.points.iter().map(|q| (nearest(q) - mean) / width).collect();
        Some(patch)
    }

    /// Aligns the patch with `frame`, starting from `guess` (from the mesh): Gauss–Newton on the
    /// normalised luma. `None` when the patch leaves the frame or the fit does not settle.
    pub fn register(&self, frame: &FrameView<'_>, guess: Affine) -> Option<Registration> {
        let (a, residual, _) = self.fit(frame, guess, false)?;
        let [s1, s2] = stretches([[a[0][0], a[0][1]], [a[1][0], a[1][1]]]);
        let foreshortening = if s2 > 0.0 { s1 / s2 - 1.0 } else { f64::INFINITY };
        Some(Registration { affine: a, foreshortening, residual })
    }

    /// Aligns a patch made [`Patch::with_depth`] with `frame` by the affine map plus a growth
    /// about the grid's middle that changes with each sample's depth: `u = A·q + c·ẑ·(q − m)`.
    /// Returns the map and `c` (0 for a plane; negative when the nearer parts grew more).
    /// `None` without depths, or as [`Patch::register`].
    pub fn register_depth(&self, frame: &FrameView<'_>, guess: Affine) -> Option<(Affine, f64)> {
        if self.depths.len() != self.points.len() {
            return None;
        }
        let (a, _, c) = self.fit(frame, guess, true)?;
        Some((a, c))
    }

    /// Gauss–Newton from `guess` for the affine map's six parameters and, `with_depth`, the
    /// depth's growth `c`. The map, the RMS residual and `c`.
    fn fit(&self, frame: &FrameView<'_>, guess: Affine, with_depth: bool) -> Option<(Affine, f64, f64)> {
        let (mut a, mut c) = (guess, 0.0);
        for _ in 0..STEPS {
            let (step, _) = self.step(frame, &a, c, with_depth)?;
            for (k, d) in step.iter().take(6).enumerate() {
                a[k / 3][k % 3] += d;
            }
            c += step[6];
            let shift = (step[2].abs()).max(step[5].abs());
            let stretch = step[0].abs().max(step[1].abs()).max(step[3].abs()).max(step[4].abs());
            if shift < 0.01 && stretch < 1e-4 && step[6].abs() < 1e-4 {
                break;
            }
        }
        let (_, residual) = self.step(frame, &a, c, with_depth)?;
        Some((a, residual, c))
    }

    /// Where sample `i` lands under the map `a` and the depth's growth `c`.
    fn warp(&self, i: usize, a: &Affine, c: f64) -> [f64; 2] {
        let (x, y) = (self.points[i][0] as f64, self.points[i][1] as f64);
        let (mut u, mut v) = (a[0][0] * x + a[0][1] * y + a[0][2], a[1][0] * x + a[1][1] * y + a[1][2]);
        if let Some(&z) = self.depths.get(i).filter(|_| c != 0.0) {
            u += c * z as f64 * (x - self.middle[0] as f64);
            v += c * z as f64 * (y - self.middle[1] as f64);
        }
        [u, v]
    }

    /// One Gauss–Newton step at `a` and `c` (for the affine map, and `with_depth` for the
    /// depth's growth too; else its change is 0): the parameters' change and the RMS residual
    /// before it.
    fn step(&self, frame: &FrameView<'_>, a: &Affine, c: f64, with_depth: bool) -> Option<([f64; 7], f64)> {
        let params = if with_depth { 7 } else { 6 };
        let n = self.points.len();
        let (mut warped, mut grads) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for i in 0..n {
            let [u, v] = self.warp(i, a, c);
            let (value, gradient) = sample_with_gradient(frame, u, v)?;
            warped.push(value);
            grads.push(gradient);
        }
        let deviation = normalise(&mut warped)?;
        let (mut h, mut g, mut sum) = ([[0.0f64; 7]; 7], [0.0f64; 7], 0.0);
        for i in 0..n {
            let r = (warped[i] - self.values[i]) as f64;
            sum += r * r;
            let (x, y) = (self.points[i][0] as f64, self.points[i][1] as f64);
            let (gx, gy) = (grads[i][0] as f64 / deviation, grads[i][1] as f64 / deviation);
            let mut j = [gx * x, gx * y, gx, gy * x, gy * y, gy, 0.0];
            if with_depth {
                let z = self.depths[i] as f64;
                j[6] = z * (gx * (x - self.middle[0] as f64) + gy * (y - self.middle[1] as f64));
            }
            for r_ in 0..params {
                g[r_] -= j[r_] * r;
                for k in 0..params {
                    h[r_][k] += j[r_] * j[k];
                }
            }
        }
        Some((solve(h, g, params)?, (sum / n as f64).sqrt()))
    }
}

/// Bilinear luma at (`x`, `y`) (pixel centres at +0.5); `None` outside the frame.
fn sample(frame: &FrameView<'_>, x: f64, y: f64) -> Option<f32> {
    sample_with_gradient(frame, x, y).map(|(value, _)| value)
}

/// Bilinear luma at (`x`, `y`) and its gradient, from the same four pixels.
fn sample_with_gradient(frame: &FrameView<'_>, x: f64, y: f64) -> Option<(f32, [f32; 2])> {
    let (fx, fy) = (x - 0.5, y - 0.5);
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    if fx < 0.0 || fy < 0.0 || fx >= w - 1.0 || fy >= h - 1.0 {
        return None;
    }
    let (x0, y0) = (fx as usize, fy as u32);
    let (tx, ty) = ((fx - x0 as f64) as f32, (fy - y0 as f64) as f32);
    let (top, bottom) = (frame.row(y0), frame.row(y0 + 1));
    let at = |row: &[u8], x: usize| luma(row[4 * x], row[4 * x + 1], row[4 * x + 2]);
    let (a, b, c, d) = (at(top, x0), at(top, x0 + 1), at(bottom, x0), at(bottom, x0 + 1));
    let value = (a * (1.0 - tx) + b * tx) * (1.0 - ty) + (c * (1.0 - tx) + d * tx) * ty;
    let gx = (b - a) * (1.0 - ty) + (d - c) * ty;
    let gy = (c - a) * (1.0 - tx) + (d - b) * tx;
    Some((value, [gx, gy]))
}

/// Scales `values` to mean 0 and deviation 1 (so exposure changes do not count); returns the
/// deviation it divided by, `None` for a flat patch.
fn normalise(values: &mut [f32]) -> Option<f64> {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
    let deviation = (values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    if deviation < 1.0 {
        return None;
    }
    for v in values.iter_mut() {
        *v = ((*v as f64 - mean) / deviation) as f32;
    }
    Some(deviation)
}

/// Solves `h · x = g` for the first `n` unknowns (the rest are 0; Gaussian elimination with
/// partial pivoting).
fn solve(mut h: [[f64; 7]; 7], mut g: [f64; 7], n: usize) -> Option<[f64; 7]> {
    for col in 0..n {
        let pivot = (col..n).max_by(|&a, &b| h[a][col].abs().total_cmp(&h[b][col].abs()))?;
        if h[pivot][col].abs() < 1e-12 {
            return None;
        }
        h.swap(col, pivot);
        g.swap(col, pivot);
        let pivot_row = h[col];
        for row in col + 1..n {
            let f = h[row][col] / pivot_row[col];
            for (value, above) in h[row].iter_mut().zip(pivot_row).skip(col) {
                *value -= f * above;
            }
            g[row] -= f * g[col];
        }
    }
    let mut x = [0.0; 7];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|k| h[row][k] * x[k]).sum();
        x[row] = (g[row] - rest) / h[row][row];
    }
    Some(x)
}

/// The singular values of a 2×2 matrix, larger first.
pub fn stretches(m: [[f64; 2]; 2]) -> [f64; 2] {
    let (a, b, c, d) = (m[0][0], m[0][1], m[1][0], m[1][1]);
    let s = a * a + b * b + c * c + d * d;
    let det = (a * d - b * c).abs();
    let root = (s * s / 4.0 - det * det).max(0.0).sqrt();
    [(s / 2.0 + root).sqrt(), (s / 2.0 - root).max(0.0).sqrt()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    /// A smooth textured picture, `w`×`h`, seen through the affine map `a` (output → picture).
    fn picture(w: u32, h: u32, a: Affine) -> Frame {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let (u, v) = (x as f64 + 0.5, y as f64 + 0.5);
                let (px, py) = (a[0][0] * u + a[0][1] * v + a[0][2], a[1][0] * u + a[1][1] * v + a[1][2]);
                let value =
                    128.0 + 60.0 * (px / 9.0).sin() * (py / 13.0).cos() + 30.0 * ((px + py) / 23.0).sin();
                let g = value.clamp(0.0, 255.0) as u8;
                data.extend([g, g, g, 255]);
            }
        }
        Frame::from_rgba(data, w, h).unwrap()
    }

    #[test]
    fn a_picture_turned_away_is_registered_with_its_foreshortening_and_no_residual() {
        let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let before = picture(200, 200, identity);
        // The picture squeezed 4 % across and shifted: output (x, y) shows picture (x/0.96 + …).
        let after = picture(200, 200, [[1.0 / 0.96, 0.0, -3.0], [0.0, 1.0, 2.0]]);
        let patch = Patch::grid(&before.view(), [50.0, 50.0, 150.0, 150.0]).unwrap();
        let guess = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let r = patch.register(&after.view(), guess).unwrap();
        assert!((r.foreshortening - 0.0417).abs() < 0.004, "{r:?}");
        assert!(r.residual < 0.05, "{r:?}");
    }

    /// The texture of [`picture`] at (`x`, `y`).
    fn texture(x: f64, y: f64) -> f64 {
        128.0 + 60.0 * (x / 9.0).sin() * (y / 13.0).cos() + 30.0 * ((x + y) / 23.0).sin()
    }

    /// A dome's depth (face widths, nearer is smaller) at `q` about `m`, 100 px in radius.
    fn dome(q: [f64; 2], m: [f64; 2]) -> f64 {
        0.4 * (((q[0] - m[0]).powi(2) + (q[1] - m[1]).powi(2)) / 100.0f64.powi(2) - 0.5)
    }

    /// The texture on a dome about `m`, seen grown by `k` with the depth's growth `c`: the
    /// output pixel `u` shows the texture at `q` where `u = m + (k + c·ẑ(q))·(q − m)`.
    fn grown(w: u32, h: u32, m: [f64; 2], k: f64, c: f64) -> Frame {
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let u = [x as f64 + 0.5, y as f64 + 0.5];
                let mut q = u;
                for _ in 0..30 {
                    let s = k + c * dome(q, m);
                    q = [m[0] + (u[0] - m[0]) / s, m[1] + (u[1] - m[1]) / s];
                }
                let g = texture(q[0], q[1]).clamp(0.0, 255.0) as u8;
                data.extend([g, g, g, 255]);
            }
        }
        Frame::from_rgba(data, w, h).unwrap()
    }

    #[test]
    fn a_growth_that_follows_depth_is_measured_and_a_plane_shows_none() {
        let m = [120.0, 120.0];
        let before = grown(240, 240, m, 1.0, 0.0);
        let mut patch = Patch::grid(&before.view(), [60.0, 60.0, 180.0, 180.0]).unwrap();
        patch.depths = patch.points.iter().map(|p| dome([p[0] as f64, p[1] as f64], m) as f32).collect();
        let guess = [[1.2, 0.0, -24.0], [0.0, 1.2, -24.0]];
        for c in [-0.06, 0.0] {
            let after = grown(240, 240, m, 1.2, c);
            let (a, found) = patch.register_depth(&after.view(), guess).unwrap();
            assert!((found - c).abs() < 0.01, "c {c}: found {found}, {a:?}");
            assert!((a[0][0] - 1.2).abs() < 0.01 && (a[1][1] - 1.2).abs() < 0.01, "{a:?}");
        }
        // Without depths there is nothing to fit the growth to.
        let plain = Patch::grid(&before.view(), [60.0, 60.0, 180.0, 180.0]).unwrap();
        assert!(plain.register_depth(&before.view(), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).is_none());
    }

    #[test]
    fn singular_values_of_a_stretch() {
        let [a, b] = stretches([[2.0, 0.0], [0.0, 0.5]]);
        assert!((a - 2.0).abs() < 1e-12 && (b - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_solver_inverts_a_diagonal_system() {
        let mut h = [[0.0; 7]; 7];
        for (i, row) in h.iter_mut().enumerate() {
            row[i] = (i + 1) as f64;
        }
        let x = solve(h, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 6).unwrap();
        assert!(x[..6].iter().all(|v| (v - 1.0).abs() < 1e-12) && x[6] == 0.0, "{x:?}");
    }
}
