//! Finder patterns the reader misses: a pen stroke or a thumb's edge across a finder breaks the
//! 1:1:3:1:1 run the reader looks for along a row and a column through its centre. Seen from its
//! centre along sixteen rays, a finder is still dark, light, dark, light going out (the core, the
//! white ring, the dark ring, the quiet space around) on most of them; a stroke spoils two or
//! three. With one finder found, the others are searched at its module size and turn (or every
//! 15° when its turn is not known), every half module across the image, and the places where most
//! rays agree are returned, best first.

use super::Luma;

/// Rays from a candidate centre.
const RAYS: usize = 16;
/// Rays that must show a finder's rings for a place to count (a stroke or a thumb's edge can
/// spoil the rest).
const AGREEING: usize = 11;
/// Places returned at most.
const FOUND: usize = 4;

/// A finder pattern found along rays: its centre in pixels and its width (7 modules), in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ringed {
    pub centre: [f32; 2],
    pub size: f32,
}

/// Finder patterns of `module` pixels a module, turned by one of `turns` (the direction of the
/// code's rows in the image, a unit vector), away from the finders at `known`, best first.
pub fn search(image: &Luma, module: f32, turns: &[[f32; 2]], known: &[[f32; 2]]) -> Vec<Ringed> {
    if module < 1.5 {
        return Vec::new();
    }
    // How far along each ray the rings lie, in modules, for a square turned by `turn`: the core
    // at 0.8, the white ring at 2, the dark ring at 3 and the space outside at 4.1 on the axes,
    // farther towards the corners.
    // The rays' directions: a sixteenth of a turn apart (by rotation, without trigonometry).
    let (c, s) = (0.923_879_5f32, 0.382_683_43f32);
    let directions: Vec<[f32; 2]> =
        std::iter::successors(Some([1.0f32, 0.0]), |[x, y]| Some([x * c - y * s, x * s + y * c]))
            .take(RAYS)
            .collect();
    let fans: Vec<Vec<([f32; 2], f32)>> = turns
        .iter()
        .map(|&[tc, ts]| {
            directions
                .iter()
                .map(|&[dc, ds]| {
                    // The ray's angle against the rows: its cosine and sine.
                    let (cos, sin) = (dc * tc + ds * ts, ds * tc - dc * ts);
                    let stretch = 1.0 / cos.abs().max(sin.abs());
                    ([dc, ds], stretch * module)
                })
                .collect()
        })
        .collect();
    let reach = 4.2 * module * std::f32::consts::SQRT_2;
    let (w, h) = (image.width as f32, image.height as f32);
    let step = module / 2.0;
    let mut scored: Vec<(usize, f32, [f32; 2], usize)> = Vec::new();
    let mut y = reach;
    while y < h - reach {
        let mut x = reach;
        while x < w - reach {
            let away = known.iter().all(|k| far_apart(*k, [x, y], 7.0 * module));
            if away {
                for (fan, rays) in fans.iter().enumerate() {
                    let (agreeing, contrast) = agreement(image, [x, y], rays);
                    if agreeing >= AGREEING {
                        scored.push((agreeing, contrast, [x, y], fan));
                    }
                }
            }
            x += step;
        }
        y += step;
    }
    // The best place left that is clear of those taken, FOUND times (no sort: a handful of
    // picks from a list that is short anyway).
    let mut found: Vec<Ringed> = Vec::new();
    while found.len() < FOUND {
        let clear =
            |s: &&(usize, f32, [f32; 2], usize)| found.iter().all(|f| far_apart(f.centre, s.2, 7.0 * module));
        let best =
            scored.iter().filter(clear).fold(None, |best: Option<&(usize, f32, [f32; 2], usize)>, s| {
                match best {
                    Some(b) if (b.0, b.1) >= (s.0, s.1) => Some(b),
                    _ => Some(s),
                }
            });
        let Some(&(_, _, at, fan)) = best else { break };
        found.push(Ringed { centre: refine(image, at, &fans[fan], module), size: 7.0 * module });
    }
    found
}

