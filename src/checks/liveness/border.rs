//! The edges of a screen or a sheet of paper around the face. A phone, a monitor or a print held
//! before the camera puts long straight edges beside the face — its bezel, the sheet's border —
//! on both sides, parallel to each other, down past the chin beside the pictured shoulders; a
//! live student has shoulders there in front of whatever stands behind (a door frame, a window
//! frame, a bookcase's uprights), hiding its edges below the chin.

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

/// How much of the face's height the longest straight edge on each side of the face covers, as
/// `[left, right]` shares of the searched run (0 to 1): the run spans from above the forehead to
/// below the chin, beside the face, and an edge counts by the lesser of its share of the whole run
/// and of the part below the chin. Both sides near 1 is a frame around the face.
pub fn sides(frame: &FrameView<'_>, face: &Face) -> [f64; 2] {
    let [left, top, right, chin] = face.outline().map(f64::from);
    let (width, height) = (right - left, chin - top);
    if width < 16.0 || height < 16.0 {
        return [0.0; 2];
    }
    // The run beside the face: from half a face above its top to half a face below the chin.
    let (y0, y1) = (top - 0.5 * height, chin + 0.5 * height);
    let reach = 1.6 * width; // how far out from the face's side an edge may lie
    [
        longest_edge(frame, (left - reach, left - 0.12 * width), (y0, y1), chin),
        longest_edge(frame, (right + 0.12 * width, right + reach), (y0, y1), chin),
    ]
}

/// The largest share of the rows `y0..y1` (every third one) on which one straight, near-vertical
/// line with its foot between `x0` and `x1` crosses a luma step of [`EDGE_STEP`], all one way —
/// each line counted by the lesser of that share and its share of the rows from `low` down.
fn longest_edge(frame: &FrameView<'_>, (x0, x1): (f64, f64), (y0, y1): (f64, f64), low: f64) -> f64 {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let (x0, x1) = (x0.max(2.0) as i64, x1.min((w - 3) as f64) as i64);
    let (y0, y1) = (y0.max(0.0) as i64, y1.min((h - 1) as f64) as i64);
    if x1 <= x0 || y1 - y0 < 16 {
        return 0.0;
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
    votes.iter().map(share).fold(0.0, f64::max)
}
