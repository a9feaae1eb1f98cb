//! The edges of a screen or a sheet of paper around the face. A phone, a monitor or a print held
//! before the camera puts long straight edges beside the face — its bezel, the sheet's border —
//! on both sides, parallel to each other, down past the chin beside the pictured shoulders, and
//! joined by the picture's top edge above the head; a live student has shoulders there in front
//! of whatever stands behind (a door frame, a window frame, a bookcase's uprights), hiding its
//! edges below the chin, and a door's jambs run on up out of the picture.

use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Angles searched either side of vertical, degrees (a hand holds the picture a little turned).
const MAX_TILT: f64 = 12.0;
/// Step of the angle search, degrees.
const TILT_STEP: f64 = 2.0;
/// Every how many pixel rows the run is sampled.
const ROW_STEP: usize = 3;
/// Luma step across a line that counts as an edge.
const EDGE_STEP: f32 = 24.0;

/// The side edges shorter than this share are not looked at further (no top edge is sought).
const SIDE_FLOOR: f64 = 0.5;
/// Angles searched either side of horizontal for the top edge, degrees.
const MAX_TOP_TILT: f64 = 8.0;

/// How much the face is framed, as `[left, right, top]` shares (0 to 1). The sides: how much of
/// the face's height the longest straight edge on each side covers, of a run from above the
/// forehead to below the chin, counted by the lesser of its share of the whole run and of the
/// part below the chin. The top: when both sides reach half the run, how much of the width
/// between the two lines one straight edge above the head covers (the picture's top), else 0.
/// All three near 1 is a frame around the face.
pub fn sides(frame: &FrameView<'_>, face: &Face) -> [f64; 3] {
    let [left, top, right, chin] = face.outline().map(f64::from);
    let (width, height) = (right - left, chin - top);
    if width < 16.0 || height < 16.0 {
        return [0.0; 3];
    }
    // The run beside the face: from half a face above its top to half a face below the chin.
    let (y0, y1) = (top - 0.5 * height, chin + 0.5 * height);
    let reach = 1.6 * width; // how far out from the face's side an edge may lie
    let l = longest_edge(frame, (left - reach, left - 0.12 * width), (y0, y1), chin);
    let r = longest_edge(frame, (right + 0.12 * width, right + reach), (y0, y1), chin);
    if l.share < SIDE_FLOOR || r.share < SIDE_FLOOR {
        return [l.share, r.share, 0.0];
    }
    // Above the head, between the two lines (where they stand at the top of the run): a
    // picture's top edge lies between the frame's top and a third of a face above the forehead.
    let (xl, xr) = (l.x_at(y0), r.x_at(y0));
    let inset = 0.1 * (xr - xl);
    let top_edge = across(frame, (xl + inset, xr - inset), (0.0, top - 0.3 * height));
    [l.share, r.share, top_edge]
}

/// A straight line found by [`longest_edge`]: its share, and where it stands.
#[derive(Debug, Clone, Copy)]
struct Line {
    share: f64,
    /// Its x at the run's middle row, and its x change per pixel row.
    x_mid: f64,
    y_mid: f64,
    dx_dy: f64,
}

impl Line {
    fn x_at(&self, y: f64) -> f64 {
        self.x_mid + self.dx_dy * (y - self.y_mid)
    }
}

/// The largest share of the columns `x0..x1` (every other one) on which one straight,
/// near-horizontal line between the rows `y0` and `y1` crosses a luma step of [`EDGE_STEP`],
/// all one way.
fn across(frame: &FrameView<'_>, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> f64 {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let (x0, x1) = (x0.max(0.0) as i64, x1.min((w - 1) as f64) as i64);
    if x1 - x0 < 16 {
        return 0.0;
    }
    let columns: Vec<i64> = (x0..=x1).step_by(2).collect();
    let lift = ((x1 - x0) as f64 / 2.0 * MAX_TOP_TILT.to_radians().tan()).ceil() as i64;
    let (y0, y1) = ((y0 as i64).max(1 + lift), (y1 as i64).min(h - 2 - lift));
    let luma_at = |x: i64, y: i64| {
        let p = &frame.row(y as u32)[4 * x as usize..4 * x as usize + 3];
        luma(p[0], p[1], p[2])
    };
    let mid = (x0 + x1) as f64 / 2.0;
    let mut best = 0.0f64;
    let mut tilt = -MAX_TOP_TILT;
    while tilt <= MAX_TOP_TILT + 1e-9 {
        let slope = tilt.to_radians().tan();
        let shifts: Vec<i64> = columns.iter().map(|&x| ((x as f64 - mid) * slope).round() as i64).collect();
        for y in y0..=y1 {
            let (mut rising, mut falling) = (0u32, 0u32);
            for (&x, &dy) in columns.iter().zip(&shifts) {
                let yy = y + dy;
                let step = luma_at(x, yy + 1) - luma_at(x, yy - 1);
                rising += u32::from(step >= EDGE_STEP);
                falling += u32::from(step <= -EDGE_STEP);
            }
            best = best.max(rising.max(falling) as f64 / columns.len() as f64);
        }
        tilt += TILT_STEP;
    }
    best
}

