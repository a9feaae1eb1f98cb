//! A grid that bends: for a code on a folded or curved sheet, or one whose projective map is off
//! far from its finders, no single map puts every module centre on its module. Here the map is
//! corrected by a field of small shifts, found a little at a time outward from the finders (where
//! the map is right): at each node of a lattice every two modules, the shift that makes the 5×5
//! modules around it crispest — each module's grey, averaged over its middle, farthest from their
//! mean, as it is when the samples sit inside modules rather than across their edges — within
//! half a module of what the nodes already placed predict. A module's grey is read through the
//! shifts interpolated between the nodes.
//!
//! Crispness repeats every module, so the search never goes farther than half a module from the
//! prediction, and the farther from it a shift is, the crisper it must be; the prediction follows
//! the neighbours' trend (a fold or a curve shrinks the modules a little more at each step),
//! which is what lets the field follow the bend.

use super::Luma;

/// Nodes of the shift field, every this many modules.
const SPACING: usize = 2;
/// Modules each way from a node that its crispness is measured over (5×5).
const REACH: i32 = 2;
/// Nodes each way from a node whose placed shifts predict its own (5×5 nodes).
const AROUND: i32 = 2;
/// How much crisper a shift `d` modules from the prediction must be: its crispness counts
/// 1 − PULL·d² (at half a module, three quarters). Without it the search took the module beside
/// the right one as often as not where the prediction lags a fold (of the 40 fixture photos of
/// folded sheets 33 read; with it, 39, and 40 of the next 40).
const PULL: f64 = 1.0;

/// The grey at each module centre of an `n`×`n` code whose module coordinates (0..`n`, the
/// top-left corner at 0) go to pixels through `map`, corrected by the field of shifts; `None`
/// when the grid leaves the image.
pub fn sample(image: &Luma, n: u32, map: &ToPixel<'_>, finders: &[Finder]) -> Option<Vec<f32>> {
    // Each module's middle averaged (a box some half a module wide), so that one
    // sample says how well a grid point sits inside its module.
    let corner = map([0.0, 0.0]);
    let far = map([n as f64, 0.0]);
    let module = (far[0] - corner[0]).hypot(far[1] - corner[1]) / n as f64;
    let smooth = image.box_blurred((module / 4.0).round() as u32);
    let field = Field::fit(&smooth, n as usize, map, finders)?;
    let (w, h) = (image.width as f64 - 1.0, image.height as f64 - 1.0);
    let mut grey = Vec::with_capacity((n * n) as usize);
    for my in 0..n {
        for mx in 0..n {
            let at = [mx as f64 + 0.5, my as f64 + 0.5];
            let [x, y] = field.to_pixel(map, at);
            if !(0.0..=w).contains(&x) || !(0.0..=h).contains(&y) {
                return None;
            }
            grey.push(image.sample(x as f32, y as f32));
        }
    }
    Some(grey)
}

/// A finder pattern's own map, right over its 7×7 modules where the code's map (a compromise
/// between finders on two sides of a fold) is not: fitted to its ring alone.
pub struct Finder {
    /// The module coordinates of its top-left corner: (0, 0), (`n` − 7, 0) or (0, `n` − 7).
    pub origin: [f64; 2],
    /// Module coordinates to pixels, near the finder.
    pub map: Box<ToPixel<'static>>,
}

/// A map from module coordinates to pixels.
pub type ToPixel<'a> = dyn Fn([f64; 2]) -> [f64; 2] + 'a;

/// A shift known at an offset from a node: (offset in nodes, shift in pixels).
type Known = ([f64; 2], [f64; 2]);

/// Shifts in pixels at the nodes of a lattice every [`SPACING`] modules.
struct Field {
    /// Nodes a side.
    side: usize,
    shifts: Vec<[f64; 2]>,
}

