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

/// Finder patterns of `module` pixels a module, turned by one of `turns` (radians, the code's
/// rows against the image's), away from the finders at `known`, best first.
pub fn search(image: &Luma, module: f32, turns: &[f32], known: &[[f32; 2]]) -> Vec<Ringed> {
    if module < 1.5 {
        return Vec::new();
    }
    // How far along each ray the rings lie, in modules, for a square turned by `turn`: the core
    // at 0.8, the white ring at 2, the dark ring at 3 and the space outside at 4.1 on the axes,
    // farther towards the corners.
    let fans: Vec<Vec<([f32; 2], f32)>> = turns
        .iter()
        .map(|&turn| {
            (0..RAYS)
                .map(|k| {
                    let angle = k as f32 * std::f32::consts::TAU / RAYS as f32;
                    let relative = angle - turn;
                    let stretch = 1.0 / relative.cos().abs().max(relative.sin().abs());
                    ([angle.cos(), angle.sin()], stretch * module)
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
            let away = known.iter().all(|k| (k[0] - x).hypot(k[1] - y) > 7.0 * module);
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
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let mut found: Vec<Ringed> = Vec::new();
    for (_, _, at, fan) in scored {
        if found.len() == FOUND {
            break;
        }
        if found.iter().all(|f| (f.centre[0] - at[0]).hypot(f.centre[1] - at[1]) > 7.0 * module) {
            found.push(Ringed { centre: refine(image, at, &fans[fan], module), size: 7.0 * module });
        }
    }
    found
}

/// How many rays from `at` show the rings, and their mean contrast.
fn agreement(image: &Luma, at: [f32; 2], rays: &[([f32; 2], f32)]) -> (usize, f32) {
    let mut agreeing = 0;
    let mut contrast = 0.0;
    for &([dx, dy], unit) in rays {
        let (w, h) = (image.width as f32 - 1.0, image.height as f32 - 1.0);
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
