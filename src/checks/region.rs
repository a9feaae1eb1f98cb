//! Regions of the face as polygons over the mesh, and the pixels inside them.
//!
//! A region is filled scanline by scanline (pixel centres, even-odd rule), so measuring a region
//! costs one pass over its pixels, not a point-in-polygon test per pixel.

use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// The face oval of the mesh, as a polygon.
pub fn oval(face: &Face) -> Polygon {
    Polygon(face.measures.contour.iter().map(|p| [p[0] as f64, p[1] as f64]).collect())
}

/// A polygon in frame pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon(pub Vec<[f64; 2]>);

impl Polygon {
    /// The polygon through the given mesh points, in order.
    pub fn of_mesh(mesh: &[[f32; 3]], indices: &[usize]) -> Polygon {
        Polygon(indices.iter().filter_map(|&i| mesh.get(i)).map(|p| [p[0] as f64, p[1] as f64]).collect())
    }

    /// An axis-aligned rectangle.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
        Polygon(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    }

    /// Whether (`x`, `y`) lies inside (even-odd rule).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let poly = &self.0;
        if poly.len() < 3 {
            return false;
        }
        let mut inside = false;
        let mut j = poly.len() - 1;
        for i in 0..poly.len() {
            let ([xi, yi], [xj, yj]) = (poly[i], poly[j]);
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// The part of the polygon with `x` below (`left`) or above `split`, as a new polygon: the
    /// polygon clipped by a vertical line.
    pub fn clip_x(&self, split: f64, left: bool) -> Polygon {
        self.clip(
            |p| if left { split - p[0] } else { p[0] - split },
            |a, b| {
                let t = (split - a[0]) / (b[0] - a[0]);
                [split, a[1] + t * (b[1] - a[1])]
            },
        )
    }

    /// The part of the polygon above (`upper`, smaller `y`) or below the horizontal line `split`.
    pub fn clip_y(&self, split: f64, upper: bool) -> Polygon {
        self.clip(
            |p| if upper { split - p[1] } else { p[1] - split },
            |a, b| {
                let t = (split - a[1]) / (b[1] - a[1]);
                [a[0] + t * (b[0] - a[0]), split]
            },
        )
    }

    /// Sutherland–Hodgman against one half-plane: `keep(p) ≥ 0` inside, `cross` the edge's
    /// intersection with the boundary.
    fn clip(
        &self,
        keep: impl Fn([f64; 2]) -> f64,
        cross: impl Fn([f64; 2], [f64; 2]) -> [f64; 2],
    ) -> Polygon {
        let mut out = Vec::with_capacity(self.0.len() + 2);
        for (i, &b) in self.0.iter().enumerate() {
            let a = self.0[(i + self.0.len() - 1) % self.0.len()];
            let (ina, inb) = (keep(a) >= 0.0, keep(b) >= 0.0);
            if inb {
                if !ina {
                    out.push(cross(a, b));
                }
                out.push(b);
            } else if ina {
                out.push(cross(a, b));
            }
        }
        Polygon(out)
    }

    /// Bounding box `(x0, y0, x1, y1)`.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        self.0.iter().fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |(a, b, c, d), p| {
            (a.min(p[0]), b.min(p[1]), c.max(p[0]), d.max(p[1]))
        })
    }

    /// Calls `f(x, y, pixel)` for every frame pixel whose centre lies inside.
    pub fn for_each_pixel(&self, frame: &FrameView<'_>, mut f: impl FnMut(u32, u32, [u8; 4])) {
        if self.0.len() < 3 {
            return;
        }
        let (_, y0, _, y1) = self.bounds();
        let (w, h) = (frame.width(), frame.height());
        let first = (y0 - 0.5).ceil().max(0.0) as u32;
        let last = ((y1 - 0.5).floor()).min(h as f64 - 1.0);
        if last < first as f64 {
            return;
        }
        let mut crossings = Vec::with_capacity(8);
        for y in first..=last as u32 {
            let cy = y as f64 + 0.5;
            crossings.clear();
            let mut j = self.0.len() - 1;
            for i in 0..self.0.len() {
                let ([xi, yi], [xj, yj]) = (self.0[i], self.0[j]);
                if (yi > cy) != (yj > cy) {
                    crossings.push((xj - xi) * (cy - yi) / (yj - yi) + xi);
                }
                j = i;
            }
            crossings.sort_by(f64::total_cmp);
            let row = frame.row(y);
            for span in crossings.chunks_exact(2) {
                let a = (span[0] - 0.5).ceil().max(0.0) as u32;
                let b = ((span[1] - 0.5).ceil() - 1.0).min(w as f64 - 1.0);
                if b < a as f64 {
                    continue;
                }
                for x in a..=b as u32 {
                    let i = 4 * x as usize;
                    f(x, y, [row[i], row[i + 1], row[i + 2], row[i + 3]]);
                }
            }
        }
    }

    /// Luma statistics of the pixels inside.
    pub fn luma_stats(&self, frame: &FrameView<'_>) -> LumaStats {
        let mut s = LumaStats::default();
        self.for_each_pixel(frame, |_, _, p| s.add(luma(p[0], p[1], p[2])));
        s
    }
}

