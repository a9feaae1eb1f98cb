//! A second look at codes the reader located but could not decode (a code on a curved sheet, a
//! blurred print): the grid is sampled again from the grey image, each module compared with the
//! modules around it rather than with a block threshold, and with the bottom-right point moved
//! around the flat-page guess, nearest first, until one grid decodes — with the grid's flat
//! patches (glare, something over the code) as erasures when it does not decode as it is, and
//! sharpened (a blurred print). A code at a steep angle is sampled through a projective map
//! fitted to its three finders' rings; one with a finder lost, from the other two.

use super::Luma;
use rxing::common::cpp_essentials::concentric_finder::FindConcentricPatternCorners;
use rxing::common::cpp_essentials::ConcentricPattern;
use rxing::common::BitMatrix;
use rxing::qrcode::cpp_port::decoder::Decode;
use std::cell::Cell;

/// How much of the second look to take.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    /// How far the bottom-right point is moved around the flat-page guess, in modules, each way.
    reach: f32,
    /// Module counts tried: the reader's (or the estimate's) only, or the versions on each side too.
    versions: usize,
    /// Grids tried at most from pairs of finders (a textured surface offers many finder-like
    /// patterns).
    pair_grids: usize,
    /// Fitted grids that do not decode bent to the image at most ([`super::elastic`], some 20 ms
    /// a grid on a 640×640 photo), per pass.
    pub bends: usize,
    /// Sets of three finders [`any_three`] tries at most.
    triples: usize,
    /// Whether finders the reader missed are searched along rays ([`super::rays`]) when it
    /// found one or two.
    pub rays: bool,
}

/// For still images: the corner searched 1.5 modules each way, three versions, 120 pair grids, six
/// grids bent a pass (four read every bent or folded fixture photo that bending reads), 20 sets
/// of any three finders, finders searched along rays.
pub const THOROUGH: Effort =
    Effort { reach: 1.5, versions: 3, pair_grids: 120, bends: 6, triples: 20, rays: true };
/// For a live frame's slice: the guessed corner, one version, 6 pair grids (each grid a few
/// tenths of a millisecond), one grid bent, 4 sets of any three finders.
pub const QUICK: Effort =
    Effort { reach: 0.0, versions: 1, pair_grids: 6, bends: 1, triples: 4, rays: false };
/// The step of the search, in modules.
const STEP: f32 = 0.5;
/// Each module is compared with the mean of the modules up to this far around it (7×7 modules:
/// measured best on the corpus's curved codes among 5×5, 7×7 and 9×9).
const WINDOW: i32 = 3;
/// How far [`sharpened`] pushes a module from its neighbours' mean (2 read 25 of 40 blurred
/// camera-like photos, 1 read 22).
const SHARPEN: f32 = 2.0;
/// Where [`fitted`] puts the corners FindConcentricPatternCorners gives, in modules from each
/// finder's centre along each axis: midway through the dark ring.
const RING: f64 = 3.0;

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

/// Grids a still image's decoding may read at most ([`read_grid`], each up to three decodes): on
/// the corpus and the fixtures' camera-like photos a code read took 326 at most, and a photo
/// without a readable code 432; a small textured frame (the fuzzer's) can offer thousands of
/// finder-like patterns, and seconds of grids.
pub const STILL_GRIDS: usize = 600;

