//! Grey images for the decoder: conversion, downscaling, inversion and regions.

use super::Code;
use crate::FrameView;

/// An 8-bit grey image, tightly packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Luma {
    /// One byte a pixel, row after row.
    pub data: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A part of a larger image, with where it came from.
#[derive(Debug, Clone)]
pub struct Region {
    /// The region's pixels.
    pub luma: Luma,
    x0: u32,
    y0: u32,
}

impl Region {
    /// Moves a code found in the region back into the full image's coordinates.
    pub fn to_frame(&self, mut code: Code) -> Code {
        for [x, y] in &mut code.corners {
            *x += self.x0 as f32;
            *y += self.y0 as f32;
        }
        code
    }
}

impl Luma {
    /// The luma plane of an RGBA frame (BT.601, in 8-bit fixed point: this runs on every frame).
    pub fn from_frame(frame: &FrameView<'_>) -> Luma {
        let mut data = Vec::with_capacity(frame.width() as usize * frame.height() as usize);
        for y in 0..frame.height() {
            data.extend(
                frame
                    .row(y)
                    .chunks_exact(4)
                    .map(|p| ((77 * p[0] as u32 + 150 * p[1] as u32 + 29 * p[2] as u32 + 128) >> 8) as u8),
            );
        }
        Luma { data, width: frame.width(), height: frame.height() }
    }

    /// Averages `factor`×`factor` blocks (edges dropped); `None` when that leaves under 16 px.
    pub fn shrink(&self, factor: u32) -> Option<Luma> {
        let (w, h) = (self.width / factor, self.height / factor);
        if factor < 2 || w < 16 || h < 16 {
            return None;
        }
        let f = factor as usize;
        let mut data = Vec::with_capacity(w as usize * h as usize);
        let mut sums = vec![0u32; w as usize];
        for by in 0..h as usize {
            sums.iter_mut().for_each(|s| *s = 0);
            for row in self.data.chunks_exact(self.width as usize).skip(by * f).take(f) {
                for (s, block) in sums.iter_mut().zip(row.chunks_exact(f)) {
                    *s += block.iter().map(|&v| v as u32).sum::<u32>();
                }
            }
            let n = (f * f) as u32;
            data.extend(sums.iter().map(|&s| ((s + n / 2) / n) as u8));
        }
        Some(Luma { data, width: w, height: h })
    }

    /// The negative image (for light codes on dark backgrounds).
    pub fn inverted(&self) -> Luma {
        Luma { data: self.data.iter().map(|v| 255 - v).collect(), ..*self }
    }

