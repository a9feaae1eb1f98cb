//! The decoding passes: which version of the image, which threshold, which polarity.

use super::{warp, Code, Luma};
use rxing::common::cpp_essentials::concentric_finder::FindConcentricPatternCorners;
use rxing::common::cpp_essentials::ConcentricPattern;
use rxing::common::{BitMatrix, DetectorRXingResult};
use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::Point;
use rxing::{Binarizer, BinaryBitmap, Luma8Source};

/// A code as the reader found it, with its size in modules.
struct Found {
    code: Code,
    modules: u32,
}

/// Which version of the image a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The image as it is.
    AsIs,
    /// Shrunk by this factor: a code that fills the frame (a phone screen held close) has modules
    /// too large for the local threshold until it is smaller.
    Shrunk(u32),
    /// Enlarged by this factor with a quiet zone added: tiny codes, and codes cropped to their
    /// edge (tight screenshots).
    Enlarged(u32),
}

/// How pixels become black and white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// A threshold per 8×8 block from its neighbourhood: uneven light.
    Local,
    /// One threshold from the histogram: glare, bright spots, large modules.
    Global,
}

/// One way of looking at the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// The version of the image.
    pub view: View,
    /// The binarization.
    pub threshold: Threshold,
    /// Whether to read the negative (a light code on a dark screen).
    pub inverted: bool,
    /// How hard to try, from the grey image, a located code that does not decode (or two finders
    /// without a third).
    pub resample: Resample,
}

/// The second look at codes the reader locates but cannot read, from the grey image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resample {
    /// None.
    Off,
    /// A few grids: the reader's module count and corner, the finders' fitted map, a lost finder
    /// from a few pairs — a live frame's slice.
    Quick,
    /// Every version next to the reader's, the corner searched, many pairs — still images.
    Thorough,
}

const fn pass(view: View, threshold: Threshold, inverted: bool) -> Pass {
    Pass { view, threshold, inverted, resample: Resample::Off }
}

const fn resampled(view: View) -> Pass {
    Pass { view, threshold: Threshold::Local, inverted: false, resample: Resample::Thorough }
}

/// Modules smaller than this (in pixels of a shrunk copy) are not sampled reliably: a read from
/// such a copy can be a miscorrection, so it is dropped.
const MIN_SHRUNK_MODULE: f32 = 2.5;
/// Finder-pattern triples sampled and decoded at most per pass. A repetitive texture (tiles,
/// a woven cloth) makes hundreds of finder-like patterns and tens of thousands of triples, each a
/// sampling and a decoding: found by fuzzing, a 128×120 frame took 24 s. A real code is among
/// the first few triples (they come best first).
const MAX_SETS: usize = 24;
/// Images larger than this (longer side) are not enlarged.
const MAX_ENLARGE_SIDE: u32 = 800;

impl Pass {
    /// Everything, for still images (album screenshots, the CLI), cheapest and surest first.
    pub const ALL: &'static [Pass] = &[
        pass(View::AsIs, Threshold::Local, false),
        pass(View::AsIs, Threshold::Global, false),
        pass(View::AsIs, Threshold::Local, true),
        pass(View::Shrunk(2), Threshold::Local, false),
        pass(View::Shrunk(4), Threshold::Local, false),
        pass(View::Shrunk(8), Threshold::Local, false),
        pass(View::Shrunk(2), Threshold::Global, false),
        pass(View::Enlarged(2), Threshold::Local, false),
        pass(View::Enlarged(2), Threshold::Global, false),
        pass(View::Enlarged(3), Threshold::Local, true),
        pass(View::Shrunk(2), Threshold::Local, true),
        resampled(View::AsIs),
        resampled(View::Enlarged(2)),
    ];

    /// The cheap set for live frames (each frame is small, and the next one comes soon); the first
    /// takes a quick second look at a code it locates but cannot read (glare on a screen, a steep
    /// angle).
    pub const LIVE: &'static [Pass] = &[
        Pass { view: View::AsIs, threshold: Threshold::Local, inverted: false, resample: Resample::Quick },
        pass(View::Shrunk(2), Threshold::Local, false),
        pass(View::AsIs, Threshold::Global, false),
        pass(View::AsIs, Threshold::Local, true),
    ];
}

