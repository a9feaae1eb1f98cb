//! JPEG for the standard photo: 24-bit colour, 300 dpi in the JFIF header, and the quality
//! searched so that the file lands in CHSI's 20–40 KB at quality 60 or better.

use crate::{Error, ErrorKind, FrameView};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};

/// The photo's resolution written in the JFIF header.
pub const DPI: u16 = 300;
/// CHSI's lowest quality.
pub const MIN_QUALITY: u8 = 60;
/// CHSI's file size range, bytes (20–40 KB).
pub const SIZE_RANGE: [usize; 2] = [20 * 1024, 40 * 1024];

/// A JPEG file and the quality it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Jpeg {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its quality, 1–100.
    pub quality: u8,
}

/// Encodes `frame` (RGBA; alpha dropped) at `quality`, with a 300 dpi JFIF header.
pub fn encode(frame: &FrameView<'_>, quality: u8) -> Result<Jpeg, Error> {
    let (w, h) = (frame.width(), frame.height());
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for p in frame.row(y).chunks_exact(4) {
            rgb.extend_from_slice(&p[..3]);
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, quality);
    encoder.set_pixel_density(PixelDensity::dpi(DPI));
    encoder
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::new(ErrorKind::ImageEncode, e.to_string()))?;
    Ok(Jpeg { bytes, quality })
}

/// The best quality (at least 60) whose file fits in `SIZE_RANGE`: the highest quality that is at
/// most 40 KB. A picture so plain that even quality 100 is under 20 KB is returned at 100, and
/// one so busy that quality 60 is over 40 KB at 60; the caller sees the size.
pub fn encode_sized(frame: &FrameView<'_>) -> Result<Jpeg, Error> {
    let [_, max] = SIZE_RANGE;
    let lowest = encode(frame, MIN_QUALITY)?;
    if lowest.bytes.len() > max {
        return Ok(lowest);
    }
    // Binary search over quality for the last one that fits.
    let (mut fits, mut over) = (lowest, 101u8);
    while over - fits.quality > 1 {
        let mid = fits.quality + (over - fits.quality) / 2;
        let jpeg = encode(frame, mid)?;
        if jpeg.bytes.len() <= max {
            fits = jpeg;
        } else {
            over = mid;
        }
    }
    Ok(fits)
}

/// The density a JFIF header declares: `(units, x, y)`, units 1 meaning dots per inch.
pub fn jfif_density(bytes: &[u8]) -> Option<(u8, u16, u16)> {
    let app0 = bytes.windows(5).position(|w| w == b"JFIF\0")?;
    let d = bytes.get(app0 + 7..app0 + 12)?;
    Some((d[0], u16::from_be_bytes([d[1], d[2]]), u16::from_be_bytes([d[3], d[4]])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    fn noise(w: u32, h: u32) -> Frame {
        let mut seed = 1u32;
        let data = (0..w * h * 4)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if i % 4 == 3 {
                    255
                } else {
                    ((seed >> 24) as u8) / 4 + ((i / 4 % w) as u8 / 2)
                }
            })
            .collect();
        Frame::from_rgba(data, w, h).unwrap()
    }

    #[test]
    fn the_header_says_300_dpi() {
        let jpeg = encode(&Frame::filled(16, 16, [10, 200, 30, 255]).view(), 80).unwrap();
        assert_eq!(jfif_density(&jpeg.bytes), Some((1, 300, 300)));
        assert_eq!(&jpeg.bytes[..2], [0xff, 0xd8]);
    }

    #[test]
    fn the_search_picks_the_best_quality_that_fits() {
        let frame = noise(480, 640);
        let jpeg = encode_sized(&frame.view()).unwrap();
        assert!(jpeg.quality >= MIN_QUALITY);
        assert!(jpeg.bytes.len() <= SIZE_RANGE[1] || jpeg.quality == MIN_QUALITY);
        if jpeg.quality < 100 {
            assert!(encode(&frame.view(), jpeg.quality + 1).unwrap().bytes.len() > SIZE_RANGE[1]);
        }
    }
}