    /// Enlarged `factor` times with bilinear interpolation.
    pub fn enlarged(&self, factor: u32) -> Luma {
        let f = factor.max(1);
        let (w, h) = (self.width * f, self.height * f);
        let mut data = Vec::with_capacity(w as usize * h as usize);
        for y in 0..h {
            let sy = ((y as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (self.height - 1) as f32);
            for x in 0..w {
                let sx = ((x as f32 + 0.5) / f as f32 - 0.5).clamp(0.0, (self.width - 1) as f32);
                data.push(self.sample(sx, sy) as u8);
            }
        }
        Luma { data, width: w, height: h }
    }

    /// Surrounded by a white border of `border` pixels: the quiet zone a tight crop lacks.
    pub fn padded(&self, border: u32) -> Luma {
        let w = self.width + 2 * border;
        let mut data = vec![255u8; w as usize * (self.height + 2 * border) as usize];
        for (y, row) in self.data.chunks_exact(self.width as usize).enumerate() {
            let start = (y + border as usize) * w as usize + border as usize;
            data[start..start + row.len()].copy_from_slice(row);
        }
        Luma { data, width: w, height: self.height + 2 * border }
    }

    /// The image averaged over boxes of (2 `radius` + 1)² pixels (edges repeated); a copy when
    /// `radius` is 0.
    pub(super) fn box_blurred(&self, radius: u32) -> Luma {
        let (w, h, r) = (self.width as usize, self.height as usize, radius as usize);
        if r == 0 || w == 0 || h == 0 {
            return self.clone();
        }
        let span = (2 * r + 1) as u32;
        // Along rows, then along columns, each with a running sum over the clamped line.
        fn run(line: &[u8], r: usize, span: u32, out: &mut [u8]) {
            let len = line.len();
            let at = |i: usize| u32::from(line[i.min(len - 1)]);
            let mut sum: u32 = u32::from(line[0]) * r as u32 + (0..=r).map(at).sum::<u32>();
            for (i, o) in out.iter_mut().enumerate() {
                *o = ((sum + span / 2) / span) as u8;
                sum += at(i + r + 1);
                sum -= u32::from(line[i.saturating_sub(r)]);
            }
        }
        let mut rows = vec![0u8; w * h];
        for (line, out) in self.data.chunks_exact(w).zip(rows.chunks_exact_mut(w)) {
            run(line, r, span, out);
        }
        // Columns through a transposed copy, so that each runs over contiguous memory.
        let mut columns = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                columns[x * h + y] = rows[y * w + x];
            }
        }
        let mut blurred = vec![0u8; w * h];
        for (line, out) in columns.chunks_exact(h).zip(blurred.chunks_exact_mut(h)) {
            run(line, r, span, out);
        }
        let mut data = vec![0u8; w * h];
        for x in 0..w {
            for y in 0..h {
                data[y * w + x] = blurred[x * h + y];
            }
        }
        Luma { data, width: self.width, height: self.height }
    }

    /// Bilinear sample at (`x`, `y`), which must lie inside the image.
    pub(super) fn sample(&self, x: f32, y: f32) -> f32 {
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(self.width - 1), (y0 + 1).min(self.height - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |x: u32, y: u32| self.data[(y * self.width + x) as usize] as f32;
        let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
        let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// The box `bounds` (x0, y0, x1, y1) grown by `margin` × its size on each side, clipped;
    /// `None` when that is most of the image anyway or too small to hold a code.
    pub fn region_around(&self, (x0, y0, x1, y1): (f32, f32, f32, f32), margin: f32) -> Option<Region> {
        let (mx, my) = ((x1 - x0) * margin, (y1 - y0) * margin);
        let left = (x0 - mx).max(0.0) as u32;
        let top = (y0 - my).max(0.0) as u32;
        let right = ((x1 + mx).max(0.0) as u32).min(self.width);
        let bottom = ((y1 + my).max(0.0) as u32).min(self.height);
        let (w, h) = (right.saturating_sub(left), bottom.saturating_sub(top));
        if w < 21 || h < 21 || (w * h) as f32 > 0.6 * (self.width * self.height) as f32 {
            return None;
        }
        let mut data = Vec::with_capacity((w * h) as usize);
        for row in self.data.chunks_exact(self.width as usize).skip(top as usize).take(h as usize) {
            data.extend_from_slice(&row[left as usize..right as usize]);
        }
        Some(Region { luma: Luma { data, width: w, height: h }, x0: left, y0: top })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(w: u32, h: u32) -> Luma {
        Luma { data: (0..w * h).map(|i| (i % 256) as u8).collect(), width: w, height: h }
    }

    #[test]
    fn shrink_averages_blocks_and_refuses_tiny_results() {
        let img = Luma { data: [0u8, 100].repeat(32 * 32 / 2), width: 32, height: 32 };
        let half = img.shrink(2).unwrap();
        assert_eq!((half.width, half.height), (16, 16));
        assert!(half.data.iter().all(|&v| v == 50));
        assert!(img.shrink(4).is_none(), "8×8 is too small for a code");
        assert!(img.shrink(1).is_none());
    }

    #[test]
    fn fixed_point_luma_matches_bt601() {
        let data = [255, 255, 255, 255, 0, 0, 0, 255, 200, 100, 50, 255];
        let l = Luma::from_frame(&FrameView::rgba(&data, 3, 1).unwrap());
        assert_eq!(l.data[..2], [255, 0]);
        assert!((l.data[2] as f32 - crate::frame::luma(200, 100, 50)).abs() <= 1.0);
    }

    #[test]
    fn inverted_is_the_negative() {
        let img = ramp(4, 4);
        assert!(img.inverted().data.iter().zip(&img.data).all(|(a, b)| a + b == 255));
    }

    #[test]
    fn regions_clip_and_map_back() {
        let img = ramp(200, 100);
        let region = img.region_around((100.0, 40.0, 140.0, 80.0), 0.5).unwrap();
        assert_eq!((region.luma.width, region.luma.height), (80, 80), "x 80..160, y 20..100");
        assert_eq!(region.luma.data[0], img.data[20 * 200 + 80]);
        let code = Code { text: String::new(), corners: [[1.0, 2.0]; 4] };
        assert_eq!(region.to_frame(code).corners[0], [81.0, 22.0]);
        assert!(img.region_around((0.0, 0.0, 190.0, 95.0), 0.5).is_none(), "most of the image");
        assert!(img.region_around((10.0, 10.0, 12.0, 12.0), 0.5).is_none(), "too small");
    }
}
