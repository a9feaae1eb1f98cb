//! Frames: a borrowed RGBA view, an owned frame, colour conversion, downscaling and image decoding.

use crate::{Error, ErrorKind};

/// A borrowed RGBA8 frame: `height` rows of `stride` bytes, each starting with `width` pixels.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    stride: usize,
}

impl<'a> FrameView<'a> {
    /// A view over `data` with rows `stride` bytes apart.
    pub fn new(data: &'a [u8], width: u32, height: u32, stride: usize) -> Result<Self, Error> {
        let row = width as usize * 4;
        let needed = match height {
            0 => 0,
            h => stride * (h as usize - 1) + row,
        };
        if width == 0 || height == 0 || stride < row || data.len() < needed {
            return Err(Error::new(
                ErrorKind::InvalidFrame,
                format!("{width}×{height} with stride {stride} needs {needed} bytes, got {}", data.len()),
            ));
        }
        Ok(FrameView { data, width, height, stride })
    }

    /// A view over tightly packed RGBA rows, as `ImageData` and the `image` crate give them.
    pub fn rgba(data: &'a [u8], width: u32, height: u32) -> Result<Self, Error> {
        Self::new(data, width, height, width as usize * 4)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The `width` RGBA pixels of row `y`.
    pub fn row(&self, y: u32) -> &'a [u8] {
        let start = y as usize * self.stride;
        &self.data[start..start + self.width as usize * 4]
    }

    /// The RGBA value at (`x`, `y`).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = y as usize * self.stride + x as usize * 4;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }
}

/// An owned, tightly packed RGBA8 frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    data: Vec<u8>,
    width: u32,
    height: u32,
}

impl Frame {
    /// A frame from packed RGBA bytes.
    pub fn from_rgba(data: Vec<u8>, width: u32, height: u32) -> Result<Self, Error> {
        FrameView::rgba(&data, width, height)?;
        Ok(Frame { data, width, height })
    }

    /// A frame of one colour.
    pub fn filled(width: u32, height: u32, rgba: [u8; 4]) -> Self {
        let data = rgba.repeat(width as usize * height as usize);
        Frame { data, width, height }
    }

    /// The borrowed view of this frame.
    pub fn view(&self) -> FrameView<'_> {
        FrameView {
            data: &self.data,
            width: self.width,
            height: self.height,
            stride: self.width as usize * 4,
        }
    }

    /// The packed RGBA bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }
}

/// Luma (BT.601, full range) of an RGB pixel, 0–255.
///
/// ```
/// assert_eq!(gradcap::frame::luma(255, 255, 255), 255.0);
/// assert_eq!(gradcap::frame::luma(0, 0, 0), 0.0);
/// ```
pub fn luma(r: u8, g: u8, b: u8) -> f32 {
    0.299 * r as f32 + 0.587 * g as f32 + 0.114 * b as f32
}

/// Averages `frame` down so that its longer side is at most `max_side` (box filter, aspect kept).
/// A frame already small enough is copied unchanged.
pub fn downscale(frame: &FrameView<'_>, max_side: u32) -> Frame {
    let long = frame.width.max(frame.height);
    let max_side = max_side.max(1);
    if long <= max_side {
        let data = (0..frame.height).flat_map(|y| frame.row(y).iter().copied()).collect();
        return Frame { data, width: frame.width, height: frame.height };
    }
    let scale = long as f64 / max_side as f64;
    let width = ((frame.width as f64 / scale).round() as u32).max(1);
    let height = ((frame.height as f64 / scale).round() as u32).max(1);
    let mut data = Vec::with_capacity(width as usize * height as usize * 4);
    for y in 0..height {
        let (y0, y1) = span(y, height, frame.height);
        for x in 0..width {
            let (x0, x1) = span(x, width, frame.width);
            data.extend_from_slice(&box_average(frame, x0..x1, y0..y1));
        }
    }
    Frame { data, width, height }
}

/// The source range covered by destination index `i` of `dst` when mapping onto `src`.
fn span(i: u32, dst: u32, src: u32) -> (u32, u32) {
    let start = (i as u64 * src as u64 / dst as u64) as u32;
    let end = (((i as u64 + 1) * src as u64).div_ceil(dst as u64) as u32).clamp(start + 1, src);
    (start, end)
}

fn box_average(frame: &FrameView<'_>, xs: std::ops::Range<u32>, ys: std::ops::Range<u32>) -> [u8; 4] {
    let mut sum = [0u32; 4];
    let count = (xs.len() * ys.len()) as u32;
    for y in ys {
        let row = frame.row(y);
        for x in xs.clone() {
            let p = &row[x as usize * 4..x as usize * 4 + 4];
            for (s, &v) in sum.iter_mut().zip(p) {
                *s += v as u32;
            }
        }
    }
    sum.map(|s| ((s + count / 2) / count) as u8)
}

/// How large an image file the core agrees to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted width or height, in pixels.
    pub max_side: u32,
    /// Largest accepted decoded size, in bytes of RGBA.
    pub max_bytes: u64,
}

