//! Periodic patterns in the face: the pixel grid of a screen (and the moiré it makes with the
//! camera's own grid) and the dot screen of a print put narrow peaks into the spectrum of the
//! skin; a live face's spectrum falls off smoothly with frequency.

use crate::face::landmarks::{NOSE_BRIDGE, NOSE_TIP};
use crate::face::Face;
use crate::frame::luma;
use crate::FrameView;

/// Smallest and largest side of the square patch transformed, pixels (powers of two).
const SIDES: [usize; 2] = [32, 128];

/// The strongest periodic peak in the skin of `face`: the largest ratio of a frequency's power to
/// the median power at the same distance from the centre of the spectrum, over the upper three
/// quarters of the frequencies. Around 10–30 for a live face; screens and prints give hundreds.
/// `None` when the face is too small or leaves the frame.
pub fn peak(frame: &FrameView<'_>, face: &Face) -> Option<f64> {
    let patch = skin_patch(frame, face)?;
    let n = (patch.len() as f64).sqrt() as usize;
    let power = power_spectrum(patch, n);
    Some(peak_ratio(&power, n))
}

/// The luma of a square of skin (cheek to cheek, eyes to mouth), mean removed, under a Hann window.
fn skin_patch(frame: &FrameView<'_>, face: &Face) -> Option<Vec<f32>> {
    let m = &face.mesh;
    let width = face.width() as f64;
    let side = (width * 0.55).max(1.0);
    let mut n = SIDES[0];
    while n * 2 <= side as usize && n * 2 <= SIDES[1] {
        n *= 2;
    }
    if side < SIDES[0] as f64 {
        return None;
    }
    // Centred between the nose tip and the point between the eyes: cheeks, nose and under-eyes.
    let (cx, cy) = (
        (m[NOSE_TIP][0] + m[NOSE_BRIDGE][0]) as f64 / 2.0,
        (m[NOSE_TIP][1] + m[NOSE_BRIDGE][1]) as f64 / 2.0,
    );
    let (x0, y0) = ((cx - n as f64 / 2.0).round(), (cy - n as f64 / 2.0).round());
    let (w, h) = (frame.width() as f64, frame.height() as f64);
    if x0 < 0.0 || y0 < 0.0 || x0 + n as f64 > w || y0 + n as f64 > h {
        return None;
    }
    let (x0, y0) = (x0 as usize, y0 as usize);
    let mut patch = Vec::with_capacity(n * n);
    for y in 0..n {
        let row = frame.row((y0 + y) as u32);
        for x in 0..n {
            let i = 4 * (x0 + x);
            patch.push(luma(row[i], row[i + 1], row[i + 2]));
        }
    }
    let mean = patch.iter().sum::<f32>() / patch.len() as f32;
    let hann: Vec<f32> =
        (0..n).map(|i| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / n as f32).cos()).collect();
    for (i, v) in patch.iter_mut().enumerate() {
        *v = (*v - mean) * hann[i / n] * hann[i % n];
    }
    Some(patch)
}

/// |FFT|² of the `n`×`n` real image `values`, row-major, frequencies 0..n on each axis.
fn power_spectrum(values: Vec<f32>, n: usize) -> Vec<f32> {
    let mut re = values;
    let mut im = vec![0.0f32; n * n];
    let (mut row_re, mut row_im) = (vec![0.0f32; n], vec![0.0f32; n]);
    for pass in 0..2 {
        for k in 0..n {
            // Rows on the first pass, columns on the second.
            let at = |i: usize| if pass == 0 { k * n + i } else { i * n + k };
            for i in 0..n {
                row_re[i] = re[at(i)];
                row_im[i] = im[at(i)];
            }
            fft(&mut row_re, &mut row_im);
            for i in 0..n {
                re[at(i)] = row_re[i];
                im[at(i)] = row_im[i];
            }
        }
    }
    re.iter().zip(&im).map(|(r, i)| r * r + i * i).collect()
}

/// In-place radix-2 FFT of a power-of-two length.
fn fft(re: &mut [f32], im: &mut [f32]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    // The twiddle factors e^(−2πik/n), once; a stage of length `len` uses every (n/len)-th.
    let twiddles: Vec<(f32, f32)> =
        (0..n / 2).map(|k| (-2.0 * std::f32::consts::PI * k as f32 / n as f32).sin_cos()).collect();
    let mut len = 2;
    while len <= n {
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (s, c) = twiddles[k * stride];
                let (a, b) = (start + k, start + k + len / 2);
                let (tr, ti) = (re[b] * c - im[b] * s, re[b] * s + im[b] * c);
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len <<= 1;
    }
}

/// The largest ratio of a bin's power to the median of its ring, for rings from n/8 to n/2.
fn peak_ratio(power: &[f32], n: usize) -> f64 {
    let half = n as i64 / 2;
    let (inner, outer) = (n / 8, n / 2);
    let mut rings: Vec<Vec<(f32, usize)>> = vec![Vec::new(); outer + 1];
    // One half-plane: the spectrum of a real image is symmetric.
    for v in 0..=half {
        for u in -half + 1..=half {
            if v == 0 && u <= 0 {
                continue;
            }
            let r = ((u * u + v * v) as f64).sqrt().round() as usize;
            if (inner..=outer).contains(&r) {
                let index = (v as usize % n) * n + (u.rem_euclid(n as i64) as usize);
                rings[r].push((power[index], index));
            }
        }
    }
    let mut best = 0.0f64;
    for ring in rings.iter_mut().filter(|r| r.len() >= 8) {
        let mut values: Vec<f32> = ring.iter().map(|(p, _)| *p).collect();
        values.sort_by(f32::total_cmp);
        let median = values[values.len() / 2].max(1e-6) as f64;
        best = best.max(*values.last().unwrap_or(&0.0) as f64 / median);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fft_finds_a_pure_tone_in_its_bin() {
        let n = 32;
        let mut re: Vec<f32> =
            (0..n).map(|i| (2.0 * std::f32::consts::PI * 5.0 * i as f32 / n as f32).cos()).collect();
        let mut im = vec![0.0; n];
        fft(&mut re, &mut im);
        let power: Vec<f32> = re.iter().zip(&im).map(|(r, i)| r * r + i * i).collect();
        let top = power.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert!(top == 5 || top == n - 5, "{top}");
        assert!((power[5] - (n * n / 4) as f32).abs() < 1e-2);
    }

    #[test]
    fn a_grid_peaks_and_noise_does_not() {
        let n = 64;
        let mut seed = 7u32;
        let mut noise = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as f32 / 65536.0 - 0.5
        };
        let noisy: Vec<f32> = (0..n * n).map(|_| noise()).collect();
        let grid: Vec<f32> =
            (0..n * n).map(|i| noise() * 0.2 + if (i % n) % 3 == 0 { 1.0 } else { 0.0 }).collect();
        let noise_peak = peak_ratio(&power_spectrum(noisy, n), n);
        let grid_peak = peak_ratio(&power_spectrum(grid, n), n);
        assert!(noise_peak < 20.0, "{noise_peak}");
        assert!(grid_peak > 100.0, "{grid_peak}");
    }
}