impl Field {
    fn fit(smooth: &Luma, n: usize, map: &ToPixel<'_>, finders: &[Finder]) -> Option<Field> {
        let side = n / SPACING + 1;
        let node = |i: usize| (i * SPACING) as f64 + 0.5;
        let mut shifts = vec![[0.0; 2]; side * side];
        let mut placed = vec![false; side * side];
        // The finders anchor the field: over each, the shift that takes the code's map to the
        // finder's own.
        for j in 0..side {
            for i in 0..side {
                let at = [node(i), node(j)];
                let over = |f: &&Finder| (0..2).all(|c| (f.origin[c]..f.origin[c] + 7.0).contains(&at[c]));
                if let Some(finder) = finders.iter().find(over) {
                    let (own, code) = ((finder.map)(at), map(at));
                    shifts[j * side + i] = [own[0] - code[0], own[1] - code[1]];
                    placed[j * side + i] = true;
                }
            }
        }
        if !placed.iter().any(|&p| p) {
            return None;
        }
        // The most surrounded node next, its shift predicted from the placed nodes around it.
        let around = |k: usize| {
            let (i, j) = ((k % side) as i32, (k / side) as i32);
            (-AROUND..=AROUND)
                .flat_map(move |dj| (-AROUND..=AROUND).map(move |di| (i + di, j + dj)))
                .filter(|&(a, b)| a >= 0 && b >= 0 && a < side as i32 && b < side as i32)
                .map(|(a, b)| b as usize * side + a as usize)
        };
        let touches = |k: usize, placed: &[bool]| {
            let (i, j) = (k % side, k / side);
            (i > 0 && placed[k - 1])
                || (i + 1 < side && placed[k + 1])
                || (j > 0 && placed[k - side])
                || (j + 1 < side && placed[k + side])
        };
        // How many placed nodes each node has around it, kept as nodes are placed.
        let mut surrounded = vec![0usize; side * side];
        for k in (0..side * side).filter(|&k| placed[k]) {
            around(k).for_each(|a| surrounded[a] += 1);
        }
        while let Some(next) =
            (0..side * side).filter(|&k| !placed[k] && touches(k, &placed)).max_by_key(|&k| surrounded[k])
        {
            let known: Vec<Known> = around(next)
                .filter(|&a| placed[a])
                .map(|a| {
                    let d =
                        [(a % side) as f64 - (next % side) as f64, (a / side) as f64 - (next / side) as f64];
                    (d, shifts[a])
                })
                .collect();
            let predicted = extrapolate(&known);
            let at = [node(next % side), node(next / side)];
            shifts[next] = best_shift(smooth, n, map, at, predicted);
            placed[next] = true;
            around(next).for_each(|a| surrounded[a] += 1);
        }
        Some(Field { side, shifts })
    }

    /// The pixel of module coordinates `at`: the map's, shifted by the field there.
    fn to_pixel(&self, map: &ToPixel<'_>, at: [f64; 2]) -> [f64; 2] {
        let last = (self.side - 1) as f64;
        let (u, v) = (
            ((at[0] - 0.5) / SPACING as f64).clamp(0.0, last),
            ((at[1] - 0.5) / SPACING as f64).clamp(0.0, last),
        );
        let (i, j) = ((u.floor() as usize).min(self.side - 2), (v.floor() as usize).min(self.side - 2));
        let (fu, fv) = (u - i as f64, v - j as f64);
        let s = |i: usize, j: usize, c: usize| self.shifts[j * self.side + i][c];
        let shift = |c: usize| {
            (1.0 - fu) * (1.0 - fv) * s(i, j, c)
                + fu * (1.0 - fv) * s(i + 1, j, c)
                + (1.0 - fu) * fv * s(i, j + 1, c)
                + fu * fv * s(i + 1, j + 1, c)
        };
        let [x, y] = map(at);
        [x + shift(0), y + shift(1)]
    }
}

/// The shift at offset (0, 0) from the shifts `known` at node offsets: the plane fitted to them
/// by least squares (a fold or a curve keeps stretching the same way), or their mean when they
/// lie on a line.
fn extrapolate(known: &[Known]) -> [f64; 2] {
    let count = known.len() as f64;
    let mean = |f: &dyn Fn(&Known) -> f64| known.iter().map(f).sum::<f64>() / count;
    let (mx, my) = (mean(&|k| k.0[0]), mean(&|k| k.0[1]));
    let (sxx, syy, sxy) = (
        mean(&|k| (k.0[0] - mx).powi(2)),
        mean(&|k| (k.0[1] - my).powi(2)),
        mean(&|k| (k.0[0] - mx) * (k.0[1] - my)),
    );
    let det = sxx * syy - sxy * sxy;
    [0, 1].map(|c| {
        let ms = mean(&|k| k.1[c]);
        if det < 1e-6 {
            return ms;
        }
        let (sxs, sys) = (mean(&|k| (k.0[0] - mx) * (k.1[c] - ms)), mean(&|k| (k.0[1] - my) * (k.1[c] - ms)));
        let (gx, gy) = ((sxs * syy - sys * sxy) / det, (sys * sxx - sxs * sxy) / det);
        ms - gx * mx - gy * my
    })
}

