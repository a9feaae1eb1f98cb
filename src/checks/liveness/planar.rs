//! The affine map that best takes the face's mesh points in one view to the same points in
//! another: the starting guess for aligning the face's pixels ([`super::register`]). The mesh
//! alone cannot tell a flat picture from a face — its points jitter by about 1 % of the face's
//! width between identical frames — but it is close enough to start from.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_affine_map_is_recovered() {
        let from: Vec<[f32; 3]> =
            (0..30).map(|i| [(i * 37 % 200) as f32, (i * 53 % 170) as f32 + 20.0, 0.0]).collect();
        let to: Vec<[f32; 3]> = from
            .iter()
            .map(|p| [0.96 * p[0] + 0.05 * p[1] + 7.0, -0.03 * p[0] + 1.02 * p[1] - 4.0, 0.0])
            .collect();
        let a = affine(&from, &to).unwrap();
        let want = [[0.96, 0.05, 7.0], [-0.03, 1.02, -4.0]];
        for (row, expected) in a.iter().zip(want) {
            for (v, e) in row.iter().zip(expected) {
                assert!((v - e).abs() < 1e-3, "{a:?}");
            }
        }
        // Collinear points do not determine a map.
        let line: Vec<[f32; 3]> = (0..5).map(|i| [i as f32, 2.0 * i as f32, 0.0]).collect();
        assert!(affine(&line, &line).is_none());
    }
}
