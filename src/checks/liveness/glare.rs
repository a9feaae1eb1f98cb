//! Reflections on glass. A lamp or a window mirrored in a screen's glass lies on the glass, not on
//! the face: it whitens a broad patch of the picture, and when the screen moves in the hand (the
//! reflection turns twice as far as the glass) or the face moves in a replayed video, the patch
//! slides across the face. Light on skin — a shiny forehead, the nose tip — stays where it is on
//! the face. So the whitened patch is found in the face's own coordinates on each view, and a
//! patch that moved across the face between views ~1 s apart is a reflection on glass.

use crate::face::Face;
use crate::FrameView;

/// Cells across and down the face's box.
const CELLS: [usize; 2] = [12, 14];
/// Samples per cell side at most (the cell's pixels are sampled, not all read).
const SAMPLES: usize = 6;
/// A cell is whitened when its luma is this far from the face's median towards white…
const LIFT: f32 = 0.4;
/// …and its colour at most this share of the face's median colour.
const FADE: f32 = 0.6;

/// The whitened cells of the face: a grid over the face's box, in the face's own coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Veil {
    /// One bit per cell, a row per word (bit `x` of row `y`).
    rows: [u16; CELLS[1]],
    /// Cells inside the face's oval.
    inside: u32,
}

impl Veil {
    /// The cells inside the face's oval (cheek to cheek, forehead to chin) much brighter and
    /// paler than the face's median; `None` when the face leaves the frame.
    pub fn of(frame: &FrameView<'_>, face: &Face) -> Option<Veil> {
        let [x0, y0, x1, y1] = face.outline();
        let (w, h) = (x1 - x0, y1 - y0);
        if w < CELLS[0] as f32 || h < CELLS[1] as f32 {
            return None;
        }
        if x0 < 0.0 || y0 < 0.0 || x1 >= frame.width() as f32 || y1 >= frame.height() as f32 {
            return None;
        }
        let [cols, rows] = CELLS;
        let size = [w / cols as f32, h / rows as f32];
        // Luma and colour (the spread of R, G, B) of each cell inside the oval.
        let mut cells: Vec<(usize, f32, f32)> = Vec::with_capacity(cols * rows);
        for gy in 0..rows {
            for gx in 0..cols {
                let (u, v) = ((gx as f32 + 0.5) / cols as f32 - 0.5, (gy as f32 + 0.5) / rows as f32 - 0.5);
                if (2.0 * u).powi(2) + (2.0 * v).powi(2) <= 0.9 {
                    let (luma, colour) =
                        cell(frame, [x0 + size[0] * gx as f32, y0 + size[1] * gy as f32], size);
                    cells.push((gy * cols + gx, luma, colour));
                }
            }
        }
        let median = |mut v: Vec<f32>| {
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        let luma = median(cells.iter().map(|c| c.1).collect());
        let colour = median(cells.iter().map(|c| c.2).collect());
        let mut veil = Veil { rows: [0; CELLS[1]], inside: cells.len() as u32 };
        for &(i, l, c) in &cells {
            if l >= luma + LIFT * (255.0 - luma) && c <= FADE * colour {
                veil.rows[i / cols] |= 1 << (i % cols);
            }
        }
        Some(veil)
    }

    /// The share of the face's cells that are whitened.
    pub fn share(&self) -> f64 {
        self.count() as f64 / self.inside.max(1) as f64
    }

    fn count(&self) -> u32 {
        self.rows.iter().map(|r| r.count_ones()).sum()
    }

    /// Every cell within one cell of a whitened one.
    fn grown(&self) -> Veil {
        let wide = self.rows.map(|r| (r | r << 1 | r >> 1) & ((1 << CELLS[0]) - 1));
        let rows = std::array::from_fn(|y| {
            wide[y] | if y > 0 { wide[y - 1] } else { 0 } | wide.get(y + 1).copied().unwrap_or(0)
        });
        Veil { rows, ..*self }
    }

    /// How far a whitened patch moved between `earlier` and this view: of each view's whitened
    /// cells, the share with none within one cell in the other view, the lesser of the two. Near
    /// 1 when a patch slid across the face (it left its old place and is somewhere new); near 0
    /// when it stayed in its place — and when it only shrank or grew there, as skin whitened by
    /// a bright exposure does while the camera settles (0 when either view whitens no cell).
    pub fn moved(&self, earlier: &Veil) -> f64 {
        let (near_now, near_then) = (self.grown(), earlier.grown());
        let apart =
            |a: &Veil, b: &Veil| a.rows.iter().zip(&b.rows).map(|(x, y)| (x & !y).count_ones()).sum::<u32>();
        let share = |a: &Veil, near_b: &Veil| apart(a, near_b) as f64 / a.count().max(1) as f64;
        share(self, &near_then).min(share(earlier, &near_now))
    }
}

/// Mean luma and mean colour spread (max − min of R, G, B) of the cell at `origin` of `size`.
fn cell(frame: &FrameView<'_>, origin: [f32; 2], size: [f32; 2]) -> (f32, f32) {
    let steps = |side: f32| (side.floor() as usize).clamp(1, SAMPLES);
    let (nx, ny) = (steps(size[0]), steps(size[1]));
    let (mut luma, mut colour) = (0.0, 0.0);
    for j in 0..ny {
        let row = frame.row((origin[1] + size[1] * (j as f32 + 0.5) / ny as f32) as u32);
        for i in 0..nx {
            let x = (origin[0] + size[0] * (i as f32 + 0.5) / nx as f32) as usize;
            let [r, g, b] = [row[4 * x], row[4 * x + 1], row[4 * x + 2]];
            luma += crate::frame::luma(r, g, b);
            colour += (r.max(g).max(b) - r.min(g).min(b)) as f32;
        }
    }
    let n = (nx * ny) as f32;
    (luma / n, colour / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn veil(rows: &[&str]) -> Veil {
        let mut v = Veil { rows: [0; CELLS[1]], inside: (CELLS[0] * CELLS[1]) as u32 };
        for (y, row) in rows.iter().enumerate() {
            for (x, c) in row.chars().enumerate() {
                if c == '#' {
                    v.rows[y] |= 1 << x;
                }
            }
        }
        v
    }

    #[test]
    fn a_patch_that_stays_shifts_a_cell_or_shrinks_has_not_moved_and_one_that_slides_has() {
        let then = veil(&["....", ".##.", ".##."]);
        assert_eq!(then.moved(&then), 0.0);
        assert_eq!(veil(&["....", "..##", "..##"]).moved(&then), 0.0, "one cell over");
        assert_eq!(veil(&["", "", "", "", ".....##", ".....##"]).moved(&then), 1.0);
        // A second patch appearing elsewhere while the first stays: nothing left its place.
        let beside = veil(&["....", ".##.", ".##.", "", "", "", "......##", "......##"]);
        assert_eq!(beside.moved(&then), 0.0);
        // Of two patches one stayed and one slid down: a half move.
        let two = veil(&["........", ".##..##.", ".##..##."]);
        let half = beside.moved(&two);
        assert!((half - 0.5).abs() < 1e-9, "{half}");
        // Patches that only shrank in place (the exposure settling) have not moved.
        let wide = veil(&["......", ".####.", ".####.", ".####."]);
        assert_eq!(then.moved(&wide), 0.0);
        assert!((then.share() - 4.0 / 168.0).abs() < 1e-9);
    }
}
