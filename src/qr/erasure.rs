//! Reading a located code where part of it cannot be seen: a lamp's reflection that clips a patch
//! to white, a thumb or a sticker over it. Such a patch is flat — every module there has the same
//! grey as its neighbours, which a code's modules almost never have — so its modules are marked
//! unknown instead of being read as light or dark. A codeword with an unknown module is an
//! erasure for Reed–Solomon, which corrects twice as many erasures as errors (a block with `2t`
//! check codewords corrects `e` errors and `f` erasures while `2e + f ≤ 2t`).
//!
//! The grid is read here (format, mask, codeword order, blocks), each block corrected with its
//! erasures, and the data handed to the reader's bit-stream parser. Two check codewords of every
//! block are always kept spare, so a wrong correction is caught rather than read as text.

use rxing::common::BitMatrix;
use rxing::qrcode::common::{ErrorCorrectionLevel, Version};
use rxing::qrcode::cpp_port::decoder::DecodeBitStream;

/// A module is unknown when the grey over its 3×3 modules spans less than this share of the
/// code's contrast (random data makes such a flat 3×3 patch once in 256).
const FLAT: f32 = 0.25;
/// Check codewords of every block left unused by the correction, to catch a wrong one.
const SPARE: usize = 2;
/// Each known module is compared with the mean of the known modules up to this far around it.
const WINDOW: i32 = 3;

/// Reads an `n`×`n` grid of grey module values (row by row), with its flat patches as erasures;
/// the text, or `None`.
pub fn decode(grey: &[f32], n: u32) -> Option<String> {
    let size = n as usize;
    if n < 21 || grey.len() != size * size {
        return None;
    }
    let unknown = flat_modules(grey, size);
    if !unknown.iter().any(|&u| u) {
        return None;
    }
    let bits = threshold_known(grey, &unknown, size)?;
    let version = Version::getVersionForNumber((n - 17) / 4).ok()?;
    let (ec, mask) = read_format(&bits, n)?;
    let (codewords, erased) = read_codewords(&bits, &unknown, version, mask)?;
    let blocks = version.getECBlocksForLevel(ec);
    let check = blocks.getECCodewordsPerBlock() as usize;
    let lengths: Vec<usize> = blocks
        .getECBlocks()
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.getDataCodewords() as usize, b.getCount() as usize))
        .collect();
    let mut data = Vec::new();
    for (block, (mut words, erasures)) in
        deinterleave(&codewords, &erased, &lengths, check).into_iter().enumerate()
    {
        correct(&mut words, check, &erasures)?;
        data.extend_from_slice(&words[..lengths[block]]);
    }
    let text = DecodeBitStream(&data, version, ec).ok()?.text();
    (!text.is_empty()).then_some(text)
}

/// The modules whose 3×3 neighbourhood is flat.
fn flat_modules(grey: &[f32], n: usize) -> Vec<bool> {
    // The 10th and 90th percentiles, from a histogram of the grey levels.
    let mut histogram = [0usize; 256];
    for &g in grey {
        histogram[g.clamp(0.0, 255.0) as usize] += 1;
    }
    let level = |share: usize| {
        let mut seen = 0;
        histogram.iter().position(|&c| {
            seen += c;
            seen * 10 > grey.len() * share
        })
    };
    let contrast = level(9).unwrap_or(255) as f32 - level(1).unwrap_or(0) as f32;
    if contrast <= 0.0 {
        return vec![false; grey.len()];
    }
    (0..n * n)
        .map(|i| {
            let (x, y) = ((i % n) as i32, (i / n) as i32);
            let (mut low, mut high) = (f32::MAX, f32::MIN);
            for yy in (y - 1).max(0)..=(y + 1).min(n as i32 - 1) {
                for xx in (x - 1).max(0)..=(x + 1).min(n as i32 - 1) {
                    let g = grey[yy as usize * n + xx as usize];
                    (low, high) = (low.min(g), high.max(g));
                }
            }
            high - low < FLAT * contrast
        })
        .collect()
}