thread_local! {
    /// Grids [`read_grid`] may still read on this thread (a still decode sets it, for its length).
    static GRIDS_LEFT: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Runs `decode` with at most `grids` grids read on this thread.
pub fn with_grid_budget<T>(grids: usize, decode: impl FnOnce() -> T) -> T {
    let before = GRIDS_LEFT.with(|left| left.replace(grids));
    let result = decode();
    GRIDS_LEFT.with(|left| left.set(before));
    result
}

/// Decodes a grid of module greys: each module against the modules around it; failing that, its
/// flat patches as erasures; failing that, sharpened (a blurred print). `None` at once when the
/// budget ([`with_grid_budget`]) is spent.
pub(super) fn read_grid(grey: &[f32], n: u32) -> Option<String> {
    if GRIDS_LEFT.with(|left| left.replace(left.get().saturating_sub(1))) == 0 {
        return None;
    }
    let plain =
        |grey: &[f32]| Decode(&threshold_locally(grey, n)?).ok().filter(|d| d.isValid()).map(|d| d.text());
    plain(grey)
        .or_else(|| super::erasure::decode(grey, n))
        .or_else(|| plain(&sharpened(grey, n)))
        .filter(|text| !text.is_empty())
}

/// The grid with each module pushed away from the mean of its eight neighbours: a blur spreads
/// a module into its neighbours, and this takes it back.
fn sharpened(grey: &[f32], n: u32) -> Vec<f32> {
    let n = n as i32;
    (0..n * n)
        .map(|i| {
            let (x, y) = (i % n, i / n);
            let (mut sum, mut count) = (0.0, 0.0);
            for yy in (y - 1).max(0)..=(y + 1).min(n - 1) {
                for xx in (x - 1).max(0)..=(x + 1).min(n - 1) {
                    if (xx, yy) != (x, y) {
                        sum += grey[(yy * n + xx) as usize];
                        count += 1.0;
                    }
                }
            }
            let g = grey[i as usize];
            g + SHARPEN * (g - sum / count)
        })
        .collect()
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
    effort: Effort,
) -> Option<(String, [[f32; 2]; 4])> {
    let point = |c: ConcentricPattern| [c.p.x, c.p.y];
    let centres = [point(tl), point(tr), point(bl)];
    // The reader's module count can be one version off (a blurred or bent code).
    [n, n.saturating_sub(4), n + 4]
        .into_iter()
        .take(effort.versions)
        .find_map(|n| resample_at(image, n, centres, effort.reach))
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
        let text = read_grid(&grey, n)?;
        let map = SquareToQuad::new([tl, tr, br, bl])?;
        let (near, far) = (-3.5 / (n as f32 - 7.0), 1.0 + 3.5 / (n as f32 - 7.0));
        let corners = [map.map(near, near), map.map(far, near), map.map(far, far), map.map(near, far)];
        (!text.is_empty()).then(|| (text, corners.map(|(x, y)| [x, y])))
    })
}

/// A code seen at a steep angle, where the reader's own sampling gave up or read nothing: the
/// corners of the three finders' rings are found in the binarized `matrix`, and one projective
/// map from modules to pixels fitted to those twelve corners and the three centres, at the module
/// count their spacing suggests (and the versions next to it); the grid is sampled through it
/// from the grey `image`. The text, the corner quad and the modules a side.
///
/// Which finder is the code's top-left corner is asked again: at a steep angle the far finders
/// look closer together than they are, and the reader can take the wrong one for the corner.
/// Each of the three is tried (the other two in the reader's turning order); only the right one
/// decodes.
pub fn fitted(
    image: &Luma,
    matrix: &BitMatrix,
    [tl, tr, bl]: [ConcentricPattern; 3],
    effort: Effort,
    bends: &Cell<usize>,
) -> Option<(String, [[f32; 2]; 4], u32)> {
    let cross = |o: &ConcentricPattern, a: &ConcentricPattern, b: &ConcentricPattern| {
        (a.p.x - o.p.x) * (b.p.y - o.p.y) - (a.p.y - o.p.y) * (b.p.x - o.p.x)
    };
    let turning = cross(&tl, &tr, &bl) > 0.0;
    [(tl, tr, bl), (tr, bl, tl), (bl, tl, tr)].into_iter().find_map(|(corner, a, b)| {
        let set = if (cross(&corner, &a, &b) > 0.0) == turning { [corner, a, b] } else { [corner, b, a] };
        fitted_as(image, matrix, set, effort, bends)
    })
}