/// The largest share of the rows `y0..y1` (every third one) on which one straight, near-vertical
/// line with its foot between `x0` and `x1` crosses a luma step of [`EDGE_STEP`], all one way —
/// each line counted by the lesser of that share and its share of the rows from `low` down.
fn longest_edge(frame: &FrameView<'_>, (x0, x1): (f64, f64), (y0, y1): (f64, f64), low: f64) -> Line {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let (x0, x1) = (x0.max(2.0) as i64, x1.min((w - 3) as f64) as i64);
    let (y0, y1) = (y0.max(0.0) as i64, y1.min((h - 1) as f64) as i64);
    if x1 <= x0 || y1 - y0 < 16 {
        return Line { share: 0.0, x_mid: x0 as f64, y_mid: y0 as f64, dx_dy: 0.0 };
    }
    let ys: Vec<i64> = (y0..=y1).step_by(ROW_STEP).collect();
    // In each row of the band, the rising and falling luma steps at a pixel or a neighbour (a
    // line does not fall exactly on the pixel grid), with slack for tilted lines.
    let slack = ((y1 - y0) as f64 * MAX_TILT.to_radians().tan()).ceil() as i64 + 1;
    let (bx0, bx1) = ((x0 - slack).max(2), (x1 + slack).min(w - 3));
    let band = (bx1 - bx0 + 1) as usize;
    // The steps found: (sampled row, column from x0, 0 rising / 1 falling).
    let mut hits: Vec<(usize, i64, usize)> = Vec::new();
    let (mut lumas, mut steps) = (vec![0f32; band + 4], vec![0f32; band + 2]);
    for (r, &y) in ys.iter().enumerate() {
        let row = frame.row(y as u32);
        for (k, l) in lumas.iter_mut().enumerate() {
            let i = 4 * (bx0 - 2 + k as i64) as usize;
            *l = luma(row[i], row[i + 1], row[i + 2]);
        }
        for (k, s) in steps.iter_mut().enumerate() {
            *s = lumas[k + 2] - lumas[k];
        }
        for c in 0..band {
            let s =
                [steps[c], steps[c + 1], steps[c + 2]].into_iter().max_by(|a, b| a.abs().total_cmp(&b.abs()));
            match s {
                Some(s) if s >= EDGE_STEP => hits.push((r, bx0 + c as i64 - x0, 0)),
                Some(s) if s <= -EDGE_STEP => hits.push((r, bx0 + c as i64 - x0, 1)),
                _ => {}
            }
        }
    }
    // Each step votes for the lines through it: for each tilt, the foot (every third pixel
    // from x0) whose line passes through the step's pixel on that row. A line's count is then
    // the number of its rows that cross a step, the same as walking each line, but only the
    // pixels with a step are visited.
    let rows = ys.len();
    let low_from = ys.iter().position(|&y| y as f64 >= low).unwrap_or(rows);
    let tilts: Vec<f64> =
        (0..).map(|k| -MAX_TILT + k as f64 * TILT_STEP).take_while(|t| *t <= MAX_TILT + 1e-9).collect();
    let feet = ((x1 - x0) / 3 + 1) as usize;
    // Per line: rising and falling steps over all rows, then over the rows from `low` down.
    let mut votes = vec![[0u32; 4]; tilts.len() * feet];
    for (t, tilt) in tilts.iter().enumerate() {
        let slope = ROW_STEP as f64 * tilt.to_radians().tan(); // per sampled row
        let shifts: Vec<i64> =
            (0..rows).map(|r| (slope * (r as f64 - rows as f64 / 2.0)).round() as i64).collect();
        for &(r, x, way) in &hits {
            let foot = x - shifts[r];
            if foot >= 0 && foot <= x1 - x0 && foot % 3 == 0 {
                let line = &mut votes[t * feet + (foot / 3) as usize];
                line[way] += 1;
                if r >= low_from {
                    line[2 + way] += 1;
                }
            }
        }
    }
    let low_rows = rows - low_from;
    let share = |v: &[u32; 4]| {
        let way = usize::from(v[1] > v[0]);
        let all = v[way] as f64 / rows as f64;
        if low_rows == 0 {
            return all;
        }
        all.min(v[2 + way] as f64 / low_rows as f64)
    };
    let (best, share) =
        votes
            .iter()
            .map(share)
            .enumerate()
            .fold((0, 0.0), |acc, (i, s)| if s > acc.1 { (i, s) } else { acc });
    let (t, foot) = (best / feet, (best % feet) as i64 * 3);
    let y_mid = ys[rows / 2] as f64;
    Line { share, x_mid: (x0 + foot) as f64, y_mid, dx_dy: tilts[t].to_radians().tan() }
}
