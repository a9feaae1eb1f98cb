//! The clothing below the chin: `clothing.stripes` (a periodic pattern: a strong secondary peak
//! of the autocorrelation across or down the torso) and `clothing.color` (the colour of the
//! standard's background — CHSI's light blue RGB(100,197,255) — which the clothing would melt
//! into).

use super::{graded, unmeasured, Check, CheckId, Rules};
use crate::face::landmarks::{CHIN, FOREHEAD};
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// The torso grid: columns and rows the two panels are averaged onto (half the columns each).
const COLS: usize = 64;
const ROWS: usize = 32;
/// Below this standard deviation of luma the clothing is plain, whatever its autocorrelation.
const PLAIN_STD: f64 = 6.0;

/// Where the torso panels start and end below the chin, as shares of the forehead-to-chin
/// height. On faces-real the collar right under the chin is most of what a close portrait shows of
/// the clothing: panels from 0.25 to 0.75 measured nothing on 48 of the 70 good photos and missed
/// every light-blue collar; from 0.05 to 0.5 they measure all but 4 (docs/checks.md).
const TORSO_TOP: f64 = 0.05;
const TORSO_BOTTOM: f64 = 0.5;
/// Fewer rows than this of clothing in view are not measured.
const MIN_TORSO_ROWS: u32 = 6;

/// The clothing below the chin, left and right of the neckline (a tie, a zip or a necklace down
/// the middle is not the clothing's pattern), clipped to the frame: two `[x0, y0, x1, y1]`, or
/// `None` when too little of them is in view.
fn torso(frame: &FrameView<'_>, face: &Face) -> Option<[[u32; 4]; 2]> {
    let m = &face.mesh;
    let width = face.span();
    let (chin, top) = (m[CHIN], m[FOREHEAD]);
    let height = (chin[1] - top[1]) as f64;
    let (cx, cy) = (chin[0] as f64, chin[1] as f64);
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    let y0 = (cy + TORSO_TOP * height).clamp(0.0, h) as u32;
    let y1 = (cy + TORSO_BOTTOM * height).clamp(0.0, h) as u32;
    let panel = |a: f64, b: f64| {
        let (x0, x1) = ((cx + a * width).clamp(0.0, w) as u32, (cx + b * width).clamp(0.0, w) as u32);
        (x1 >= x0 + COLS as u32 / 4 && y1 >= y0 + MIN_TORSO_ROWS).then_some([x0, y0, x1, y1])
    };
    Some([panel(-0.85, -0.25)?, panel(0.25, 0.85)?])
}

/// Colours quantised to 8 levels a channel: 512 bins.
fn bin([r, g, b]: [u8; 3]) -> usize {
    (r as usize >> 5) << 6 | (g as usize >> 5) << 3 | b as usize >> 5
}

/// The room's colours: the bins holding at least [`ROOM_SHARE`] of the pixels beside the head
/// (from a tenth of a face width out to half of one, forehead to chin, both sides). The torso
/// panels reach past the neck and shoulders into the room, and a light-blue wall there is not the
/// clothing.
fn room_colours(frame: &FrameView<'_>, face: &Face) -> [bool; 512] {
    let [left, top, right, bottom] = face.outline();
    let width = right - left;
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let (y0, y1) = (top.clamp(0.0, h) as u32, bottom.clamp(0.0, h) as u32);
    let mut counts = [0u32; 512];
    let mut total = 0u32;
    for (a, b) in [(left - 0.5 * width, left - 0.1 * width), (right + 0.1 * width, right + 0.5 * width)] {
        let (x0, x1) = (a.clamp(0.0, w) as u32, b.clamp(0.0, w) as u32);
        for y in y0..y1 {
            let row = frame.row(y);
            for x in x0..x1 {
                let i = 4 * x as usize;
                counts[bin([row[i], row[i + 1], row[i + 2]])] += 1;
                total += 1;
            }
        }
    }
    counts.map(|n| total > 0 && n as f64 >= ROOM_SHARE * total as f64)
}

/// The share of the pixels beside the head a colour bin must hold to be the room's.
const ROOM_SHARE: f64 = 0.02;

/// Both clothing checks, in [`CheckId`] order.
pub fn checks(frame: &FrameView<'_>, face: &Face, rules: &Rules) -> [Check; 2] {
    let Some(region) = torso(frame, face) else {
        return [unmeasured(CheckId::ClothingStripes), unmeasured(CheckId::ClothingColor)];
    };
    let mut grid = vec![0.0; COLS * ROWS];
    let room = room_colours(frame, face);
    let mut light_blue = 0.0;
    let background = rules.standard.background;
    for (half, panel) in region.into_iter().enumerate() {
        light_blue += sample(frame, panel, &mut grid, half * COLS / 2, background, &room) / 2.0;
    }
    [
        graded(CheckId::ClothingStripes, periodicity(&grid), 0.0, rules.max_stripes),
        graded(CheckId::ClothingColor, light_blue, 0.0, rules.max_light_blue),
    ]
}

/// Whether a pixel would melt into a background of colour `background`: for CHSI's blue,
/// [`is_light_blue`]; for another coloured one (saturation 0.2 or more), a value of at least 0.5,
/// a saturation of at least 0.25 and within 0.35 of the background's, and a hue within 20°; for a
/// white or grey one, a saturation under 0.15 and a value within 0.15 of the background's.
fn melts_into(background: [u8; 3], [r, g, b]: [u8; 3]) -> bool {
    if background == crate::photo::BACKGROUND {
        return is_light_blue(r, g, b);
    }
    let ([bh, bs, bv], [h, s, v]) = (hsv(background), hsv([r, g, b]));
    if bs < 0.2 {
        return s < 0.15 && (v - bv).abs() <= 0.15;
    }
    let turn = (h - bh).abs() % 360.0;
    v >= 0.5 && s >= 0.25 && (s - bs).abs() <= 0.35 && turn.min(360.0 - turn) <= 20.0
}