/// Runs `passes` in order until one finds a code; corners are in `luma`'s pixels.
pub fn decode_luma(luma: &Luma, passes: &[Pass]) -> Vec<Code> {
    let mut cache: Vec<(View, bool, Luma)> = Vec::new();
    for &pass in passes {
        let image = if pass.view == View::AsIs && !pass.inverted {
            luma
        } else {
            let cached = cache.iter().position(|(v, inv, _)| *v == pass.view && *inv == pass.inverted);
            let index = match cached {
                Some(i) => i,
                None => {
                    let Some(image) = prepare(luma, pass) else { continue };
                    cache.push((pass.view, pass.inverted, image));
                    cache.len() - 1
                }
            };
            &cache[index].2
        };
        let codes: Vec<Code> =
            read(image, pass).into_iter().filter_map(|c| to_frame(c, pass, luma)).collect();
        if !codes.is_empty() {
            return codes;
        }
    }
    Vec::new()
}

/// The version of `luma` a pass reads; `None` when it does not apply to this size.
fn prepare(luma: &Luma, pass: Pass) -> Option<Luma> {
    let polarity = |l: Luma| if pass.inverted { l.inverted() } else { l };
    match pass.view {
        View::AsIs => Some(polarity(luma.clone())),
        View::Shrunk(f) => luma.shrink(f).map(polarity),
        View::Enlarged(f) if luma.width.max(luma.height) <= MAX_ENLARGE_SIDE => {
            Some(polarity(luma.clone()).enlarged(f).padded(enlarge_border(luma) * f))
        }
        View::Enlarged(_) => None,
    }
}

/// The quiet zone added around an enlarged image, in pixels of the original.
fn enlarge_border(luma: &Luma) -> u32 {
    (luma.width.max(luma.height) / 8).max(4)
}

/// Maps a code from the pass's image back to `luma`; drops reads from shrunk copies whose modules
/// were too small to trust.
fn to_frame(found: Found, pass: Pass, luma: &Luma) -> Option<Code> {
    let Found { mut code, modules } = found;
    let border = enlarge_border(luma) as f32;
    let back = |v: f32| match pass.view {
        View::AsIs => v,
        View::Shrunk(f) => v * f as f32,
        View::Enlarged(f) => v / f as f32 - border,
    };
    for [x, y] in &mut code.corners {
        (*x, *y) = (back(*x), back(*y));
    }
    if let View::Shrunk(f) = pass.view {
        let module = code.side() / modules.max(1) as f32;
        if module / (f as f32) < MIN_SHRUNK_MODULE {
            return None;
        }
    }
    Some(code)
}

fn read(image: &Luma, pass: Pass) -> Vec<Found> {
    let Ok(source) = Luma8Source::new_with_slice(&image.data, image.width, image.height) else {
        return Vec::new();
    };
    let effort = match pass.resample {
        Resample::Off => None,
        Resample::Quick => Some(warp::QUICK),
        Resample::Thorough => Some(warp::THOROUGH),
    };
    let grey = effort.map(|effort| (image, effort));
    match pass.threshold {
        Threshold::Global => read_bitmap(BinaryBitmap::new(GlobalHistogramBinarizer::new(source)), grey),
        Threshold::Local => read_bitmap(BinaryBitmap::new(HybridBinarizer::new(source)), grey),
    }
}

/// Finds and decodes every QR code in a binarized image: the steps of rxing's zxing-cpp port,
/// written out so that the symbol's module count is known (the reader does not report it).
/// With `grey`, a located code that does not decode is resampled from it ([`warp::resample`]).
fn read_bitmap<B: Binarizer>(bitmap: BinaryBitmap<B>, second: Option<(&Luma, warp::Effort)>) -> Vec<Found> {
    let grey = second.map(|(image, _)| image);
    let effort = second.map_or(warp::QUICK, |(_, effort)| effort);
    let bends = std::cell::Cell::new(effort.bends);
    let matrix = bitmap.get_black_matrix();
    let mut patterns = FindFinderPatterns(matrix, true, 0);
    let mut used = Vec::new();
    let mut found = Vec::new();
    let mut tried = 0;
    for set in GenerateFinderPatternSets(&mut patterns) {
        if [set.tl, set.tr, set.bl].iter().any(|p| used.contains(p)) {
            continue;
        }
        // The sets come best first; a textured surface can offer thousands.
        if tried == MAX_SETS {
            break;
        }
        tried += 1;
        let finders = [set.tl, set.tr, set.bl];
        let read = match SampleQR(matrix, &set) {
            Ok(sampled) => {
                let modules = sampled.getBits().getWidth();
                let p = sampled.getPoints();
                let direct =
                    Decode(sampled.getBits()).ok().filter(|d| d.isValid() && p.len() >= 4).map(|d| {
                        (
                            d.text(),
                            [[p[0].x, p[0].y], [p[1].x, p[1].y], [p[2].x, p[2].y], [p[3].x, p[3].y]],
                            modules,
                        )
                    });
                direct
                    .or_else(|| {
                        let (text, corners) = warp::resample(grey?, modules, finders, effort)?;
                        Some((text, corners, modules))
                    })
                    .or_else(|| warp::fitted(grey?, matrix, finders, effort, &bends))
            }
            // The reader's sampling gave up (at a steep angle the far finder looks small).
            Err(_) => grey.and_then(|g| warp::fitted(g, matrix, finders, effort, &bends)),
        };
        let Some((text, corners, modules)) = read.filter(|(text, ..)| !text.is_empty()) else { continue };
        used.extend([set.tl, set.tr, set.bl]);
        let code = Code { text, corners: around_the_centre(corners) };
        found.push(Found { code, modules });
    }
    if let (true, Some(grey)) = (found.is_empty(), grey) {
        if effort.rays && (1..3).contains(&patterns.len()) {
            patterns.extend(missed_finders(grey, matrix, &patterns));
        }
        // The sets sorted the patterns larger first (noise makes small ones).
        if let Some((text, corners, modules)) = warp::any_three(grey, matrix, &patterns, effort, &bends)
            .or_else(|| warp::recover(grey, &patterns, effort))
            .filter(|(text, ..)| !text.is_empty())
        {
            found.push(Found { code: Code { text, corners: around_the_centre(corners) }, modules });
        }
    }
    found
}