/// Dark modules: each known one darker than the mean of the known modules around it (unknown
/// ones are left light; their codewords are erased anyway).
fn threshold_known(grey: &[f32], unknown: &[bool], n: usize) -> Option<BitMatrix> {
    let mut bits = BitMatrix::new(n as u32, n as u32).ok()?;
    let size = n as i32;
    for y in 0..size {
        for x in 0..size {
            let i = (y * size + x) as usize;
            if unknown[i] {
                continue;
            }
            let (mut sum, mut count) = (0.0, 0.0);
            for yy in (y - WINDOW).max(0)..=(y + WINDOW).min(size - 1) {
                for xx in (x - WINDOW).max(0)..=(x + WINDOW).min(size - 1) {
                    let j = (yy * size + xx) as usize;
                    if !unknown[j] {
                        sum += grey[j];
                        count += 1.0;
                    }
                }
            }
            if grey[i] < sum / count {
                bits.set(x as u32, y as u32);
            }
        }
    }
    Some(bits)
}

/// The error-correction level and data mask from the format information's two copies (the
/// nearest of the 32 valid words, at most 3 bits off).
fn read_format(bits: &BitMatrix, n: u32) -> Option<(ErrorCorrectionLevel, u8)> {
    let push = |acc: u32, x: u32, y: u32| (acc << 1) | u32::from(bits.get(x, y));
    let mut first = 0;
    for x in 0..6 {
        first = push(first, x, 8);
    }
    first = push(push(push(first, 7, 8), 8, 8), 8, 7);
    for y in (0..6).rev() {
        first = push(first, 8, y);
    }
    let mut second = 0;
    for y in (n - 7..n).rev() {
        second = push(second, 8, y);
    }
    for x in n - 8..n {
        second = push(second, x, 8);
    }
    let (distance, data) = (0..32u32)
        .map(|data| {
            // BCH(15, 5) with the generator x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1, masked by 0x5412.
            let mut rest = data << 10;
            for bit in (10..15).rev() {
                if rest & (1 << bit) != 0 {
                    rest ^= 0x537 << (bit - 10);
                }
            }
            let word = ((data << 10) | rest) ^ 0x5412;
            (((word ^ first).count_ones()).min((word ^ second).count_ones()), data)
        })
        .min()?;
    if distance > 3 {
        return None;
    }
    Some((ErrorCorrectionLevel::forBits((data >> 3) as u8).ok()?, (data & 7) as u8))
}

/// The blocks of `codewords` (data of `lengths`, `check` check codewords each, interleaved as
/// QR places them), each with the positions of its erased codewords.
fn deinterleave(
    codewords: &[u8],
    erased: &[u8],
    lengths: &[usize],
    check: usize,
) -> Vec<(Vec<u8>, Vec<usize>)> {
    let mut blocks: Vec<(Vec<u8>, Vec<usize>)> = lengths.iter().map(|_| (Vec::new(), Vec::new())).collect();
    let longest = lengths.iter().copied().max().unwrap_or(0);
    let order = (0..longest)
        .flat_map(|i| (0..lengths.len()).filter(move |&b| i < lengths[b]))
        .chain((0..check).flat_map(|_| 0..lengths.len()));
    for ((b, &word), &lost) in order.zip(codewords).zip(erased) {
        let (words, erasures) = &mut blocks[b];
        if lost != 0 {
            erasures.push(words.len());
        }
        words.push(word);
    }
    blocks
}

/// Whether the data mask `mask` flips the module in row `y`, column `x`.
fn masked(mask: u8, x: u32, y: u32) -> bool {
    match mask {
        0 => (x + y) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (x + y) % 3 == 0,
        4 => (y / 2 + x / 3) % 2 == 0,
        5 => (x * y) % 2 + (x * y) % 3 == 0,
        6 => ((x * y) % 2 + (x * y) % 3) % 2 == 0,
        _ => ((x + y) % 2 + (x * y) % 3) % 2 == 0,
    }
}