/// Whether `a` and `b` are more than `distance` apart.
fn far_apart(a: [f32; 2], b: [f32; 2], distance: f32) -> bool {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) > distance * distance
}

/// How many rays from `at` show the rings, and their mean contrast.
fn agreement(image: &Luma, at: [f32; 2], rays: &[([f32; 2], f32)]) -> (usize, f32) {
    let mut agreeing = 0;
    let mut contrast = 0.0;
    let (w, h) = (image.width as f32 - 1.0, image.height as f32 - 1.0);
    for &([dx, dy], unit) in rays {
        let g = |r: f32| {
            image.sample((at[0] + dx * r * unit).clamp(0.0, w), (at[1] + dy * r * unit).clamp(0.0, h))
        };
        let (core, white, ring, outside) = (g(0.8), g(2.0), g(3.0), g(4.1));
        let least = (white - core).min(white - ring).min(outside - ring);
        if least > 0.0 && least > 0.25 * (white.max(outside) - core.min(ring)) {
            agreeing += 1;
            contrast += least;
        }
    }
    (agreeing, contrast / agreeing.max(1) as f32)
}

/// The centre near `at` (within half a module) where the rings agree best, by eighths of a
/// module.
fn refine(image: &Luma, at: [f32; 2], rays: &[([f32; 2], f32)], module: f32) -> [f32; 2] {
    let mut best = (agreement(image, at, rays), at);
    for j in -4..=4 {
        for i in -4..=4 {
            let p = [at[0] + i as f32 * module / 8.0, at[1] + j as f32 * module / 8.0];
            let score = agreement(image, p, rays);
            if score.0 > best.0 .0 || (score.0 == best.0 .0 && score.1 > best.0 .1) {
                best = (score, p);
            }
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A white 400×300 image with finder patterns of 10-px modules centred at `centres`, and a
    /// dark stroke a module wide from (120, 60) to (280, 220) when `stroke`.
    fn finders(centres: &[[f32; 2]], stroke: bool) -> Luma {
        let (w, h) = (400u32, 300u32);
        let data = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32 + 0.5, (i / w) as f32 + 0.5);
                // Out from the nearest centre, in modules: the 3×3 core dark, then a light ring,
                // a dark one, and light around it.
                let d = ring_of(centres, x, y);
                let dark = d < 1.5 || (2.5..3.5).contains(&d);
                let on_stroke = stroke && (x - y - 60.0).abs() < 7.0 && (120.0..280.0).contains(&x);
                if dark || on_stroke {
                    30
                } else {
                    225
                }
            })
            .collect();
        Luma { data, width: w, height: h }
    }

    /// The distance in modules (the larger axis) from the nearest centre.
    fn ring_of(centres: &[[f32; 2]], x: f32, y: f32) -> f32 {
        centres.iter().map(|c| (x - c[0]).abs().max((y - c[1]).abs()) / 10.0).fold(f32::MAX, f32::min)
    }

    #[test]
    fn a_finder_crossed_by_a_stroke_is_found_and_nothing_else() {
        let image = finders(&[[80.0, 80.0], [200.0, 140.0]], true);
        let found = search(&image, 10.0, &[[1.0, 0.0]], &[[80.0, 80.0]]);
        assert!(!found.is_empty(), "the crossed finder is found");
        let [x, y] = found[0].centre;
        assert!((x - 200.0).abs() < 3.0 && (y - 140.0).abs() < 3.0, "found at {x}, {y}");
        assert!((found[0].size - 70.0).abs() < 0.5);
        // With only the known finder there is nothing more to find.
        let alone = finders(&[[80.0, 80.0]], true);
        assert!(search(&alone, 10.0, &[[1.0, 0.0]], &[[80.0, 80.0]]).is_empty());
    }
}
