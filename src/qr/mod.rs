//! Reading the CHSI capture code (图像采集码) and the session QR: from camera frames and from saved
//! screenshots.
//!
//! The decoder is rxing's port of zxing-cpp's QR reader, run over several views of the image until
//! one reads: the image itself, downscaled copies (a code that fills the frame, such as a phone
//! screen held close, is found only once it is smaller), a second binarizer (global histogram, for
//! glare and uneven light), and the inverted image (light-on-dark codes). In video,
//! [`Scanner`] tries the region where the code was last seen first.
//!
//! ```
//! use gradcap::{qr, Frame};
//! // A blank frame has no code: that is `None`-like (empty), not an error.
//! let frame = Frame::filled(64, 64, [255, 255, 255, 255]);
//! assert!(qr::decode(&frame.view()).is_empty());
//! ```

mod elastic;
mod erasure;
mod luma;
mod passes;
mod rays;
mod warp;

pub use luma::Luma;
pub use passes::{decode_luma, Pass, Resample, Threshold, View};

use crate::FrameView;

/// One code found in an image.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Code {
    /// The decoded text.
    pub text: String,
    /// The code's four corners in image pixels: top-left, top-right, bottom-right, bottom-left.
    pub corners: [[f32; 2]; 4],
}

impl Code {
    /// The same code with its corners multiplied by `factor`.
    pub fn scaled(mut self, factor: f32) -> Code {
        for [x, y] in &mut self.corners {
            (*x, *y) = (*x * factor, *y * factor);
        }
        self
    }

    /// The mean length of the quad's sides, in pixels.
    pub fn side(&self) -> f32 {
        let c = &self.corners;
        (0..4).map(|i| (c[(i + 1) % 4][0] - c[i][0]).hypot(c[(i + 1) % 4][1] - c[i][1])).sum::<f32>() / 4.0
    }

    /// The bounding box of the corners: `(x0, y0, x1, y1)`.
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        self.corners.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(x0, y0, x1, y1), [x, y]| {
            (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y))
        })
    }
}

/// Reads an `n`×`n` grid of module greys (0 dark … 1 light, row by row) as a code: the
/// decoder's last stages — thresholding, the format, the codewords, Reed–Solomon with erasures,
/// the bit-stream parser — without the search that finds a grid in an image. For the fuzzer
/// (`fuzz/fuzz_targets/qr_grid.rs`), which reaches these stages thousands of times faster this way.
#[doc(hidden)]
pub fn read_module_grid(grey: &[f32], n: u32) -> Option<String> {
    let fits = (21..=177).contains(&n) && (n - 17) % 4 == 0 && grey.len() == (n * n) as usize;
    fits.then(|| warp::read_grid(grey, n)).flatten()
}

/// Parses the data codewords of a corrected code (version 1–40, error correction level 0–3 as
/// L, M, Q, H) into its text: the decoder's bit-stream parser alone. For the fuzzer.
#[doc(hidden)]
pub fn parse_codewords(data: &[u8], version: u32, level: u8) -> Option<String> {
    use rxing::qrcode::common::{ErrorCorrectionLevel, Version};
    let version = Version::getVersionForNumber(version).ok()?;
    let level = match level {
        0 => ErrorCorrectionLevel::L,
        1 => ErrorCorrectionLevel::M,
        2 => ErrorCorrectionLevel::Q,
        3 => ErrorCorrectionLevel::H,
        _ => return None,
    };
    rxing::qrcode::cpp_port::decoder::DecodeBitStream(data, version, level).ok().map(|d| d.text())
}

/// The longest side a still image is decoded at; larger images are shrunk first, which bounds the
/// memory (16 MiB of grey pixels) and still leaves a 4000×4000 screenshot's code readable.
pub const MAX_STILL_SIDE: u32 = 4096;

/// Decodes every QR code in a still image (a saved screenshot, a file), trying all passes, at
/// several scales, until one reads. Corners are in `frame`'s pixels.
pub fn decode(frame: &FrameView<'_>) -> Vec<Code> {
    let luma = Luma::from_frame(frame);
    let factor = luma.width.max(luma.height).div_ceil(MAX_STILL_SIDE);
    warp::with_grid_budget(warp::STILL_GRIDS, || match luma.shrink(factor) {
        Some(small) if factor > 1 => {
            decode_luma(&small, Pass::ALL).into_iter().map(|c| c.scaled(factor as f32)).collect()
        }
        _ => decode_luma(&luma, Pass::ALL),
    })
}

/// Which decoded texts the component accepts as a capture code: any non-empty text by default,
/// or texts matching a regular expression (whole text; `regex-lite` syntax).
#[derive(Debug, Clone, Default)]
pub struct Validation {
    pattern: Option<regex_lite::Regex>,
}

impl Validation {
    /// Accepts any non-empty text (the default).
    pub fn any() -> Validation {
        Validation { pattern: None }
    }

    /// Accepts texts that `pattern` matches as a whole; `None` when the pattern is malformed.
    ///
    /// ```
    /// use gradcap::qr::Validation;
    /// let session = Validation::pattern("[0-9]{8}").unwrap();
    /// assert!(session.accepts("26050704"));
    /// assert!(!session.accepts("26050704x") && !session.accepts("2605070"));
    /// assert!(Validation::any().accepts("anything") && !Validation::any().accepts("  "));
    /// assert!(Validation::pattern("(").is_none());
    /// ```
    pub fn pattern(pattern: &str) -> Option<Validation> {
        let whole = regex_lite::Regex::new(&format!("^(?:{pattern})$")).ok()?;
        Some(Validation { pattern: Some(whole) })
    }

    /// Whether `text` is an acceptable code.
    pub fn accepts(&self, text: &str) -> bool {
        !text.trim().is_empty() && self.pattern.as_ref().is_none_or(|p| p.is_match(text))
    }
}

/// A live scanner. Each call does a bounded amount of work, so the video never stalls: it tries the
/// region where the code was last seen, then one of the [`Pass::LIVE`] passes over the whole
/// frame, taking the passes in turn from frame to frame.
#[derive(Debug, Clone, Default)]
pub struct Scanner {
    last_seen: Option<(f32, f32, f32, f32)>,
    next_pass: usize,
}

impl Scanner {
    /// Looks for codes in one frame.
    pub fn scan(&mut self, frame: &FrameView<'_>) -> Vec<Code> {
        let luma = Luma::from_frame(frame);
        if let Some(region) = self.last_seen.and_then(|bounds| luma.region_around(bounds, 0.5)) {
            let codes = decode_luma(&region.luma, &Pass::LIVE[..1]);
            if !codes.is_empty() {
                return self.remember(codes.into_iter().map(|c| region.to_frame(c)).collect());
            }
        }
        let pass = Pass::LIVE[self.next_pass % Pass::LIVE.len()];
        self.next_pass = (self.next_pass + 1) % Pass::LIVE.len();
        let codes = decode_luma(&luma, &[pass]);
        self.remember(codes)
    }

    /// Where the last code was seen (`x0, y0, x1, y1`), if the last frame had one.
    pub fn last_seen(&self) -> Option<(f32, f32, f32, f32)> {
        self.last_seen
    }

    fn remember(&mut self, codes: Vec<Code>) -> Vec<Code> {
        self.last_seen = codes.first().map(Code::bounds);
        codes
    }
}

#[cfg(test)]
mod tests;