/// Hue (degrees), saturation and value (0–1).
fn hsv([r, g, b]: [u8; 3]) -> [f32; 3] {
    let (r, g, b) = (r as f32, g as f32, b as f32);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let range = (max - min).max(1e-6);
    let hue = if max == r {
        60.0 * ((g - b) / range)
    } else if max == g {
        120.0 + 60.0 * (b - r) / range
    } else {
        240.0 + 60.0 * (r - g) / range
    };
    [hue.rem_euclid(360.0), if max > 0.0 { (max - min) / max } else { 0.0 }, max / 255.0]
}

/// Whether a pixel is light blue (or turquoise): hue 165–230°, saturation 0.15–0.85, value at
/// least 100. On faces-real the light-blue, pale-blue and turquoise shirts the labels name reach
/// saturations down to 0.15 and hues from 165°; hue 185–225° and saturation from 0.25 caught 1
/// of 16 (docs/checks.md).
fn is_light_blue(r: u8, g: u8, b: u8) -> bool {
    let [hue, sat, value] = hsv([r, g, b]);
    value * 255.0 >= 100.0 && (0.15..=0.85).contains(&sat) && (165.0..=230.0).contains(&hue)
}

/// Averages a panel's luma onto the grid columns from `first_col` (`COLS / 2` of them) and
/// returns its share of pixels that melt into `background` and are not of the `room`'s colours.
fn sample(
    frame: &FrameView<'_>,
    [x0, y0, x1, y1]: [u32; 4],
    grid: &mut [f64],
    first_col: usize,
    background: [u8; 3],
    room: &[bool; 512],
) -> f64 {
    const HALF: usize = COLS / 2;
    let mut sums = vec![(0.0f64, 0u32); HALF * ROWS];
    let mut blue = 0u32;
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    for y in y0..y1 {
        let gy = (y - y0) as usize * ROWS / h;
        let row = frame.row(y);
        for x in x0..x1 {
            let i = 4 * x as usize;
            let (r, g, b) = (row[i], row[i + 1], row[i + 2]);
            let cell = &mut sums[gy * HALF + (x - x0) as usize * HALF / w];
            cell.0 += luma(r, g, b) as f64;
            cell.1 += 1;
            blue += (!room[bin([r, g, b])] && melts_into(background, [r, g, b])) as u32;
        }
    }
    for (i, &(s, n)) in sums.iter().enumerate() {
        grid[(i / HALF) * COLS + first_col + i % HALF] = s / n.max(1) as f64;
    }
    blue as f64 / (w * h) as f64
}

/// The strongest periodic peak of the grid's autocorrelation along rows or columns (rows within
/// each panel): the largest correlation at a lag past the first zero crossing (0 for plain or
/// random texture, near 1 for stripes).
fn periodicity(grid: &[f64]) -> f64 {
    let n = grid.len() as f64;
    let mean = grid.iter().sum::<f64>() / n;
    let d: Vec<f64> = grid.iter().map(|v| v - mean).collect();
    let var = d.iter().map(|v| v * v).sum::<f64>() / n;
    if var.sqrt() < PLAIN_STD {
        return 0.0;
    }
    let corr = |dx: usize, dy: usize| {
        let (mut s, mut k) = (0.0, 0.0);
        for y in 0..ROWS - dy {
            for x in (0..COLS - dx).filter(|x| x / (COLS / 2) == (x + dx) / (COLS / 2)) {
                s += d[y * COLS + x] * d[(y + dy) * COLS + x + dx];
                k += 1.0;
            }
        }
        s / k / var
    };
    let along = |lags: usize, at: &dyn Fn(usize) -> f64| {
        let mut crossed = false;
        let mut peak = 0.0f64;
        for lag in 1..lags {
            let r = at(lag);
            if r < 0.0 {
                crossed = true;
            } else if crossed {
                peak = peak.max(r);
            }
        }
        peak
    };
    along(COLS / 4, &|lag| corr(lag, 0)).max(along(ROWS / 2, &|lag| corr(0, lag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripes_are_periodic_and_plain_or_random_cloth_is_not() {
        let stripes: Vec<f64> =
            (0..COLS * ROWS).map(|i| if (i / COLS) % 6 < 3 { 40.0 } else { 200.0 }).collect();
        assert!(periodicity(&stripes) > 0.8);
        let plain = vec![90.0; COLS * ROWS];
        assert_eq!(periodicity(&plain), 0.0);
        let mut seed = 7u32;
        let noise: Vec<f64> = (0..COLS * ROWS)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as f64
            })
            .collect();
        assert!(periodicity(&noise) < 0.2, "{}", periodicity(&noise));
    }

    #[test]
    fn the_background_blue_is_light_blue_and_navy_or_white_are_not() {
        assert!(is_light_blue(100, 197, 255));
        assert!(is_light_blue(150, 200, 240));
        assert!(!is_light_blue(20, 30, 80) && !is_light_blue(240, 240, 240) && !is_light_blue(200, 60, 50));
    }

    #[test]
    fn on_a_white_background_white_clothing_melts_in_and_light_blue_does_not() {
        let white = [255, 255, 255];
        assert!(melts_into(white, [245, 245, 240]) && melts_into(white, [225, 228, 230]));
        assert!(!melts_into(white, [100, 197, 255]) && !melts_into(white, [30, 30, 40]));
        let red = [200, 30, 40];
        assert!(melts_into(red, [220, 50, 50]) && !melts_into(red, [100, 197, 255]));
        assert!(melts_into(crate::photo::BACKGROUND, [150, 200, 240]));
    }
}