/// The codewords in placement order, and for each whether one of its modules is unknown (1).
fn read_codewords(
    bits: &BitMatrix,
    unknown: &[bool],
    version: &Version,
    mask: u8,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let function = version.buildFunctionPattern().ok()?;
    let n = bits.getHeight();
    let (mut words, mut erased) = (Vec::new(), Vec::new());
    let (mut byte, mut lost, mut count) = (0u8, false, 0);
    let mut up = true;
    let mut x = n as i32 - 1;
    while x > 0 {
        if x == 6 {
            x -= 1;
        }
        for row in 0..n {
            let y = if up { n - 1 - row } else { row };
            for col in 0..2 {
                let xx = (x - col) as u32;
                if function.get(xx, y) {
                    continue;
                }
                byte = (byte << 1) | u8::from(bits.get(xx, y) != masked(mask, xx, y));
                lost |= unknown[(y * n + xx) as usize];
                count += 1;
                if count % 8 == 0 {
                    words.push(std::mem::take(&mut byte));
                    erased.push(u8::from(std::mem::take(&mut lost)));
                }
            }
        }
        up = !up;
        x -= 2;
    }
    words.truncate(version.getTotalCodewords() as usize);
    erased.truncate(words.len());
    (words.len() == version.getTotalCodewords() as usize).then_some((words, erased))
}

/// GF(256) with QR's polynomial x⁸ + x⁴ + x³ + x² + 1: exponents and logarithms of α = 2.
struct Field {
    exp: [u8; 512],
    log: [u8; 256],
}

impl Field {
    fn new() -> Field {
        let (mut exp, mut log) = ([0u8; 512], [0u8; 256]);
        let mut v: u16 = 1;
        for (i, e) in exp.iter_mut().enumerate().take(255) {
            *e = v as u8;
            log[v as usize] = i as u8;
            v <<= 1;
            if v & 0x100 != 0 {
                v ^= 0x11d;
            }
        }
        for i in 255..512 {
            exp[i] = exp[i - 255];
        }
        Field { exp, log }
    }

    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[self.log[a as usize] as usize + self.log[b as usize] as usize]
        }
    }

    fn div(&self, a: u8, b: u8) -> u8 {
        if a == 0 {
            0
        } else {
            self.exp[(self.log[a as usize] as usize + 255 - self.log[b as usize] as usize) % 255]
        }
    }

    /// α to the power `p` (any integer).
    fn alpha(&self, p: i64) -> u8 {
        self.exp[p.rem_euclid(255) as usize]
    }

    /// Evaluates `poly` (highest degree first) at `x`.
    fn eval(&self, poly: &[u8], x: u8) -> u8 {
        poly.iter().fold(0, |acc, &c| self.mul(acc, x) ^ c)
    }

    /// The product of two polynomials (highest degree first).
    fn product(&self, a: &[u8], b: &[u8]) -> Vec<u8> {
        let mut out = vec![0; a.len() + b.len() - 1];
        for (i, &x) in a.iter().enumerate() {
            for (j, &y) in b.iter().enumerate() {
                out[i + j] ^= self.mul(x, y);
            }
        }
        out
    }
}

