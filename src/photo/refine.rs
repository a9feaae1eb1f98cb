//! The edge at the photo's own resolution: the segmentation answers on a 256×256 grid, so its
//! outline is a blurred staircase a few photo pixels wide. [`refine`] decides that unsure band
//! from the cut's colours (each pixel placed between the sure person's and the sure background's
//! colours near it, so a strand of hair over a bright wall gets its own alpha); [`foreground`]
//! then estimates each edge pixel's own colour without the old background mixed in (Forte and
//! Pitié's blur fusion), so that the blue put behind the hair shows no light or coloured fringe
//! from the room.

use super::segment::Mask;
use crate::FrameView;

/// How far around an unsure pixel the sure person's and background's colours are gathered.
const RADIUS: usize = 6;
/// Beyond this (either way) the mask is sure, and left as it is.
const SURE: f32 = 0.05;
/// The squared colour distance (colours 0–1) at which the person's and the background's colours
/// near a pixel are trusted as much as the mask: alike colours leave the mask's value.
const ALIKE: f64 = 0.01;
/// The radii of the two blur-fusion passes: the first gathers the colours of the wider
/// neighbourhood, the second the near ones.
const FUSION_RADII: [usize; 2] = [40, 4];

/// The mean of `values` (one channel, `w`×`h`) over the (2r + 1)² window around each pixel,
/// the window cut at the picture's borders: running sums along the rows, then down the columns.
pub(crate) fn box_mean(values: &[f64], w: usize, h: usize, r: usize) -> Vec<f64> {
    let mut across = vec![0.0; w * h];
    for (row, out) in values.chunks_exact(w).zip(across.chunks_exact_mut(w)) {
        running_mean(row, out, r);
    }
    let mut out = vec![0.0; w * h];
    let (mut column, mut means) = (vec![0.0; h], vec![0.0; h]);
    for x in 0..w {
        for (y, v) in column.iter_mut().enumerate() {
            *v = across[y * w + x];
        }
        running_mean(&column, &mut means, r);
        for (y, m) in means.iter().enumerate() {
            out[y * w + x] = *m;
        }
    }
    out
}

/// The mean of `line` over the 2r + 1 values around each (fewer at the ends), into `out`.
fn running_mean(line: &[f64], out: &mut [f64], r: usize) {
    let n = line.len();
    let mut sum: f64 = line[..(r + 1).min(n)].iter().sum();
    for (i, slot) in out.iter_mut().enumerate() {
        let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
        *slot = sum / (hi - lo) as f64;
        if i + r + 1 < n {
            sum += line[i + r + 1];
        }
        if i >= r {
            sum -= line[i - r];
        }
    }
}

/// The colour channels of `frame`, each scaled to 0–1.
fn channels(frame: &FrameView<'_>) -> [Vec<f64>; 3] {
    let mut out: [Vec<f64>; 3] = Default::default();
    for y in 0..frame.height() {
        for p in frame.row(y).chunks_exact(4) {
            for k in 0..3 {
                out[k].push(p[k] as f64 / 255.0);
            }
        }
    }
    out
}

/// `mask` (of `cut`, the same size) with its unsure band decided by the cut's colours: each
/// pixel there is placed between the mean colour of the sure person and of the sure background
/// near it (within 6 px) — its alpha the share of the way from the one to the other. Where
/// those two colours are alike the colours say little, and the mask's own value is kept.
pub fn refine(cut: &FrameView<'_>, mask: &Mask) -> Mask {
    let (w, h) = (mask.width as usize, mask.height as usize);
    if (cut.width() as usize, cut.height() as usize) != (w, h) {
        return mask.clone();
    }
    let image = channels(cut);
    let person: Vec<f64> = mask.values.iter().map(|&v| f64::from(u8::from(v >= 1.0 - SURE))).collect();
    let room: Vec<f64> = mask.values.iter().map(|&v| f64::from(u8::from(v <= SURE))).collect();
    let mean = |v: &[f64]| box_mean(v, w, h, RADIUS);
    let (person_share, room_share) = (mean(&person), mean(&room));
    let local = |weights: &[f64], share: &[f64], k: usize| -> Vec<f64> {
        let weighted: Vec<f64> = image[k].iter().zip(weights).map(|(v, w)| v * w).collect();
        mean(&weighted).iter().zip(share).map(|(s, n)| s / n.max(1e-9)).collect()
    };
    let fore: Vec<Vec<f64>> = (0..3).map(|k| local(&person, &person_share, k)).collect();
    let back: Vec<Vec<f64>> = (0..3).map(|k| local(&room, &room_share, k)).collect();
    let values = (0..w * h)
        .map(|i| {
            let m = mask.values[i];
            if m <= SURE || m >= 1.0 - SURE || person_share[i] == 0.0 || room_share[i] == 0.0 {
                return m;
            }
            let d: [f64; 3] = std::array::from_fn(|k| fore[k][i] - back[k][i]);
            let spread = d.iter().map(|v| v * v).sum::<f64>();
            let along = (0..3).map(|k| (image[k][i] - back[k][i]) * d[k]).sum::<f64>();
            let by_colour = (along / spread.max(1e-9)).clamp(0.0, 1.0);
            let trust = spread / (spread + ALIKE);
            (trust * by_colour + (1.0 - trust) * f64::from(m)) as f32
        })
        .collect();
    Mask { width: mask.width, height: mask.height, values }
}