impl Default for DecodeLimits {
    /// Room for a 10000×10000 screenshot (400 MB would be too much for a phone: 256 MiB bound).
    fn default() -> Self {
        DecodeLimits { max_side: 12_000, max_bytes: 256 << 20 }
    }
}

/// Decodes a PNG, JPEG or WebP file into an RGBA frame, refusing images beyond `limits` before
/// allocating for them.
pub fn decode_image(bytes: &[u8], limits: DecodeLimits) -> Result<Frame, Error> {
    let bad = |e: image::ImageError| Error::new(ErrorKind::ImageDecode, e.to_string());
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::new(ErrorKind::ImageDecode, e.to_string()))?;
    let (width, height) = reader.into_dimensions().map_err(bad)?;
    let rgba_bytes = width as u64 * height as u64 * 4;
    if width > limits.max_side || height > limits.max_side || rgba_bytes > limits.max_bytes {
        return Err(Error::new(ErrorKind::ImageTooLarge, format!("{width}×{height}")));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::new(ErrorKind::ImageDecode, e.to_string()))?;
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_side);
    image_limits.max_image_height = Some(limits.max_side);
    image_limits.max_alloc = Some(limits.max_bytes.saturating_mul(2));
    reader.limits(image_limits);
    // Phones store portraits sideways with an EXIF orientation: every still path (analysis,
    // capture codes, the standard photo, the backend's re-check) sees the picture upright.
    use image::ImageDecoder;
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let rgba = image::DynamicImage::from_decoder(decoder).map_err(bad)?.into_rgba8();
    let (width, height) = rgba.dimensions();
    let (data, width, height) = upright(rgba.into_raw(), width, height, orientation);
    Frame::from_rgba(data, width, height)
}

/// Where the pixel at (x, y) of the upright picture lies in the stored one, `(x, y, w, h)` →
/// `(sx, sy)`, for a stored picture `w` × `h`.
type SourceOf = fn(usize, usize, usize, usize) -> (usize, usize);