/// [`fitted`] with `tl` as the corner; a grid that does not decode is bent to the image while
/// `bends` allows.
fn fitted_as(
    image: &Luma,
    matrix: &BitMatrix,
    [tl, tr, bl]: [ConcentricPattern; 3],
    effort: Effort,
    bends: &Cell<usize>,
) -> Option<(String, [[f32; 2]; 4], u32)> {
    let centre = |c: &ConcentricPattern| [c.p.x as f64, c.p.y as f64];
    let (c_tl, c_tr, c_bl) = (centre(&tl), centre(&tr), centre(&bl));
    let (u, v) = ([c_tr[0] - c_tl[0], c_tr[1] - c_tl[1]], [c_bl[0] - c_tl[0], c_bl[1] - c_tl[1]]);
    let det = u[0] * v[1] - u[1] * v[0];
    if det.abs() < 1.0 {
        return None;
    }
    // Each ring's corners, as offsets (±RING, ±RING) modules from its finder.
    let mut corners = Vec::new();
    let mut module = Vec::new();
    for (pattern, at) in [(tl, c_tl), (tr, c_tr), (bl, c_bl)] {
        let quad = FindConcentricPatternCorners(matrix, pattern.p, pattern.size, 2)?;
        // The quad's corners go round it: of the eight ways to lay them on the ring's corners
        // (four turns, both directions), take the one that agrees best with the code's axes.
        let along: Vec<[f64; 2]> = quad
            .0
            .iter()
            .map(|q| {
                let d = [q.x as f64 - at[0], q.y as f64 - at[1]];
                [(d[0] * v[1] - d[1] * v[0]) / det, (u[0] * d[1] - u[1] * d[0]) / det]
            })
            .collect();
        const ROUND: [[f64; 2]; 4] = [[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]];
        let lay =
            |turn: usize, back: bool, k: usize| ROUND[if back { (turn + 4 - k) % 4 } else { (turn + k) % 4 }];
        let score = |turn: usize, back: bool| {
            (0..4)
                .map(|k| along[k][0] * lay(turn, back, k)[0] + along[k][1] * lay(turn, back, k)[1])
                .sum::<f64>()
        };
        let (turn, back) = (0..4)
            .flat_map(|turn| [(turn, false), (turn, true)])
            .max_by(|&(t1, b1), &(t2, b2)| score(t1, b1).total_cmp(&score(t2, b2)))?;
        // The module along the top row: the ring's sides that run along it.
        let mut along_top = 0.0;
        for (k, q) in quad.0.iter().enumerate() {
            let [sx, sy] = lay(turn, back, k);
            corners.push((at, [RING * sx, RING * sy], [q.x as f64, q.y as f64]));
            for (j, other) in quad.0.iter().enumerate() {
                let [ox, oy] = lay(turn, back, j);
                if sx < 0.0 && ox > 0.0 && sy == oy {
                    along_top += ((other.x - q.x) as f64).hypot((other.y - q.y) as f64);
                }
            }
        }
        module.push(along_top / 2.0 / (2.0 * RING));
    }
    let across = u[0].hypot(u[1]) / ((module[0] + module[1]) / 2.0) + 7.0;
    let version = ((across - 17.0) / 4.0).round() as i32;
    [version, version - 1, version + 1]
        .into_iter()
        .take(effort.versions)
        .filter(|v| (1..=40).contains(v))
        .find_map(|version| {
            let n = 17 + 4 * version as u32;
            let far = n as f64 - 3.5;
            let finder = |at: [f64; 2]| {
                if at == c_tl {
                    [3.5, 3.5]
                } else if at == c_tr {
                    [far, 3.5]
                } else {
                    [3.5, far]
                }
            };
            let mut pairs: Vec<([f64; 2], [f64; 2])> = corners
                .iter()
                .map(|&(at, off, q)| {
                    let m = finder(at);
                    ([m[0] + off[0], m[1] + off[1]], q)
                })
                .collect();
            pairs.extend([([3.5, 3.5], c_tl), ([far, 3.5], c_tr), ([3.5, far], c_bl)]);
            let map = Projective::fit(&pairs)?;
            let (w, h) = (image.width as f64 - 1.0, image.height as f64 - 1.0);
            let mut grey = Vec::with_capacity((n * n) as usize);
            for my in 0..n {
                for mx in 0..n {
                    let [x, y] = map.map([mx as f64 + 0.5, my as f64 + 0.5]);
                    if !(0.0..=w).contains(&x) || !(0.0..=h).contains(&y) {
                        return None;
                    }
                    grey.push(image.sample(x as f32, y as f32));
                }
            }
            let text = read_grid(&grey, n).or_else(|| {
                if bends.get() == 0 {
                    return None;
                }
                bends.set(bends.get() - 1);
                // Each finder's own map, from its ring's corners and centre.
                let finders: Vec<super::elastic::Finder> = [c_tl, c_tr, c_bl]
                    .into_iter()
                    .filter_map(|at| {
                        let m = finder(at);
                        let mut ring: Vec<([f64; 2], [f64; 2])> = corners
                            .iter()
                            .filter(|(c, ..)| *c == at)
                            .map(|&(_, off, q)| ([m[0] + off[0], m[1] + off[1]], q))
                            .collect();
                        ring.push((m, at));
                        let own = Projective::fit(&ring)?;
                        Some(super::elastic::Finder {
                            origin: [m[0] - 3.5, m[1] - 3.5],
                            map: Box::new(move |at| own.map(at)),
                        })
                    })
                    .collect();
                let bent = super::elastic::sample(image, n, &|at| map.map(at), &finders)?;
                read_grid(&bent, n)
            })?;
            let quad = [[0.0, 0.0], [n as f64, 0.0], [n as f64, n as f64], [0.0, n as f64]]
                .map(|c| map.map(c).map(|v| v as f32));
            Some((text, quad, n))
        })
}