/// Finder patterns the reader missed (a stroke across one), searched along rays at the size and
/// turn of the largest it found ([`super::rays`]).
fn missed_finders(grey: &Luma, matrix: &BitMatrix, patterns: &[ConcentricPattern]) -> Vec<ConcentricPattern> {
    let first = patterns[0];
    let module = first.size as f32 / 7.0;
    // The turn of the code's rows, from the first finder's corners (a quarter turn either way is
    // the same square); without them, every 15°.
    let turns: Vec<[f32; 2]> = match FindConcentricPatternCorners(matrix, first.p, first.size, 2) {
        Some(quad) => {
            let (dx, dy) = (quad.0[1].x - quad.0[0].x, quad.0[1].y - quad.0[0].y);
            let length = (dx * dx + dy * dy).sqrt().max(f32::EPSILON);
            let mut turn = [dx / length, dy / length];
            // A quarter turn at a time into the first quadrant.
            for _ in 0..3 {
                if turn[0] > 0.0 && turn[1] >= 0.0 {
                    break;
                }
                turn = [turn[1], -turn[0]];
            }
            vec![turn]
        }
        // cos and sin of 0°, 15°, … 75°.
        None => vec![
            [1.0, 0.0],
            [0.965_926, 0.258_819],
            [0.866_025, 0.5],
            [std::f32::consts::FRAC_1_SQRT_2, std::f32::consts::FRAC_1_SQRT_2],
            [0.5, 0.866_025],
            [0.258_819, 0.965_926],
        ],
    };
    let known: Vec<[f32; 2]> = patterns.iter().map(|p| [p.p.x, p.p.y]).collect();
    super::rays::search(grey, module, &turns, &known)
        .into_iter()
        .map(|r| ConcentricPattern {
            p: Point { x: r.centre[0], y: r.centre[1] },
            size: r.size.round() as i32,
        })
        .collect()
}

/// Orders four corners so that they go round the quad (no crossing), keeping the first in place.
fn around_the_centre(corners: [[f32; 2]; 4]) -> [[f32; 2]; 4] {
    let (cx, cy) =
        (corners.iter().map(|c| c[0]).sum::<f32>() / 4.0, corners.iter().map(|c| c[1]).sum::<f32>() / 4.0);
    let angle = |c: &[f32; 2]| (c[1] - cy).atan2(c[0] - cx);
    let start = angle(&corners[0]);
    let mut sorted = corners;
    let turn = |c: &[f32; 2]| (angle(c) - start).rem_euclid(std::f32::consts::TAU);
    sorted.sort_by(|a, b| turn(a).total_cmp(&turn(b)));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_are_put_in_order_around_the_quad() {
        let crossed = [[7.0, 7.0], [252.0, 7.0], [7.0, 252.0], [252.0, 252.0]];
        assert_eq!(around_the_centre(crossed), [[7.0, 7.0], [252.0, 7.0], [252.0, 252.0], [7.0, 252.0]]);
        let ok = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert_eq!(around_the_centre(ok), ok);
    }
}