/// Each pixel's own colour (0–255) where the person covers it by `alpha`: the observed colour
/// less the old background's share, the background's and the person's colours near it estimated
/// by blur fusion (twice, wide then near). Where `alpha` is 1 the colour is the pixel's own.
pub fn foreground(cut: &FrameView<'_>, alpha: &Mask) -> [Vec<f64>; 3] {
    let (w, h) = (alpha.width as usize, alpha.height as usize);
    let image = channels(cut);
    let a: Vec<f64> = alpha.values.iter().map(|&v| f64::from(v)).collect();
    let (mut fore, mut back) = (image.clone(), image.clone());
    for r in FUSION_RADII {
        let mean = |v: &[f64]| box_mean(v, w, h, r);
        let blurred_a = mean(&a);
        for k in 0..3 {
            let fa: Vec<f64> = fore[k].iter().zip(&a).map(|(f, a)| f * a).collect();
            let b1a: Vec<f64> = back[k].iter().zip(&a).map(|(b, a)| b * (1.0 - a)).collect();
            let (fa, b1a) = (mean(&fa), mean(&b1a));
            for i in 0..w * h {
                let f = fa[i] / (blurred_a[i] + 1e-5);
                let b = b1a[i] / (1.0 - blurred_a[i] + 1e-5);
                let own = f + a[i] * (image[k][i] - a[i] * f - (1.0 - a[i]) * b);
                fore[k][i] = own.clamp(0.0, 1.0);
                back[k][i] = b.clamp(0.0, 1.0);
            }
        }
    }
    fore.map(|c| c.into_iter().map(|v| v * 255.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    /// A red disc on a green-and-white striped ground, its mask blurred and shifted by 2 px as a
    /// coarse segmentation would give it.
    fn disc() -> (Frame, Mask, Vec<f32>) {
        let (w, h) = (64u32, 64u32);
        let inside = |x: f64, y: f64| ((x - 32.0).powi(2) + (y - 32.0).powi(2)).sqrt() < 16.0;
        let mut data = Vec::new();
        let (mut truth, mut coarse) = (Vec::new(), Vec::new());
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
                let ground = if (x / 3) % 2 == 0 { [40, 200, 40] } else { [240, 240, 240] };
                data.extend(if inside(fx, fy) { [220, 30, 30] } else { ground });
                data.push(255);
                truth.push(f32::from(u8::from(inside(fx, fy))));
                let d = ((fx - 34.0).powi(2) + (fy - 32.0).powi(2)).sqrt() - 16.0;
                coarse.push((0.5 - d / 6.0).clamp(0.0, 1.0) as f32);
            }
        }
        (Frame::from_rgba(data, w, h).unwrap(), Mask { width: w, height: h, values: coarse }, truth)
    }

    fn error(mask: &Mask, truth: &[f32]) -> f32 {
        mask.values.iter().zip(truth).map(|(a, b)| (a - b).abs()).sum::<f32>() / truth.len() as f32
    }

    #[test]
    fn the_refined_outline_follows_the_colours() {
        let (frame, coarse, truth) = disc();
        let refined = refine(&frame.view(), &coarse);
        let (before, after) = (error(&coarse, &truth), error(&refined, &truth));
        eprintln!("mean alpha error {before:.4} → {after:.4}");
        assert!(after < 0.5 * before, "mean alpha error {before:.4} → {after:.4}");
        assert_eq!(refined.at(32, 32), coarse.at(32, 32), "the sure inside is untouched");
        assert_eq!(refined.at(0, 0), coarse.at(0, 0), "the sure outside is untouched");
    }

    #[test]
    fn the_foreground_colour_leaves_the_old_background_out() {
        // The disc's rim, 3 px wide, mixes the red half-and-half with the white ground.
        let (w, h) = (64u32, 64u32);
        let (mut data, mut values) = (Vec::new(), Vec::new());
        for y in 0..h {
            for x in 0..w {
                let d = ((x as f64 + 0.5 - 32.0).powi(2) + (y as f64 + 0.5 - 32.0).powi(2)).sqrt();
                let a = ((17.5 - d) / 3.0).clamp(0.0, 1.0);
                let rgb = [220.0, 30.0, 30.0].map(|red: f64| red * a + 240.0 * (1.0 - a));
                data.extend(rgb.map(|v| v.round() as u8));
                data.push(255);
                values.push(a as f32);
            }
        }
        let frame = Frame::from_rgba(data, w, h).unwrap();
        let alpha = Mask { width: w, height: h, values };
        let fore = foreground(&frame.view(), &alpha);
        let at = |x: u32, y: u32| (y * w + x) as usize;
        assert!((fore[1][at(32, 32)] - 30.0).abs() < 0.5, "the sure inside is its own colour");
        // On the rim (alpha 0.17–0.83) the observed green is 65–205; the person's own is 30.
        let rim: Vec<usize> =
            (0..(w * h) as usize).filter(|&i| (0.15..0.85).contains(&alpha.values[i])).collect();
        assert!(rim.len() > 100, "{}", rim.len());
        let worst = rim.iter().map(|&i| fore[1][i]).fold(0.0, f64::max);
        assert!(worst < 45.0, "the rim's own green is the red's 30, not the white's 240: worst {worst:.1}");
    }
}