/// A projective map fitted to point pairs by least squares (the direct linear transform with the
/// last entry fixed at 1).
struct Projective {
    h: [f64; 8],
}

impl Projective {
    fn fit(pairs: &[([f64; 2], [f64; 2])]) -> Option<Projective> {
        let mut normal = [[0.0f64; 9]; 8];
        for &([mx, my], [x, y]) in pairs {
            for (row, target) in [
                ([mx, my, 1.0, 0.0, 0.0, 0.0, -mx * x, -my * x], x),
                ([0.0, 0.0, 0.0, mx, my, 1.0, -mx * y, -my * y], y),
            ] {
                for i in 0..8 {
                    for j in 0..8 {
                        normal[i][j] += row[i] * row[j];
                    }
                    normal[i][8] += row[i] * target;
                }
            }
        }
        // Gauss–Jordan elimination with partial pivoting.
        for col in 0..8 {
            let pivot = (col..8).max_by(|&a, &b| normal[a][col].abs().total_cmp(&normal[b][col].abs()))?;
            normal.swap(col, pivot);
            if normal[col][col].abs() < 1e-12 {
                return None;
            }
            let pivot_row = normal[col];
            for (row, cells) in normal.iter_mut().enumerate() {
                if row != col {
                    let factor = cells[col] / pivot_row[col];
                    for (cell, p) in cells.iter_mut().zip(&pivot_row).skip(col) {
                        *cell -= factor * p;
                    }
                }
            }
        }
        let mut h = [0.0; 8];
        for (i, value) in h.iter_mut().enumerate() {
            *value = normal[i][8] / normal[i][i];
        }
        Some(Projective { h })
    }

    fn map(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        let h = &self.h;
        let w = h[6] * x + h[7] * y + 1.0;
        [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w]
    }
}

/// Finder patterns taken three at a time when the reader's sets make no code.
const TRIPLED: usize = 6;

/// A code seen so steeply that the reader does not take its three finders for one (the far ones
/// look small and close, the corner far from square): any three of the largest patterns found,
/// through [`fitted`], which fits a projective map to their rings.
pub fn any_three(
    image: &Luma,
    matrix: &BitMatrix,
    patterns: &[ConcentricPattern],
    effort: Effort,
    bends: &Cell<usize>,
) -> Option<(String, [[f32; 2]; 4], u32)> {
    let largest = &patterns[..patterns.len().min(TRIPLED)];
    let triples = (0..largest.len()).flat_map(|i| {
        (i + 1..largest.len()).flat_map(move |j| (j + 1..largest.len()).map(move |k| [i, j, k]))
    });
    triples
        .take(effort.triples)
        .find_map(|[i, j, k]| fitted(image, matrix, [largest[i], largest[j], largest[k]], effort, bends))
}

/// Finder patterns tried in pairs when no three make a code.
const PAIRED: usize = 6;
/// Two finders of one code differ in size by at most this factor.
const PAIR_SIZES: f32 = 1.6;

/// A code with one finder pattern washed out or covered (a lamp's reflection, a thumb): from two
/// finders found, the third is put where it would be — the two as a side of the code (either
/// one the corner, the third either way round) or as its diagonal — and the grid, at the version
/// their distance and size suggest (and the next ones), resampled from the grey `image`; the
/// text, the corner quad and the modules a side.
pub fn recover(
    image: &Luma,
    patterns: &[ConcentricPattern],
    effort: Effort,
) -> Option<(String, [[f32; 2]; 4], u32)> {
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
                for v in [version, version - 1, version + 1].into_iter().take(effort.versions) {
                    if !(1..=40).contains(&v) {
                        continue;
                    }
                    grids += 1;
                    if grids > effort.pair_grids {
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
    fn a_projective_map_is_fitted_back_from_its_points() {
        let truth = Projective { h: [1.5, 0.2, 40.0, -0.1, 1.2, 30.0, 0.002, -0.001] };
        let pairs: Vec<([f64; 2], [f64; 2])> =
            [[0.0, 0.0], [33.0, 0.0], [33.0, 33.0], [0.0, 33.0], [3.5, 3.5], [20.0, 7.0], [9.0, 25.0]]
                .into_iter()
                .map(|m| (m, truth.map(m)))
                .collect();
        let fitted = Projective::fit(&pairs).unwrap();
        for (m, p) in pairs {
            let q = fitted.map(m);
            assert!((q[0] - p[0]).abs() < 1e-6 && (q[1] - p[1]).abs() < 1e-6, "{m:?}: {q:?} vs {p:?}");
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
