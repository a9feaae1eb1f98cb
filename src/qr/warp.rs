//! A second look at codes the reader located but could not decode (a code on a curved sheet, a
//! blurred print): the grid is sampled again from the grey image, each module compared with the
//! modules around it rather than with a block threshold, and with the bottom-right point moved
//! around the flat-page guess, nearest first, until one grid decodes — with the grid's flat
//! patches (glare, something over the code) as erasures when it does not decode as it is.

use super::Luma;
use rxing::common::cpp_essentials::ConcentricPattern;
use rxing::common::BitMatrix;
use rxing::qrcode::cpp_port::decoder::Decode;

/// How far the bottom-right point is moved, in modules, each way.
const REACH: f32 = 1.5;
/// The step of the search, in modules.
const STEP: f32 = 0.5;
/// Each module is compared with the mean of the modules up to this far around it (7×7 modules:
/// measured best on the corpus's curved codes among 5×5, 7×7 and 9×9).
const WINDOW: i32 = 3;

/// A projective map from the unit square to a quadrilateral (Heckbert's square-to-quad).
struct SquareToQuad {
    m: [f32; 9],
}

impl SquareToQuad {
    /// Maps (0,0), (1,0), (1,1), (0,1) to `q[0]`, `q[1]`, `q[2]`, `q[3]`.
    fn new(q: [[f32; 2]; 4]) -> Option<SquareToQuad> {
        let [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q;
        let (dx3, dy3) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-9 {
            return None;
        }
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        Some(SquareToQuad {
            m: [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1.0],
        })
    }

    fn map(&self, u: f32, v: f32) -> (f32, f32) {
        let m = &self.m;
        let w = m[6] * u + m[7] * v + m[8];
        ((m[0] * u + m[1] * v + m[2]) / w, (m[3] * u + m[4] * v + m[5]) / w)
    }
}

/// The grey level at each module centre of an `n`×`n` grid whose finder centres (modules 3.5 and
/// `n` − 3.5) sit at `centres` (top-left, top-right, bottom-right, bottom-left).
fn sample_grey(image: &Luma, n: u32, centres: [[f32; 2]; 4]) -> Option<Vec<f32>> {
    let map = SquareToQuad::new(centres)?;
    let span = n as f32 - 7.0;
    let (w, h) = (image.width as f32 - 1.0, image.height as f32 - 1.0);
    let mut grey = Vec::with_capacity((n * n) as usize);
    for my in 0..n {
        for mx in 0..n {
            let (x, y) = map.map((mx as f32 + 0.5 - 3.5) / span, (my as f32 + 0.5 - 3.5) / span);
            if !(0.0..=w).contains(&x) || !(0.0..=h).contains(&y) {
                return None;
            }
            grey.push(image.sample(x, y));
        }
    }
    Some(grey)
}

/// Dark modules: each darker than the mean of the modules around it (edges clamped).
fn threshold_locally(grey: &[f32], n: u32) -> Option<BitMatrix> {
    let n = n as i32;
    let mut bits = BitMatrix::new(n as u32, n as u32).ok()?;
    for y in 0..n {
        for x in 0..n {
            let (mut sum, mut count) = (0.0, 0.0);
            for yy in (y - WINDOW).max(0)..=(y + WINDOW).min(n - 1) {
                for xx in (x - WINDOW).max(0)..=(x + WINDOW).min(n - 1) {
                    sum += grey[(yy * n + xx) as usize];
                    count += 1.0;
                }
            }
            if grey[(y * n + x) as usize] < sum / count {
                bits.set(x as u32, y as u32);
            }
        }
    }
    Some(bits)
}

/// Resamples an `n`-module code with these finder patterns from the grey `image`, moving the
/// bottom-right point around the flat-page guess; the decoded text and the code's corner quad.
pub fn resample(
    image: &Luma,
    n: u32,
    [tl, tr, bl]: [ConcentricPattern; 3],
) -> Option<(String, [[f32; 2]; 4])> {
    let point = |c: ConcentricPattern| [c.p.x, c.p.y];
    resample_at(image, n, [point(tl), point(tr), point(bl)], REACH)
}

/// [`resample`] from finder centres, the bottom-right point moved up to `reach` modules.
fn resample_at(
    image: &Luma,
    n: u32,
    [tl, tr, bl]: [[f32; 2]; 3],
    reach: f32,
) -> Option<(String, [[f32; 2]; 4])> {
    if n < 21 {
        return None;
    }
    let unit =
        |a: [f32; 2], b: [f32; 2]| [(b[0] - a[0]) / (n as f32 - 7.0), (b[1] - a[1]) / (n as f32 - 7.0)];
    let (right, down) = (unit(tl, tr), unit(tl, bl));
    let guess = [tr[0] + bl[0] - tl[0], tr[1] + bl[1] - tl[1]];
    let steps = (reach / STEP) as i32;
    let mut offsets: Vec<(i32, i32)> =
        (-steps..=steps).flat_map(|i| (-steps..=steps).map(move |j| (i, j))).collect();
    offsets.sort_by_key(|&(i, j)| i * i + j * j);
    offsets.into_iter().find_map(|(i, j)| {
        let (di, dj) = (i as f32 * STEP, j as f32 * STEP);
        let br = [guess[0] + di * right[0] + dj * down[0], guess[1] + di * right[1] + dj * down[1]];
        let grey = sample_grey(image, n, [tl, tr, br, bl])?;
        let decoded = Decode(&threshold_locally(&grey, n)?).ok().filter(|d| d.isValid());
        let text = match decoded {
            Some(decoded) => decoded.text(),
            None => super::erasure::decode(&grey, n)?,
        };
        let map = SquareToQuad::new([tl, tr, br, bl])?;
        let (near, far) = (-3.5 / (n as f32 - 7.0), 1.0 + 3.5 / (n as f32 - 7.0));
        let corners = [map.map(near, near), map.map(far, near), map.map(far, far), map.map(near, far)];
        (!text.is_empty()).then(|| (text, corners.map(|(x, y)| [x, y])))
    })
}

/// Finder patterns tried in pairs when no three make a code.
const PAIRED: usize = 6;
/// Two finders of one code differ in size by at most this factor.
const PAIR_SIZES: f32 = 1.6;
/// Grids tried at most from pairs (a textured surface offers many finder-like patterns).
const MAX_GRIDS: usize = 120;

/// A code with one finder pattern washed out or covered (a lamp's reflection, a thumb): from two
/// finders found, the third is put where it would be — the two as a side of the code (either
/// one the corner, the third either way round) or as its diagonal — and the grid, at the version
/// their distance and size suggest (and the next ones), resampled from the grey `image`; the
/// text, the corner quad and the modules a side.
pub fn recover(image: &Luma, patterns: &[ConcentricPattern]) -> Option<(String, [[f32; 2]; 4], u32)> {
    let found: Vec<([f32; 2], f32)> =
        patterns.iter().take(PAIRED).map(|c| ([c.p.x, c.p.y], c.size as f32 / 7.0)).collect();
    let mut grids = 0;
    for (i, &(a, module_a)) in found.iter().enumerate() {
        for &(b, module_b) in &found[i + 1..] {
            if module_a.max(module_b) > PAIR_SIZES * module_a.min(module_b) || module_a <= 0.0 {
                continue;
            }
            let module = (module_a + module_b) / 2.0;
            for [tl, tr, bl] in thirds(a, b) {
                let side = (tr[0] - tl[0]).hypot(tr[1] - tl[1]);
                let version = ((side / module + 7.0 - 17.0) / 4.0).round() as i32;
                for v in [version, version - 1, version + 1] {
                    if !(1..=40).contains(&v) {
                        continue;
                    }
                    grids += 1;
                    if grids > MAX_GRIDS {
                        return None;
                    }
                    let n = 17 + 4 * v as u32;
                    if let Some((text, corners)) = resample_at(image, n, [tl, tr, bl], 0.0) {
                        return Some((text, corners, n));
                    }
                }
            }
        }
    }
    None
}

/// The three finder centres (top-left, top-right, bottom-left, turning clockwise on the image)
/// that two found centres `a` and `b` can be part of.
fn thirds(a: [f32; 2], b: [f32; 2]) -> Vec<[[f32; 2]; 3]> {
    let add = |p: [f32; 2], v: [f32; 2]| [p[0] + v[0], p[1] + v[1]];
    let mut sets = Vec::new();
    for (corner, other) in [(a, b), (b, a)] {
        let v = [other[0] - corner[0], other[1] - corner[1]];
        sets.push([corner, other, add(corner, [-v[1], v[0]])]);
        sets.push([corner, add(corner, [v[1], -v[0]]), other]);
    }
    let (middle, half) =
        ([(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0], [(b[0] - a[0]) / 2.0, (b[1] - a[1]) / 2.0]);
    for sign in [1.0, -1.0] {
        let tl = add(middle, [-half[1] * sign, half[0] * sign]);
        let cross = (a[0] - tl[0]) * (b[1] - tl[1]) - (a[1] - tl[1]) * (b[0] - tl[0]);
        sets.push(if cross > 0.0 { [tl, a, b] } else { [tl, b, a] });
    }
    sets
}

/// The plain local threshold, for the erasures' tests.
#[cfg(test)]
pub(super) fn tests_threshold(grey: &[f32], n: u32) -> BitMatrix {
    threshold_locally(grey, n).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_to_quad_hits_the_corners() {
        let q = [[10.0, 10.0], [110.0, 20.0], [120.0, 130.0], [5.0, 100.0]];
        let map = SquareToQuad::new(q).unwrap();
        for ((u, v), [x, y]) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)].into_iter().zip(q) {
            let (mx, my) = map.map(u, v);
            assert!((mx - x).abs() < 1e-3 && (my - y).abs() < 1e-3, "({u},{v}) → ({mx},{my})");
        }
    }

    #[test]
    fn local_threshold_marks_modules_darker_than_their_neighbours() {
        // A 21×21 grid, light (200) except one dark (50) module in the middle.
        let mut grey = vec![200.0; 21 * 21];
        grey[10 * 21 + 10] = 50.0;
        let bits = threshold_locally(&grey, 21).unwrap();
        assert!(bits.get(10, 10));
        assert!(!bits.get(9, 10) && !bits.get(0, 0));
    }
}