/// The RGBA pixels turned as an EXIF `orientation` says the picture is to be viewed. (One pass
/// over 32-bit pixels: `DynamicImage::apply_orientation` adds several KB to the wasm.)
fn upright(
    data: Vec<u8>,
    width: u32,
    height: u32,
    orientation: image::metadata::Orientation,
) -> (Vec<u8>, u32, u32) {
    use image::metadata::Orientation::*;
    let (w, h) = (width as usize, height as usize);
    let (ow, oh, from): (usize, usize, SourceOf) = match orientation {
        NoTransforms => return (data, width, height),
        FlipHorizontal => (w, h, |x, y, w, _| (w - 1 - x, y)),
        Rotate180 => (w, h, |x, y, w, h| (w - 1 - x, h - 1 - y)),
        FlipVertical => (w, h, |x, y, _, h| (x, h - 1 - y)),
        Rotate90FlipH => (h, w, |x, y, _, _| (y, x)),
        Rotate90 => (h, w, |x, y, _, h| (y, h - 1 - x)),
        Rotate270FlipH => (h, w, |x, y, w, h| (w - 1 - y, h - 1 - x)),
        Rotate270 => (h, w, |x, y, w, _| (w - 1 - y, x)),
    };
    let mut out = vec![0u8; data.len()];
    for y in 0..oh {
        for x in 0..ow {
            let (sx, sy) = from(x, y, w, h);
            let (to, at) = (4 * (y * ow + x), 4 * (sy * w + sx));
            out[to..to + 4].copy_from_slice(&data[at..at + 4]);
        }
    }
    (out, ow as u32, oh as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 JPEG (left black, right white) with an EXIF orientation of 6 (turn 90° clockwise
    /// to view), as a phone stores a portrait held upright.
    fn sideways_jpeg() -> Vec<u8> {
        let mut pixels = image::RgbImage::new(16, 8);
        for (x, _, p) in pixels.enumerate_pixels_mut() {
            *p = if x < 8 { image::Rgb([0, 0, 0]) } else { image::Rgb([255, 255, 255]) };
        }
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&pixels).unwrap();
        // APP1 "Exif\0\0", a little-endian TIFF header and one IFD entry: Orientation (0x0112) = 6.
        let tiff: [u8; 26] =
            [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
        let mut app1 = vec![0xFF, 0xE1];
        let length = (2 + 6 + tiff.len()) as u16;
        app1.extend(length.to_be_bytes());
        app1.extend(b"Exif\0\0");
        app1.extend(tiff);
        [&jpeg[..2], &app1[..], &jpeg[2..]].concat()
    }

    #[test]
    fn decoding_honours_the_exif_orientation() {
        let frame = decode_image(&sideways_jpeg(), DecodeLimits::default()).unwrap();
        assert_eq!((frame.width, frame.height), (8, 16), "turned upright");
        // Turned clockwise, the black left half is on top.
        assert!(frame.view().pixel(4, 2)[0] < 60 && frame.view().pixel(4, 13)[0] > 200);
    }

    #[test]
    fn every_exif_orientation_turns_the_picture_upright() {
        use image::metadata::Orientation::*;
        // Stored 3×2: a b c / d e f (one byte per pixel's red). Viewed upright:
        let stored: Vec<u8> = b"abcdef".iter().flat_map(|&c| [c, 0, 0, 255]).collect();
        let red = |(data, w, h): (Vec<u8>, u32, u32)| {
            (String::from_utf8(data.iter().step_by(4).copied().collect()).unwrap(), w, h)
        };
        let cases = [
            (NoTransforms, "abcdef", 3),
            (FlipHorizontal, "cbafed", 3),
            (Rotate180, "fedcba", 3),
            (FlipVertical, "defabc", 3),
            (Rotate90, "daebfc", 2),
            (Rotate270, "cfbead", 2),
            (Rotate90FlipH, "adbecf", 2),
            (Rotate270FlipH, "fcebda", 2),
        ];
        for (orientation, want, width) in cases {
            let (got, w, h) = red(upright(stored.clone(), 3, 2, orientation));
            assert_eq!((got.as_str(), w, h), (want, width, 6 / width), "{orientation:?}");
        }
    }

    #[test]
    fn view_rejects_short_buffers_and_zero_sizes() {
        assert!(FrameView::rgba(&[0; 15], 2, 2).is_err());
        assert!(FrameView::rgba(&[], 0, 0).is_err());
        assert!(FrameView::new(&[0; 16], 2, 2, 7).is_err(), "stride below one row");
        assert!(FrameView::new(&[0; 20], 2, 2, 12).is_ok(), "padded rows, last row unpadded");
    }

    #[test]
    fn strided_view_reads_the_right_pixels() {
        let mut data = vec![0u8; 12 * 2];
        data[12..16].copy_from_slice(&[1, 2, 3, 4]);
        let view = FrameView::new(&data, 2, 2, 12).unwrap();
        assert_eq!(view.pixel(0, 1), [1, 2, 3, 4]);
        assert_eq!(view.row(1).len(), 8);
    }

    #[test]
    fn downscale_averages_blocks_and_keeps_aspect() {
        // 4×2: left half black, right half white → 2×1: one black, one white pixel.
        let mut data = Vec::new();
        for _ in 0..2 {
            data.extend([0, 0, 0, 255].repeat(2));
            data.extend([255, 255, 255, 255].repeat(2));
        }
        let small = downscale(&FrameView::rgba(&data, 4, 2).unwrap(), 2);
        assert_eq!((small.width, small.height), (2, 1));
        assert_eq!(small.as_bytes(), &[0, 0, 0, 255, 255, 255, 255, 255]);
    }

    #[test]
    fn downscale_of_odd_sizes_covers_every_source_pixel() {
        let frame = Frame::filled(641, 479, [10, 20, 30, 255]);
        let small = downscale(&frame.view(), 320);
        assert_eq!((small.width, small.height), (320, 239));
        assert!(small.as_bytes().chunks(4).all(|p| p == [10, 20, 30, 255]));
    }

    #[test]
    fn small_frames_are_not_upscaled() {
        let frame = Frame::filled(3, 5, [1, 2, 3, 4]);
        assert_eq!(downscale(&frame.view(), 640), frame);
    }

    #[test]
    fn decode_refuses_garbage_and_huge_headers() {
        assert_eq!(
            decode_image(b"not an image", DecodeLimits::default()).unwrap_err().code(),
            "image.decode"
        );
        assert_eq!(decode_image(&[], DecodeLimits::default()).unwrap_err().code(), "image.decode");
        // A valid PNG header claiming 20000×20000 pixels, with no data behind it.
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend(20000u32.to_be_bytes());
        ihdr.extend(20000u32.to_be_bytes());
        ihdr.extend([8, 6, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
        png.extend(&ihdr);
        png.extend(crc32(&ihdr).to_be_bytes());
        png.extend(b"\0\0\0\0IDAT");
        png.extend(crc32(b"IDAT").to_be_bytes());
        assert_eq!(decode_image(&png, DecodeLimits::default()).unwrap_err().code(), "image.too_large");
    }

    /// The PNG chunk checksum (CRC-32, IEEE).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn decode_reads_a_png_written_by_the_image_crate() {
        let img = image::RgbaImage::from_pixel(3, 2, image::Rgba([9, 8, 7, 255]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let frame = decode_image(&png, DecodeLimits::default()).unwrap();
        assert_eq!((frame.view().width(), frame.view().height()), (3, 2));
        assert_eq!(frame.view().pixel(2, 1), [9, 8, 7, 255]);
        let truncated = &png[..png.len() / 2];
        assert!(decode_image(truncated, DecodeLimits::default()).is_err());
        let tight = DecodeLimits { max_side: 2, ..DecodeLimits::default() };
        assert_eq!(decode_image(&png, tight).unwrap_err().code(), "image.too_large");
    }
}