/// The shift within half a module of `predicted` that makes the modules around `at` crispest, in
/// the `smooth` image.
fn best_shift(smooth: &Luma, n: usize, map: &ToPixel<'_>, at: [f64; 2], predicted: [f64; 2]) -> [f64; 2] {
    // One module's step in pixels along each axis, here.
    let here = map(at);
    let along = |d: [f64; 2]| {
        let p = map([at[0] + d[0], at[1] + d[1]]);
        [p[0] - here[0], p[1] - here[1]]
    };
    let (ex, ey) = (along([1.0, 0.0]), along([0.0, 1.0]));

    // The module centres around the node, in pixels, unshifted.
    let (ci, cj) = (at[0].floor() as i32, at[1].floor() as i32);
    let mut centres = Vec::with_capacity(25);
    for dj in -REACH..=REACH {
        for di in -REACH..=REACH {
            let (mi, mj) = (ci + di, cj + dj);
            if mi >= 0 && mj >= 0 && (mi as usize) < n && (mj as usize) < n {
                centres.push(map([mi as f64 + 0.5, mj as f64 + 0.5]));
            }
        }
    }
    let (w, h) = (smooth.width as f64 - 1.0, smooth.height as f64 - 1.0);
    let crispness = |shift: [f64; 2]| -> Option<f64> {
        let mut greys = Vec::with_capacity(centres.len());
        for c in &centres {
            let (x, y) = (c[0] + shift[0], c[1] + shift[1]);
            if !(0.0..=w).contains(&x) || !(0.0..=h).contains(&y) {
                return None;
            }
            greys.push(f64::from(smooth.sample(x as f32, y as f32)));
        }
        let mean = greys.iter().sum::<f64>() / greys.len() as f64;
        Some(greys.iter().map(|g| (g - mean).abs()).sum::<f64>() / greys.len() as f64)
    };
    // Quarters of a module over ±0.5, then sixteenths around the best; a shift farther from the
    // prediction must be crisper by more (the next module over is as crisp as the right one).
    let mut best = (crispness(predicted).unwrap_or(0.0), predicted, [0.0; 2]);
    let mut search = |from: [f64; 2], steps: i32, step: f64| {
        for b in -steps..=steps {
            for a in -steps..=steps {
                let (a, b) = (from[0] + a as f64 * step, from[1] + b as f64 * step);
                let shift = [predicted[0] + a * ex[0] + b * ey[0], predicted[1] + a * ex[1] + b * ey[1]];
                if let Some(score) = crispness(shift) {
                    let score = score * (1.0 - PULL * (a * a + b * b));
                    if score > best.0 {
                        best = (score, shift, [a, b]);
                    }
                }
            }
        }
        best.2
    };
    let coarse = search([0.0; 2], 2, 0.25);
    search(coarse, 2, 0.0625);
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modules a side of the test code.
    const N: u32 = 29;
    /// Pixels of quiet zone around it.
    const MARGIN: f64 = 16.0;
    /// The fold, in module columns: modules are 8 px wide left of it and 6 px right of it (the
    /// far part turned some 40° away), 8 px high throughout.
    const FOLD: f64 = 14.5;

    /// Module coordinates to pixels on the folded sheet.
    fn folded(at: [f64; 2]) -> [f64; 2] {
        let x = if at[0] <= FOLD { 8.0 * at[0] } else { 8.0 * FOLD + 6.0 * (at[0] - FOLD) };
        [MARGIN + x, MARGIN + 8.0 * at[1]]
    }

    /// Whether module (`mx`, `my`) is dark: three finders with their separators, the timing
    /// patterns, the rest drawn from a hash.
    fn dark(mx: u32, my: u32) -> bool {
        let (x, y, last) = (mx as i32, my as i32, N as i32 - 1);
        let ring = |cx: i32, cy: i32| (x - cx).abs().max((y - cy).abs());
        let finder = [(3, 3), (last - 3, 3), (3, last - 3)].into_iter().map(|(cx, cy)| ring(cx, cy)).min();
        match finder {
            Some(d) if d <= 4 => d != 2 && d != 4,
            _ if x == 6 || y == 6 => (x + y) % 2 == 0,
            _ => (mx.wrapping_mul(7919) ^ my.wrapping_mul(104_729)).wrapping_mul(2_654_435_761) >> 31 == 1,
        }
    }

    /// The code printed on the folded sheet, dark 30 on light 225.
    fn picture() -> Luma {
        let (w, h) = (
            (2.0 * MARGIN + 8.0 * FOLD + 6.0 * (N as f64 - FOLD)) as u32 + 1,
            (2.0 * MARGIN + 8.0 * N as f64) as u32,
        );
        let data = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f64 + 0.5 - MARGIN, (i / w) as f64 + 0.5 - MARGIN);
                let u = if x <= 8.0 * FOLD { x / 8.0 } else { FOLD + (x - 8.0 * FOLD) / 6.0 };
                let v = y / 8.0;
                let inside = (0.0..N as f64).contains(&u) && (0.0..N as f64).contains(&v);
                if inside && dark(u as u32, v as u32) {
                    30
                } else {
                    225
                }
            })
            .collect();
        Luma { data, width: w, height: h }
    }

    /// Modules read wrong from `grey` (row by row), split at the middle grey.
    fn wrong(grey: &[f32]) -> usize {
        (0..N * N).filter(|&k| (grey[k as usize] < 128.0) != dark(k % N, k / N)).count()
    }

    #[test]
    fn a_folded_code_is_read_through_the_bent_grid() {
        // The code's map, as three finders give it: right at their centres, off by up to 11 px
        // (1.4 modules) at the fold between them.
        let centre = folded([3.5, 3.5]);
        let across = |far: [f64; 2]| {
            let p = folded(far);
            [(p[0] - centre[0]) / (N as f64 - 7.0), (p[1] - centre[1]) / (N as f64 - 7.0)]
        };
        let (ex, ey) = (across([N as f64 - 3.5, 3.5]), across([3.5, N as f64 - 3.5]));
        let map = move |at: [f64; 2]| {
            let (du, dv) = (at[0] - 3.5, at[1] - 3.5);
            [centre[0] + du * ex[0] + dv * ey[0], centre[1] + du * ex[1] + dv * ey[1]]
        };
        // Each finder's own map: the part of the sheet it lies on.
        let left = |at: [f64; 2]| [MARGIN + 8.0 * at[0], MARGIN + 8.0 * at[1]];
        let right = |at: [f64; 2]| [MARGIN + 8.0 * FOLD + 6.0 * (at[0] - FOLD), MARGIN + 8.0 * at[1]];
        let finders = [
            Finder { origin: [0.0, 0.0], map: Box::new(left) },
            Finder { origin: [N as f64 - 7.0, 0.0], map: Box::new(right) },
            Finder { origin: [0.0, N as f64 - 7.0], map: Box::new(left) },
        ];
        // Sharp, then softened as a camera softens it.
        for blur in 0..=2 {
            let image = picture().box_blurred(blur);
            let unbent: Vec<f32> = (0..N * N)
                .map(|k| {
                    let [x, y] = map([(k % N) as f64 + 0.5, (k / N) as f64 + 0.5]);
                    image.sample(x as f32, y as f32)
                })
                .collect();
            let plain = wrong(&unbent);
            assert!(plain > (N * N / 10) as usize, "blur {blur}: the unbent grid misreads only {plain}");
            // 4, 1 and 1 of 841 wrong when this was written (236 through the unbent grid); a
            // few the check codewords correct.
            let bent = wrong(&sample(&image, N, &map, &finders).expect("the grid stays in the picture"));
            assert!(bent <= 8, "blur {blur}: the bent grid misreads {bent} modules, the unbent {plain}");
        }
        // Without finders there is nothing to anchor the field.
        assert!(sample(&picture(), N, &map, &[]).is_none());
    }
}
