//! Whether the face moves as a flat picture does. Between two views, every point of a flat photo
//! moves by one affine map (a plane seen from a little further round); a live face is not flat, so
//! when the view turns its nose moves against its cheeks and contour, and no single affine map
//! takes the earlier points to the later ones.

use crate::face::Face;

/// How two views of a face relate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Motion {
    /// How much the view changed beyond a shift: the RMS distance the affine map's turn, scale
    /// and foreshortening move the points by, as a share of the face's width.
    pub turn: f64,
    /// How much the view foreshortened the face one way more than the other (a plane turned
    /// away): the ratio of the affine map's two stretches, minus one. Turns in the image's plane
    /// and moving nearer do not count.
    pub foreshortening: f64,
    /// What no affine map explains: the RMS distance between the later points and the earlier
    /// points mapped by the best affine map, as a share of the face's width.
    pub parallax: f64,
}

/// The motion from the mesh points `before` to `now` (the same points in two frames); `None`
/// when the points do not determine an affine map.
pub fn motion(before: &[[f32; 3]], now: &[[f32; 3]], face_width: f64) -> Option<Motion> {
    if before.len() != now.len() || before.len() < 3 || face_width <= 0.0 {
        return None;
    }
    let (a, b) = affine_fit(before, now)?;
    let mut sum = 0.0;
    for (p, q) in before.iter().zip(now) {
        let (x, y) = (p[0] as f64, p[1] as f64);
        let fx = a[0] * x + a[1] * y + a[2];
        let fy = b[0] * x + b[1] * y + b[2];
        sum += (fx - q[0] as f64).powi(2) + (fy - q[1] as f64).powi(2);
    }
    let parallax = (sum / before.len() as f64).sqrt() / face_width;
    let n = before.len() as f64;
    let (mx, my) = before.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p[0] as f64 / n, sy + p[1] as f64 / n));
    let mut moved = 0.0;
    for p in before {
        let (x, y) = (p[0] as f64 - mx, p[1] as f64 - my);
        moved += ((a[0] - 1.0) * x + a[1] * y).powi(2) + (b[0] * x + (b[1] - 1.0) * y).powi(2);
    }
    let turn = (moved / n).sqrt() / face_width;
    let [s1, s2] = super::register::stretches([[a[0], a[1]], [b[0], b[1]]]);
    let foreshortening = if s2 > 0.0 { s1 / s2 - 1.0 } else { f64::INFINITY };
    Some(Motion { turn, foreshortening, parallax })
}

/// The least-squares affine map from the points `before` to `now`, as `[[a, b, c], [d, e, f]]`.
pub fn affine(before: &[[f32; 3]], now: &[[f32; 3]]) -> Option<super::register::Affine> {
    let (a, b) = affine_fit(before, now)?;
    Some([a, b])
}

/// The least-squares affine map `x' = a·(x, y, 1)`, `y' = b·(x, y, 1)` from `from` to `to`.
fn affine_fit(from: &[[f32; 3]], to: &[[f32; 3]]) -> Option<([f64; 3], [f64; 3])> {
    // Centre the points first: the normal equations stay well conditioned at any image size.
    let n = from.len() as f64;
    let mean = |ps: &[[f32; 3]]| {
        let (sx, sy) = ps.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p[0] as f64, sy + p[1] as f64));
        (sx / n, sy / n)
    };
    let ((mx, my), (nx, ny)) = (mean(from), mean(to));
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    let (mut ux, mut uy, mut vx, mut vy) = (0.0, 0.0, 0.0, 0.0);
    for (p, q) in from.iter().zip(to) {
        let (x, y) = (p[0] as f64 - mx, p[1] as f64 - my);
        let (u, v) = (q[0] as f64 - nx, q[1] as f64 - ny);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        ux += u * x;
        uy += u * y;
        vx += v * x;
        vy += v * y;
    }
    let det = sxx * syy - sxy * sxy;
    if det.abs() < 1e-9 * (sxx * syy).max(1e-12) {
        return None;
    }
    let solve = |rx: f64, ry: f64| [(rx * syy - ry * sxy) / det, (ry * sxx - rx * sxy) / det];
    let [a0, a1] = solve(ux, uy);
    let [b0, b1] = solve(vx, vy);
    Some(([a0, a1, nx - a0 * mx - a1 * my], [b0, b1, ny - b0 * mx - b1 * my]))
}

/// The face's width for [`motion`]: cheek side to cheek side.
pub fn width(face: &Face) -> f64 {
    let (p, q) = (face.mesh[234], face.mesh[454]);
    ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small 3-D head: points on an ellipsoid, the nose in front.
    fn head() -> Vec<[f32; 3]> {
        let mut points = Vec::new();
        for i in 0..12 {
            for j in 1..6 {
                let (t, p) = (i as f32 * std::f32::consts::FRAC_PI_6, j as f32 * 0.5);
                points.push([100.0 * p.sin() * t.cos(), 120.0 * p.cos(), -100.0 * p.sin() * t.sin().abs()]);
            }
        }
        points.push([0.0, 0.0, -140.0]); // the nose tip
        points
    }

    fn turned(points: &[[f32; 3]], yaw_deg: f32, shift: f32) -> Vec<[f32; 3]> {
        let (s, c) = yaw_deg.to_radians().sin_cos();
        points
            .iter()
            .map(|p| [p[0] * c + p[2] * s + 300.0 + shift, p[1] + 200.0, -p[0] * s + p[2] * c])
            .collect()
    }

    #[test]
    fn a_turning_head_shows_parallax_and_a_moved_plane_does_not() {
        let head = head();
        let straight = turned(&head, 0.0, 0.0);
        let live = motion(&straight, &turned(&head, 6.0, 3.0), 200.0).unwrap();
        assert!(live.parallax > 0.01, "{live:?}");
        // The same points as a flat picture, tilted away (foreshortened) and moved.
        let flat: Vec<[f32; 3]> = straight.iter().map(|p| [p[0], p[1], 0.0]).collect();
        let tilted: Vec<[f32; 3]> =
            flat.iter().map(|p| [0.95 * (p[0] - 300.0) + 305.0, p[1] + 2.0, 0.0]).collect();
        let planar = motion(&flat, &tilted, 200.0).unwrap();
        assert!(planar.parallax < 1e-6, "{planar:?}");
        assert!(planar.turn > 0.01, "{planar:?}");
        // A pure shift is no turn at all.
        let shifted: Vec<[f32; 3]> = flat.iter().map(|p| [p[0] + 7.0, p[1] - 3.0, 0.0]).collect();
        assert!(motion(&flat, &shifted, 200.0).unwrap().turn < 1e-6);
    }
}