/// The `q` quantile (0–1) of `count` values held as a histogram of whole levels 0–255: the
/// level of the value of rank `round((count − 1) · q)`, without a sort.
pub fn level_quantile(levels: &[u32; 256], count: u32, q: f64) -> f64 {
    let rank = (count.saturating_sub(1) as f64 * q).round() as u32;
    let mut seen = 0;
    levels
        .iter()
        .position(|&n| {
            seen += n;
            seen > rank
        })
        .unwrap_or(255) as f64
}

/// Count, mean and a 32-bin histogram of luma.
#[derive(Debug, Clone, PartialEq)]
pub struct LumaStats {
    /// Pixels counted.
    pub count: u32,
    /// Sum of their luma.
    pub sum: f64,
    /// Luma histogram, 8 levels per bin.
    pub histogram: [u32; 32],
}

impl Default for LumaStats {
    fn default() -> Self {
        LumaStats { count: 0, sum: 0.0, histogram: [0; 32] }
    }
}

impl LumaStats {
    /// Counts one pixel's luma.
    pub fn add(&mut self, l: f32) {
        self.count += 1;
        self.sum += l as f64;
        self.histogram[(l.clamp(0.0, 255.0) as usize) / 8] += 1;
    }

    /// Mean luma, 0–255 (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// The luma below which the share `q` of the pixels lie, from the histogram (bin centres).
    pub fn quantile(&self, q: f64) -> f64 {
        let target = q * self.count as f64;
        let mut seen = 0.0;
        for (i, &n) in self.histogram.iter().enumerate() {
            seen += n as f64;
            if seen >= target && n > 0 {
                return 8.0 * i as f64 + 4.0;
            }
        }
        255.0
    }

    /// As [`LumaStats::quantile`], spread evenly through each bin rather than at its centre: a
    /// measure that moves smoothly with the light.
    pub fn quantile_smooth(&self, q: f64) -> f64 {
        let target = q * self.count as f64;
        let mut seen = 0.0;
        for (i, &n) in self.histogram.iter().enumerate() {
            if n > 0 && seen + n as f64 >= target {
                return 8.0 * (i as f64 + ((target - seen) / n as f64).clamp(0.0, 1.0));
            }
            seen += n as f64;
        }
        255.0
    }

    /// Histogram intersection with `other`, each normalised to sum 1: 1 for identical
    /// distributions, 0 for disjoint ones.
    pub fn intersection(&self, other: &LumaStats) -> f64 {
        if self.count == 0 || other.count == 0 {
            return 0.0;
        }
        let (a, b) = (self.count as f64, other.count as f64);
        self.histogram.iter().zip(&other.histogram).map(|(&x, &y)| (x as f64 / a).min(y as f64 / b)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    #[test]
    fn point_in_polygon() {
        let square = Polygon::rect(0.0, 0.0, 10.0, 10.0);
        assert!(square.contains(5.0, 5.0) && !square.contains(15.0, 5.0));
        let triangle = Polygon(vec![[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]);
        assert!(triangle.contains(2.0, 2.0) && !triangle.contains(8.0, 8.0));
    }

    #[test]
    fn scanline_fill_visits_exactly_the_pixels_inside() {
        let frame = Frame::filled(20, 20, [10, 10, 10, 255]);
        let triangle = Polygon(vec![[1.0, 1.0], [17.0, 3.0], [4.0, 18.0]]);
        let mut filled = Vec::new();
        triangle.for_each_pixel(&frame.view(), |x, y, _| filled.push((x, y)));
        let tested: Vec<_> = (0..20)
            .flat_map(|y| (0..20).map(move |x| (x, y)))
            .filter(|&(x, y)| triangle.contains(x as f64 + 0.5, y as f64 + 0.5))
            .collect();
        assert_eq!(filled, tested);
        let mut outside = 0;
        Polygon::rect(-5.0, -5.0, 3.0, 30.0).for_each_pixel(&frame.view(), |_, _, _| outside += 1);
        assert_eq!(outside, 3 * 20, "clipped to the frame");
    }

    #[test]
    fn clipping_splits_a_square_in_halves() {
        let square = Polygon::rect(0.0, 0.0, 10.0, 10.0);
        let (_, _, x1, _) = square.clip_x(4.0, true).bounds();
        let (x0, _, _, _) = square.clip_x(4.0, false).bounds();
        assert_eq!((x1, x0), (4.0, 4.0));
        let (_, _, _, y1) = square.clip_y(7.0, true).bounds();
        assert_eq!(y1, 7.0);
    }

    #[test]
    fn histogram_intersection_and_quantiles() {
        let (mut a, mut b) = (LumaStats::default(), LumaStats::default());
        for l in 0..100 {
            a.add(l as f32);
            b.add(l as f32 + 128.0);
        }
        assert!((a.intersection(&a) - 1.0).abs() < 1e-9);
        assert_eq!(a.intersection(&b), 0.0);
        assert!((a.mean() - 49.5).abs() < 1e-9);
        assert_eq!(a.quantile(0.5), 52.0);
    }
}