/// Corrects one block in place (`check` check codewords at its end), with the codewords at
/// `erasures` unknown; `None` when it cannot be corrected with [`SPARE`] check codewords left.
fn correct(words: &mut [u8], check: usize, erasures: &[usize]) -> Option<()> {
    let gf = Field::new();
    let len = words.len();
    if erasures.len() + SPARE > check {
        return None;
    }
    for &e in erasures {
        words[e] = 0;
    }
    let syndromes: Vec<u8> = (0..check).map(|j| gf.eval(words, gf.alpha(j as i64))).collect();
    if syndromes.iter().all(|&s| s == 0) {
        return Some(());
    }
    // The syndromes with the erasures' known positions taken out (Forney syndromes).
    let mut forney = syndromes.clone();
    for &e in erasures {
        let x = gf.alpha((len - 1 - e) as i64);
        for j in 0..forney.len() - 1 {
            forney[j] = gf.mul(forney[j], x) ^ forney[j + 1];
        }
    }
    // Berlekamp–Massey on them: the errors' locator (lowest degree last).
    let f = erasures.len();
    let (mut locator, mut old) = (vec![1u8], vec![1u8]);
    for i in 0..check - f {
        let mut delta = forney[i];
        for j in 1..locator.len().min(i + 1) {
            delta ^= gf.mul(locator[locator.len() - 1 - j], forney[i - j]);
        }
        old.push(0);
        if delta != 0 {
            if old.len() > locator.len() {
                let grown: Vec<u8> = old.iter().map(|&c| gf.mul(c, delta)).collect();
                old = locator.iter().map(|&c| gf.div(c, delta)).collect();
                locator = grown;
            }
            let scaled: Vec<u8> = old.iter().map(|&c| gf.mul(c, delta)).collect();
            let pad = locator.len().max(scaled.len());
            let mut sum = vec![0u8; pad];
            for (k, &c) in locator.iter().enumerate() {
                sum[pad - locator.len() + k] ^= c;
            }
            for (k, &c) in scaled.iter().enumerate() {
                sum[pad - scaled.len() + k] ^= c;
            }
            locator = sum;
        }
    }
    let start = locator.iter().position(|&c| c != 0)?;
    let locator = &locator[start..];
    let errors = locator.len() - 1;
    if 2 * errors + f + SPARE > check {
        return None;
    }
    // Chien search: where the errors are.
    let reversed: Vec<u8> = locator.iter().rev().copied().collect();
    let mut positions: Vec<usize> =
        (0..len).filter(|&i| gf.eval(&reversed, gf.alpha(i as i64)) == 0).map(|i| len - 1 - i).collect();
    if positions.len() != errors {
        return None;
    }
    positions.extend_from_slice(erasures);
    // Forney: the magnitudes at every errata position.
    let coefficient: Vec<i64> = positions.iter().map(|&p| (len - 1 - p) as i64).collect();
    let mut errata = vec![1u8];
    for &c in &coefficient {
        errata = gf.product(&errata, &[gf.alpha(c), 1]);
    }
    // Ω(x) = S(x)·Λ(x) mod x^check, with S(x) = S0 + S1 x + …
    let s_low: Vec<u8> = syndromes.clone();
    let lambda_low: Vec<u8> = errata.iter().rev().copied().collect();
    let mut omega = vec![0u8; check];
    for (i, &s) in s_low.iter().enumerate() {
        for (j, &l) in lambda_low.iter().enumerate() {
            if i + j < check {
                omega[i + j] ^= gf.mul(s, l);
            }
        }
    }
    let omega_high: Vec<u8> = omega.iter().rev().copied().collect();
    for (k, &c) in coefficient.iter().enumerate() {
        let x_inv = gf.alpha(-c);
        let mut derivative = 1u8;
        for (m, &other) in coefficient.iter().enumerate() {
            if m != k {
                derivative = gf.mul(derivative, 1 ^ gf.mul(x_inv, gf.alpha(other)));
            }
        }
        // With the first root at α⁰ the magnitude is Ω(X⁻¹) over the other factors at X⁻¹.
        let y = gf.eval(&omega_high, x_inv);
        if derivative == 0 {
            return None;
        }
        words[positions[k]] ^= gf.div(y, derivative);
    }
    (0..check).all(|j| gf.eval(words, gf.alpha(j as i64)) == 0).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Reed–Solomon block: `data` followed by its `check` codewords (generator roots α⁰…).
    fn encoded(data: &[u8], check: usize) -> Vec<u8> {
        let gf = Field::new();
        let mut generator = vec![1u8];
        for j in 0..check {
            generator = gf.product(&generator, &[1, gf.alpha(j as i64)]);
        }
        let mut remainder: Vec<u8> = data.iter().copied().chain(std::iter::repeat_n(0, check)).collect();
        for i in 0..data.len() {
            let c = remainder[i];
            if c != 0 {
                for (k, &g) in generator.iter().enumerate() {
                    remainder[i + k] ^= gf.mul(g, c);
                }
            }
        }
        data.iter().copied().chain(remainder[data.len()..].iter().copied()).collect()
    }

    #[test]
    fn erasures_and_errors_are_corrected_within_the_spare_margin() {
        let data: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        let block = encoded(&data, 10);
        // 4 erasures and 2 errors: 2·2 + 4 = 8 = 10 − SPARE.
        let mut damaged = block.clone();
        for &i in &[0usize, 3, 7, 20] {
            damaged[i] ^= 0x5a;
        }
        damaged[5] ^= 0x11;
        damaged[12] ^= 0xff;
        assert_eq!(correct(&mut damaged, 10, &[0, 3, 7, 20]), Some(()));
        assert_eq!(damaged, block);
        // Without being told the erasures, six errors are beyond ten check codewords.
        let mut blind = block.clone();
        for &i in &[0usize, 3, 7, 20, 5, 12] {
            blind[i] ^= 0x33;
        }
        assert_ne!(correct(&mut blind, 10, &[]).map(|_| blind.clone()), Some(block.clone()));
        // Erasures alone up to the margin; one more is refused.
        let mut erased = block.clone();
        let many: Vec<usize> = (0..8).map(|i| i * 3).collect();
        for &i in &many {
            erased[i] = 0;
        }
        assert_eq!(correct(&mut erased, 10, &many), Some(()));
        assert_eq!(erased, block);
        let too_many: Vec<usize> = (0..9).collect();
        assert_eq!(correct(&mut block.clone(), 10, &too_many), None);
    }

    #[test]
    fn a_clipped_patch_is_read_as_erasures() {
        use rxing::{BarcodeFormat, EncodeHintValue, EncodeHints, Writer};
        let text = "https://xz.chsi.com.cn/xlcj/qr?code=617662402193";
        let hints = EncodeHints::default()
            .with(EncodeHintValue::Margin("0".into()))
            .with(EncodeHintValue::ErrorCorrection("M".into()));
        let bits = rxing::qrcode::QRCodeWriter
            .encode_with_hints(text, &BarcodeFormat::QR_CODE, 0, 0, &hints)
            .unwrap();
        let n = bits.getWidth();
        let mut grey: Vec<f32> =
            (0..n * n).map(|i| if bits.get(i % n, i / n) { 30.0 } else { 220.0 }).collect();
        // A lamp's reflection clips 11×11 of the 33×33 modules in the middle to white: beyond what
        // the check codewords correct as errors, within what they correct as erasures.
        let middle = n / 2 - 5;
        for y in middle..middle + 11 {
            for x in middle..middle + 11 {
                grey[(y * n + x) as usize] = 255.0;
            }
        }
        let plain = crate::qr::warp::tests_threshold(&grey, n);
        assert!(
            rxing::qrcode::cpp_port::decoder::Decode(&plain).ok().filter(|d| d.isValid()).is_none(),
            "too many errors to read as it is"
        );
        assert_eq!(decode(&grey, n).as_deref(), Some(text));
    }

    #[test]
    fn a_flat_patch_is_unknown_and_a_code_texture_is_not() {
        let n = 21;
        // A checkerboard (never flat) with a uniform 5×5 patch.
        let mut grey: Vec<f32> =
            (0..n * n).map(|i| if (i % n + i / n) % 2 == 0 { 30.0 } else { 220.0 }).collect();
        for y in 8..13 {
            for x in 8..13 {
                grey[y * n + x] = 255.0;
            }
        }
        let unknown = flat_modules(&grey, n);
        assert!(unknown[10 * n + 10]);
        assert!(!unknown[2 * n + 2] && !unknown[8 * n + 8]);
    }
}
